"""Phone numbers are kept only while needed: `purge` removes them once retention has passed.

For conversations that ended more than `retention` ago:
  - conversations.phone and messages.phone become NULL, and the bodies of our outgoing
    messages too (the flow can reproduce them; the citizen's replies stay as answers);
  - events.phone becomes NULL for their events, and for events that never started a
    conversation (skipped) once received more than `retention` ago. Events still scheduled
    keep their number: the survey has yet to start.
Messages with no conversation (from or to unknown numbers) lose their number, and outgoing ones
their body, after `retention`. Parts of a long SMS still missing others (inbound_parts, open)
are deleted after a day (or after `retention`, when that is shorter: with 0s, parts in flight
are dropped too); the parts of a whole message hold no number or text (only the provider's ids,
so that a late retry is known) and go after three days. Outgoing messages still on their way
(queued, sending, uncertain) keep their number until the next run.

The pseudonymous `respondent` (a keyed hash) stays: survey fatigue and opt-outs use it.

Deleted text must not survive on disk: the store makes sure deleted content is overwritten,
and after clearing, scrubs it off the disk (for SQLite: secure_delete, a WAL checkpoint, and a
VACUUM when something was cleared; the SQLite store's retention repository says what it costs).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from smsbot.config import parse_duration
from smsbot.logs import get_logger
from smsbot.ports import Clock, SystemClock
from smsbot.storage.ports import PurgeCounts, PurgeCutoffs, Store

__all__ = ["PurgeCounts", "PurgeTask", "cutoffs", "parse_retention", "purge"]

log = get_logger("smsbot.privacy.retention")

PARTS_MAX_AGE = timedelta(days=1)
CLOSED_PARTS_KEPT = timedelta(days=3)  # Vonage retries a webhook for up to 72 hours


def cutoffs(retention: timedelta, now: datetime) -> PurgeCutoffs:
    """What a purge at `now` removes, for this retention."""
    return PurgeCutoffs(
        ended_before=now - retention,
        parts_before=now - min(retention, PARTS_MAX_AGE),
        closed_parts_before=now - CLOSED_PARTS_KEPT,
    )


async def purge(
    store: Store, *, retention_seconds: int, now: datetime, vacuum: bool = True
) -> PurgeCounts:
    """Remove phone numbers kept longer than retention; returns (and logs) the rows changed."""
    if retention_seconds < 0:
        raise ValueError("retention must not be negative")
    async with store.read() as tx:
        if not await tx.retention.secure_delete():
            log.warning("secure_delete_was_off", hint="db.py should set PRAGMA secure_delete = ON")
    async with store.write() as tx:
        counts = await tx.retention.clear_numbers(
            cutoffs(timedelta(seconds=retention_seconds), now)
        )
    log.info("purged", retention_seconds=retention_seconds, **counts.as_dict())
    async with store.read() as tx:
        if not await tx.retention.scrub(vacuum=vacuum and counts.total > 0):
            log.warning("wal_checkpoint_busy", hint="a reader held the WAL; the next purge retries")
    return counts


def parse_retention(text: str) -> int:
    """Seconds in a retention such as "7d", "48h"; "0" and "0s" mean now."""
    cleaned = text.strip().lower()
    if cleaned in ("0", "0s", "0m", "0h", "0d"):
        return 0
    return parse_duration(cleaned)


class PurgeTask:
    """Purges what is past retention; `due` is the job the gateway runs every `every_seconds`."""

    def __init__(
        self,
        store: Store,
        retention_seconds: int,
        clock: Clock | None = None,
        every_seconds: float = 3600,
    ) -> None:
        self.store = store
        self.retention_seconds = retention_seconds
        self.clock = clock or SystemClock()
        self.every_seconds = every_seconds

    async def run_once(self) -> PurgeCounts | None:
        try:
            return await purge(
                self.store, retention_seconds=self.retention_seconds, now=self.clock.now()
            )
        except Exception:
            log.exception("purge_failed")
            return None

    async def due(self) -> None:
        """The periodic job (the gateway runs it with `every`): purge, then wait the interval
        (returns nothing, so the next run is a whole `every_seconds` later)."""
        await self.run_once()
