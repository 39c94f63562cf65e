"""The journey report against figures computed in plain Python from generated records.

`tests.reportdata.generate()` gives surveys over four units and a tiny one, three flows, three
languages; here a seeded share of them are made steps of journeys of two types (sleep apnoea:
four steps over three flows, diabetes: two steps), with noise that must not count: a step of
the wrong flow, a step not in the definition, an id of another prefix, trials.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import jsonschema_rs
import pytest
from aiohttp import test_utils, web
from click.testing import CliRunner

from smsbot.cli.report import report
from smsbot.config import Config, DatabaseConfig, FlowsConfig, PrivacyConfig
from smsbot.flows.journeys import load_journeys
from smsbot.http.openapi.document import openapi_document
from smsbot.http.reports import ReportContext, add_report_routes
from smsbot.results.journeys import journeys, score_pct
from smsbot.results.render import render_csv, render_table
from smsbot.results.reports import ReportFilter, ReportFilterError
from smsbot.storage.journeys import JourneyType
from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore
from tests.journeydata import (
    APNEA,
    DEFINITIONS,
    DIABETES,
    assign_journeys,
    mark,
    write_journeys_file,
)
from tests.reportdata import TINY_UNIT, Conversation, database_with, generate, write_flow_files

DATA = generate(seed=2017, surveys=2500)
K = 5
JOURNEY = assign_journeys(DATA)
QUESTION = {
    ("sleep-apnoea", 0): "csat",
    ("sleep-apnoea", 1): "csat",
    ("sleep-apnoea", 2): "ces",
    ("sleep-apnoea", 3): "staff",
    ("diabetes", 0): "csat",
    ("diabetes", 1): "csat",
}
SCALE = {"csat": (1, 5), "ces": (1, 7), "staff": (1, 5)}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = database_with(tmp_path_factory.mktemp("journeys") / "j.db", DATA)

    async def marked() -> None:
        async with aiosqlite.connect(path) as conn:
            await mark(conn, JOURNEY)
            await conn.commit()

    asyncio.run(marked())
    return path


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    db = await open_database(db_path)
    try:
        yield SqliteStore(db)
    finally:
        await db.close()


# --- the expected figures, in plain Python ----------------------------------------------------


def _members(kind: JourneyType, pos: int, f: ReportFilter | None = None) -> list[Conversation]:
    step = kind.steps[pos]
    found = []
    for conv in DATA.conversations:
        jid, at = JOURNEY.get(conv.id, ("", ""))
        if conv.trial or not jid.startswith(kind.id_prefix) or at != step.id:
            continue
        if conv.flow_id != step.flow or (f is not None and f.unit not in (None, conv.unit)):
            continue
        found.append(conv)
    return found


def _scores(convs: list[Conversation], question: str) -> list[int]:
    return [
        int(a.value)  # type: ignore[arg-type]
        for c in convs
        for a in c.answers
        if a.question_id == question and a.problem is None
    ]


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _expected_step(kind: JourneyType, pos: int, everyone: int) -> dict[str, Any]:
    convs = _members(kind, pos)
    answered = sum(1 for c in convs if c.first_reply_at is not None)
    question = QUESTION[(kind.id, pos)]
    values = _scores(convs, question)
    low, high = SCALE[question]
    mean = _mean(values)
    reached = len({JOURNEY[c.id][0] for c in convs})
    return {
        "surveys": len(convs),
        "answered": answered,
        "response_rate_pct": round(100 * answered / len(convs), 1),
        "journeys": reached,
        "reached_pct": round(100 * reached / everyone, 1),
        "question": question,
        "answers": len(values),
        "mean": mean,
        "score_pct": round(100 * ((sum(values) / len(values)) - low) / (high - low), 1),
    }


def _everyone(kind: JourneyType) -> int:
    return len({JOURNEY[c.id][0] for pos in range(len(kind.steps)) for c in _members(kind, pos)})


# --- tests ------------------------------------------------------------------------------------


async def test_every_step_matches_the_records(store: Store) -> None:
    groups = await journeys(store, ReportFilter(), DEFINITIONS, DATA.flows, min_group=K)
    assert [g.key for g in groups] == ["sleep-apnoea", "diabetes"]
    for kind, group in zip(DEFINITIONS, groups, strict=True):
        everyone = _everyone(kind)
        assert group.n == everyone and not group.suppressed
        steps = group.figures["steps"]
        assert [s["key"] for s in steps] == [s.id for s in kind.steps]  # type: ignore[index]
        for pos, step in enumerate(steps):  # type: ignore[arg-type]
            want = _expected_step(kind, pos, everyone)
            figures, score = step["figures"], step["figures"]["satisfaction"]
            assert step["n"] == want["surveys"] and step["position"] == pos + 1
            for name in ("surveys", "answered", "response_rate_pct", "journeys", "reached_pct"):
                assert figures[name] == want[name], (kind.id, pos, name)
            assert score["key"] == want["question"] and score["n"] == want["answers"]
            assert score["figures"]["mean"] == want["mean"]
            assert score["figures"]["score_pct"] == want["score_pct"]


async def test_units_side_by_side_and_small_ones_suppressed(store: Store) -> None:
    [group] = await journeys(
        store, ReportFilter(), DEFINITIONS, DATA.flows, journey="sleep-apnoea", min_group=K
    )
    for pos, step in enumerate(group.figures["steps"]):  # type: ignore[arg-type]
        convs = _members(APNEA, pos)
        by_unit: dict[str | None, list[Conversation]] = defaultdict(list)
        for conv in convs:
            by_unit[conv.unit].append(conv)
        cells = {cell["key"]: cell for cell in step["figures"]["units"]}
        assert set(cells) == set(by_unit)
        for unit, mine in by_unit.items():
            cell = cells[unit]
            assert cell["n"] == len(mine)
            if len(mine) < K:
                assert cell["suppressed"] and cell["figures"] == {}
                continue
            values = _scores(mine, QUESTION[("sleep-apnoea", pos)])
            score = cell["figures"]["satisfaction"]
            assert score["n"] == len(values)
            if len(values) < K:
                assert score["suppressed"] and score["figures"] == {}
            else:
                assert score["figures"]["mean"] == _mean(values)


async def test_changes_and_falls_between_steps(store: Store) -> None:
    [group] = await journeys(
        store, ReportFilter(), DEFINITIONS, DATA.flows, journey="sleep-apnoea", min_group=K
    )
    steps = group.figures["steps"]
    everyone = _everyone(APNEA)
    want = [_expected_step(APNEA, pos, everyone) for pos in range(4)]
    assert steps[0]["figures"]["change"] is None  # type: ignore[index]
    falls = []
    for pos in range(1, 4):
        change = steps[pos]["figures"]["change"]  # type: ignore[index]
        response = round(want[pos]["response_rate_pct"] - want[pos - 1]["response_rate_pct"], 1)
        score = round(want[pos]["score_pct"] - want[pos - 1]["score_pct"], 1)
        assert change["from"] == APNEA.steps[pos - 1].id
        assert change["response_rate_pts"] == response
        assert change["score_pts"] == score
        same_scale = SCALE[want[pos]["question"]] == SCALE[want[pos - 1]["question"]]
        if same_scale:
            assert change["mean"] == round(want[pos]["mean"] - want[pos - 1]["mean"], 2)
        else:
            assert change["mean"] is None  # CSAT 1-5 and CES 1-7 are not compared as means
        falls += [("response", response), ("satisfaction", score)]
    shown = group.figures["falls"]
    assert sorted(f["points"] for f in shown) == sorted(p for _, p in falls if p < 0)
    assert [f["points"] for f in shown] == sorted(f["points"] for f in shown)


async def test_a_unit_filter_and_a_small_minimum(store: Store) -> None:
    f = ReportFilter(unit=TINY_UNIT)
    groups = await journeys(store, f, DEFINITIONS, DATA.flows, min_group=K)
    for kind, group in zip(DEFINITIONS, groups, strict=True):
        n = len({JOURNEY[c.id][0] for p in range(len(kind.steps)) for c in _members(kind, p, f)})
        assert group.n == n and n < K
        assert group.suppressed and group.figures == {}  # nothing of a tiny group shows
    everything = await journeys(store, ReportFilter(), DEFINITIONS, DATA.flows, min_group=10_000)
    assert all(g.suppressed and g.figures == {} for g in everything)


async def test_trials_are_left_out_unless_asked(store: Store, db_path: Path) -> None:
    plain = await journeys(store, ReportFilter(), DEFINITIONS, DATA.flows, min_group=K)
    first = _members(APNEA, 0)[0]  # a survey the first step counts: now a trial
    async with aiosqlite.connect(db_path) as conn:
        await conn.execute("UPDATE conversations SET trial = 1 WHERE id = ?", (first.id,))
        await conn.commit()
    try:
        again = await journeys(store, ReportFilter(), DEFINITIONS, DATA.flows, min_group=K)
        with_trials = await journeys(
            store, ReportFilter(include_trials=True), DEFINITIONS, DATA.flows, min_group=K
        )
    finally:
        async with aiosqlite.connect(db_path) as conn:
            await conn.execute("UPDATE conversations SET trial = 0 WHERE id = ?", (first.id,))
            await conn.commit()
    assert with_trials == plain
    step = again[0].figures["steps"][0]  # type: ignore[index]
    assert step["n"] == plain[0].figures["steps"][0]["n"] - 1  # type: ignore[index]


async def test_clear_errors(store: Store) -> None:
    with pytest.raises(ReportFilterError, match=r"unknown journey 'sleep-apnea'.*'sleep-apnoea'"):
        await journeys(
            store, ReportFilter(), DEFINITIONS, DATA.flows, journey="sleep-apnea", min_group=K
        )
    with pytest.raises(ReportFilterError, match="no journey types are defined"):
        await journeys(store, ReportFilter(), (), DATA.flows, min_group=K)
    with pytest.raises(ReportFilterError, match="group_by does not apply"):
        await journeys(store, ReportFilter(group_by="unit"), DEFINITIONS, DATA.flows, min_group=K)


def test_score_pct() -> None:
    assert score_pct(3.0, 1, 5) == 50.0
    assert score_pct(7.0, 1, 7) == 100.0
    assert score_pct(None, 1, 5) is None


# --- the file, the command and the API ----------------------------------------------------------


def test_the_file_reads_as_the_definitions(tmp_path: Path) -> None:
    path = write_journeys_file(tmp_path)
    found, problems = load_journeys(path, DATA.flows)
    assert problems == []
    assert [(j.id, j.id_prefix, [(s.id, s.flow, s.question) for s in j.steps]) for j in found] == [
        (j.id, j.id_prefix, [(s.id, s.flow, s.question) for s in j.steps]) for j in DEFINITIONS
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("format: 1\njourneys: []\n", 2, "expected 'journeys:', a list"),
        (
            "format: 1\njourneys:\n  - id: a\n    id_prefix: a-\n    stpes: []\n",
            5,
            "unknown key 'stpes' (did you mean 'steps'?)",
        ),
        (
            "format: 1\njourneys:\n  - id: a\n    id_prefix: a-\n    steps:\n"
            "      - {step: one, flow: vist}\n",
            6,
            "unknown flow 'vist' (did you mean 'visit'?)",
        ),
        (
            "format: 1\njourneys:\n  - id: a\n    id_prefix: a-\n    steps:\n"
            "      - step: one\n        flow: visit\n        question: solved\n",
            8,
            "'solved' is not a scale question of flow 'visit' (its scales: csat)",
        ),
        (
            "format: 1\njourneys:\n  - id: a\n    id_prefix: a-\n"
            "    steps: [{step: 1, flow: visit}]\n"
            "  - id: b\n    id_prefix: a-b\n    steps: [{step: 1, flow: visit}]\n",
            7,
            "journey 'b': its id_prefix overlaps journey 'a' ('a-')",
        ),
        (
            "format: 1\njourneys:\n  - id: a\n    id_prefix: a-\n    steps:\n"
            "      - {step: one, flow: visit}\n      - {step: one, flow: visit}\n",
            7,
            "step 'one' is listed twice",
        ),
        ("- just a list\n", 1, "a journeys file is a mapping"),
    ],
)
def test_a_broken_file_says_where(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "journeys.yaml"
    path.write_text(text)
    _found, problems = load_journeys(path, DATA.flows)
    assert any(p.line == line and message in p.message for p in problems), problems
    assert all(str(p).startswith(f"{path}:") for p in problems)


def _config(tmp_path: Path, db_path: Path) -> Config:
    flows_dir = write_flow_files(tmp_path / "flows", DATA.flows)
    write_journeys_file(flows_dir)
    return Config(
        database=DatabaseConfig(path=str(db_path)),
        flows=FlowsConfig(dir=str(flows_dir)),
        privacy=PrivacyConfig(min_group_size=K),
    )


def test_the_command_prints_the_journey(tmp_path: Path, db_path: Path) -> None:
    config = _config(tmp_path, db_path)
    runner = CliRunner()
    out = runner.invoke(report, ["--journey", "sleep-apnoea", "--format", "json"], obj=config)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    [group] = data["sections"]["journeys"]
    assert group["key"] == "sleep-apnoea" and group["n"] == _everyone(APNEA)
    table = runner.invoke(report, ["--section", "journeys"], obj=config)
    assert table.exit_code == 0, table.output
    assert "Journey: Sleep apnoea care chain" in table.output and "4. follow-up" in table.output
    assert "+4670555" not in table.output  # never a phone number
    bad = runner.invoke(report, ["--journey", "diabetis"], obj=config)
    assert bad.exit_code == 2 and "did you mean 'diabetes'?" in bad.output
    typo = runner.invoke(report, ["--journey", "diabetes", "--unit", "Vårdcentral Nor"], obj=config)
    assert typo.exit_code == 2 and "did you mean 'Vårdcentral Norr'?" in typo.output


async def test_the_api_answers_the_journeys(store: Store) -> None:
    app = web.Application()
    context = ReportContext(store, DATA.flows, K, journeys=DEFINITIONS)
    add_report_routes(app, lambda request: context)
    document = openapi_document()
    schema = {"$ref": "#/components/schemas/JourneyReport", "components": document["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema)
    async with test_utils.TestClient(test_utils.TestServer(app)) as client:
        everything = await client.get("/v1/reports/journeys")
        assert everything.status == 200
        validator.validate(await everything.json())  # every field described, none missing
        answer = await client.get("/v1/reports/journeys", params={"journey": "diabetes"})
        assert answer.status == 200
        data = await answer.json()
        validator.validate(data)
        [group] = data["sections"]["journeys"]
        assert group["n"] == _everyone(DIABETES)
        assert [s["key"] for s in group["steps"]] == ["nurse", "lab"]
        wrong = await client.get("/v1/reports/funnel", params={"journey": "diabetes"})
        assert wrong.status == 400 and "journeys" in (await wrong.json())["message"]
        unknown = await client.get("/v1/reports/journeys", params={"journey": "x"})
        assert unknown.status == 400
        grouped = await client.get("/v1/reports/journeys", params={"group_by": "unit"})
        assert grouped.status == 400
        assert "group_by: not for the journeys report" in (await grouped.json())["message"]


async def test_renders_as_table_and_csv(store: Store) -> None:
    from smsbot.results.journeys import journey_report

    data = await journey_report(store, ReportFilter(), DEFINITIONS, DATA.flows, min_group=K)
    table, flat = render_table(data), render_csv(data)
    assert "Journey: diabetes" in table and "1. nurse" in table
    assert "journeys,sleep-apnoea,steps" in flat
    counts = Counter(line.split(",")[0] for line in flat.splitlines()[1:])
    assert set(counts) == {"journeys"}
