"""Reports against figures computed independently, in plain Python, from the generated records.

The database is written once per module from `tests.reportdata.generate()` (about 3 000 surveys);
every section is compared, whole, with what the records say under several filters and groupings.
Tiny hand-made cases pin the definitions (NPS, CSAT, CES, median, nearest-rank p90, Pearson r).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from aiohttp import test_utils, web
from click.testing import CliRunner

from smsbot.cli.report import report
from smsbot.config import Config, DatabaseConfig, FlowsConfig, PrivacyConfig
from smsbot.engine.definition import build_flow
from smsbot.engine.model import Flow, Kind
from smsbot.http.reports import _KNOWN as READ_PARAMETERS  # what the handler reads
from smsbot.http.reports import (
    JOURNEY_PARAMETERS,  # what the journeys handler reads
    OPERATIONS,
    ReportContext,
    add_report_routes,
)
from smsbot.results.render import render_csv, render_json, render_table
from smsbot.results.reports import (
    Group,
    ReportFilter,
    ReportFilterError,
    cost,
    csat_pct,
    drivers,
    full_report,
    funnel,
    mean_of,
    median_of,
    nearest_rank,
    nps,
    parse_moment,
    questions,
    timing,
)
from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import Database, open_database
from smsbot.storage.sqlite.tx import SqliteStore
from tests.reportdata import (
    START,
    TINY_UNIT,
    UNITS,
    Answer,
    Conversation,
    Dataset,
    Event,
    Message,
    flows,
    generate,
    write,
)

DATA = generate()
FLOWS = DATA.flows
K = 5
_T = TypeVar("_T")


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reports") / "r.db"
    asyncio.run(_fill(path, DATA))
    return path


async def _fill(path: Path, data: Dataset) -> None:
    db = await open_database(path)
    try:
        await write(db.conn, data)
    finally:
        await db.close()


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    db = await open_database(db_path)
    try:
        yield SqliteStore(db)
    finally:
        await db.close()


Tiny = Callable[[list[Conversation]], Awaitable[Store]]


@pytest.fixture
async def tiny(tmp_path: Path) -> AsyncIterator[Tiny]:
    """A database holding just the given conversations; closed after the test, pass or fail."""
    opened: list[Database] = []

    async def make(conversations: list[Conversation]) -> Store:
        db = await open_database(tmp_path / f"tiny{len(opened)}.db")
        opened.append(db)
        await write(db.conn, Dataset(flows(), conversations, [], []))
        return SqliteStore(db)

    yield make
    for db in opened:
        await db.close()


# --- the expected figures, computed from the records -----------------------------------------


def pct(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def in_scope(item: Conversation | Event, f: ReportFilter) -> bool:
    at = item.created_at if isinstance(item, Conversation) else item.received_at
    wanted = {"flow_id": f.flow, "unit": f.unit, "service": f.service, "channel": f.channel}
    return (
        all(v is None or getattr(item, name) == v for name, v in wanted.items())
        and (f.since is None or at >= f.since)
        and (f.until is None or at < f.until)
        and all(str(item.attributes.get(n)) == v for n, v in f.attributes.items())
    )


def key_of(item: Conversation | Event, group_by: str | None) -> str | None:
    if group_by is None:
        return None
    if group_by.startswith("attributes."):
        value = item.attributes.get(group_by.removeprefix("attributes."))
        return None if value is None else str(value)
    value = getattr(item, "flow_id" if group_by == "flow" else group_by)
    return None if value is None else str(value)


def split(items: Iterable[_T], f: ReportFilter) -> dict[str | None, list[_T]]:
    groups: dict[str | None, list[_T]] = defaultdict(list)
    for item in items:
        if in_scope(item, f):  # type: ignore[arg-type]
            groups[key_of(item, f.group_by)].append(item)  # type: ignore[arg-type]
    return groups


def keys(f: ReportFilter, *found: Iterable[str | None]) -> list[str | None]:
    if f.group_by is None:
        return [None]
    return sorted({k for keys in found for k in keys}, key=lambda k: (k is None, k or ""))


def group(key: str | None, n: int, k: int, figures: dict[str, object]) -> Group:
    return Group(key, n, n < k, {} if n < k else figures)


def expected_funnel(f: ReportFilter, k: int = K) -> list[Group]:
    convs, events = split(DATA.conversations, f), split(DATA.events, f)
    out = []
    for key in keys(f, convs, events):
        cs, es = convs.get(key, []), events.get(key, [])
        decisions = Counter(e.decision for e in es)
        figures: dict[str, object] = {
            "events_received": len(es),
            "events_started": decisions["started"],
            "events_scheduled": decisions["scheduled"],
            "events_skipped": decisions["skipped"],
            "skipped_by_reason": dict(Counter(e.reason for e in es if e.decision == "skipped")),
        }
        if cs:
            figures |= conversation_figures(cs)
        out.append(group(key, len(cs), k, figures))
    return out


def conversation_figures(cs: list[Conversation]) -> dict[str, object]:
    status = Counter(c.status for c in cs)
    delivered = sum(
        any(m.purpose == "opening" and m.status == "delivered" for m in c.messages) for c in cs
    )
    answered = sum(c.first_reply_at is not None for c in cs)
    return {
        "surveys_sent": len(cs),
        "delivered": delivered,
        "delivered_pct": pct(delivered, len(cs)),
        "answered": answered,
        "response_rate_pct": pct(answered, len(cs)),
        "completed": status["completed"],
        "completion_rate_pct": pct(status["completed"], len(cs)),
        "opted_out": status["opted_out"],
        "undeliverable": status["undeliverable"],
        "expired": status["expired"],
        "active": status["active"],
    }


def flows_in(f: ReportFilter) -> list[Flow]:
    return [FLOWS[f.flow]] if f.flow else [FLOWS[i] for i in sorted(FLOWS)]


def expected_questions(f: ReportFilter, k: int = K) -> list[Group]:
    convs = split(DATA.conversations, f)
    out = []
    for key in keys(f, convs):
        cs = convs.get(key, [])
        cells, drops = [], []
        for flow in flows_in(f):
            mine = [c for c in cs if c.flow_id == flow.id]
            for q in flow.questions:
                if q.kind is not Kind.INFO:
                    cells.append(question_cell(flow, q.id, mine, k))
                    drops.append(dropoff_cell(flow, q.id, mine, k))
        out.append(group(key, len(cs), k, {"questions": cells, "dropoff": drops}))
    return out


def question_cell(flow: Flow, qid: str, cs: list[Conversation], k: int) -> dict[str, object]:
    q = flow.question(qid)
    values = [a.value for c in cs for a in c.answers if a.question_id == qid and a.problem is None]
    n = len(values)
    figures: dict[str, object] = {"answers": n}
    if q.kind is Kind.SCALE:
        assert q.min is not None and q.max is not None
        ints = [int(v) for v in values if isinstance(v, int)]
        figures["distribution"] = {str(v): ints.count(v) for v in range(q.min, q.max + 1)}
        figures["mean"] = round(statistics.fmean(ints), 2) if ints else None
        figures["median"] = statistics.median(ints) if ints else None
        if q.preset == "csat":
            figures["csat_pct"] = pct(sum(v in (4, 5) for v in ints), n)
        if q.preset == "nps":
            promoters, detractors = sum(v in (9, 10) for v in ints), sum(v < 7 for v in ints)
            figures["nps"] = round(100 * (promoters - detractors) / n, 1) if n else None
            figures["promoters_pct"] = pct(promoters, n)
            figures["detractors_pct"] = pct(detractors, n)
        if q.preset == "ces":
            figures["ces"] = round(sum(ints) / len(ints), 2) if ints else None
    if q.kind in (Kind.YESNO, Kind.CHOICE):
        names = ["yes", "no"] if q.kind is Kind.YESNO else [o.id for o in q.options]
        figures["distribution"] = {name: values.count(name) for name in names}
        figures["shares_pct"] = {name: pct(values.count(name), n) for name in names}
    about = {"flow": flow.id, "question": qid, "kind": q.kind.value, "preset": q.preset}
    return cell(f"{flow.id}/{qid}", n, k, figures, about)


def cell(
    key: str,
    n: int,
    k: int,
    figures: Mapping[str, object],
    about: Mapping[str, object] | None = None,
) -> dict[str, object]:
    return {
        "key": key,
        **(about or {}),
        "n": n,
        "suppressed": n < k,
        "figures": {} if n < k else dict(figures),
    }


def dropoff_cell(flow: Flow, qid: str, cs: list[Conversation], k: int) -> dict[str, object]:
    asked = dropped = 0
    for c in cs:
        asked_ids = [
            m.question_id
            for m in c.messages
            if m.direction == "out" and m.purpose == "question" and m.status != "cancelled"
        ]
        if qid not in asked_ids:
            continue
        asked += 1
        ended = c.status in ("expired", "opted_out", "undeliverable")
        dropped += asked_ids[-1] == qid and ended and c.understood(qid) is None
    figures = {"asked": asked, "dropped": dropped, "dropoff_pct": pct(dropped, asked)}
    return cell(f"{flow.id}/{qid}", asked, k, figures, {"flow": flow.id, "question": qid})


def expected_timing(f: ReportFilter, k: int = K) -> list[Group]:
    convs = split(DATA.conversations, f)
    out = []
    for key in keys(f, convs):
        delays = sorted(
            (c.first_reply_at - c.created_at).total_seconds()
            for c in convs.get(key, [])
            if c.first_reply_at is not None
        )
        n = len(delays)
        figures: dict[str, object] = {"answered": 0}
        if n:
            figures = {
                "answered": n,
                "median_seconds": statistics.median(delays),
                "p90_seconds": delays[math.ceil(0.9 * n) - 1],
                "within_1h_pct": pct(sum(d <= 3600 for d in delays), n),
                "within_24h_pct": pct(sum(d <= 86400 for d in delays), n),
            }
        out.append(group(key, n, k, figures))
    return out


def expected_cost(f: ReportFilter, k: int = K) -> list[Group]:
    convs = split(DATA.conversations, f)
    out = []
    for key in keys(f, convs):
        cs = convs.get(key, [])
        sent = [
            m
            for c in cs
            for m in c.messages
            if m.direction == "out" and m.status in ("sent", "delivered")
        ]
        price: dict[str, float] = defaultdict(float)
        for m in sent:
            if m.price is not None:
                price[m.currency or "unknown"] += m.price
        completed = sum(c.status == "completed" for c in cs)
        figures: dict[str, object] = {
            "sms_sent": len(sent),
            "segments": sum(m.segments or 0 for m in sent),
            "unpriced_sms": sum(m.price is None for m in sent),
            "completed": completed,
            "price": dict(sorted(price.items())),
            "cost_per_completed": {
                cur: total / completed if completed else None
                for cur, total in sorted(price.items())
            },
        }
        out.append(group(key, len(cs), k, figures))
    return out


# satisfaction and resolved question per flow, as the drivers report must choose them
DRIVER_QUESTIONS = {
    "visit": ("csat", "solved"),
    "contact": ("ces", "solved"),
    "recommend": ("nps", None),
}
BAND_LIMITS = ((60, "0-60s"), (180, "1-3min"), (300, "3-5min"), (600, "5-10min"))
BAND_LABELS = ("0-60s", "1-3min", "3-5min", "5-10min", ">10min")


def wait_of(c: Conversation) -> float | None:
    value = c.attributes.get("wait_seconds")
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, str) and value.isdigit():
        return float(value)
    return None


def band_of(wait: float) -> str:
    return next((label for limit, label in BAND_LIMITS if wait <= limit), ">10min")


def mean_cell(key: str, values: list[int], k: int) -> dict[str, object]:
    mean = round(sum(values) / len(values), 2) if values else None
    return cell(key, len(values), k, {"mean": mean})


def expected_drivers(f: ReportFilter, k: int = K) -> list[Group]:
    out = []
    for flow in flows_in(f):
        sat, res = DRIVER_QUESTIONS[flow.id]
        scoped = replace(f, flow=flow.id)
        convs = split(DATA.conversations, scoped)
        for key in keys(scoped, convs):
            g = driver_group(flow, sat, res, convs.get(key, []), key, k)
            if f.flow is None:
                g = replace(g, key=flow.id if key is None else f"{flow.id}/{key}")
            out.append(g)
    return out


def driver_group(
    flow: Flow, sat: str, res: str | None, cs: list[Conversation], key: str | None, k: int
) -> Group:
    rows = []
    for c in cs:
        answer = c.understood(sat)
        if answer is not None:
            resolved = c.understood(res) if res else None
            rows.append((int(answer.value or 0), resolved.value if resolved else None, wait_of(c)))
    values = [v for v, _, _ in rows]
    pairs = [(w, v) for v, _, w in rows if w is not None]
    q = flow.question(sat)
    figures: dict[str, object] = {
        "flow": flow.id,
        "satisfaction": sat,
        "scale": [q.min, q.max],
        "resolved": res,
        "attribute": "wait_seconds",
        "mean": round(statistics.fmean(values), 2) if values else None,
        "by_resolved": [
            mean_cell(a, [v for v, r, _ in rows if r == a], k)
            for a in (("yes", "no") if res else ())
        ],
        "by_band": [
            mean_cell(label, [v for w, v in pairs if band_of(w) == label], k)
            for label in BAND_LABELS
        ],
        "correlation": cell("wait_seconds", len(pairs), k, {"r": pearson(pairs)}),
    }
    return group(key, len(values), k, figures)


def pearson(pairs: Sequence[tuple[float, float]]) -> float | None:
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    if len(pairs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    return statistics.correlation(xs, ys)


def assert_same(actual: list[Group], expected: list[Group]) -> None:
    """Equal, but floats that SQLite sums in another order compared to 1e-4 (r, prices)."""
    assert [g.key for g in actual] == [g.key for g in expected]
    for got, want in zip(actual, expected, strict=True):
        assert (got.key, got.n, got.suppressed) == (want.key, want.n, want.suppressed)
        assert got.figures == _approx(want.figures), got.key


def _approx(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_approx(v) for v in value]
    if isinstance(value, float):
        return pytest.approx(value, abs=1e-4)
    return value


# --- the big comparisons ----------------------------------------------------------------------

DAY = timedelta(days=1)
FILTERS = [
    ReportFilter(),
    ReportFilter(group_by="unit"),
    ReportFilter(group_by="attributes.age_group"),
    ReportFilter(group_by="language", since=START + 10 * DAY, until=START + 40 * DAY),
    ReportFilter(unit="Kontaktcenter", group_by="channel"),
    ReportFilter(attributes={"age_group": "65+"}, group_by="unit"),
    ReportFilter(flow="visit", group_by="unit"),
    ReportFilter(service="primary-care", group_by="flow", since=START + 30 * DAY),
    ReportFilter(attributes={"age_group": "18-34", "wait_seconds": "120"}),
    ReportFilter(group_by="attributes.wait_seconds", channel="chat"),
]
IDS = [
    "all",
    "unit",
    "age_group",
    "language+period",
    "one-unit",
    "attribute-filter",
    "flow",
    "service+since",
    "two-attributes",
    "group-by-number",
]


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
async def test_funnel(store: Store, f: ReportFilter) -> None:
    assert_same(await funnel(store, f, min_group=K), expected_funnel(f))


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
async def test_questions(store: Store, f: ReportFilter) -> None:
    assert_same(await questions(store, f, FLOWS, min_group=K), expected_questions(f))


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
async def test_timing(store: Store, f: ReportFilter) -> None:
    assert_same(await timing(store, f, min_group=K), expected_timing(f))


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
async def test_drivers(store: Store, f: ReportFilter) -> None:
    assert_same(await drivers(store, f, FLOWS, min_group=K), expected_drivers(f))


@pytest.mark.parametrize("f", FILTERS, ids=IDS)
async def test_cost(store: Store, f: ReportFilter) -> None:
    assert_same(await cost(store, f, min_group=K), expected_cost(f))


def test_the_data_has_what_the_reports_are_about() -> None:
    """Guard the generator: every case the figures distinguish really occurs."""
    cs = DATA.conversations
    statuses = Counter(c.status for c in cs)
    assert len(cs) >= 3000 and set(statuses) == {
        "completed",
        "expired",
        "opted_out",
        "undeliverable",
        "active",
    }
    assert {e.reason for e in DATA.events if e.decision == "skipped"} >= {"fatigue", "busy"}
    assert any(e.decision == "scheduled" for e in DATA.events)
    assert sum(c.unit == TINY_UNIT for c in cs) == 4
    assert any(a.problem for c in cs for a in c.answers)
    assert any(a.comment for c in cs for a in c.answers)
    assert any(isinstance(c.attributes.get("wait_seconds"), str) for c in cs)
    assert any(m.price is None for c in cs for m in c.messages if m.status == "delivered")
    delays = [(c.first_reply_at - c.created_at).total_seconds() for c in cs if c.first_reply_at]
    assert min(delays) < 3600 < 86400 < max(delays)


# --- suppression ----------------------------------------------------------------------------


async def test_a_unit_with_four_surveys_shows_nothing(store: Store) -> None:
    f = ReportFilter(group_by="unit")
    tiny = {g.key: g for g in await funnel(store, f, min_group=5)}[TINY_UNIT]
    assert tiny == Group(TINY_UNIT, 4, True, {})
    shown = {g.key: g for g in await funnel(store, f, min_group=4)}[TINY_UNIT]
    assert not shown.suppressed and shown.figures["surveys_sent"] == 4
    for section in (cost(store, f, min_group=5), questions(store, f, FLOWS, min_group=5)):
        assert {g.key: g for g in await section}[TINY_UNIT].figures == {}
    report = await full_report(store, f, FLOWS, min_group=5)
    for groups in report["sections"].values():  # type: ignore[attr-defined]
        for g in groups:
            if g["key"] == TINY_UNIT or (g["key"] or "").endswith("/" + TINY_UNIT):
                assert g["suppressed"] and set(g) == {"key", "n", "suppressed"}
    assert set(UNITS) <= {g.key for g in await funnel(store, f, min_group=5)}


async def test_cells_below_k_are_suppressed_inside_a_shown_group(
    store: Store,
) -> None:
    f = ReportFilter(group_by="unit")
    for k in (5, 40, 120):
        assert_same(await questions(store, f, FLOWS, min_group=k), expected_questions(f, k))
        assert_same(await drivers(store, f, FLOWS, min_group=k), expected_drivers(f, k))
    groups = await questions(store, f, FLOWS, min_group=40)
    cells = [c for g in groups if not g.suppressed for c in g.figures["questions"]]  # type: ignore[attr-defined]
    assert any(c["suppressed"] for c in cells) and any(not c["suppressed"] for c in cells)


# --- definitions on tiny hand-made cases -------------------------------------------------------

SCORES = [
    # distribution value -> count          csat   nps     mean  median
    ({9: 5, 10: 5}, None, 100.0, 9.5, 9.5),
    ({0: 10}, None, -100.0, 0.0, 0),
    ({7: 3, 8: 2}, None, 0.0, 7.4, 7),
    ({10: 1, 6: 1, 8: 1}, None, 0.0, 8.0, 8),
    ({9: 2, 5: 1}, None, 33.3, 7.67, 9),
    ({10: 1, 6: 2}, None, -33.3, 7.33, 6),
    ({4: 1, 5: 1, 3: 2}, 50.0, None, 3.75, 3.5),
    ({1: 3}, 0.0, None, 1.0, 1),
    ({5: 1, 4: 2}, 100.0, None, 4.33, 4),
    ({1: 1, 2: 1, 4: 1}, 33.3, None, 2.33, 2),
    ({1: 1, 2: 1, 3: 1, 4: 1}, 25.0, None, 2.5, 2.5),
    ({}, None, None, None, None),
]


@pytest.mark.parametrize(("counts", "csat", "nps_", "mean", "median"), SCORES)
def test_score_definitions(
    counts: dict[int, int], csat: float | None, nps_: float | None, mean: float, median: float
) -> None:
    assert mean_of(counts) == mean
    assert median_of(counts) == median
    if csat is not None or not counts:
        assert csat_pct(counts) == csat
    if nps_ is not None or not counts:
        assert nps(counts) == nps_


@pytest.mark.parametrize(
    ("n", "rank"), [(1, 1), (2, 2), (9, 9), (10, 9), (11, 10), (19, 18), (20, 18), (101, 91)]
)
def test_nearest_rank_p90(n: int, rank: int) -> None:
    assert nearest_rank(n, 90) == rank == math.ceil(0.9 * n)


def _conv(
    i: int,
    flow: str,
    *,
    answers: Sequence[tuple[str, str, int | str]] = (),
    delay: float | None = None,
    wait: object = None,
    unit: str = "Akuten",
) -> Conversation:
    created = START + timedelta(hours=i)
    attributes = {} if wait is None else {"wait_seconds": wait}
    conv = Conversation(f"t{i}", flow, unit, "er", "phone", "sv", attributes, created, "completed")
    conv.first_reply_at = created + timedelta(seconds=delay) if delay is not None else None
    conv.answers = [Answer(q, kind, v) for q, kind, v in answers]
    conv.messages = [Message("out", "opening", "delivered", None, 1, 0.05, "EUR", created)]
    return conv


async def test_nps_csat_ces_on_a_tiny_hand_made_survey(tiny: Tiny) -> None:
    nps_values = [10, 10, 9, 8, 7, 6, 0]  # 3 promoters, 2 detractors of 7: +14.3
    csat_values = [5, 4, 4, 3, 1]  # 3 of 5 are 4-5: 60 %
    ces_values = [7, 6, 5, 5, 2]  # mean 5.0
    convs = [_conv(i, "recommend", answers=[("nps", "scale", v)]) for i, v in enumerate(nps_values)]
    convs += [
        _conv(10 + i, "visit", answers=[("csat", "scale", v)]) for i, v in enumerate(csat_values)
    ]
    convs += [
        _conv(20 + i, "contact", answers=[("ces", "scale", v)]) for i, v in enumerate(ces_values)
    ]
    store = await tiny(convs)
    [only] = await questions(store, ReportFilter(), FLOWS, min_group=5)
    cells = {c["key"]: c["figures"] for c in only.figures["questions"]}  # type: ignore[attr-defined]
    actual = {
        "nps": cells["recommend/nps"]["nps"],
        "promoters": cells["recommend/nps"]["promoters_pct"],
        "detractors": cells["recommend/nps"]["detractors_pct"],
        "csat": cells["visit/csat"]["csat_pct"],
        "csat mean": cells["visit/csat"]["mean"],
        "csat median": cells["visit/csat"]["median"],
        "ces": cells["contact/ces"]["ces"],
        "ces median": cells["contact/ces"]["median"],
        "csat distribution": cells["visit/csat"]["distribution"],
    }
    expected = {
        "nps": 14.3,
        "promoters": 42.9,
        "detractors": 28.6,
        "csat": 60.0,
        "csat mean": 3.4,
        "csat median": 4,
        "ces": 5.0,
        "ces median": 5,
        "csat distribution": {"1": 1, "2": 0, "3": 1, "4": 2, "5": 1},
    }
    assert actual == expected
    assert cells["visit/solved"] == {}  # nobody answered it: 0 < k


@pytest.mark.parametrize(
    ("delays", "median", "p90", "hour", "day"),
    [
        ([60 * i for i in range(1, 11)], 330, 540, 100.0, 100.0),
        ([60 * i for i in range(1, 12)], 360, 600, 100.0, 100.0),
        ([3600, 3601, 86400, 86401, 5, 6], 3600.5, 86401, 50.0, 83.3),
        ([7], 7, 7, 100.0, 100.0),
    ],
)
async def test_time_to_first_answer_definitions(
    tiny: Tiny, delays: list[float], median: float, p90: float, hour: float, day: float
) -> None:
    convs = [_conv(i, "visit", delay=d) for i, d in enumerate(delays)]
    convs.append(_conv(99, "visit"))  # never answered: not in n
    store = await tiny(convs)
    [only] = await timing(store, ReportFilter(), min_group=1)
    assert only.n == len(delays)
    assert only.figures == {
        "answered": len(delays),
        "median_seconds": median,
        "p90_seconds": p90,
        "within_1h_pct": hour,
        "within_24h_pct": day,
    }


@pytest.mark.parametrize(
    ("pairs", "r"),
    [
        ([(10, 5), (70, 4), (400, 1)], "statistics"),
        ([(10, 1), (20, 2), (30, 3)], 1.0),
        ([(10, 5), (20, 4), (30, 3), (40, 2)], -1.0),
        ([(10, 5), (20, 4)], None),  # fewer than 3 pairs
        ([(100, 5), (100, 4), (100, 1)], None),  # no variance in the wait
        ([(10, 4), (20, 4), (30, 4)], None),  # no variance in satisfaction
        ([(0.1, 5), (0.1, 4), (0.1, 1)], None),  # no variance, though AVG(0.1) is not 0.1
        ([("15", 5), (200.0, 3), ("n/a", 1), (-5, 1), ("700", 1)], "statistics"),
    ],
)
async def test_correlation_and_bands(
    tiny: Tiny, pairs: list[tuple[object, int]], r: float | str | None
) -> None:
    convs = [
        _conv(i, "visit", answers=[("csat", "scale", v)], wait=w) for i, (w, v) in enumerate(pairs)
    ]
    store = await tiny(convs)
    [only] = await drivers(store, ReportFilter(flow="visit"), FLOWS, min_group=1)
    numeric = [
        (w, v) for c, (_, v) in zip(convs, pairs, strict=True) if (w := wait_of(c)) is not None
    ]
    if r == "statistics":
        r = statistics.correlation([w for w, _ in numeric], [float(v) for _, v in numeric])
    correlation = only.figures["correlation"]
    assert correlation["n"] == len(numeric)  # type: ignore[index]
    want = None if r is None else pytest.approx(r, abs=1e-4)
    assert correlation["figures"]["r"] == want  # type: ignore[index]
    counted = Counter(band_of(w) for w, _ in numeric)
    bands = {c["key"]: c["n"] for c in only.figures["by_band"]}  # type: ignore[attr-defined]
    assert bands == {label: counted.get(label, 0) for label in BAND_LABELS}


def _declaring(question_id: str | None) -> dict[str, Flow]:
    """The test flows, with `contact`'s `means: resolution` on `question_id` (None: on none)."""
    source = json.loads(json.dumps(dict(FLOWS["contact"].source)))
    for q in source["questions"]:
        q.pop("means", None)
        if q["id"] == question_id:
            q["means"] = "resolution"
    flow, problems = build_flow(source)
    assert flow is not None, problems
    return {**FLOWS, "contact": flow}


@pytest.mark.parametrize("declared", ["solved", "web_first", None])
async def test_resolution_is_the_question_the_flow_declares(
    tiny: Tiny, declared: str | None
) -> None:
    """Never guessed: not the first yes/no question, and no split when none is declared."""
    answers = [("yes", "no"), ("yes", "no"), ("no", "yes"), ("yes", "yes"), ("no", "no")]
    convs = [
        _conv(i, "contact", answers=[("ces", "scale", 2 + i), ("solved", "yesno", solved),
                                     ("web_first", "yesno", web)])
        for i, (solved, web) in enumerate(answers)
    ]  # fmt: skip
    store = await tiny(convs)
    flows = _declaring(declared)
    [only] = await drivers(store, ReportFilter(flow="contact"), flows, min_group=1)
    figures: dict[str, Any] = only.figures
    assert figures["resolved"] == declared
    split = {c["key"]: c["figures"]["mean"] for c in figures["by_resolved"]}
    index = {"solved": 0, "web_first": 1}.get(declared or "")
    expected = {}
    if index is not None:
        for answer in ("yes", "no"):
            ces = [2 + i for i, a in enumerate(answers) if a[index] == answer]
            expected[answer] = round(statistics.fmean(ces), 2)
    assert split == expected


async def test_band_edges(tiny: Tiny) -> None:
    waits = [0, 60, 61, 180, 181, 300, 301, 600, 601, 10_000]
    convs = [_conv(i, "visit", answers=[("csat", "scale", 3)], wait=w) for i, w in enumerate(waits)]
    store = await tiny(convs)
    [only] = await drivers(store, ReportFilter(flow="visit"), FLOWS, min_group=1)
    bands = {c["key"]: c["n"] for c in only.figures["by_band"]}  # type: ignore[attr-defined]
    assert bands == {"0-60s": 2, "1-3min": 2, "3-5min": 2, "5-10min": 2, ">10min": 2}


# --- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"group_by": "phone"},
        {"group_by": "attributes."},
        {"group_by": "attributes.x'y"},
        {"attributes": {"a b": "1"}},
        {"since": START + DAY, "until": START},
    ],
)
def test_bad_filters_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ReportFilterError):
        ReportFilter(**kwargs)


def test_dates() -> None:
    assert parse_moment("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_moment("2026-11-30", end=True) == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_moment("2026-11-01T08:00+02:00") == datetime(2026, 11, 1, 6, tzinfo=UTC)
    with pytest.raises(ReportFilterError):
        parse_moment("yesterday")


async def test_naive_times_are_utc(store: Store) -> None:
    aware = ReportFilter(since=START + 5 * DAY, until=START + 9 * DAY)
    naive = ReportFilter(
        since=(START + 5 * DAY).replace(tzinfo=None), until=(START + 9 * DAY).replace(tzinfo=None)
    )
    assert await funnel(store, naive, min_group=K) == await funnel(store, aware, min_group=K)


# --- rendering ---------------------------------------------------------------------------------


@pytest.fixture
async def unit_report(store: Store) -> dict[str, Any]:
    return await full_report(store, ReportFilter(group_by="unit"), FLOWS, min_group=K)


def _no_phone(text: str) -> None:
    assert "+467" not in text and "4670555" not in text


async def test_full_report_is_every_section(unit_report: dict[str, Any]) -> None:
    assert list(unit_report["sections"]) == [
        "funnel",
        "questions",
        "timing",
        "drivers",
        "cost",
        "avoidable",
        "cases",
    ]
    assert unit_report["min_group"] == K and unit_report["filter"]["group_by"] == "unit"
    funnel_groups = unit_report["sections"]["funnel"]
    want = [g.key for g in expected_funnel(ReportFilter(group_by="unit"))]
    assert [g["key"] for g in funnel_groups] == want


async def test_table(unit_report: dict[str, Any]) -> None:
    text = render_table(unit_report)
    for unit in UNITS:
        assert unit in text
    assert TINY_UNIT in text and "—" in text and "fewer than 5 answers" in text
    for title in ("Funnel", "Answers per question", "Drop-off", "Time to first answer", "Cost"):
        assert title in text
    tiny_line = next(line for line in text.splitlines() if line.startswith(TINY_UNIT))
    assert set(tiny_line.removeprefix(TINY_UNIT).split()) == {"—"}
    _no_phone(text)


def test_table_layout() -> None:
    report = {
        "filter": {"group_by": "unit", "attributes": {}},
        "min_group": 5,
        "sections": {
            "timing": [
                {"key": "Akuten", "n": 3, "suppressed": True},
                {
                    "key": "Kontaktcenter",
                    "n": 369,
                    "suppressed": False,
                    "answered": 369,
                    "median_seconds": 2985.0,
                    "p90_seconds": 14160.0,
                    "within_1h_pct": 56.6,
                    "within_24h_pct": 93.2,
                },
            ]
        },
    }
    assert render_table(report).splitlines() == [
        "Report: group_by=unit",
        "",
        "Time to first answer",
        "====================",
        "unit           answered   median  90th pct  within 1 h  within 24 h",
        "-------------  --------  -------  --------  ----------  -----------",
        "Akuten                —        —         —           —            —",
        "Kontaktcenter       369  49m 45s    3h 56m      56.6 %       93.2 %",
        "",
        "— fewer than 5 answers (or surveys) in the group or cell: hidden so that no one can be"
        " identified.",
    ]


async def test_table_without_suppression_has_no_footnote(store: Store) -> None:
    data = await full_report(store, ReportFilter(), FLOWS, min_group=1, sections=["funnel"])
    text = render_table(data)
    assert "fewer than" not in text and "all" in text


async def test_csv_parses_back(unit_report: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(unit_report))))
    assert rows and set(rows[0]) == {"section", "group", "figure", "value"}
    index = {(r["section"], r["group"], r["figure"]): r["value"] for r in rows}
    expected = {g.key: g for g in expected_funnel(ReportFilter(group_by="unit"))}
    for unit in UNITS:
        assert index[("funnel", unit, "surveys_sent")] == str(expected[unit].n)
    assert index[("questions", "Kontaktcenter", "questions.visit/csat.suppressed")] == "false"
    assert ("questions", "Kontaktcenter", "questions.visit/csat.distribution.5") in index
    tiny = [r for r in rows if r["group"] == TINY_UNIT]  # only how many, and that it is hidden
    assert tiny and {r["figure"] for r in tiny} == {"n", "suppressed"}
    assert ("funnel", TINY_UNIT, "n") in index and index[("funnel", TINY_UNIT, "n")] == "4"
    assert all(r["value"] == "true" for r in tiny if r["figure"] == "suppressed")
    _no_phone(render_csv(unit_report))


async def test_json_round_trips(unit_report: dict[str, Any]) -> None:
    text = render_json(unit_report)
    assert json.loads(text) == unit_report
    _no_phone(text)


# --- web ---------------------------------------------------------------------------------------


async def _get(store: Store, path: str, **params: Any) -> tuple[int, Any]:
    app = web.Application()
    add_report_routes(app, lambda request: ReportContext(store, FLOWS, K))
    async with test_utils.TestClient(test_utils.TestServer(app)) as client:
        response = await client.get(path, params=params)
        return response.status, await response.json()


async def test_web_report(store: Store) -> None:
    status, body = await _get(store, "/v1/reports/funnel", group_by="unit")
    assert status == 200 and list(body["sections"]) == ["funnel"]
    want = expected_funnel(ReportFilter(group_by="unit"))
    assert [(g["key"], g["n"]) for g in body["sections"]["funnel"]] == [(g.key, g.n) for g in want]
    status, body = await _get(
        store, "/v1/reports/all", attr="age_group=65+", since="2026-09-05", until="2026-09-20"
    )
    assert status == 200 and len(body["sections"]) == 7
    f = ReportFilter(attributes={"age_group": "65+"}, since=START + 4 * DAY, until=START + 20 * DAY)
    assert body["sections"]["cost"][0]["n"] == expected_cost(f)[0].n
    _no_phone(json.dumps(body))


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/reports/funnel", {"group_by": "phone"}, 400),
        ("/v1/reports/funnel", {"since": "last week"}, 400),
        ("/v1/reports/funnel", {"attr": "no-equals"}, 400),
        ("/v1/reports/funnel", {"colour": "red"}, 400),
        ("/v1/reports/drivers", {"attribute": "wait seconds"}, 400),
        ("/v1/reports/funnel", {"since": "2026-10-01", "until": "2026-09-01"}, 400),
        ("/v1/reports/phones", {}, 404),
    ],
)
async def test_web_bad_requests(
    store: Store, path: str, params: dict[str, str], status: int
) -> None:
    got, body = await _get(store, path, **params)
    assert got == status and body["error"] and body["message"]


PATHS = ("/v1/reports/{section}", "/v1/reports/journeys")


def test_openapi_operation_documents_every_query_parameter() -> None:
    """Each report route's operation names each parameter the handler reads, and its answers."""
    get, journeys = (next(o for o in OPERATIONS if o.path == path) for path in PATHS)
    assert (get.method, get.path, get.security) == ("GET", "/v1/reports/{section}", ("adminToken",))
    names = {p.name for p in get.params}
    assert names == {"section", *READ_PARAMETERS}
    assert {200, 400, 401, 404} <= set(get.answers)
    assert (journeys.method, journeys.security) == ("GET", ("adminToken",))
    assert {p.name for p in journeys.params} == set(JOURNEY_PARAMETERS)
    assert {200, 400, 401} <= set(journeys.answers)
    assert len(OPERATIONS) == len(PATHS)


# --- CLI ---------------------------------------------------------------------------------------


def _config(tmp_path: Path, db_path: Path) -> Config:
    folder = tmp_path / "flows"
    folder.mkdir()
    for flow in FLOWS.values():
        (folder / f"{flow.id}.yaml").write_text(yaml.safe_dump(dict(flow.source)), "utf-8")
    return Config(
        database=DatabaseConfig(path=str(db_path)),
        flows=FlowsConfig(dir=str(folder)),
        privacy=PrivacyConfig(min_group_size=K),
    )


def _run(config: Config, *args: str) -> str:
    result = CliRunner().invoke(report, list(args), obj=config, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_formats(tmp_path: Path, db_path: Path) -> None:
    config = _config(tmp_path, db_path)
    table = _run(config, "--group-by", "unit")
    assert all(unit in table for unit in UNITS) and "fewer than 5 answers" in table
    data = json.loads(
        _run(config, "--group-by", "unit", "--section", "questions", "--format", "json")
    )
    assert list(data["sections"]) == ["questions"]
    groups = data["sections"]["questions"]
    want = expected_questions(ReportFilter(group_by="unit"))
    assert [g["key"] for g in groups] == [g.key for g in want]
    rows = list(csv.reader(io.StringIO(_run(config, "--section", "cost", "--format", "csv"))))
    assert rows[0] == ["section", "group", "figure", "value"] and len(rows) > 5
    _no_phone(table)


def test_cli_filters(tmp_path: Path, db_path: Path) -> None:
    config = _config(tmp_path, db_path)
    out = _run(
        config,
        "--section", "funnel", "--format", "json", "--unit", "Kontaktcenter",
        "--attr", "age_group=65+", "--since", "2026-09-10", "--until", "2026-09-30",
    )  # fmt: skip
    data = json.loads(out)
    # dates without a zone are in the survey time zone (Europe/Stockholm: UTC+2 in September)
    since = datetime(2026, 9, 9, 22, tzinfo=UTC)
    until = datetime(2026, 9, 30, 22, tzinfo=UTC)
    f = ReportFilter(
        unit="Kontaktcenter", attributes={"age_group": "65+"}, since=since, until=until
    )
    [want] = expected_funnel(f)
    [got] = data["sections"]["funnel"]
    assert got["n"] == want.n and got["events_received"] == want.figures["events_received"]


def test_cli_bad_filter(tmp_path: Path, db_path: Path) -> None:
    config = _config(tmp_path, db_path)
    result = CliRunner().invoke(report, ["--group-by", "phone"], obj=config)
    assert result.exit_code == 2 and "group_by" in result.output
    result = CliRunner().invoke(report, ["--attr", "nonsense"], obj=config)
    assert result.exit_code == 2 and "name=value" in result.output
