"""The follow-up cases section of reports (issue 16): per unit, cases opened, the share closed
within the due time, the time to first contact, and outcomes. Groups smaller than the minimum
group size are suppressed by the caller (smsbot.results.reports)."""

from __future__ import annotations

from datetime import UTC, datetime

from smsbot.storage.cases import OUTCOMES, CaseFigures
from smsbot.storage.figures import ReportFilter
from smsbot.storage.ports import Store

__all__ = ["case_groups"]

_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)


async def case_groups(
    store: Store, f: ReportFilter
) -> list[tuple[str | None, int, dict[str, object]]]:
    """(unit, cases opened, figures) per unit in the filter's period, the all-units row first."""
    since = _utc(f.since) or _EARLIEST
    until = _utc(f.until) or _LATEST
    async with store.read() as tx:
        found = await tx.cases.figures(since, until, f.flow)
    rows = [c for c in found if f.unit is None or c.unit == f.unit]
    rows.sort(key=lambda c: c.unit or "")
    groups = [(c.unit, c.opened, _figures([c])) for c in rows]
    if f.unit is None and len(rows) > 1:
        groups.insert(0, ("all units", sum(c.opened for c in rows), _figures(rows)))
    return groups


def _figures(rows: list[CaseFigures]) -> dict[str, object]:
    opened = sum(c.opened for c in rows)
    closed = sum(c.closed for c in rows)
    in_time = sum(c.closed_in_time for c in rows)
    medians = [c.contact_seconds_median for c in rows if c.contact_seconds_median is not None]
    figures: dict[str, object] = {
        "opened": opened,
        "closed": closed,
        "closed_in_time_pct": round(100 * in_time / closed, 1) if closed else None,
        "contacted": sum(c.contacted for c in rows),
        # one unit: the median hours to first contact; all units: the median of the medians
        "first_contact_hours_median": round(_median(medians) / 3600, 1) if medians else None,
    }
    for outcome in OUTCOMES:
        figures[f"outcome_{outcome}"] = sum(c.outcomes.get(outcome, 0) for c in rows)
    return figures


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
