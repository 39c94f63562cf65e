"""The retention repositories of the SQLite store (see smsbot.storage.ports): clearing phone
numbers past retention, scrubbing them off the disk, and the pseudonym key kept in `meta`.

Deleted text must not survive on disk: the connection runs with `PRAGMA secure_delete = ON`
(set in db.py, checked here), which overwrites freed content with zeros; then the WAL is
checkpointed and truncated (old page versions live there until then), and the file is
VACUUMed (rebuilt, so no free page or slack keeps a number). See `scrub` for the cost.
"""

from __future__ import annotations

import aiosqlite

from smsbot.storage.ports import PurgeCounts, PurgeCutoffs
from smsbot.storage.sqlite.db import ts
from smsbot.storage.sqlite.repository import Repository

__all__ = ["SqlitePseudonymKeys", "SqliteRetention"]

_PENDING = "('queued', 'sending', 'uncertain')"
_ENDED_BEFORE = "SELECT id FROM conversations WHERE ended_at IS NOT NULL AND ended_at <= :cutoff"

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
    "cases": (
        "UPDATE cases SET phone = NULL"
        " WHERE phone IS NOT NULL AND closed_at IS NOT NULL AND closed_at <= :cutoff"
    ),
    "inbound_parts": (
        "DELETE FROM inbound_parts WHERE (whole_ref IS NULL AND received_at <= :parts_cutoff)"
        " OR received_at <= :closed_parts_cutoff"
    ),
}


class SqliteRetention(Repository):
    """The `Retention` port (smsbot.storage.ports) on SQLite."""

    async def secure_delete(self) -> bool:
        async with self.conn.execute("PRAGMA secure_delete") as cur:
            row = await cur.fetchone()
        if row and int(row[0]) == 1:
            return True
        await self.conn.execute("PRAGMA secure_delete = ON")
        return False

    async def clear_numbers(self, cutoffs: PurgeCutoffs) -> PurgeCounts:
        params = {
            "cutoff": ts(cutoffs.ended_before),
            "parts_cutoff": ts(cutoffs.parts_before),
            "closed_parts_cutoff": ts(cutoffs.closed_parts_before),
        }
        changed: dict[str, int] = {}
        for table, sql in _STATEMENTS.items():
            cur = await self.conn.execute(sql, params)
            changed[table] = max(cur.rowcount, 0)
        return PurgeCounts(**changed)

    async def scrub(self, *, vacuum: bool) -> bool:
        """Leave no purged number in the WAL or in free pages.

        Trade-off: VACUUM rewrites the whole file and holds the write lock meanwhile (about a
        second per 100 MB; other writers wait, up to busy_timeout) and needs free disk as large
        as the database. The caller asks for it only when something was purged. secure_delete
        already zeroes freed content, so VACUUM is the second line (slack in pages, freelist).
        The checkpoint is cheap and runs every time: an earlier one may have been blocked by a
        reader. A separate connection is used so the shared one (with other coroutines'
        statements) is never inside VACUUM.
        """
        if str(self.db.path) == ":memory:":
            return True
        async with aiosqlite.connect(self.db.path, isolation_level=None) as conn:
            for pragma in (
                "PRAGMA busy_timeout = 5000",
                "PRAGMA secure_delete = ON",
                "PRAGMA temp_store = MEMORY",  # VACUUM's copy stays off the disk
            ):
                await conn.execute(pragma)
            emptied = await _checkpoint(conn)
            if vacuum:
                await conn.execute("VACUUM")
                emptied = await _checkpoint(conn) and emptied
        return emptied


async def _checkpoint(conn: aiosqlite.Connection) -> bool:
    async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
        row = await cur.fetchone()
    return row is None or int(row[0]) == 0


_PSEUDONYM_KEY = "pseudonym_key"  # meta


class SqlitePseudonymKeys(Repository):
    """The `PseudonymKeys` port (smsbot.storage.ports) on SQLite: a row of `meta`."""

    async def pseudonym_key(self) -> str | None:
        sql = "SELECT value FROM meta WHERE key = ?"
        async with self.conn.execute(sql, (_PSEUDONYM_KEY,)) as cur:
            row = await cur.fetchone()
        return None if row is None else str(row[0])

    async def keep_pseudonym_key(self, key: str) -> None:
        await self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)", (_PSEUDONYM_KEY, key)
        )
