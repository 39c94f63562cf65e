"""The `Timers` port on SQLite: reminders and expiries, as rows that survive restarts."""

from __future__ import annotations

from datetime import datetime

from smsbot.storage.ports import DueTimer
from smsbot.storage.sqlite.db import ts
from smsbot.storage.sqlite.repository import Repository

__all__ = ["SqliteTimers"]


class SqliteTimers(Repository):
    """The `Timers` port (smsbot.storage.ports) on SQLite."""

    async def due(self, now: datetime, limit: int) -> list[DueTimer]:
        sql = (
            "SELECT id, conversation_id, kind, step FROM timers"
            " WHERE done_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?"
        )
        async with self.conn.execute(sql, (ts(now), limit)) as cur:
            rows = await cur.fetchall()
        return [DueTimer(r["id"], r["conversation_id"], r["kind"], r["step"]) for r in rows]

    async def mark_done(self, timer_id: int, now: datetime) -> None:
        await self.conn.execute("UPDATE timers SET done_at = ? WHERE id = ?", (ts(now), timer_id))
