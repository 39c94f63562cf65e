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

Deleted text must not survive on disk: the connection runs with `PRAGMA secure_delete = ON`
(set in db.py, checked here), which overwrites freed content with zeros; then the WAL is
checkpointed and truncated (old page versions live there until then), and the file is
VACUUMed (rebuilt, so no free page or slack keeps a number). See `_scrub` for the cost.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite
import click

from smsbot.config import Config, parse_duration
from smsbot.logs import get_logger
from smsbot.ports import Clock, SystemClock
from smsbot.storage.sqlite.db import Database, open_database, ts

__all__ = ["PurgeCounts", "PurgeTask", "parse_retention", "purge", "purge_command"]

log = get_logger("smsbot.privacy.retention")

PARTS_MAX_AGE = timedelta(days=1)
CLOSED_PARTS_KEPT = timedelta(days=3)  # Vonage retries a webhook for up to 72 hours
_PENDING = "('queued', 'sending', 'uncertain')"
_ENDED_BEFORE = "SELECT id FROM conversations WHERE ended_at IS NOT NULL AND ended_at <= :cutoff"


@dataclass(frozen=True)
class PurgeCounts:
    """Rows changed per table (messages: of conversations; unknown_messages: without one)."""

    conversations: int = 0
    messages: int = 0
    unknown_messages: int = 0
    events: int = 0
    inbound_parts: int = 0

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


# A long SMS reassembled before inbound_parts was keyed by the provider's ids kept the sender's
# number in its provider_ref ('concat:+46...:108'): cleared with the number.
_LEGACY_REF = "provider_ref LIKE 'concat:+%'"
_CLEAR_MESSAGE = (
    "UPDATE messages SET phone = NULL,"
    " body = CASE WHEN direction = 'out' THEN NULL ELSE body END,"
    f" provider_ref = CASE WHEN {_LEGACY_REF} THEN NULL ELSE provider_ref END"
)
_HOLDS_NUMBER = (
    f" AND (phone IS NOT NULL OR (direction = 'out' AND body IS NOT NULL) OR {_LEGACY_REF})"
    f" AND NOT (direction = 'out' AND status IN {_PENDING})"
)

_STATEMENTS: dict[str, str] = {
    "conversations": (
        "UPDATE conversations SET phone = NULL"
        " WHERE phone IS NOT NULL AND ended_at IS NOT NULL AND ended_at <= :cutoff"
    ),
    "messages": f"{_CLEAR_MESSAGE} WHERE conversation_id IN ({_ENDED_BEFORE}){_HOLDS_NUMBER}",
    "unknown_messages": (
        f"{_CLEAR_MESSAGE} WHERE conversation_id IS NULL AND created_at <= :cutoff{_HOLDS_NUMBER}"
    ),
    "events": (
        "UPDATE events SET phone = NULL"
        " WHERE phone IS NOT NULL AND received_at <= :cutoff AND decision != 'scheduled'"
        f" AND (conversation_id IS NULL OR conversation_id IN ({_ENDED_BEFORE}))"
    ),
    "inbound_parts": (
        "DELETE FROM inbound_parts WHERE (whole_ref IS NULL AND received_at <= :parts_cutoff)"
        " OR received_at <= :closed_parts_cutoff"
    ),
}


async def purge(
    db: Database, *, retention_seconds: int, now: datetime, vacuum: bool = True
) -> PurgeCounts:
    """Remove phone numbers kept longer than retention; returns (and logs) the rows changed."""
    if retention_seconds < 0:
        raise ValueError("retention must not be negative")
    await _ensure_secure_delete(db.conn)
    retention = timedelta(seconds=retention_seconds)
    params = {
        "cutoff": ts(now - retention),
        "parts_cutoff": ts(now - min(retention, PARTS_MAX_AGE)),
        "closed_parts_cutoff": ts(now - CLOSED_PARTS_KEPT),
    }
    changed: dict[str, int] = {}
    async with db.transaction() as conn:
        for table, sql in _STATEMENTS.items():
            cur = await conn.execute(sql, params)
            changed[table] = max(cur.rowcount, 0)
    counts = PurgeCounts(**changed)
    log.info("purged", retention_seconds=retention_seconds, **counts.as_dict())
    await _scrub(db, vacuum=vacuum and counts.total > 0)
    return counts


async def _ensure_secure_delete(conn: aiosqlite.Connection) -> None:
    async with conn.execute("PRAGMA secure_delete") as cur:
        row = await cur.fetchone()
    if not row or int(row[0]) != 1:
        log.warning("secure_delete_was_off", hint="db.py should set PRAGMA secure_delete = ON")
        await conn.execute("PRAGMA secure_delete = ON")


async def _scrub(db: Database, *, vacuum: bool) -> None:
    """Leave no purged number in the WAL or in free pages.

    Trade-off: VACUUM rewrites the whole file and holds the write lock meanwhile (about a second
    per 100 MB; other writers wait, up to busy_timeout) and needs free disk as large as the
    database. We pay it only when something was purged. secure_delete already zeroes freed
    content, so VACUUM is the second line (slack in pages, freelist). The checkpoint is cheap and
    runs every time: an earlier one may have been blocked by a reader. A separate connection is
    used so the shared one (with other coroutines' statements) is never inside VACUUM.
    """
    if str(db.path) == ":memory:":
        return
    async with aiosqlite.connect(db.path, isolation_level=None) as conn:
        for pragma in (
            "PRAGMA busy_timeout = 5000",
            "PRAGMA secure_delete = ON",
            "PRAGMA temp_store = MEMORY",  # VACUUM's copy stays off the disk
        ):
            await conn.execute(pragma)
        await _checkpoint(conn)
        if vacuum:
            await conn.execute("VACUUM")
            await _checkpoint(conn)


async def _checkpoint(conn: aiosqlite.Connection) -> None:
    async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
        row = await cur.fetchone()
    if row is not None and int(row[0]) != 0:
        log.warning("wal_checkpoint_busy", hint="a reader held the WAL; the next purge retries")


def parse_retention(text: str) -> int:
    """Seconds in a retention such as "7d", "48h"; "0" and "0s" mean now."""
    cleaned = text.strip().lower()
    if cleaned in ("0", "0s", "0m", "0h", "0d"):
        return 0
    return parse_duration(cleaned)


class PurgeTask:
    """Purges every `every_seconds` until `stopping` is set (the gateway runs one)."""

    def __init__(
        self,
        db: Database,
        retention_seconds: int,
        clock: Clock | None = None,
        every_seconds: float = 3600,
    ) -> None:
        self.db = db
        self.retention_seconds = retention_seconds
        self.clock = clock or SystemClock()
        self.every_seconds = every_seconds

    async def run_once(self) -> PurgeCounts | None:
        try:
            return await purge(
                self.db, retention_seconds=self.retention_seconds, now=self.clock.now()
            )
        except Exception:
            log.exception("purge_failed")
            return None

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            await self.run_once()
            try:
                await asyncio.wait_for(stopping.wait(), timeout=self.every_seconds)
            except TimeoutError:
                continue


@click.command("purge")
@click.option(
    "--retention",
    default=None,
    metavar="DURATION",
    help="Keep numbers this long after a conversation ends (default: [privacy] retention; "
    "0s: purge every ended conversation now).",
)
@click.pass_context
def purge_command(ctx: click.Context, retention: str | None) -> None:
    """Remove phone numbers of conversations that ended longer than retention ago."""
    config = ctx.find_root().obj
    if not isinstance(config, Config):
        raise click.ClickException("no configuration loaded")
    text = retention if retention is not None else config.privacy.retention
    try:
        seconds = parse_retention(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--retention") from error
    counts = asyncio.run(_purge(config, seconds))
    for table, count in counts.as_dict().items():
        click.echo(f"{table}: {count}")


async def _purge(config: Config, seconds: int) -> PurgeCounts:
    db = await open_database(config.database.path)
    try:
        return await purge(db, retention_seconds=seconds, now=SystemClock().now())
    finally:
        await db.close()
