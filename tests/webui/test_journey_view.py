"""The dashboard's journeys section as built (no browser): its tables hold the journey report's
figures, a selection without journeys says so, and a small one shows nothing but its size."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from smsbot.results import numbers
from smsbot.results.journeys import journeys
from smsbot.results.reports import ReportFilter
from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore
from smsbot.webui.journey_view import journey_views
from tests.journeydata import APNEA, DEFINITIONS, assign_journeys, mark
from tests.reportdata import TINY_UNIT, database_with, generate

DATA = generate(seed=99, surveys=1200)
K = 5


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = database_with(tmp_path_factory.mktemp("journey-view") / "v.db", DATA)

    async def marked() -> None:
        async with aiosqlite.connect(path) as conn:
            await mark(conn, assign_journeys(DATA))
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


async def test_the_tables_hold_the_report_figures(store: Store) -> None:
    f = ReportFilter()
    [apnea, _diabetes] = await journeys(store, f, DEFINITIONS, DATA.flows, min_group=K)
    views = await journey_views(store, DEFINITIONS, DATA.flows, f, min_group=K, lang="fi")
    assert [v.id for v in views] == ["sleep-apnoea", "diabetes"]
    view = views[0]
    assert view.title == "Uniapnean hoitoketju"  # the reader's language
    assert view.summary == f"{apnea.n} journeys, 4 steps in order"
    steps_chart, units_chart = view.charts
    assert 'role="img"' in steps_chart.svg and 'role="img"' in units_chart.svg
    for row, step in zip(steps_chart.table.rows, apnea.figures["steps"], strict=True):  # type: ignore[call-overload]
        figures = step["figures"]
        assert row[:4] == (
            f"{step['position']}. {step['key']}",
            str(figures["surveys"]),
            numbers.pct(figures["reached_pct"]),
            numbers.pct(figures["response_rate_pct"]),
        )
    units = [(row[0], row[1], row[2]) for row in units_chart.table.rows]
    expected = [
        (f"{step['position']}. {step['key']}", str(unit["key"]), str(unit["n"]))
        for step in apnea.figures["steps"]  # type: ignore[attr-defined]
        if not step["suppressed"]
        for unit in step["figures"]["units"]
    ]
    assert units == expected
    falls = apnea.figures["falls"]
    assert len(view.falls) == len(falls)  # type: ignore[arg-type]


async def test_no_journeys_and_too_few(store: Store) -> None:
    none = ReportFilter(unit="Nowhere")
    views = await journey_views(store, DEFINITIONS, DATA.flows, none, min_group=K)
    assert {v.summary for v in views} == {"No journeys of this type in this selection."}
    assert all(v.charts == [] for v in views)
    tiny = ReportFilter(unit=TINY_UNIT)
    [apnea, _] = await journeys(store, tiny, DEFINITIONS, DATA.flows, min_group=K)
    views = await journey_views(store, DEFINITIONS, DATA.flows, tiny, min_group=K)
    if apnea.n:
        assert views[0].summary.startswith(f"{apnea.n} journeys: too few")
        assert views[0].charts == [] and views[0].falls == []
    assert await journey_views(store, (), DATA.flows, ReportFilter(), min_group=K) == []
    grouped = ReportFilter(group_by="unit")  # not for journeys: the section stays away
    assert await journey_views(store, (APNEA,), DATA.flows, grouped, min_group=K) == []
