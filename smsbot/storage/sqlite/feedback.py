"""The feedback repositories of the SQLite store (see smsbot.storage.ports)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from smsbot.storage.ports import FeedbackFilter, FeedbackItem, FeedbackText, TagState, TagTotal
from smsbot.storage.sqlite.db import ts
from smsbot.storage.sqlite.repository import Repository

__all__ = ["SqliteFeedback"]

_FEEDBACK_COLUMNS = (
    "f.id, f.flow_id, f.question_id, f.unit, f.service, f.language, f.text, f.created_at,"
    " f.reply_language, f.language_confidence"
)
_PEOPLE_DECIDED = (
    "EXISTS (SELECT 1 FROM feedback_tags d WHERE d.feedback_id = f.id"
    " AND d.state IN ('confirmed', 'rejected'))"
)
_HAS_TAG = (
    "EXISTS (SELECT 1 FROM feedback_tags t WHERE t.feedback_id = f.id AND t.tag = ?"
    " AND t.state != 'rejected')"
)
_SEEN_KEY = "tag_rules_seen_through"  # meta: the rules' digest, the last feedback id they saw


class SqliteFeedback(Repository):
    """The `FeedbackReview` port (smsbot.storage.ports) on SQLite."""

    async def find(self, wanted: FeedbackFilter) -> list[FeedbackItem]:
        where, args = _where(wanted)
        sql = (
            f"SELECT {_FEEDBACK_COLUMNS} FROM feedback f WHERE {' AND '.join(where)}"
            " ORDER BY f.created_at DESC, f.id DESC LIMIT ? OFFSET ?"
        )
        async with self.conn.execute(sql, (*args, wanted.limit, wanted.offset)) as cur:
            rows = list(await cur.fetchall())
        tags = await self._tag_rows([int(r[0]) for r in rows])
        return [_item(row, tags.get(int(row[0]), ())) for row in rows]

    async def get(self, feedback_id: int) -> FeedbackItem | None:
        sql = f"SELECT {_FEEDBACK_COLUMNS} FROM feedback f WHERE f.id = ?"
        async with self.conn.execute(sql, (feedback_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        tags = await self._tag_rows([feedback_id])
        return _item(row, tags.get(feedback_id, ()))

    async def units(self) -> list[str]:
        sql = "SELECT DISTINCT unit FROM feedback WHERE unit IS NOT NULL ORDER BY unit"
        async with self.conn.execute(sql) as cur:
            return [str(r[0]) for r in await cur.fetchall()]

    async def _tag_rows(self, feedback_ids: Sequence[int]) -> dict[int, list[TagState]]:
        if not feedback_ids:
            return {}
        marks = ", ".join("?" * len(feedback_ids))
        sql = (
            "SELECT feedback_id, tag, state, changed_by, changed_at FROM feedback_tags"
            f" WHERE feedback_id IN ({marks}) ORDER BY feedback_id, tag"
        )
        found: dict[int, list[TagState]] = {}
        async with self.conn.execute(sql, tuple(feedback_ids)) as cur:
            async for fid, tag_id, state, by, at in cur:
                found.setdefault(int(fid), []).append(TagState(tag_id, state, by, at))
        return found

    async def tag_states(self, feedback_id: int) -> dict[str, str] | None:
        async with self.conn.execute("SELECT 1 FROM feedback WHERE id = ?", (feedback_id,)) as cur:
            if await cur.fetchone() is None:
                return None
        sql = "SELECT tag, state FROM feedback_tags WHERE feedback_id = ?"
        async with self.conn.execute(sql, (feedback_id,)) as cur:
            return {str(r[0]): str(r[1]) for r in await cur.fetchall()}

    async def set_tag(
        self, feedback_id: int, tag: str, state: str, *, by: str, at: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO feedback_tags (feedback_id, tag, state, changed_by, changed_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (feedback_id, tag) DO UPDATE SET"
            " state = excluded.state, changed_by = excluded.changed_by,"
            " changed_at = excluded.changed_at",
            (feedback_id, tag, state, by, ts(at)),
        )

    async def add_suggestion(self, feedback_id: int, tag: str, *, by: str, at: datetime) -> bool:
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO feedback_tags (feedback_id, tag, state, changed_by, changed_at)"
            " VALUES (?, ?, 'suggested', ?, ?)",
            (feedback_id, tag, by, ts(at)),
        )
        return cur.rowcount == 1

    async def record_change(
        self, feedback_id: int, tag: str, action: str, *, by: str, at: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO tag_changes (feedback_id, tag, action, changed_by, changed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (feedback_id, tag, action, by, ts(at)),
        )

    async def without_tags(self, after_id: int, limit: int) -> list[FeedbackText]:
        sql = (
            "SELECT f.id, f.language, f.text, f.reply_language, f.language_confidence"
            " FROM feedback f WHERE f.id > ? AND NOT EXISTS"
            " (SELECT 1 FROM feedback_tags t WHERE t.feedback_id = f.id) ORDER BY f.id LIMIT ?"
        )
        async with self.conn.execute(sql, (after_id, limit)) as cur:
            rows = list(await cur.fetchall())
        return [
            FeedbackText(int(i), str(lang), str(text), _opt_str(reply), _opt_float(sure))
            for i, lang, text, reply, sure in rows
        ]

    async def last_id(self) -> int:
        async with self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM feedback") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def rules_seen_through(self, rules_digest: str) -> int:
        async with self.conn.execute("SELECT value FROM meta WHERE key = ?", (_SEEN_KEY,)) as cur:
            row = await cur.fetchone()
        seen = json.loads(row[0]) if row else {}
        return int(seen["feedback_id"]) if seen.get("rules") == rules_digest else 0

    async def save_rules_seen(self, rules_digest: str, feedback_id: int) -> None:
        await self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (_SEEN_KEY, json.dumps({"rules": rules_digest, "feedback_id": feedback_id})),
        )

    async def tag_totals(self, unit: str | None) -> list[TagTotal]:
        sql = (
            "SELECT f.unit, t.tag, SUM(t.state = 'confirmed'), SUM(t.state = 'suggested')"
            " FROM feedback_tags t JOIN feedback f ON f.id = t.feedback_id"
            " WHERE t.state IN ('confirmed', 'suggested')"
            + (" AND f.unit = ?" if unit is not None else "")
            + " GROUP BY f.unit, t.tag"
        )
        async with self.conn.execute(sql, () if unit is None else (unit,)) as cur:
            rows = list(await cur.fetchall())
        return [TagTotal(u, str(t), int(c), int(s)) for u, t, c, s in rows]

    async def examples(self, tag: str, unit: str | None, limit: int) -> tuple[str, ...]:
        sql = (
            "SELECT f.text FROM feedback_tags t JOIN feedback f ON f.id = t.feedback_id"
            " WHERE t.tag = ? AND t.state IN ('confirmed', 'suggested')"
            + (" AND f.unit = ?" if unit is not None else "")
            + " ORDER BY t.state = 'confirmed' DESC, f.created_at DESC, f.id DESC LIMIT ?"
        )
        args: tuple[object, ...] = (tag, unit, limit) if unit is not None else (tag, limit)
        async with self.conn.execute(sql, args) as cur:
            return tuple(str(r[0]) for r in await cur.fetchall())


def _where(wanted: FeedbackFilter) -> tuple[list[str], list[object]]:
    where: list[str] = ["1"]
    args: list[object] = []
    if wanted.untagged:
        where.append(f"NOT {_PEOPLE_DECIDED}")
    if wanted.unit is not None:
        where.append("f.unit = ?")
        args.append(wanted.unit)
    if wanted.tag is not None:
        where.append(_HAS_TAG)
        args.append(wanted.tag)
    return where, args


def _item(row: Sequence[object], tags: Sequence[TagState]) -> FeedbackItem:
    fid, flow, question, unit, service, language, text, created, reply, sure = row
    return FeedbackItem(
        id=int(str(fid)),
        flow=str(flow),
        question=str(question),
        unit=None if unit is None else str(unit),
        service=None if service is None else str(service),
        language=str(language),
        text=str(text),
        created_at=str(created),
        tags=tuple(tags),
        reply_language=_opt_str(reply),
        language_confidence=_opt_float(sure),
    )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: object) -> float | None:
    return None if value is None else float(str(value))
