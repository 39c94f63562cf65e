"""Queries for the gateway's own records: events, receipts, long-message parts, timers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from smsbot.domain import DeliveryReceipt, IgnoredInbound, InboundPart, ServiceEvent
from smsbot.storage.sqlite.db import from_ts, ts
from smsbot.storage.sqlite.repository import Repository

__all__ = [
    "DueTimer",
    "StoredEvent",
    "StoredPart",
    "apply_receipt",
    "due_scheduled_events",
    "due_timers",
    "find_event_answer",
    "insert_event",
    "insert_ignored",
    "last_surveyed_at",
    "mark_timer_done",
    "settle_event",
    "store_part",
]


async def find_event_answer(
    conn: aiosqlite.Connection, source: str, source_id: str
) -> dict[str, object] | None:
    sql = "SELECT answer FROM events WHERE source = ? AND source_id = ?"
    async with conn.execute(sql, (source, source_id)) as cur:
        row = await cur.fetchone()
    return None if row is None else dict(json.loads(row[0]))


async def insert_event(
    conn: aiosqlite.Connection,
    event: ServiceEvent,
    *,
    respondent: str,
    flow_id: str | None,
    decision: str,
    reason: str,
    conversation_id: str | None,
    due_at: datetime | None,
    answer: dict[str, object],
    now: datetime,
) -> int:
    journey = (event.journey_id, event.journey_step)
    cur = await conn.execute(
        "INSERT INTO events (source, source_id, type, occurred_at, received_at, phone, respondent,"
        " unit, service, channel, language, attributes, journey_id, journey_step, flow_id,"
        " decision, reason, conversation_id, due_at, answer, trial)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event.source,
            event.source_id,
            event.type,
            ts(event.occurred_at),
            ts(now),
            event.phone,
            respondent,
            event.unit,
            event.service,
            event.channel,
            event.language,
            json.dumps(dict(event.attributes), ensure_ascii=False),
            *journey,
            flow_id,
            decision,
            reason,
            conversation_id,
            ts(due_at) if due_at else None,
            json.dumps(answer, ensure_ascii=False),
            int(event.trial),
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


@dataclass(frozen=True)
class StoredEvent:
    id: int
    event: ServiceEvent
    flow_id: str


async def due_scheduled_events(
    conn: aiosqlite.Connection, now: datetime, limit: int
) -> list[StoredEvent]:
    sql = (
        "SELECT * FROM events WHERE decision = 'scheduled' AND due_at <= ?"
        " ORDER BY due_at, id LIMIT ?"
    )
    async with conn.execute(sql, (ts(now), limit)) as cur:
        rows = await cur.fetchall()
    return [StoredEvent(row["id"], _event(row), row["flow_id"]) for row in rows]


def _event(row: aiosqlite.Row) -> ServiceEvent:
    return ServiceEvent(
        source=row["source"],
        source_id=row["source_id"],
        type=row["type"],
        phone=row["phone"],
        occurred_at=from_ts(row["occurred_at"]),
        unit=row["unit"],
        service=row["service"],
        channel=row["channel"],
        language=row["language"],
        attributes=json.loads(row["attributes"]),
        journey_id=row["journey_id"],
        journey_step=row["journey_step"],
        trial=bool(row["trial"]),
    )


async def settle_event(
    conn: aiosqlite.Connection,
    event_id: int,
    *,
    decision: str,
    reason: str,
    conversation_id: str | None,
    due_at: datetime | None,
) -> None:
    """A scheduled event's final decision (its stored answer stays what the source was told)."""
    await conn.execute(
        "UPDATE events SET decision = ?, reason = ?, conversation_id = ?, due_at = ? WHERE id = ?",
        (decision, reason, conversation_id, ts(due_at) if due_at else None, event_id),
    )


async def last_surveyed_at(conn: aiosqlite.Connection, respondent: str) -> datetime | None:
    """When the person's last real survey started (trials do not count towards fatigue)."""
    sql = "SELECT MAX(created_at) FROM conversations WHERE respondent = ? AND trial = 0"
    async with conn.execute(sql, (respondent,)) as cur:
        row = await cur.fetchone()
    return from_ts(row[0]) if row and row[0] else None


@dataclass(frozen=True)
class DueTimer:
    id: int
    conversation_id: str
    kind: str
    step: int


async def due_timers(conn: aiosqlite.Connection, now: datetime, limit: int) -> list[DueTimer]:
    sql = (
        "SELECT id, conversation_id, kind, step FROM timers"
        " WHERE done_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?"
    )
    async with conn.execute(sql, (ts(now), limit)) as cur:
        rows = await cur.fetchall()
    return [DueTimer(r["id"], r["conversation_id"], r["kind"], r["step"]) for r in rows]


async def mark_timer_done(conn: aiosqlite.Connection, timer_id: int, now: datetime) -> None:
    await conn.execute("UPDATE timers SET done_at = ? WHERE id = ?", (ts(now), timer_id))


async def apply_receipt(
    conn: aiosqlite.Connection, receipt: DeliveryReceipt, message_id: int | None, now: datetime
) -> tuple[bool, aiosqlite.Row | None]:
    """Record a receipt once; returns (new?, the message it is about, if known)."""
    cur = await conn.execute(
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
    message = await _receipt_message(conn, receipt, message_id)
    if message is not None:
        await _update_message_status(conn, message["id"], receipt, now)
    return True, message


async def _receipt_message(
    conn: aiosqlite.Connection, receipt: DeliveryReceipt, message_id: int | None
) -> aiosqlite.Row | None:
    if message_id is not None:
        sql = "SELECT * FROM messages WHERE id = ? AND direction = 'out'"
        args: tuple[object, ...] = (message_id,)
    else:
        sql = "SELECT * FROM messages WHERE provider_ref = ? AND direction = 'out'"
        args = (receipt.provider_ref,)
    async with conn.execute(sql, args) as cur:
        return await cur.fetchone()


async def _update_message_status(
    conn: aiosqlite.Connection, message_id: int, receipt: DeliveryReceipt, now: datetime
) -> None:
    """Final statuses win over intermediate ones, whatever order receipts arrive in."""
    status = receipt.status if receipt.final else None
    await conn.execute(
        "UPDATE messages SET"
        " status = CASE WHEN ? IS NOT NULL THEN ?"
        "   WHEN status IN ('sending', 'uncertain', 'queued') THEN 'sent' ELSE status END,"
        " provider_ref = COALESCE(provider_ref, ?),"
        " price = COALESCE(price, ?), currency = COALESCE(currency, ?),"
        " error = CASE WHEN ? THEN ? ELSE error END, updated_at = ? WHERE id = ?",
        (
            status,
            status,
            receipt.provider_ref,
            receipt.price,
            receipt.currency,
            receipt.failed,
            _failure(receipt),
            ts(now),
            message_id,
        ),
    )


async def insert_ignored(
    conn: aiosqlite.Connection,
    message: IgnoredInbound,
    conversation_id: str | None,
    now: datetime,
) -> bool:
    """Keep an inbound message we cannot use, with why (in `error`); False for a repeat."""
    cur = await conn.execute(
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


def _failure(receipt: DeliveryReceipt) -> str:
    """What a failed message's `error` says: the status, the provider's code and its words."""
    reason = f": {receipt.error_reason}" if receipt.error_reason else ""
    return f"receipt: {receipt.status} (err-code {receipt.error_code}{reason})"


@dataclass(frozen=True)
class StoredPart:
    """What one part of a long SMS came to: a duplicate, stored (more to come) or whole."""

    outcome: str  # duplicate | stored | whole
    text: str = ""  # whole: the message's text
    whole_ref: str = ""  # whole: its provider reference, concat:<the provider's id of part 1>
    abandoned: int = 0  # parts of an older incomplete message given up for this one


async def store_part(conn: aiosqlite.Connection, part: InboundPart, now: datetime) -> StoredPart:
    """Keep one part of a long SMS; close its message when this part completes it.

    Parts make one message by (sender, our number, concat ref, total) only while the message is
    open: the ref is one byte and wraps, so the same sender reuses it for a later message. A
    part is a duplicate by the provider's id for it, whether its message is open or closed;
    closed parts stay (without number and text) so that a part retried late never joins a
    newer message. A part whose place in the open message is taken (under another id) means
    that message lost a part and the sender has moved on: the open one is abandoned.
    """
    if await _part_seen(conn, part.provider_ref):
        return StoredPart("duplicate")
    abandoned = await _abandon_if_taken(conn, part)
    await conn.execute(
        "INSERT INTO inbound_parts (provider_ref, phone, sender, concat_ref, total, part, text,"
        " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (*_group(part), part.part, part.text, ts(now)),
    )
    texts, first_ref = await _open_texts(conn, part)
    if len(texts) < part.total:
        return StoredPart("stored", abandoned=abandoned)
    whole_ref = f"concat:{first_ref}"
    await _close(conn, part, whole_ref)
    return StoredPart("whole", "".join(texts), whole_ref, abandoned)


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


class SqliteInbound(Repository):
    """The `Inbound` port (smsbot.storage.ports) on SQLite."""


class SqliteServiceEvents(Repository):
    """The `ServiceEvents` port (smsbot.storage.ports) on SQLite."""


class SqliteTimers(Repository):
    """The `Timers` port (smsbot.storage.ports) on SQLite."""
