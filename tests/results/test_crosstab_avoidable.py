"""Cross-tabulation and avoidable demand against figures computed in plain Python from the
generated records (`tests.reportdata.generate()`: four units and a tiny one, three flows,
three languages and channels).

The stored data is the generator's; the flows the reports read are its flows with avoidable
marks added (reports read answers by flow and question id, not by version).
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import test_utils, web
from click.testing import CliRunner

from smsbot.cli.report import report
from smsbot.config import Config, DatabaseConfig, FlowsConfig, PrivacyConfig
from smsbot.http.reports import ReportContext, add_report_routes
from smsbot.results.render import render_csv, render_table
from smsbot.results.reports import (
    ReportFilter,
    ReportFilterError,
    avoidable,
    avoidable_per_flow,
    crosstab,
    full_report,
)
from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore
from tests.reportdata import (
    AVOIDABLE_WHEN,
    TINY_UNIT,
    Conversation,
    database_with,
    generate,
    marked_flows,
)

DATA = generate(seed=1717, surveys=2000)
K = 5
CONDITION = AVOIDABLE_WHEN
FLOWS = marked_flows(DATA.flows)


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return database_with(tmp_path_factory.mktemp("crosstab") / "r.db", DATA)


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    db = await open_database(db_path)
    try:
        yield SqliteStore(db)
    finally:
        await db.close()


# --- the expected figures, from the records ----------------------------------------------------


def _key(c: Conversation, group_by: str | None) -> str | None:
    if group_by is None:
        return None
    if group_by.startswith("attributes."):
        value = c.attributes.get(group_by.removeprefix("attributes."))
        return None if value is None else str(value)
    return str(getattr(c, group_by))


def _by_value(c: Conversation, by: str) -> str | None:
    if by in ("unit", "service", "channel", "language"):
        return str(getattr(c, by))
    answer = c.understood(by)
    return None if answer is None else str(answer.value)


def expected_crosstab(flow_id: str, question: str, by: str, group_by: str | None) -> dict[Any, Any]:
    """(group key, by value) -> Counter of the question's understood answers."""
    found: dict[Any, Any] = defaultdict(lambda: defaultdict(Counter))
    for c in DATA.conversations:
        if c.flow_id != flow_id:
            continue
        for a in c.answers:
            if a.question_id == question and a.problem is None:
                found[_key(c, group_by)][_by_value(c, by)][a.value] += 1
    return found


def _mean(counts: Counter[Any]) -> float | None:
    n = sum(counts.values())
    return round(sum(v * k for v, k in counts.items()) / n, 2) if n else None


@pytest.mark.parametrize(
    ("flow_id", "question", "by", "group_by"),
    [
        ("contact", "ces", "web_first", "unit"),
        ("contact", "ces", "solved", None),
        ("visit", "csat", "reason", "unit"),
        ("recommend", "nps", "channel", None),
        ("visit", "solved", "language", "unit"),
    ],
)
async def test_crosstab_is_what_the_records_say(
    store: Store, flow_id: str, question: str, by: str, group_by: str | None
) -> None:
    f = ReportFilter(flow=flow_id, group_by=group_by)
    groups = await crosstab(store, f, FLOWS, question=question, by=by, min_group=K)
    want = expected_crosstab(flow_id, question, by, group_by)
    assert sorted(want, key=str) == sorted((g.key for g in groups), key=str)
    scale = FLOWS[flow_id].question(question).kind.value == "scale"
    for group in groups:
        cells = want[group.key]
        assert group.n == sum(sum(c.values()) for c in cells.values())
        assert group.suppressed == (group.n < K)
        if group.suppressed:
            assert group.figures == {}
            continue
        got = {cell["key"]: cell for cell in group.figures["cells"]}
        assert set(cells) <= set(got)
        for value, cell in got.items():
            counts = cells.get(value, Counter())
            n = sum(counts.values())
            assert (cell["n"], cell["suppressed"]) == (n, n < K), (group.key, value)
            if n < K:
                assert cell["figures"] == {}
                continue
            shown = {k: v for k, v in cell["figures"]["distribution"].items() if v}
            assert shown == {str(v): c for v, c in counts.items()}
            if scale:
                assert cell["figures"]["mean"] == _mean(counts)


async def test_the_tiny_unit_is_suppressed_in_a_crosstab(store: Store) -> None:
    f = ReportFilter(flow="visit", group_by="unit")
    groups = await crosstab(store, f, FLOWS, question="csat", by="solved", min_group=K)
    tiny = [g for g in groups if g.key == TINY_UNIT]
    assert all(g.suppressed and g.figures == {} and g.n < K for g in tiny)
    assert any(not g.suppressed for g in groups)


async def test_without_a_flow_each_flow_with_the_question_is_its_own_group(store: Store) -> None:
    groups = await crosstab(
        store, ReportFilter(), FLOWS, question="solved", by="channel", min_group=K
    )
    assert [g.key for g in groups] == ["contact", "visit"]


@pytest.mark.parametrize(
    ("question", "by", "message"),
    [
        ("cse", "web_first", "unknown question 'cse' (did you mean 'ces'?)"),
        ("ces", "web_frist", "cannot split 'ces' by 'web_frist' (did you mean 'web_first'?)"),
        ("ces", "ces", "cannot split by 'ces'"),
        ("ces", "reason", "cannot split 'ces' by 'reason' (no flow asks both"),
        ("ces", "attributes.x-y", "cannot split 'ces' by 'attributes.x-y' (one of unit"),
        ("why", "solved", "'why' is text"),
    ],
)
async def test_a_typo_in_a_crosstab_says_what_was_meant(
    store: Store, question: str, by: str, message: str
) -> None:
    with pytest.raises(ReportFilterError, match="crosstab") as error:
        await crosstab(store, ReportFilter(), FLOWS, question=question, by=by, min_group=K)
    assert message in str(error.value)


# --- avoidable demand ------------------------------------------------------------------------


def _why_avoidable(c: Conversation) -> list[str] | None:
    """None: no answer to a question the marks read; else the reasons (empty: not avoidable)."""
    if c.flow_id == "visit":
        reason = c.understood("reason")
        return (
            None
            if reason is None
            else (["reason = question"] if reason.value == "question" else [])
        )
    ces, web = c.understood("ces"), c.understood("web_first")
    if ces is None and web is None:
        return None
    hit = web is not None and web.value == "yes" and ces is not None and int(ces.value or 0) >= 5
    return [CONDITION] if hit else []


def _period(c: Conversation, period: str) -> str:
    day = date.fromisoformat(c.created_at.date().isoformat())
    if period == "month":
        return day.isoformat()[:7]
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def expected_avoidable(flow_id: str, group_by: str | None, period: str) -> dict[Any, Any]:
    found: dict[Any, Any] = defaultdict(
        lambda: {"periods": defaultdict(lambda: [0, 0]), "reasons": Counter()}
    )
    for c in DATA.conversations:
        why = _why_avoidable(c) if c.flow_id == flow_id else None
        if why is None:
            continue
        group = found[_key(c, group_by)]
        counts = group["periods"][_period(c, period)]
        counts[0] += 1
        counts[1] += bool(why)
        group["reasons"].update(why)
    return found


@pytest.mark.parametrize(
    ("flow_id", "group_by", "period"),
    [("visit", "unit", "month"), ("contact", "unit", "week"), ("contact", None, "month")],
)
async def test_avoidable_demand_is_what_the_records_say(
    store: Store, flow_id: str, group_by: str | None, period: str
) -> None:
    f = ReportFilter(flow=flow_id, group_by=group_by)
    groups = await avoidable(store, f, FLOWS, period=period, min_group=K)
    want = expected_avoidable(flow_id, group_by, period)
    assert sorted((g.key for g in groups), key=str) == sorted(want, key=str)
    for group in groups:
        periods, reasons = want[group.key]["periods"], want[group.key]["reasons"]
        contacts = sum(c for c, _ in periods.values())
        hits = sum(a for _, a in periods.values())
        assert (group.n, group.suppressed) == (contacts, contacts < K)
        if group.suppressed:
            assert group.figures == {}
            continue
        assert group.figures["contacts"] == contacts
        assert group.figures["avoidable"] == hits
        assert group.figures["avoidable_pct"] == round(100 * hits / contacts, 1)
        got_reasons = {r["reason"]: r["contacts"] for r in group.figures["reasons"]}
        assert got_reasons == dict(reasons)
        over_time = [
            (cell["key"], cell["n"], cell["suppressed"], cell["figures"].get("avoidable"))
            for cell in group.figures["over_time"]
        ]
        assert over_time == [
            (when, c, c < K, None if c < K else a) for when, (c, a) in sorted(periods.items())
        ]


async def test_the_tiny_unit_is_suppressed_in_avoidable_demand(store: Store) -> None:
    groups = await avoidable(store, ReportFilter(group_by="unit"), FLOWS, min_group=K)
    tiny = [g for g in groups if str(g.key).endswith(f"/{TINY_UNIT}")]
    assert tiny and all(g.suppressed and g.figures == {} and g.n < K for g in tiny)
    assert any(not g.suppressed for g in groups)


async def test_per_flow_everyone_is_the_report_without_group_by(store: Store) -> None:
    by_unit = await avoidable_per_flow(store, ReportFilter(group_by="unit"), FLOWS, min_group=K)
    alone = await avoidable(store, ReportFilter(), FLOWS, min_group=K)
    assert [replace(everyone, key=flow_id) for flow_id, everyone, _ in by_unit] == alone
    units = [g for _, _, groups in by_unit for g in groups]
    assert units == [
        replace(g, key=str(g.key).split("/", 1)[1])
        for g in await avoidable(store, ReportFilter(group_by="unit"), FLOWS, min_group=K)
    ]


async def test_flows_without_marks_have_no_avoidable_groups(store: Store) -> None:
    groups = await avoidable(store, ReportFilter(), FLOWS, min_group=K)
    assert sorted({g.key for g in groups}) == ["contact", "visit"]
    assert await avoidable(store, ReportFilter(), DATA.flows, min_group=K) == []


# --- the report, the API and the command --------------------------------------------------------


async def test_full_report_adds_the_crosstab_and_renders_it(store: Store) -> None:
    f = ReportFilter(flow="contact")
    data = await full_report(store, f, FLOWS, min_group=K, sections=(), crosstab="ces:solved")
    assert list(data["sections"]) == ["crosstab"]
    text = render_table(data)
    assert "Cross-tab: ces by solved" in text
    rows = list(csv.reader(io.StringIO(render_csv(data))))
    figures = {row[2] for row in rows[1:] if row[0] == "crosstab"}
    assert {"cells.yes.n", "cells.no.n", "cells.none.n", "overall.mean"} <= figures
    with pytest.raises(ReportFilterError, match="expected question:by"):
        await full_report(store, f, FLOWS, min_group=K, crosstab="ces")


async def _get(store: Store, path: str, **params: Any) -> tuple[int, Any]:
    app = web.Application()
    add_report_routes(app, lambda request: ReportContext(store, FLOWS, K))
    async with test_utils.TestClient(test_utils.TestServer(app)) as client:
        response = await client.get(path, params=params)
        return response.status, await response.json()


async def test_web_crosstab_and_avoidable(store: Store) -> None:
    status, body = await _get(store, "/v1/reports/crosstab", crosstab="csat:reason", flow="visit")
    assert status == 200 and list(body["sections"]) == ["crosstab"]
    want = expected_crosstab("visit", "csat", "reason", None)[None]
    assert body["sections"]["crosstab"][0]["n"] == sum(sum(c.values()) for c in want.values())
    status, body = await _get(store, "/v1/reports/avoidable", flow="contact", period="week")
    assert status == 200 and body["sections"]["avoidable"][0]["period"] == "week"
    status, body = await _get(store, "/v1/reports/crosstab")
    assert status == 400 and "crosstab" in body["message"]
    status, body = await _get(store, "/v1/reports/crosstab", crosstab="cse:reason")
    assert status == 400 and "did you mean 'ces'" in body["message"]


def test_cli_crosstab(tmp_path: Path, db_path: Path) -> None:
    folder = tmp_path / "flows"
    folder.mkdir()
    for flow in FLOWS.values():
        (folder / f"{flow.id}.yaml").write_text(yaml.safe_dump(dict(flow.source)), "utf-8")
    config = Config(
        database=DatabaseConfig(path=str(db_path)),
        flows=FlowsConfig(dir=str(folder)),
        privacy=PrivacyConfig(min_group_size=K),
    )
    result = CliRunner().invoke(report, ["--crosstab", "ces:web_first"], obj=config)
    assert result.exit_code == 0, result.output
    assert "Cross-tab: ces by web_first" in result.output and "Funnel" not in result.output
    result = CliRunner().invoke(report, ["--crosstab", "ces:web_frist"], obj=config)
    assert result.exit_code == 2 and "did you mean 'web_first'" in result.output
    result = CliRunner().invoke(report, ["--section", "avoidable", "--flow", "visit"], obj=config)
    assert result.exit_code == 0 and "Avoidable demand" in result.output
