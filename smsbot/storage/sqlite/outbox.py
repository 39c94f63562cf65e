"""The outbox: messages written with the state change that caused them, sent afterwards.

A message goes queued -> sending -> sent -> delivered (or failed). `sending` is committed before
the provider is called; a crash in between leaves it `uncertain`, resolved by a receipt or,
after a grace period, by sending it again with the same client reference.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import aiosqlite

from smsbot.engine.runtime import Send
from smsbot.engine.sms_text import measure
from smsbot.storage.ports import PRIORITIES, PRIORITY_REPLY, Handover, HeldOpening, Outgoing
from smsbot.storage.sqlite.db import Database, from_ts, ts
from smsbot.storage.sqlite.repository import Repository

__all__ = ["Outgoing", "SqliteOutbox"]  # Outgoing: where providers imported it from before

_COLUMNS = "id, conversation_id, phone, body, purpose, encoding, segments, attempts"


def _outgoing(row: aiosqlite.Row) -> Outgoing:
    return Outgoing(
        id=row["id"],
        conversation_id=row["conversation_id"],
        phone=row["phone"],
        body=row["body"],
        purpose=row["purpose"],
        encoding=row["encoding"],
        segments=row["segments"],
        attempts=row["attempts"],
    )


# The outbox's partial indexes (schema.py), and the WHERE terms that select them. SQLite uses
# a partial index only for a query that repeats its terms as the index writes them, so the
# queries below are built from these. Their rows are the messages not yet sent: the backlog,
# never the history.
_WAITING = "direction = 'out' AND status IN ('queued', 'uncertain')"  # messages_due
_SENDING = "direction = 'out' AND status = 'sending'"  # messages_sending

# Due messages, replies first. The priorities are listed so that the claim searches
# messages_due (priority, due_at, id) for each priority in turn, in the index's order, and
# stops at the LIMIT: no message not yet due and no ended conversation is read.
_DUE = f"""
SELECT {_COLUMNS} FROM messages AS m
WHERE {_WAITING}
  AND m.priority IN ({", ".join(str(p) for p in sorted(PRIORITIES))}) AND m.due_at <= ?
  AND NOT EXISTS (
    SELECT 1 FROM messages AS e
    WHERE e.phone = m.phone AND e.direction = 'out' AND e.id < m.id
      AND e.status IN ('queued', 'sending', 'uncertain'))
ORDER BY m.priority, m.due_at, m.id
LIMIT ?
"""


_HELD_OPENINGS = """
SELECT m.id, m.conversation_id, c.flow_id, m.created_at FROM messages AS m
JOIN conversations AS c ON c.id = m.conversation_id
WHERE m.direction = 'out' AND m.status IN ('queued', 'uncertain') AND m.purpose = 'opening'
"""


# Whether a number has a message waiting or in flight (then a reply queues behind it: one in
# flight per number, in order). The backlog's index, never the number's history.
PENDING_FOR_PHONE = (
    "EXISTS (SELECT 1 FROM messages INDEXED BY messages_pending_phone WHERE phone = ?"
    " AND direction = 'out' AND status IN ('queued', 'sending', 'uncertain'))"
)


class SqliteOutbox(Repository):
    """The `Outbox` port (smsbot.storage.ports) on SQLite."""

    __slots__ = ("_direct", "_pending", "_queued", "_sending")

    def __init__(self, conn: aiosqlite.Connection, db: Database) -> None:
        super().__init__(conn, db)
        self._direct = False
        self._sending: list[Outgoing] = []
        self._queued = 0
        self._pending: dict[str, bool] = {}  # numbers with a message waiting or in flight

    def pending_was_read(self, phone: str, pending: bool) -> None:
        """The unit's read of the conversation also read whether its number has a message
        waiting or in flight (this unit's own messages are added as they are written)."""
        self._pending.setdefault(phone, pending)

    def send_directly(self) -> None:
        self._direct = True

    def handover(self) -> Handover:
        return Handover(tuple(self._sending), self._queued)

    async def queue(
        self,
        *,
        conversation_id: str | None,
        phone: str,
        send: Send,
        step: int,
        priority: int,
        due_at: datetime,
        now: datetime,
    ) -> int:
        if priority not in PRIORITIES:
            raise ValueError(
                f"priority {priority} is not one of {PRIORITIES}: it would never be sent"
            )
        if self._direct and priority == PRIORITY_REPLY and due_at <= now:
            return await self._queue_or_send(conversation_id, phone, send, step, now)
        self._queued += 1
        return await self._insert(
            conversation_id, phone, send, step, now, queued=True, priority=priority, due_at=due_at
        )

    async def _insert(
        self,
        conversation_id: str | None,
        phone: str,
        send: Send,
        step: int,
        now: datetime,
        *,
        queued: bool,
        priority: int = PRIORITY_REPLY,
        due_at: datetime | None = None,
    ) -> int:
        """Queued, or being sent on its first attempt."""
        self._pending[phone] = True
        cost = measure(send.text)
        status, attempts = ("queued", 0) if queued else ("sending", 1)
        cur = await self.conn.execute(
            "INSERT INTO messages (conversation_id, direction, phone, body, purpose, question_id,"
            " step, encoding, segments, status, attempts, priority, due_at, created_at,"
            " updated_at) VALUES (?, 'out', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                phone,
                send.text,
                send.purpose,
                send.question_id,
                step,
                cost.encoding.value,
                cost.segments,
                status,
                attempts,
                priority,
                ts(due_at or now),
                ts(now),
                ts(now),
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def _queue_or_send(
        self, conversation_id: str | None, phone: str, send: Send, step: int, now: datetime
    ) -> int:
        """A reply due now: written as being sent (its first attempt) when nothing else to its
        number waits or is in flight, else queued behind that."""
        pending = self._pending.get(phone)
        if pending is None:
            async with self.conn.execute(f"SELECT {PENDING_FOR_PHONE}", (phone,)) as cur:
                row = await cur.fetchone()
            pending = bool(row and row[0])
        message_id = await self._insert(conversation_id, phone, send, step, now, queued=pending)
        if pending:
            self._queued += 1
        else:
            cost = measure(send.text)
            self._sending.append(
                Outgoing(
                    *(message_id, conversation_id, phone, send.text, send.purpose),
                    *(cost.encoding.value, cost.segments, 1),
                )
            )
        return message_id

    async def queued_for_phone(self, phone: str) -> list[Outgoing]:
        sql = (
            f"SELECT {_COLUMNS} FROM messages"
            " WHERE direction = 'out' AND status = 'queued' AND phone = ? ORDER BY id"
        )
        async with self.conn.execute(sql, (phone,)) as cur:
            return [_outgoing(row) for row in await cur.fetchall()]

    async def claim_due(self, now: datetime, limit: int) -> list[Outgoing]:
        """Due messages, replies first, at most one per phone at a time (order per person kept).

        They are marked `sending`; the caller commits before it calls the provider.
        """
        async with self.conn.execute(_DUE, (ts(now), limit)) as cur:
            claimed = [
                replace(_outgoing(row), attempts=row["attempts"] + 1)
                for row in await cur.fetchall()
            ]
        for message in claimed:
            await self.conn.execute(
                "UPDATE messages SET status = 'sending', attempts = attempts + 1, client_ref = ?,"
                " updated_at = ? WHERE id = ?",
                (message.client_ref, ts(now), message.id),
            )
        return claimed

    async def mark_sent(
        self,
        message_id: int,
        provider_ref: str | None,
        now: datetime,
        *,
        price: float | None = None,
        currency: str | None = None,
    ) -> None:
        await self.conn.execute(
            "UPDATE messages SET status = 'sent', provider_ref = ?, client_ref = ?, price = ?,"
            " currency = ?, error = NULL, updated_at = ?"
            " WHERE id = ? AND status IN ('queued', 'sending', 'uncertain')",
            (provider_ref, f"smsbot-{message_id}", price, currency, ts(now), message_id),
        )

    async def mark_retry(
        self, message_id: int, reason: str, due_at: datetime, now: datetime
    ) -> None:
        await self._send_later(message_id, "queued", reason, due_at, now)

    async def mark_uncertain(
        self, message_id: int, reason: str, due_at: datetime, now: datetime
    ) -> None:
        """The provider may have taken it: a receipt settles it, else it goes again at `due_at`."""
        await self._send_later(message_id, "uncertain", reason, due_at, now)

    async def _send_later(
        self, message_id: int, status: str, reason: str, due_at: datetime, now: datetime
    ) -> None:
        """Back from `sending` (unless a receipt came first) to wait until `due_at`."""
        await self.conn.execute(
            "UPDATE messages SET status = ?, error = ?, due_at = ?, updated_at = ?"
            " WHERE id = ? AND status = 'sending'",
            (status, reason, ts(due_at), ts(now), message_id),
        )

    async def mark_failed(self, message_id: int, reason: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE messages SET status = 'failed', error = ?, updated_at = ? WHERE id = ?",
            (reason, ts(now), message_id),
        )

    async def hold(self, message_id: int, reason: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE messages SET status = 'queued', attempts = attempts - 1, error = ?,"
            " updated_at = ? WHERE id = ? AND status = 'sending'",
            (reason, ts(now), message_id),
        )

    async def held_openings(self) -> list[HeldOpening]:
        async with self.conn.execute(_HELD_OPENINGS) as cur:
            return [
                HeldOpening(row[0], row[1], row[2], from_ts(row[3])) for row in await cur.fetchall()
            ]

    async def cancel(self, message_id: int, reason: str, now: datetime) -> bool:
        async with self.conn.execute(
            "UPDATE messages SET status = 'cancelled', error = ?, updated_at = ?"
            f" WHERE id = ? AND {_WAITING}",
            (reason, ts(now), message_id),
        ) as cur:
            return cur.rowcount == 1

    async def mark_refused(self, message_id: int, reason: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE messages SET status = 'refused', error = ?, updated_at = ? WHERE id = ?",
            (reason, ts(now), message_id),
        )

    async def recent_same_text(self, message: Outgoing, since: datetime) -> int:
        """How many times this text went to this number since `since` (the loop guard)."""
        sql = (
            "SELECT COUNT(*) FROM messages WHERE phone = ? AND direction = 'out' AND body = ?"
            " AND created_at >= ? AND status IN ('sent', 'delivered', 'sending') AND id != ?"
        )
        args = (message.phone, message.body, ts(since), message.id)
        async with self.conn.execute(sql, args) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def recover_after_crash(self, now: datetime, grace: timedelta) -> int:
        """Messages caught `sending` by a crash: wait for a receipt, then send again.

        Messages already `uncertain` get the whole grace again from now: while the process was
        down no receipt could arrive, so their wait did not count. Returns how many were caught
        `sending`.
        """
        await self.conn.execute(
            f"UPDATE messages SET due_at = ? WHERE {_WAITING} AND status = 'uncertain'"
            " AND due_at < ?",
            (ts(now + grace), ts(now + grace)),
        )
        cur = await self.conn.execute(
            f"UPDATE messages SET status = 'uncertain', due_at = ?, updated_at = ?"
            f" WHERE {_SENDING}",
            (ts(now + grace), ts(now)),
        )
        return cur.rowcount

    async def count_queued(self) -> int:
        sql = f"SELECT COUNT(*) FROM messages WHERE {_WAITING} AND status = 'queued'"
        async with self.conn.execute(sql) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def sent_to(self, phone: str) -> list[dict[str, object]]:
        sql = (
            "SELECT id, conversation_id, body, purpose, status, encoding, segments, created_at"
            " FROM messages WHERE direction = 'out' AND phone = ?"
            " AND status IN ('sent', 'delivered') ORDER BY id"
        )
        async with self.conn.execute(sql, (phone,)) as cur:
            return [dict(row) for row in await cur.fetchall()]
