"""The cases section of `smsbot report`'s data: per unit, opened, closed in time, time to first
contact and outcomes; a unit with fewer cases than the minimum group size is suppressed."""

from __future__ import annotations

from smsbot.bootstrap.parts import Parts
from smsbot.results.render import render_table
from smsbot.results.reports import ReportFilter, full_report
from smsbot.storage.cases import CaseQuery
from tests.cases.test_opening import UNHAPPY, _converse
from tests.conftest import ManualClock

OREBRO, VASTERAS = "Kontaktcenter Örebro", "Kontaktcenter Västerås"


async def _open_cases(parts: Parts) -> None:
    for n in range(3):
        await _converse(parts, [*UNHAPPY, "ja"], phone=f"+4670174070{n}", unit=OREBRO)
    await _converse(parts, [*UNHAPPY, "nej"], phone="+46701740710", unit=VASTERAS)


async def test_cases_per_unit_with_small_units_suppressed(parts: Parts, clock: ManualClock) -> None:
    await _open_cases(parts)
    async with parts.store.write() as tx:
        cases = await tx.cases.find(CaseQuery(units=(OREBRO,)))
        clock.advance(hours=2)
        await tx.cases.note(cases[0].id, "Anna", None, "", call=True, now=clock.now())
        await tx.cases.close(cases[0].id, "reached_resolved", "Anna", None, clock.now())
        clock.advance(days=10)  # past the due time
        await tx.cases.close(cases[1].id, "not_reached", "Anna", None, clock.now())
    flows = {f.id: f for f in parts.catalog.flows()}
    data = await full_report(parts.store, ReportFilter(), flows, min_group=3, sections=("cases",))
    groups = {g["key"]: g for g in data["sections"]["cases"]}  # type: ignore[index]
    orebro = groups[OREBRO]
    assert orebro["opened"] == 3 and orebro["closed"] == 3 - 1
    assert orebro["closed_in_time_pct"] == 50.0
    assert orebro["first_contact_hours_median"] is not None
    assert orebro["outcome_reached_resolved"] == 1 and orebro["outcome_not_reached"] == 1
    assert groups[VASTERAS]["suppressed"] is True and "opened" not in groups[VASTERAS]
    assert groups["all units"]["opened"] == 4
    table = render_table(data)
    assert "Follow-up cases" in table and "50.0 %" in table
