"""`smsbot events import`: a batch file of service events through the same intake as the API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from smsbot.domain import ServiceEvent
from smsbot.gateway.event_files import read_event_rows, row_error
from smsbot.gateway.intake import Intake
from smsbot.gateway.service_events import EventError, FlowNeeds, needs_by_type, parse_event

__all__ = ["ImportSummary", "import_events"]

BATCH = 200  # events per transaction


@dataclass
class ImportSummary:
    rows: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def lines(self) -> Iterator[str]:
        yield f"{self.rows} row(s) read, {len(self.errors)} rejected"
        for key, count in sorted(self.decisions.items()):
            yield f"  {key}: {count}"
        yield from (f"  {error}" for error in self.errors[:50])
        if len(self.errors) > 50:
            yield f"  ... and {len(self.errors) - 50} more rejected rows"


async def import_events(
    path: Path,
    intake: Intake,
    *,
    source: str,
    default_region: str,
    on_row: Callable[[], None] = lambda: None,
) -> ImportSummary:
    """Read, check and submit every row; bad rows are reported by line and do not stop the rest."""
    summary = ImportSummary()
    needs = needs_by_type(intake.surveys.catalog.flows())
    batch: list[ServiceEvent] = []
    for line, row in read_event_rows(path):
        summary.rows += 1
        on_row()
        event = _check(path, line, row, source, default_region, needs, intake, summary)
        if event is not None:
            batch.append(event)
        if len(batch) >= BATCH:
            await _submit(intake, batch, summary)
            batch = []
    if batch:
        await _submit(intake, batch, summary)
    return summary


def _check(
    path: Path,
    line: int,
    row: dict[str, object],
    source: str,
    default_region: str,
    needs: Mapping[str, FlowNeeds],
    intake: Intake,
    summary: ImportSummary,
) -> ServiceEvent | None:
    unreadable = row_error(row)
    if unreadable is not None:
        summary.errors.append(f"{path}:{line}: {unreadable}")
        return None
    try:
        return parse_event(
            row,
            source=source,
            default_region=default_region,
            known_types=needs.keys(),
            now=intake.surveys.clock.now(),
            needs=needs,
        )
    except EventError as error:
        problems = "; ".join(f"{e.field}: {e.message}" for e in error.errors)
        summary.errors.append(f"{path}:{line}: {problems}")
        return None


async def _submit(intake: Intake, batch: list[ServiceEvent], summary: ImportSummary) -> None:
    for answer in await intake.submit(batch):
        key = "repeated" if answer.get("repeated") else f"{answer['decision']} ({answer['reason']})"
        summary.decisions[key] += 1
