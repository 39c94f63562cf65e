"""The `Inbound` port on SQLite: replies, long-message parts, messages we cannot use and
delivery receipts, each stored once by the provider's reference."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from smsbot.domain import DeliveryReceipt, IgnoredInbound, InboundPart
from smsbot.storage.ports import ReceiptTarget, StoredPart
from smsbot.storage.sqlite.db import ts
from smsbot.storage.sqlite.repository import Repository

__all__ = ["SqliteInbound"]


class SqliteInbound(Repository):
    """The `Inbound` port (smsbot.storage.ports) on SQLite."""

    async def add_reply(
        self,
        *,
        phone: str,
        body: str,
        provider_ref: str | None,
        conversation_id: str | None,
        now: datetime,
    ) -> int | None:
        """Store a received SMS; None when this provider reference was stored before."""
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO messages (conversation_id, direction, phone, body, purpose,"
            " status, provider_ref, created_at, updated_at)"
            " VALUES (?, 'in', ?, ?, 'reply', 'received', ?, ?, ?)",
            (conversation_id, phone, body, provider_ref, ts(now), ts(now)),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    async def add_ignored(
        self, message: IgnoredInbound, conversation_id: str | None, now: datetime
    ) -> bool:
        """Keep an inbound message we cannot use, with why (in `error`); False for a repeat."""
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO messages (conversation_id, direction, phone, purpose, status,"
            " provider_ref, error, created_at, updated_at)"
            " VALUES (?, 'in', ?, 'ignored', 'ignored', ?, ?, ?, ?)",
            (
                conversation_id,
                message.phone,
                message.provider_ref,
                message.reason,
                ts(now),
                ts(now),
            ),
        )
        return cur.rowcount == 1

    async def apply_receipt(
        self, receipt: DeliveryReceipt, message_id: int | None, now: datetime
    ) -> tuple[bool, ReceiptTarget | None]:
        """Record a receipt once; returns (new?, the message it is about, if known)."""
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO receipts (provider_ref, status, error_code, error_reason,"
            " message_id, received_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                receipt.provider_ref,
                receipt.status,
                receipt.error_code,
                receipt.error_reason,
                message_id,
                ts(now),
            ),
        )
        if cur.rowcount == 0:
            return False, None
        message = await _apply_to_message(self.conn, receipt, message_id, now)
        if message is None:
            return True, None
        return True, ReceiptTarget(message["id"], message["conversation_id"], message["purpose"])

    async def store_part(self, part: InboundPart, now: datetime) -> StoredPart:
        """Keep one part of a long SMS; close its message when this part completes it.

        Parts make one message by (sender, our number, concat ref, total) only while the
        message is open: the ref is one byte and wraps, so the same sender reuses it for a
        later message. A part is a duplicate by the provider's id for it, whether its message
        is open or closed; closed parts stay (without number and text) so that a part retried
        late never joins a newer message. A part whose place in the open message is taken
        (under another id) means that message lost a part and the sender has moved on: the
        open one is abandoned.
        """
        conn = self.conn
        if await _part_seen(conn, part.provider_ref):
            return StoredPart("duplicate")
        abandoned = await _abandon_if_taken(conn, part)
        await conn.execute(
            "INSERT INTO inbound_parts (provider_ref, phone, sender, concat_ref, total, part,"
            " text, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*_group(part), part.part, part.text, ts(now)),
        )
        texts, first_ref = await _open_texts(conn, part)
        if len(texts) < part.total:
            return StoredPart("stored", abandoned=abandoned)
        whole_ref = f"concat:{first_ref}"
        await _close(conn, part, whole_ref)
        return StoredPart("whole", "".join(texts), whole_ref, abandoned)


# The message a receipt is about, by our reference when it came with one, else by the
# provider's; its status moved on in the same statement (final statuses win over intermediate
# ones, whatever order receipts arrive in).
_APPLY_RECEIPT = """
UPDATE messages SET
  status = CASE WHEN :final IS NOT NULL THEN :final
    WHEN status IN ('sending', 'uncertain', 'queued') THEN 'sent' ELSE status END,
  provider_ref = COALESCE(provider_ref, :provider_ref),
  price = COALESCE(price, :price), currency = COALESCE(currency, :currency),
  error = CASE WHEN :failed THEN :error ELSE error END, updated_at = :now
WHERE id = {which} AND direction = 'out'
RETURNING id, conversation_id, purpose
"""
_BY_ID = _APPLY_RECEIPT.format(which=":message_id")
_BY_PROVIDER_REF = _APPLY_RECEIPT.format(
    which="(SELECT id FROM messages WHERE provider_ref = :provider_ref AND direction = 'out'"
    " LIMIT 1)"
)


async def _apply_to_message(
    conn: aiosqlite.Connection, receipt: DeliveryReceipt, message_id: int | None, now: datetime
) -> aiosqlite.Row | None:
    """The receipt's message, updated; None when no message of ours is known by it."""
    args = {
        "final": receipt.status if receipt.final else None,
        "provider_ref": receipt.provider_ref,
        "price": receipt.price,
        "currency": receipt.currency,
        "failed": receipt.failed,
        "error": _failure(receipt),
        "now": ts(now),
        "message_id": message_id,
    }
    sql = _BY_ID if message_id is not None else _BY_PROVIDER_REF
    async with conn.execute(sql, args) as cur:
        return await cur.fetchone()


def _failure(receipt: DeliveryReceipt) -> str:
    """What a failed message's `error` says: the status, the provider's code and its words."""
    reason = f": {receipt.error_reason}" if receipt.error_reason else ""
    return f"receipt: {receipt.status} (err-code {receipt.error_code}{reason})"


_OPEN = "phone = ? AND sender = ? AND concat_ref = ? AND total = ? AND whole_ref IS NULL"


def _group(part: InboundPart) -> tuple[str, str, str, str, int]:
    return (part.provider_ref, part.phone, part.to, part.concat_ref, part.total)


async def _part_seen(conn: aiosqlite.Connection, provider_ref: str) -> bool:
    sql = "SELECT 1 FROM inbound_parts WHERE provider_ref = ?"
    async with conn.execute(sql, (provider_ref,)) as cur:
        return await cur.fetchone() is not None


async def _abandon_if_taken(conn: aiosqlite.Connection, part: InboundPart) -> int:
    key = _group(part)[1:]
    sql = f"SELECT 1 FROM inbound_parts WHERE {_OPEN} AND part = ?"
    async with conn.execute(sql, (*key, part.part)) as cur:
        if await cur.fetchone() is None:
            return 0
    return await _close(conn, part, "abandoned")


async def _open_texts(conn: aiosqlite.Connection, part: InboundPart) -> tuple[list[str], str]:
    """The open message's texts in order, and the provider's id of its first part."""
    sql = f"SELECT provider_ref, text FROM inbound_parts WHERE {_OPEN} ORDER BY part"
    async with conn.execute(sql, _group(part)[1:]) as cur:
        rows = list(await cur.fetchall())
    return [row["text"] for row in rows], rows[0]["provider_ref"]


async def _close(conn: aiosqlite.Connection, part: InboundPart, whole_ref: str) -> int:
    """Close the open message: its parts keep only what recognises a late retry."""
    sql = f"UPDATE inbound_parts SET whole_ref = ?, phone = NULL, text = NULL WHERE {_OPEN}"
    cur = await conn.execute(sql, (whole_ref, *_group(part)[1:]))
    return cur.rowcount
