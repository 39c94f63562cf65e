"""Queries on conversations and what happens in them. Callers own the transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from smsbot.engine.model import Flow
from smsbot.engine.runtime import (
    AnswerRecorded,
    FeedbackGiven,
    Finished,
    Outcome,
    ReplyNotUnderstood,
    Send,
    State,
)
from smsbot.engine.sms_text import measure
from smsbot.storage.sqlite.db import ts
from smsbot.storage.sqlite.repository import Repository

__all__ = [
    "PRIORITIES",
    "Conversation",
    "NewConversation",
    "apply_outcome",
    "cancel_queued",
    "find_active",
    "get_conversation",
    "insert_conversation",
    "insert_inbound",
    "is_opted_out",
    "load_flow_definition",
    "queue_message",
    "record_opt_out",
    "save_flow_version",
    "schedule_reminder",
]

PRIORITY_REPLY = 0  # a citizen mid-conversation waits for this one
PRIORITY_NEW = 1  # the first messages of a new survey
PRIORITIES = (PRIORITY_REPLY, PRIORITY_NEW)  # every priority: the sender claims only these


@dataclass(frozen=True)
class NewConversation:
    id: str
    phone: str
    respondent: str
    sender: str = ""
    unit: str | None = None
    service: str | None = None
    channel: str | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)
    journey_id: str | None = None
    journey_step: str | None = None
    event_id: int | None = None
    trial: bool = False


@dataclass(frozen=True)
class Conversation:
    id: str
    phone: str | None
    respondent: str | None
    sender: str
    state: State
    unit: str | None
    service: str | None


async def save_flow_version(conn: aiosqlite.Connection, flow: Flow, now: datetime) -> None:
    definition = json.dumps(flow.source, sort_keys=True, ensure_ascii=False)
    await conn.execute(
        "INSERT OR IGNORE INTO flow_versions (flow_id, version, definition, first_seen)"
        " VALUES (?, ?, ?, ?)",
        (flow.id, flow.version, definition, ts(now)),
    )


async def load_flow_definition(
    conn: aiosqlite.Connection, flow_id: str, version: str
) -> object | None:
    sql = "SELECT definition FROM flow_versions WHERE flow_id = ? AND version = ?"
    async with conn.execute(sql, (flow_id, version)) as cur:
        row = await cur.fetchone()
    return None if row is None else json.loads(row[0])


async def insert_conversation(
    conn: aiosqlite.Connection, new: NewConversation, state: State, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO conversations (id, flow_id, flow_version, phone, respondent, sender,"
        " language, status, step, state, event_id, unit, service, channel, attributes,"
        " journey_id, journey_step, created_at, updated_at, trial)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new.id,
            state.flow_id,
            state.flow_version,
            new.phone,
            new.respondent,
            new.sender,
            state.language,
            state.status.value,
            state.step,
            json.dumps(state.to_dict(), ensure_ascii=False),
            new.event_id,
            new.unit,
            new.service,
            new.channel,
            json.dumps(dict(new.attributes), ensure_ascii=False),
            new.journey_id,
            new.journey_step,
            ts(now),
            ts(now),
            int(new.trial),
        ),
    )


_CONVERSATION_COLUMNS = "id, phone, respondent, sender, state, unit, service"


def _conversation(row: aiosqlite.Row) -> Conversation:
    return Conversation(
        id=row["id"],
        phone=row["phone"],
        respondent=row["respondent"],
        sender=row["sender"],
        state=State.from_dict(json.loads(row["state"])),
        unit=row["unit"],
        service=row["service"],
    )


async def find_active(conn: aiosqlite.Connection, phone: str, sender: str) -> Conversation | None:
    """The person's active conversation on this sender number, else on any of ours."""
    sql = (
        f"SELECT {_CONVERSATION_COLUMNS} FROM conversations"
        " WHERE phone = ? AND status = 'active' ORDER BY sender = ? DESC, created_at DESC LIMIT 1"
    )
    async with conn.execute(sql, (phone, sender)) as cur:
        row = await cur.fetchone()
    return None if row is None else _conversation(row)


async def get_conversation(conn: aiosqlite.Connection, conversation_id: str) -> Conversation | None:
    sql = f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?"
    async with conn.execute(sql, (conversation_id,)) as cur:
        row = await cur.fetchone()
    return None if row is None else _conversation(row)


async def insert_inbound(
    conn: aiosqlite.Connection,
    *,
    phone: str,
    body: str,
    provider_ref: str | None,
    conversation_id: str | None,
    now: datetime,
) -> int | None:
    """Store a received SMS; None when this provider reference was stored before."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO messages (conversation_id, direction, phone, body, purpose,"
        " status, provider_ref, created_at, updated_at)"
        " VALUES (?, 'in', ?, ?, 'reply', 'received', ?, ?, ?)",
        (conversation_id, phone, body, provider_ref, ts(now), ts(now)),
    )
    return cur.lastrowid if cur.rowcount == 1 else None


async def queue_message(
    conn: aiosqlite.Connection,
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
        raise ValueError(f"priority {priority} is not one of {PRIORITIES}: it would never be sent")
    cost = measure(send.text)
    cur = await conn.execute(
        "INSERT INTO messages (conversation_id, direction, phone, body, purpose, question_id,"
        " step, encoding, segments, status, priority, due_at, created_at, updated_at)"
        " VALUES (?, 'out', ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
        (
            conversation_id,
            phone,
            send.text,
            send.purpose,
            send.question_id,
            step,
            cost.encoding.value,
            cost.segments,
            priority,
            ts(due_at),
            ts(now),
            ts(now),
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def apply_outcome(
    conn: aiosqlite.Connection,
    conversation: Conversation,
    outcome: Outcome,
    *,
    now: datetime,
    message_id: int | None = None,
    priority: int = PRIORITY_REPLY,
    due_at: datetime | None = None,
) -> None:
    """Store the new state and everything the engine said happened, in the caller's transaction."""
    await _update_state(conn, conversation.id, outcome, now)
    answer_ids: dict[str, int] = {}
    for event in outcome.events:
        if isinstance(event, Send) and conversation.phone is not None:
            await queue_message(
                conn,
                conversation_id=conversation.id,
                phone=conversation.phone,
                send=event,
                step=outcome.state.step,
                priority=priority,
                due_at=due_at or now,
                now=now,
            )
        elif isinstance(event, AnswerRecorded | ReplyNotUnderstood):
            answer_ids[event.question_id] = await _insert_answer(
                conn, conversation, event, message_id, now
            )
        elif isinstance(event, FeedbackGiven):
            answer_id = answer_ids.get(event.question_id)
            await _insert_feedback(conn, conversation, event, answer_id, now)
    await _schedule_expiry(conn, conversation.id, outcome.state, now)


async def _update_state(
    conn: aiosqlite.Connection, conversation_id: str, outcome: Outcome, now: datetime
) -> None:
    state = outcome.state
    finished = any(isinstance(e, Finished) for e in outcome.events)
    replied = any(isinstance(e, AnswerRecorded) for e in outcome.events)
    await conn.execute(
        "UPDATE conversations SET state = ?, status = ?, step = ?, updated_at = ?,"
        " ended_at = CASE WHEN ? THEN ? ELSE ended_at END,"
        " first_reply_at = CASE WHEN ? AND first_reply_at IS NULL THEN ? ELSE first_reply_at END"
        " WHERE id = ?",
        (
            json.dumps(state.to_dict(), ensure_ascii=False),
            state.status.value,
            state.step,
            ts(now),
            finished,
            ts(now),
            replied,
            ts(now),
            conversation_id,
        ),
    )


async def _insert_answer(
    conn: aiosqlite.Connection,
    conversation: Conversation,
    event: AnswerRecorded | ReplyNotUnderstood,
    message_id: int | None,
    now: datetime,
) -> int:
    state = conversation.state
    value_num: float | None = None
    value_text: str | None = None
    comment: str | None = None
    problem: str | None = None
    if isinstance(event, AnswerRecorded):
        comment = event.comment
        if isinstance(event.value, int):
            value_num = float(event.value)
        else:
            value_text = event.value
    else:
        problem = event.problem
    cur = await conn.execute(
        "INSERT INTO answers (conversation_id, message_id, flow_id, flow_version, question_id,"
        " kind, value_num, value_text, raw_text, comment, problem, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            conversation.id,
            message_id,
            state.flow_id,
            state.flow_version,
            event.question_id,
            event.kind.value,
            value_num,
            value_text,
            event.raw,
            comment,
            problem,
            ts(now),
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def _insert_feedback(
    conn: aiosqlite.Connection,
    conversation: Conversation,
    event: FeedbackGiven,
    answer_id: int | None,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO feedback (conversation_id, answer_id, flow_id, question_id, unit, service,"
        " language, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            conversation.id,
            answer_id,
            conversation.state.flow_id,
            event.question_id,
            conversation.unit,
            conversation.service,
            conversation.state.language,
            event.text,
            ts(now),
        ),
    )


async def _schedule_expiry(
    conn: aiosqlite.Connection, conversation_id: str, state: State, now: datetime
) -> None:
    """One open expiry timer per conversation, at its current step."""
    await conn.execute(
        "UPDATE timers SET done_at = ? WHERE conversation_id = ? AND done_at IS NULL"
        " AND kind = 'expire' AND step < ?",
        (ts(now), conversation_id, state.step),
    )
    if state.active and state.expires_at is not None:
        await conn.execute(
            "INSERT INTO timers (conversation_id, kind, step, due_at) VALUES (?, 'expire', ?, ?)",
            (conversation_id, state.step, ts(state.expires_at)),
        )


async def schedule_reminder(
    conn: aiosqlite.Connection, conversation_id: str, step: int, due_at: datetime
) -> None:
    """A reminder timer, unless the conversation ever had one (at most one reminder)."""
    await conn.execute(
        "INSERT INTO timers (conversation_id, kind, step, due_at)"
        " SELECT ?, 'remind', ?, ? WHERE NOT EXISTS"
        " (SELECT 1 FROM timers WHERE conversation_id = ? AND kind = 'remind')",
        (conversation_id, step, ts(due_at), conversation_id),
    )


async def cancel_queued(conn: aiosqlite.Connection, conversation_id: str, now: datetime) -> int:
    """A conversation ended early: what it still had queued is not sent."""
    cur = await conn.execute(
        "UPDATE messages SET status = 'cancelled', updated_at = ?"
        " WHERE conversation_id = ? AND direction = 'out' AND status = 'queued'",
        (ts(now), conversation_id),
    )
    return cur.rowcount


async def record_opt_out(conn: aiosqlite.Connection, respondent: str, now: datetime) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO opt_outs (respondent, created_at) VALUES (?, ?)",
        (respondent, ts(now)),
    )


async def is_opted_out(conn: aiosqlite.Connection, respondent: str) -> bool:
    sql = "SELECT 1 FROM opt_outs WHERE respondent = ?"
    async with conn.execute(sql, (respondent,)) as cur:
        return await cur.fetchone() is not None


class SqliteConversations(Repository):
    """The `Conversations` port (smsbot.storage.ports) on SQLite."""
