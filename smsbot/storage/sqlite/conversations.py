"""The `Conversations` port on SQLite: conversations, their state and answers, opt-outs and
flow versions. Callers own the unit of work."""

from __future__ import annotations

import json
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
from smsbot.storage.ports import PRIORITY_REPLY, Conversation, NewConversation
from smsbot.storage.sqlite.db import Database, from_ts, ts
from smsbot.storage.sqlite.outbox import PENDING_FOR_PHONE, SqliteOutbox
from smsbot.storage.sqlite.repository import Repository

__all__ = ["SqliteConversations"]

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


# The person's active conversation, and in the same read whether their number has a message
# waiting or in flight (the outbox's choice between sending a reply at once and queueing it).
_FIND_ACTIVE = (
    f"SELECT {_CONVERSATION_COLUMNS}, {PENDING_FOR_PHONE} AS pending FROM conversations"
    " WHERE phone = ? AND status = 'active' ORDER BY sender = ? DESC, created_at DESC LIMIT 1"
)


class SqliteConversations(Repository):
    """The `Conversations` port (smsbot.storage.ports) on SQLite."""

    __slots__ = ("outbox",)

    def __init__(self, conn: aiosqlite.Connection, db: Database, outbox: SqliteOutbox) -> None:
        super().__init__(conn, db)
        self.outbox = outbox  # the unit's: messages of an outcome queue as its other ones do

    async def save_flow_version(self, flow: Flow, now: datetime) -> None:
        definition = json.dumps(flow.source, sort_keys=True, ensure_ascii=False)
        await self.conn.execute(
            "INSERT OR IGNORE INTO flow_versions (flow_id, version, definition, first_seen)"
            " VALUES (?, ?, ?, ?)",
            (flow.id, flow.version, definition, ts(now)),
        )

    async def flow_definition(self, flow_id: str, version: str) -> object | None:
        sql = "SELECT definition FROM flow_versions WHERE flow_id = ? AND version = ?"
        async with self.conn.execute(sql, (flow_id, version)) as cur:
            row = await cur.fetchone()
        return None if row is None else json.loads(row[0])

    async def create(self, new: NewConversation, state: State, now: datetime) -> None:
        await self.conn.execute(
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

    async def find_active(self, phone: str, sender: str) -> Conversation | None:
        """The person's active conversation on this sender number, else on any of ours."""
        async with self.conn.execute(_FIND_ACTIVE, (phone, phone, sender)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        self.outbox.pending_was_read(phone, bool(row["pending"]))  # for the reply, if any
        return _conversation(row)

    async def get(self, conversation_id: str) -> Conversation | None:
        sql = f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?"
        async with self.conn.execute(sql, (conversation_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else _conversation(row)

    async def apply_outcome(
        self,
        conversation: Conversation,
        outcome: Outcome,
        *,
        now: datetime,
        message_id: int | None = None,
        priority: int = PRIORITY_REPLY,
        due_at: datetime | None = None,
    ) -> None:
        """Store the new state and everything the engine said happened, in the caller's unit."""
        await _update_state(self.conn, conversation.id, outcome, now)
        outbox = self.outbox
        answer_ids: dict[str, int] = {}
        for event in outcome.events:
            if isinstance(event, Send) and conversation.phone is not None:
                await outbox.queue(
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
                    self.conn, conversation, event, message_id, now
                )
            elif isinstance(event, FeedbackGiven):
                answer_id = answer_ids.get(event.question_id)
                language = outcome.state.language  # after a switch: the new one
                await _insert_feedback(self.conn, conversation, event, answer_id, language, now)
        await _schedule_expiry(self.conn, conversation.id, outcome.state, now)

    async def schedule_reminder(self, conversation_id: str, step: int, due_at: datetime) -> None:
        """A reminder timer, unless the conversation ever had one (at most one reminder)."""
        await self.conn.execute(
            "INSERT INTO timers (conversation_id, kind, step, due_at)"
            " SELECT ?, 'remind', ?, ? WHERE NOT EXISTS"
            " (SELECT 1 FROM timers WHERE conversation_id = ? AND kind = 'remind')",
            (conversation_id, step, ts(due_at), conversation_id),
        )

    async def cancel_queued(self, conversation_id: str, now: datetime) -> int:
        """A conversation ended early: what it still had queued is not sent."""
        cur = await self.conn.execute(
            "UPDATE messages SET status = 'cancelled', updated_at = ?"
            " WHERE conversation_id = ? AND direction = 'out' AND status = 'queued'",
            (ts(now), conversation_id),
        )
        return cur.rowcount

    async def record_opt_out(self, respondent: str, now: datetime) -> None:
        await self.conn.execute(
            "INSERT OR IGNORE INTO opt_outs (respondent, created_at) VALUES (?, ?)",
            (respondent, ts(now)),
        )

    async def is_opted_out(self, respondent: str) -> bool:
        sql = "SELECT 1 FROM opt_outs WHERE respondent = ?"
        async with self.conn.execute(sql, (respondent,)) as cur:
            return await cur.fetchone() is not None

    async def last_surveyed_at(self, respondent: str) -> datetime | None:
        """When the person's last real survey started (trials do not count towards fatigue)."""
        sql = "SELECT MAX(created_at) FROM conversations WHERE respondent = ? AND trial = 0"
        async with self.conn.execute(sql, (respondent,)) as cur:
            row = await cur.fetchone()
        return from_ts(row[0]) if row and row[0] else None

    async def count_by_status(self) -> dict[str, int]:
        sql = "SELECT status, COUNT(*) FROM conversations GROUP BY status"
        async with self.conn.execute(sql) as cur:
            return {row[0]: row[1] for row in await cur.fetchall()}

    async def reachable(self) -> bool:
        async with self.conn.execute("SELECT 1") as cur:
            return await cur.fetchone() is not None


async def _update_state(
    conn: aiosqlite.Connection, conversation_id: str, outcome: Outcome, now: datetime
) -> None:
    state = outcome.state
    finished = any(isinstance(e, Finished) for e in outcome.events)
    replied = any(isinstance(e, AnswerRecorded) for e in outcome.events)
    await conn.execute(
        "UPDATE conversations SET state = ?, language = ?, status = ?, step = ?, updated_at = ?,"
        " ended_at = CASE WHEN ? THEN ? ELSE ended_at END,"
        " first_reply_at = CASE WHEN ? AND first_reply_at IS NULL THEN ? ELSE first_reply_at END"
        " WHERE id = ?",
        (
            json.dumps(state.to_dict(), ensure_ascii=False),
            state.language,  # changes once at most: the citizen's language (LanguageSwitched)
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
    language: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO feedback (conversation_id, answer_id, flow_id, question_id, unit, service,"
        " language, text, created_at, reply_language, language_confidence)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            conversation.id,
            answer_id,
            conversation.state.flow_id,
            event.question_id,
            conversation.unit,
            conversation.service,
            language,
            event.text,
            ts(now),
            event.language,
            event.confidence,
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
