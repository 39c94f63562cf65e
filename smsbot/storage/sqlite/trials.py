"""The simulator's repository of the SQLite store (see smsbot.storage.ports): trial chats."""

from __future__ import annotations

from smsbot.storage.ports import TrialChat
from smsbot.storage.sqlite.repository import Repository

__all__ = ["SqliteTrials"]

_CHAT = """SELECT id, direction, body, status, segments, encoding FROM messages
    WHERE phone = ? AND id >= (SELECT COALESCE(MIN(id), 0) FROM messages
        WHERE conversation_id = ?) ORDER BY id"""
_SENDING = """SELECT 1 FROM messages WHERE direction = 'out' AND phone = ?
    AND status IN ('queued', 'sending') LIMIT 1"""


class SqliteTrials(Repository):
    """The `Trials` port (smsbot.storage.ports) on SQLite."""

    async def chat(self, phone: str, conversation_id: str) -> TrialChat:
        async with self.conn.execute(_CHAT, (phone, conversation_id)) as cur:
            rows = [dict(row) for row in await cur.fetchall()]
        sql = "SELECT status FROM conversations WHERE id = ?"
        async with self.conn.execute(sql, (conversation_id,)) as cur:
            found = await cur.fetchone()
        return TrialChat(rows, str(found[0]) if found else None)

    async def sending_to(self, phone: str) -> bool:
        async with self.conn.execute(_SENDING, (phone,)) as cur:
            return await cur.fetchone() is not None
