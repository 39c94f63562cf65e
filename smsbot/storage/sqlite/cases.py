"""The follow-up cases repository of the SQLite store (see smsbot.storage.ports.Cases)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime

from smsbot.storage.cases import Case, CaseAnswer, CaseFigures, CaseNote, CaseQuery, NewCase
from smsbot.storage.sqlite.db import from_ts, ts
from smsbot.storage.sqlite.repository import Repository

__all__ = ["SqliteCases"]

_COLUMNS = (
    "id, conversation_id, flow_id, rule_id, unit, service, respondent, consent, phone, state,"
    " taken_by, taken_by_id, outcome, opened_at, due_at, first_contact_at, closed_at"
)
_ORDER = "ORDER BY state = 'closed', due_at, id"
_CONTACT_OUTCOMES = "('reached_resolved', 'reached_not_resolved', 'not_reached')"


class SqliteCases(Repository):
    """The `Cases` port (smsbot.storage.ports) on SQLite."""

    async def open(self, new: NewCase) -> Case | None:
        sql = (
            "INSERT INTO cases (conversation_id, flow_id, rule_id, unit, service, respondent,"
            " consent, phone, state, opened_at, due_at, updated_at)"
            " SELECT ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?"
            " WHERE NOT EXISTS (SELECT 1 FROM conversations WHERE id = ? AND trial = 1)"
            " ON CONFLICT (conversation_id) DO NOTHING"  # a trial opens no case
        )
        phone = new.phone if new.consent else None
        opened = ts(new.opened_at)
        args = (
            new.conversation_id, new.flow_id, new.rule_id, new.unit, new.service, new.respondent,
            int(new.consent), phone, opened, ts(new.due_at), opened, new.conversation_id,
        )  # fmt: skip
        cur = await self.conn.execute(sql, args)
        if cur.rowcount != 1 or cur.lastrowid is None:
            return None
        return await self.get(cur.lastrowid)

    async def get(self, case_id: int) -> Case | None:
        sql = f"SELECT {_COLUMNS} FROM cases WHERE id = ?"
        async with self.conn.execute(sql, (case_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else _case(row)

    async def find(self, query: CaseQuery) -> list[Case]:
        where: list[str] = ["1 = 1"]
        args: list[object] = []
        if query.units is not None:
            where.append(f"unit IN ({', '.join('?' * len(query.units))})")
            args.extend(query.units)
        if not query.closed:
            where.append("state != 'closed'")
        sql = f"SELECT {_COLUMNS} FROM cases WHERE {' AND '.join(where)} {_ORDER} LIMIT ?"
        async with self.conn.execute(sql, (*args, query.limit)) as cur:
            return [_case(row) for row in await cur.fetchall()]

    async def take(self, case_id: int, who: str, person_id: int | None, now: datetime) -> bool:
        sql = (
            "UPDATE cases SET state = 'taken', taken_by = ?, taken_by_id = ?, updated_at = ?"
            " WHERE id = ? AND state != 'closed'"
        )
        cur = await self.conn.execute(sql, (who, person_id, ts(now), case_id))
        if cur.rowcount != 1:
            return False
        await self._log(case_id, who, person_id, "take", "", now)
        return True

    async def note(
        self, case_id: int, who: str, person_id: int | None, text: str, *, call: bool, now: datetime
    ) -> bool:
        first = "COALESCE(first_contact_at, ?)" if call else "first_contact_at"
        sql = f"UPDATE cases SET first_contact_at = {first}, updated_at = ? WHERE id = ?"
        args = (ts(now), ts(now), case_id) if call else (ts(now), case_id)
        cur = await self.conn.execute(sql, args)
        if cur.rowcount != 1:
            return False
        await self._log(case_id, who, person_id, "call" if call else "note", text, now)
        return True

    async def close(
        self, case_id: int, outcome: str, who: str, person_id: int | None, now: datetime
    ) -> bool:
        sql = (
            "UPDATE cases SET state = 'closed', outcome = ?, closed_at = ?, updated_at = ?,"
            f" first_contact_at = CASE WHEN ? IN {_CONTACT_OUTCOMES}"
            " THEN COALESCE(first_contact_at, ?) ELSE first_contact_at END"
            " WHERE id = ? AND state != 'closed'"
        )
        at = ts(now)
        cur = await self.conn.execute(sql, (outcome, at, at, outcome, at, case_id))
        if cur.rowcount != 1:
            return False
        await self._log(case_id, who, person_id, "close", outcome, now)
        return True

    async def notes(self, case_id: int) -> list[CaseNote]:
        sql = "SELECT at, who, action, text FROM case_notes WHERE case_id = ? ORDER BY id"
        async with self.conn.execute(sql, (case_id,)) as cur:
            return [CaseNote(from_ts(r[0]), r[1], r[2], r[3]) for r in await cur.fetchall()]

    async def answers(self, case_id: int) -> list[CaseAnswer]:
        sql = (
            "SELECT a.question_id, COALESCE(a.value_text, CAST(a.value_num AS INTEGER))"
            " FROM answers a JOIN cases c ON c.conversation_id = a.conversation_id"
            " WHERE c.id = ? AND a.problem IS NULL ORDER BY a.id"
        )
        async with self.conn.execute(sql, (case_id,)) as cur:
            return [CaseAnswer(str(r[0]), str(r[1])) for r in await cur.fetchall()]

    async def figures(
        self, since: datetime, until: datetime, flow: str | None = None
    ) -> list[CaseFigures]:
        sql = (
            "SELECT unit, state, outcome, opened_at, due_at, first_contact_at, closed_at"
            " FROM cases WHERE opened_at >= ? AND opened_at < ? AND (? IS NULL OR flow_id = ?)"
            " ORDER BY unit"
        )
        by_unit: dict[str | None, list[Sequence[object]]] = {}
        async with self.conn.execute(sql, (ts(since), ts(until), flow, flow)) as cur:
            async for row in cur:
                by_unit.setdefault(row[0], []).append(tuple(row))
        return [_figures(unit, rows) for unit, rows in by_unit.items()]

    async def _log(
        self, case_id: int, who: str, person_id: int | None, action: str, text: str, now: datetime
    ) -> None:
        sql = (
            "INSERT INTO case_notes (case_id, at, who, person_id, action, text)"
            " VALUES (?, ?, ?, ?, ?, ?)"
        )
        await self.conn.execute(sql, (case_id, ts(now), who, person_id, action, text))


def _case(row: Sequence[object]) -> Case:
    def when(value: object) -> datetime | None:
        return None if value is None else from_ts(str(value))

    opened, due = when(row[13]), when(row[14])
    assert opened is not None and due is not None
    return Case(
        id=int(str(row[0])),
        conversation_id=str(row[1]),
        flow_id=str(row[2]),
        rule_id=str(row[3]),
        unit=None if row[4] is None else str(row[4]),
        service=None if row[5] is None else str(row[5]),
        respondent=None if row[6] is None else str(row[6]),
        consent=bool(row[7]),
        phone=None if row[8] is None else str(row[8]),
        state=str(row[9]),
        taken_by=None if row[10] is None else str(row[10]),
        taken_by_id=None if row[11] is None else int(str(row[11])),
        outcome=None if row[12] is None else str(row[12]),
        opened_at=opened,
        due_at=due,
        first_contact_at=when(row[15]),
        closed_at=when(row[16]),
    )


def _figures(unit: str | None, rows: list[Sequence[object]]) -> CaseFigures:
    outcomes: dict[str, int] = {}
    waits: list[float] = []
    in_time = closed = 0
    for _unit, state, outcome, opened, due, contact, closed_at in rows:
        if state == "closed":
            closed += 1
            outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + 1
            in_time += str(closed_at) <= str(due)
        if contact is not None:
            waits.append((from_ts(str(contact)) - from_ts(str(opened))).total_seconds())
    return CaseFigures(
        unit=unit,
        opened=len(rows),
        closed=closed,
        closed_in_time=in_time,
        contacted=len(waits),
        contact_seconds_median=statistics.median(waits) if waits else None,
        outcomes=outcomes,
    )
