"""The journeys repository of the SQLite store (`Journeys` in smsbot.storage.ports).

Four aggregate queries per journey type over the conversations whose (journey step, flow) is one
of the type's steps and whose journey id starts with the type's prefix: per step, one range on
the index `conversations_journey` (journey_step, journey_id, ...), which covers the counts
without a filter on service, channel or attributes. The report filter narrows them as it
narrows every report (`scope_of`). No query selects a phone number or a journey id.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

import aiosqlite

from smsbot.storage.figures import ReportFilter
from smsbot.storage.journeys import JourneyCounts, JourneyQuery
from smsbot.storage.sqlite.repository import Repository
from smsbot.storage.sqlite.results import scope_of

__all__ = ["SqliteJourneys", "prefix_range"]


def prefix_range(prefix: str) -> tuple[str, str]:
    """The ids starting with `prefix` as a half-open range [low, high) in binary order."""
    if not prefix:
        raise ValueError("an empty prefix")
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _steps_sql(query: JourneyQuery) -> tuple[str, dict[str, object]]:
    """A `steps(pos, step, flow_id, question_id)` table of the query's steps, and its params."""
    rows: list[str] = []
    params: dict[str, object] = {}
    for pos, (step, flow, question) in enumerate(query.steps):
        rows.append(f"({pos}, :step{pos}, :flow{pos}, :question{pos})")
        params |= {f"step{pos}": step, f"flow{pos}": flow, f"question{pos}": question}
    low, high = prefix_range(query.id_prefix)
    params |= {"j_low": low, "j_high": high}
    return f"steps(pos, step, flow_id, question_id) AS (VALUES {', '.join(rows)})", params


class SqliteJourneys(Repository):
    """The `Journeys` port on SQLite."""

    async def _rows(self, sql: str, params: Mapping[str, object]) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def journey_counts(self, f: ReportFilter, query: JourneyQuery) -> JourneyCounts:
        if not query.steps:
            return JourneyCounts(0, {}, {}, {})
        steps, params = _steps_sql(query)
        scope = scope_of(f, "c", "created_at")
        params |= scope.params
        source = f"""
            FROM steps s CROSS JOIN conversations c
                ON c.journey_step = s.step AND c.flow_id = s.flow_id
            WHERE c.journey_id >= :j_low AND c.journey_id < :j_high {scope.where}"""
        by_unit = f"""WITH {steps}
            SELECT s.pos AS pos, c.unit AS unit, COUNT(*) AS surveys,
                SUM(c.first_reply_at IS NOT NULL) AS answered {source}
            GROUP BY s.pos, c.unit"""
        reached = f"""WITH {steps}
            SELECT s.pos AS pos, COUNT(DISTINCT c.journey_id) AS n {source} GROUP BY s.pos"""
        everyone = f"WITH {steps} SELECT COUNT(DISTINCT c.journey_id) AS n {source}"
        scores = f"""WITH {steps}
            SELECT s.pos AS pos, c.unit AS unit, CAST(a.value_num AS INTEGER) AS v, COUNT(*) AS n
            FROM steps s CROSS JOIN conversations c
                ON c.journey_step = s.step AND c.flow_id = s.flow_id
            CROSS JOIN answers a ON a.conversation_id = c.id
            WHERE c.journey_id >= :j_low AND c.journey_id < :j_high {scope.where}
                AND c.first_reply_at IS NOT NULL  -- no reply, no answer: no look-up
                AND a.question_id = s.question_id AND a.problem IS NULL
                AND a.kind = 'scale' AND a.value_num IS NOT NULL
            GROUP BY s.pos, c.unit, v"""
        found: dict[tuple[int, str | None], Counter[int]] = defaultdict(Counter)
        for row in await self._rows(scores, params):
            found[(int(row["pos"]), row["unit"])][int(row["v"])] += int(row["n"])
        [total] = await self._rows(everyone, params)
        return JourneyCounts(
            journeys=int(total["n"]),
            reached={int(r["pos"]): int(r["n"]) for r in await self._rows(reached, params)},
            surveys={
                (int(r["pos"]), r["unit"]): (int(r["surveys"]), int(r["answered"]))
                for r in await self._rows(by_unit, params)
            },
            scores=dict(found),
        )
