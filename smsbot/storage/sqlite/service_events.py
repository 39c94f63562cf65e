"""The `ServiceEvents` port on SQLite: service events received, decided and scheduled."""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from smsbot.domain import ServiceEvent
from smsbot.storage.ports import StoredEvent
from smsbot.storage.sqlite.db import from_ts, ts
from smsbot.storage.sqlite.repository import Repository

__all__ = ["SqliteServiceEvents"]


class SqliteServiceEvents(Repository):
    """The `ServiceEvents` port (smsbot.storage.ports) on SQLite."""

    async def answer_for(self, source: str, source_id: str) -> dict[str, object] | None:
        sql = "SELECT answer FROM events WHERE source = ? AND source_id = ?"
        async with self.conn.execute(sql, (source, source_id)) as cur:
            row = await cur.fetchone()
        return None if row is None else dict(json.loads(row[0]))

    async def record(
        self,
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
        cur = await self.conn.execute(
            "INSERT INTO events (source, source_id, type, occurred_at, received_at, phone,"
            " respondent, unit, service, channel, language, attributes, journey_id, journey_step,"
            " flow_id, decision, reason, conversation_id, due_at, answer, trial)"
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

    async def due_scheduled(self, now: datetime, limit: int) -> list[StoredEvent]:
        sql = (
            "SELECT * FROM events WHERE decision = 'scheduled' AND due_at <= ?"
            " ORDER BY due_at, id LIMIT ?"
        )
        async with self.conn.execute(sql, (ts(now), limit)) as cur:
            rows = await cur.fetchall()
        return [StoredEvent(row["id"], _event(row), row["flow_id"]) for row in rows]

    async def settle(
        self,
        event_id: int,
        *,
        decision: str,
        reason: str,
        conversation_id: str | None,
        due_at: datetime | None,
    ) -> None:
        """A scheduled event's final decision (its stored answer stays what the source was told)."""
        await self.conn.execute(
            "UPDATE events SET decision = ?, reason = ?, conversation_id = ?, due_at = ?"
            " WHERE id = ?",
            (decision, reason, conversation_id, ts(due_at) if due_at else None, event_id),
        )


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
