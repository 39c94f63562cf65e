"""The results repositories of the SQLite store (see smsbot.storage.ports).

Every figure is aggregated by SQLite (GROUP BY, window functions, correlated look-ups through
the existing indexes); the caller only turns the few rows per group into figures, so no answer
or message row is ever loaded into Python. Queries start from the conversations in scope
(`conversations c CROSS JOIN messages/answers`), so a period or unit filter reads only those
conversations' messages and answers. Exports stream on a connection of their own
(`Database.stream`), in chunks. No query selects a phone number.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import aiosqlite

from smsbot.storage.figures import (
    BANDS,
    AnswerProfile,
    Cell,
    ConversationCounts,
    CrossQuestions,
    DriverQuestions,
    EventCounts,
    ExportScope,
    FirstReplies,
    HourCounts,
    HourSums,
    Key,
    Moments,
    ReportFilter,
    SmsCost,
    iso,
)
from smsbot.storage.sqlite import aggregate_reads as agg
from smsbot.storage.sqlite.agg_profiles import PROFILES_REBUILD, PROFILES_TABLES
from smsbot.storage.sqlite.aggregates import REBUILD, TABLES
from smsbot.storage.sqlite.db import ts
from smsbot.storage.sqlite.repository import Repository

__all__ = ["Scope", "SqliteExports", "SqliteResults", "scope_of"]

_COLUMNS = {
    "unit": "unit",
    "service": "service",
    "channel": "channel",
    "flow": "flow_id",
    "language": "language",
}
_ENDED_UNFINISHED = "('expired', 'opted_out', 'undeliverable')"

ALL_REBUILD = REBUILD + PROFILES_REBUILD


@dataclass(frozen=True)
class Scope:
    """A filter as SQL over one table alias: the group key, extra WHERE terms, parameters."""

    key: str
    where: str
    params: dict[str, object]


def scope_of(f: ReportFilter, alias: str, time_column: str) -> Scope:
    """`f` over `alias`, a conversations or events table (both have the columns filtered on).

    Trials are left out unless `include_trials`; `since` is inclusive, `until` exclusive;
    `attributes` match the text of `json_extract(attributes, '$.name')` (35 matches "35")."""
    terms: list[str] = [] if f.include_trials else [f"{alias}.trial = 0"]
    params: dict[str, object] = {}
    for name, value in (("flow", f.flow), ("unit", f.unit), ("service", f.service)):
        if value is not None:
            terms.append(f"{alias}.{_COLUMNS[name]} = :{name}")
            params[name] = value
    if f.channel is not None:
        terms.append(f"{alias}.channel = :channel")
        params["channel"] = f.channel
    for op, name, moment in ((">=", "since", f.since), ("<", "until", f.until)):
        if moment is not None:
            terms.append(f"{alias}.{time_column} {op} :{name}")
            params[name] = iso(moment)
    for i, (name, value) in enumerate(sorted(f.attributes.items())):
        terms.append(f"CAST(json_extract({alias}.attributes, :attr_path{i}) AS TEXT) = :attr{i}")
        params[f"attr_path{i}"], params[f"attr{i}"] = _json_path(name), value
    key = "NULL"
    if f.group_by in _COLUMNS:
        key = f"{alias}.{_COLUMNS[f.group_by]}"
    elif f.group_by is not None:
        key = f"CAST(json_extract({alias}.attributes, :group_path) AS TEXT)"
        params["group_path"] = _json_path(f.group_by.removeprefix("attributes."))
    return Scope(key, "".join(f" AND {term}" for term in terms), params)


def _json_path(name: str) -> str:
    return f'$."{name}"'  # names are checked against figures.NAME: no quote can get in


def _surveys(f: ReportFilter) -> Scope:
    return scope_of(f, "c", "created_at")


class SqliteResults(Repository):
    """The `Results` port (smsbot.storage.ports) on SQLite."""

    async def _rows(self, sql: str, params: Mapping[str, object]) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    # --- names ---------------------------------------------------------------------------

    async def is_known(self, what: str, name: str) -> bool:
        column = _COLUMNS[what]
        sql = f"""SELECT EXISTS (SELECT 1 FROM conversations WHERE {column} = :v)
            OR EXISTS (SELECT 1 FROM events WHERE {column} = :v)"""
        [row] = await self._rows(sql, {"v": name})
        return bool(row[0])

    async def known_names(self, what: str) -> set[str]:
        column = _COLUMNS[what]
        sql = f"""SELECT {column} FROM conversations WHERE {column} IS NOT NULL
            UNION SELECT {column} FROM events WHERE {column} IS NOT NULL"""
        return {str(row[0]) for row in await self._rows(sql, {})}

    async def surveyed_names(self, what: str) -> list[str]:
        column = _COLUMNS[what]
        sql = f"SELECT DISTINCT {column} AS v FROM conversations WHERE {column} IS NOT NULL"
        return sorted(str(row["v"]) for row in await self._rows(sql, {}))

    async def rebuild_aggregates(self) -> dict[str, int]:
        for statement in filter(None, (part.strip() for part in ALL_REBUILD.split(";"))):
            await self.conn.execute(statement)
        counts = {}
        for table in TABLES + PROFILES_TABLES:
            [row] = await self._rows(f"SELECT COUNT(*) FROM {table}", {})
            counts[table] = int(row[0])
        return counts

    # --- funnel --------------------------------------------------------------------------

    async def _fast(
        self, f: ReportFilter, width: int, sql_of: Callable[[str, str], str]
    ) -> list[aiosqlite.Row] | None:
        """The aggregates' rows for `f` (see aggregate_reads), or None: read the raw rows."""
        found = agg.scope(f, width)
        if found is None:
            return None
        key, where, params = found
        return await self._rows(sql_of(key, where), params)

    async def conversation_counts(self, f: ReportFilter) -> dict[Key, ConversationCounts]:
        rows = await self._fast(f, agg.HOUR, agg.surveys_sql)
        if rows is None:
            scope = _surveys(f)
            sql = f"""
            SELECT {scope.key} AS k, COUNT(*) AS started,
                SUM(c.first_reply_at IS NOT NULL) AS answered,
                SUM(c.status = 'completed') AS completed,
                SUM(c.status = 'opted_out') AS opted_out,
                SUM(c.status = 'undeliverable') AS undeliverable,
                SUM(c.status = 'expired') AS expired,
                SUM(c.status = 'active') AS active
            FROM conversations c WHERE 1 = 1 {scope.where} GROUP BY k"""
            rows = await self._rows(sql, scope.params)
        return {
            row["k"]: ConversationCounts(
                *(int(row[name]) for name in ConversationCounts.__dataclass_fields__)
            )
            for row in rows
        }

    async def delivered(self, f: ReportFilter) -> dict[Key, int]:
        rows = await self._fast(f, agg.HOUR, agg.delivered_sql)
        if rows is None:
            scope = _surveys(f)
            sql = f"""
            SELECT {scope.key} AS k, COUNT(*) AS n FROM conversations c
            WHERE EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
                AND m.direction = 'out' AND m.purpose = 'opening' AND m.status = 'delivered')
                {scope.where}
            GROUP BY k"""
            rows = await self._rows(sql, scope.params)
        return {row["k"]: int(row["n"]) for row in rows}

    async def event_counts(self, f: ReportFilter) -> dict[Key, EventCounts]:
        rows = await self._fast(f, agg.HOUR, agg.events_sql)
        if rows is None:
            scope = scope_of(f, "e", "received_at")
            sql = f"""
            SELECT {scope.key} AS k, COUNT(*) AS received,
                SUM(e.decision = 'started') AS started,
                SUM(e.decision = 'scheduled') AS scheduled,
                SUM(e.decision = 'skipped') AS skipped
            FROM events e WHERE 1 = 1 {scope.where} GROUP BY k"""
            rows = await self._rows(sql, scope.params)
        return {
            row["k"]: EventCounts(
                int(row["received"]),
                int(row["started"]),
                int(row["scheduled"]),
                int(row["skipped"]),
            )
            for row in rows
        }

    async def skipped_by_reason(self, f: ReportFilter) -> dict[Key, dict[str, int]]:
        rows = await self._fast(f, agg.HOUR, agg.skipped_sql)
        if rows is None:
            scope = scope_of(f, "e", "received_at")
            sql = f"""
            SELECT {scope.key} AS k, COALESCE(e.reason, 'unknown') AS reason, COUNT(*) AS n
            FROM events e WHERE e.decision = 'skipped' {scope.where}
            GROUP BY k, reason ORDER BY reason"""
            rows = await self._rows(sql, scope.params)
        reasons: dict[Key, dict[str, int]] = defaultdict(dict)
        for row in rows:
            reasons[row["k"]][row["reason"]] = int(row["n"])
        return reasons

    # --- per question --------------------------------------------------------------------

    async def answer_counts(self, f: ReportFilter) -> dict[Cell, Counter[object]]:
        rows = await self._fast(f, agg.DAY, agg.answer_counts_sql)
        if rows is None:
            scope = _surveys(f)
            sql = f"""
            SELECT {scope.key} AS k, a.flow_id AS flow_id, a.question_id AS question_id,
                CASE a.kind WHEN 'scale' THEN CAST(a.value_num AS INTEGER)
                    WHEN 'text' THEN NULL ELSE a.value_text END AS v,
                COUNT(*) AS n
            FROM conversations c CROSS JOIN answers a ON a.conversation_id = c.id
            WHERE a.problem IS NULL {scope.where}
            GROUP BY k, a.flow_id, a.question_id, v"""
            rows = await self._rows(sql, scope.params)
        found: dict[Cell, Counter[object]] = defaultdict(Counter)
        for row in rows:
            found[(row["k"], row["flow_id"], row["question_id"])][row["v"]] += int(row["n"])
        return found

    async def dropoff(self, f: ReportFilter) -> dict[Cell, tuple[int, int]]:
        asked_rows = await self._fast(f, agg.DAY, agg.asked_sql)
        dropped_rows = await self._fast(f, agg.DAY, agg.dropped_sql)
        if asked_rows is not None and dropped_rows is not None:
            asked, dropped = _by_cell(asked_rows), _by_cell(dropped_rows)
            return {cell: (n, dropped.get(cell, 0)) for cell, n in asked.items()}
        scope = _surveys(f)
        asked_sql = f"""
        SELECT {scope.key} AS k, c.flow_id AS flow_id, m.question_id AS question_id,
            COUNT(DISTINCT m.conversation_id) AS n
        FROM conversations c CROSS JOIN messages m ON m.conversation_id = c.id
        WHERE {_ASKED} {scope.where}
        GROUP BY k, c.flow_id, m.question_id"""
        dropped_sql = f"""
        WITH last AS MATERIALIZED (
            SELECT {scope.key} AS k, c.flow_id AS flow_id, c.id AS cid,
                (SELECT m.question_id FROM messages m WHERE m.conversation_id = c.id
                    AND {_ASKED} ORDER BY m.id DESC LIMIT 1) AS question_id
            FROM conversations c WHERE c.status IN {_ENDED_UNFINISHED} {scope.where}
        )
        SELECT k, flow_id, question_id, COUNT(*) AS n FROM last
        WHERE question_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM answers x
            WHERE x.conversation_id = last.cid AND x.question_id = last.question_id
                AND x.problem IS NULL)
        GROUP BY k, flow_id, question_id"""
        dropped = _by_cell(await self._rows(dropped_sql, scope.params))
        asked = _by_cell(await self._rows(asked_sql, scope.params))
        return {cell: (n, dropped.get(cell, 0)) for cell, n in asked.items()}

    # --- time to first answer ------------------------------------------------------------

    async def first_replies(self, f: ReportFilter) -> dict[Key, FirstReplies]:
        rows = await self._fast(f, agg.DAY, agg.delays_sql)
        if rows is not None:
            return _ranked_replies(rows)
        scope = _surveys(f)
        sql = f"""
        WITH d AS (
            SELECT {scope.key} AS k,
                ROUND((julianday(c.first_reply_at) - julianday(c.created_at)) * 86400.0, 3)
                    AS s
            FROM conversations c WHERE c.first_reply_at IS NOT NULL {scope.where}
        ), r AS (
            SELECT k, s, ROW_NUMBER() OVER w AS rn, COUNT(*) OVER p AS n,
                SUM(s <= 3600) OVER p AS hour, SUM(s <= 86400) OVER p AS day
            FROM d WINDOW p AS (PARTITION BY k), w AS (PARTITION BY k ORDER BY s)
        )
        SELECT k, rn, s, n, hour, day FROM r
        WHERE rn IN ((n + 1) / 2, (n + 2) / 2, (9 * n + 9) / 10)"""
        picked: dict[Key, list[aiosqlite.Row]] = defaultdict(list)
        for row in await self._rows(sql, scope.params):
            picked[row["k"]].append(row)
        return {key: _first_replies(rows) for key, rows in picked.items()}

    # --- what drives satisfaction --------------------------------------------------------

    async def satisfaction_by_resolved(
        self, f: ReportFilter, asked: DriverQuestions
    ) -> dict[Key, dict[str | None, tuple[int, float]]]:
        fast = await self._fast_by_resolved(f, asked)
        if fast is not None:
            return fast
        scope = _surveys(f)
        sql = f"""
        SELECT {scope.key} AS k,
            (SELECT r.value_text FROM answers r WHERE r.conversation_id = s.conversation_id
                AND r.question_id = :res AND r.problem IS NULL ORDER BY r.id DESC LIMIT 1)
                AS resolved,
            COUNT(*) AS n, SUM(s.value_num) AS total
        {_SATISFACTION} {scope.where}
        GROUP BY k, resolved"""
        found: dict[Key, dict[str | None, tuple[int, float]]] = defaultdict(dict)
        for row in await self._rows(sql, _driver_params(scope, asked)):
            found[row["k"]][row["resolved"]] = (int(row["n"]), float(row["total"]))
        return found

    async def _fast_by_resolved(
        self, f: ReportFilter, asked: DriverQuestions
    ) -> dict[Key, dict[str | None, tuple[int, float]]] | None:
        """satisfaction_by_resolved from agg_profile_scales (the resolved question's latest
        answer is in the profile: a yes/no question's text), or None: read the raw rows."""
        found = agg.scope(f, agg.DAY)
        if found is None or f.flow is None or await self._free_text([asked.resolved or ""]):
            return None
        key, where, params = found
        sql = f"""SELECT {key} AS k, json_extract(g.latest, :res_path) AS resolved,
                SUM(g.numbers) AS n, SUM(g.total) AS total
            FROM agg_profile_scales g WHERE g.answer_flow = :flow AND g.question_id = :sat
                {where}
            GROUP BY k, resolved HAVING SUM(g.numbers) > 0"""
        res_path = _json_path(asked.resolved) if asked.resolved else None
        rows = await self._rows(sql, {**params, "sat": asked.satisfaction, "res_path": res_path})
        by_key: dict[Key, dict[str | None, tuple[int, float]]] = defaultdict(dict)
        for row in rows:
            by_key[row["k"]][row["resolved"]] = (int(row["n"]), float(row["total"]))
        return by_key

    async def _free_text(self, question_ids: Sequence[str]) -> bool:
        """Whether one of the questions ever had an understood free-text answer."""
        asked = {f"t{i}": question_id for i, question_id in enumerate(question_ids)}
        marks = ", ".join(f":{name}" for name in asked)
        sql = f"SELECT 1 FROM agg_text_questions WHERE question_id IN ({marks}) LIMIT 1"
        return bool(await self._rows(sql, asked))

    async def satisfaction_by_band(
        self, f: ReportFilter, asked: DriverQuestions
    ) -> dict[Key, dict[int, Moments]]:
        scope = _surveys(f)
        cases = " ".join(
            f"WHEN x <= {bound} THEN {i}" for i, (_, bound) in enumerate(BANDS) if bound is not None
        )
        sql = f"""
        WITH {_pairs(scope)},
            q AS (SELECT * FROM p WHERE x IS NOT NULL),
            m AS (SELECT k, AVG(x) AS mx, AVG(y) AS my,
                MIN(x) = MAX(x) OR MIN(y) = MAX(y) AS flat FROM q GROUP BY k)
        SELECT q.k AS k, CASE {cases} ELSE {len(BANDS) - 1} END AS band,
            COUNT(*) AS n, SUM(y) AS total, SUM((x - mx) * (y - my)) AS sxy,
            SUM((x - mx) * (x - mx)) AS sxx, SUM((y - my) * (y - my)) AS syy, MAX(flat) AS flat
        FROM q JOIN m ON m.k IS q.k GROUP BY q.k, band"""
        found: dict[Key, dict[int, Moments]] = defaultdict(dict)
        for row in await self._rows(sql, _driver_params(scope, asked)):
            found[row["k"]][int(row["band"])] = Moments(
                n=int(row["n"]),
                total=float(row["total"]),
                sxy=float(row["sxy"]),
                sxx=float(row["sxx"]),
                syy=float(row["syy"]),
                flat=bool(row["flat"]),
            )
        return found

    # --- cost ----------------------------------------------------------------------------

    async def sms_cost(self, f: ReportFilter) -> dict[Key, list[SmsCost]]:
        rows = await self._fast(f, agg.DAY, agg.cost_sql)
        if rows is None:
            scope = _surveys(f)
            sql = f"""
            SELECT {scope.key} AS k, m.currency AS currency, COUNT(*) AS sms,
                COALESCE(SUM(m.segments), 0) AS segments, SUM(m.price) AS price,
                SUM(m.price IS NULL) AS unpriced
            FROM conversations c CROSS JOIN messages m ON m.conversation_id = c.id
            WHERE m.direction = 'out' AND m.status IN ('sent', 'delivered') {scope.where}
            GROUP BY k, currency"""
            rows = await self._rows(sql, scope.params)
        found: dict[Key, list[SmsCost]] = defaultdict(list)
        for row in rows:
            price = None if row["price"] is None else float(row["price"])
            found[row["k"]].append(
                SmsCost(
                    row["currency"],
                    int(row["sms"]),
                    int(row["segments"]),
                    price,
                    int(row["unpriced"]),
                )
            )
        return found

    # --- over time (UTC hours; the caller adds them up into local days) ------------------

    async def surveys_per_hour(self, f: ReportFilter) -> list[HourCounts]:
        rows = await self._fast(f, agg.HOUR, lambda _, where: agg.surveys_per_hour_sql(where))
        if rows is None:
            scope = _surveys(f)
            sql = f"""SELECT substr(c.created_at, 1, 13) AS hour, COUNT(*) AS sent,
                    SUM(c.first_reply_at IS NOT NULL) AS answered,
                    SUM(c.status = 'completed') AS completed
                FROM conversations c WHERE 1 = 1 {scope.where} GROUP BY hour"""
            rows = await self._rows(sql, scope.params)
        return [
            HourCounts(row["hour"], int(row["sent"]), int(row["answered"]), int(row["completed"]))
            for row in rows
        ]

    async def satisfaction_per_hour(
        self, f: ReportFilter, flow_id: str, question_id: str
    ) -> list[HourSums]:
        found = agg.scope(f, agg.HOUR)
        if found is not None:
            _, where, params = found
            params = {**params, "sat_flow": flow_id, "sat": question_id}
            rows = await self._rows(agg.scales_per_hour_sql(where), params)
            return [HourSums(row["hour"], int(row["n"]), float(row["total"])) for row in rows]
        scope = _surveys(f)
        sql = f"""SELECT substr(c.created_at, 1, 13) AS hour, COUNT(*) AS n,
                SUM(s.value_num) AS total
            FROM conversations c CROSS JOIN answers s ON s.conversation_id = c.id
            WHERE s.flow_id = :sat_flow AND s.question_id = :sat AND s.problem IS NULL
                AND s.value_num IS NOT NULL {scope.where}
            GROUP BY hour"""
        params = {**scope.params, "sat_flow": flow_id, "sat": question_id}
        return [
            HourSums(row["hour"], int(row["n"]), float(row["total"]))
            for row in await self._rows(sql, params)
        ]

    # --- cross-tabulation and avoidable demand --------------------------------------------

    async def crosstab(
        self, f: ReportFilter, asked: CrossQuestions
    ) -> dict[Key, dict[str | None, Counter[object]]]:
        scope = _surveys(f)
        params = {**scope.params, "x_flow": asked.flow, "x_q": asked.question}
        if asked.by_question:
            by = f"({_latest_answer('x_by', text=True)})"
            params["x_by"] = asked.by
        elif asked.by in _COLUMNS:
            by = f"c.{_COLUMNS[asked.by]}"
        else:
            by = "CAST(json_extract(c.attributes, :x_by) AS TEXT)"
            params["x_by"] = _json_path(asked.by.removeprefix("attributes."))
        sql = f"""
        SELECT {scope.key} AS k, {by} AS b,
            CASE a.kind WHEN 'scale' THEN CAST(a.value_num AS INTEGER) ELSE a.value_text END AS v,
            COUNT(*) AS n
        FROM conversations c CROSS JOIN answers a ON a.conversation_id = c.id
        WHERE a.flow_id = :x_flow AND a.question_id = :x_q AND a.problem IS NULL
            AND a.kind != 'text' {scope.where}
        GROUP BY k, b, v"""
        found: dict[Key, dict[str | None, Counter[object]]] = defaultdict(dict)
        for row in await self._rows(sql, params):
            cells = found[row["k"]]
            cells.setdefault(row["b"], Counter())[row["v"]] += int(row["n"])
        return found

    async def answer_profiles(
        self, f: ReportFilter, flow_id: str, question_ids: Sequence[str]
    ) -> list[AnswerProfile]:
        fast = await self._fast_profiles(f, flow_id, question_ids)
        if fast is not None:
            return fast
        scope = _surveys(f)
        params: dict[str, object] = {**scope.params, "p_flow": flow_id}
        values = []
        for i, question_id in enumerate(question_ids):
            params[f"p_q{i}"] = question_id
            values.append(f"({_latest_answer(f'p_q{i}', text=False)}) AS v{i}")
        names = ", ".join(f"v{i}" for i in range(len(question_ids)))
        sql = f"""
        SELECT {scope.key} AS k, substr(c.created_at, 1, 10) AS day, {", ".join(values)},
            COUNT(*) AS n
        FROM conversations c WHERE c.flow_id = :p_flow {scope.where}
        GROUP BY k, day, {names}"""
        return [
            AnswerProfile(
                row["k"],
                row["day"],
                tuple(row[f"v{i}"] for i in range(len(question_ids))),
                int(row["n"]),
            )
            for row in await self._rows(sql, params)
        ]

    async def _fast_profiles(
        self, f: ReportFilter, flow_id: str, question_ids: Sequence[str]
    ) -> list[AnswerProfile] | None:
        """answer_profiles from agg_profiles, or None: the filter or a free-text question
        needs the raw rows."""
        found = agg.scope(f, agg.DAY)
        if found is None or not question_ids:
            return None
        if await self._free_text(question_ids):
            return None
        key, where, params = found
        paths = {f"p_path{i}": _json_path(q) for i, q in enumerate(question_ids)}
        values = ", ".join(
            f"json_extract(g.latest, :p_path{i}) AS v{i}" for i in range(len(question_ids))
        )
        names = ", ".join(f"v{i}" for i in range(len(question_ids)))
        sql = f"""SELECT {key} AS k, g.period AS day, {values}, SUM(g.n) AS n
            FROM agg_profiles g WHERE g.flow_id = :p_flow {where}
            GROUP BY k, day, {names} HAVING SUM(g.n) > 0"""
        rows = await self._rows(sql, {**params, **paths, "p_flow": flow_id})
        return [
            AnswerProfile(
                row["k"],
                row["day"],
                tuple(row[f"v{i}"] for i in range(len(question_ids))),
                int(row["n"]),
            )
            for row in rows
        ]


def _latest_answer(param: str, *, text: bool) -> str:
    """A correlated look-up of conversation c's latest understood answer to question :param:
    a scale's value as a number (`text`: as whole-number text), the others' text."""
    scale = "CAST(CAST(b.value_num AS INTEGER) AS TEXT)" if text else "b.value_num"
    return f"""SELECT CASE b.kind WHEN 'scale' THEN {scale} ELSE b.value_text END
        FROM answers b WHERE b.conversation_id = c.id AND b.question_id = :{param}
            AND b.problem IS NULL ORDER BY b.id DESC LIMIT 1"""


_ASKED = """m.direction = 'out' AND m.purpose = 'question' AND m.question_id IS NOT NULL
    AND m.status != 'cancelled'"""

_SATISFACTION = """
    FROM answers s JOIN conversations c ON c.id = s.conversation_id
    WHERE s.flow_id = :flow AND s.question_id = :sat AND s.problem IS NULL
        AND s.value_num IS NOT NULL"""


def _by_cell(rows: list[aiosqlite.Row]) -> dict[Cell, int]:
    return {(row["k"], row["flow_id"], row["question_id"]): int(row["n"]) for row in rows}


def _first_replies(rows: list[aiosqlite.Row]) -> FirstReplies:
    first = rows[0]
    at = {int(row["rn"]): float(row["s"]) for row in rows}
    return FirstReplies(int(first["n"]), at, int(first["hour"]), int(first["day"]))


def _ranked_replies(rows: list[aiosqlite.Row]) -> dict[Key, FirstReplies]:
    """first_replies from agg_delays' rows: each delay stands at the ranks low..high."""
    found: dict[Key, FirstReplies] = {}
    for row in rows:
        n = int(row["n"])
        known = found.get(row["k"]) or FirstReplies(n, {}, int(row["hour"]), int(row["day"]))
        ranks = {(n + 1) // 2, (n + 2) // 2, (9 * n + 9) // 10}
        at = dict(known.seconds_at)
        at.update({rank: float(row["s"]) for rank in ranks if row["low"] <= rank <= row["high"]})
        found[row["k"]] = replace(known, seconds_at=at)
    return found


def _driver_params(scope: Scope, asked: DriverQuestions) -> dict[str, object]:
    """The scope's parameters (its flow is the flow asked about) and the questions'."""
    return {
        **scope.params,
        "sat": asked.satisfaction,
        "res": asked.resolved or "",
        "attr_name": _json_path(asked.attribute),
    }


def _pairs(scope: Scope) -> str:
    """CTEs raw and p: per satisfaction answer its group key k, the attribute x (a number >= 0,
    as a JSON number or as digits; else NULL) and the satisfaction y."""
    return f"""
        raw AS MATERIALIZED (SELECT {scope.key} AS k, json_extract(c.attributes, :attr_name) AS v,
            s.value_num AS y {_SATISFACTION} {scope.where}),
        p AS (SELECT k, y, CASE
            WHEN typeof(v) IN ('integer', 'real') AND v >= 0 THEN v
            WHEN typeof(v) = 'text' AND v GLOB '[0-9]*' AND v NOT GLOB '*[^0-9.]*'
                AND v NOT GLOB '*.*.*' THEN CAST(v AS REAL)
            END AS x FROM raw)"""


# --- exports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Export:
    sql: str  # SELECT <columns>{trial} FROM ... conversations c ... {where}: filled in by _query
    created: str  # the column `since` compares with
    flow: str  # the column `flow` compares with


_CONVERSATION_TIMES = "c.created_at AS conversation_created_at, c.first_reply_at, c.ended_at"

_ANSWERS = _Export(
    sql=(
        "SELECT a.id, a.created_at, a.flow_id, a.flow_version, a.question_id, a.kind,"
        " COALESCE(a.value_num, a.value_text), a.raw_text, a.comment, a.problem, c.unit,"
        " c.service, c.channel, c.language, c.attributes, c.respondent, c.journey_id,"
        f" c.journey_step, c.id, {_CONVERSATION_TIMES}{{trial}}"
        " FROM answers a JOIN conversations c ON c.id = a.conversation_id"
        " {where} ORDER BY a.id"
    ),
    created="a.created_at",
    flow="a.flow_id",
)
_FEEDBACK = _Export(
    sql=(
        "SELECT f.id, f.created_at, f.flow_id, c.flow_version, f.question_id, f.unit,"
        " f.service, c.channel, f.language, f.text,"
        " (SELECT group_concat(tag, ' ') FROM (SELECT tag FROM feedback_tags"
        "   WHERE feedback_id = f.id AND state = 'confirmed' ORDER BY tag)),"
        " (SELECT group_concat(tag, ' ') FROM (SELECT tag FROM feedback_tags"
        "   WHERE feedback_id = f.id AND state = 'suggested' ORDER BY tag)),"
        " c.respondent, c.journey_id, c.journey_step, c.id{trial}"
        " FROM feedback f JOIN conversations c ON c.id = f.conversation_id"
        " {where} ORDER BY f.id"
    ),
    created="f.created_at",
    flow="f.flow_id",
)
_CONVERSATIONS = _Export(
    sql=(
        "SELECT c.id, c.flow_id, c.flow_version, c.respondent, c.language, c.status, c.step,"
        " c.unit, c.service, c.channel, c.attributes, c.journey_id, c.journey_step,"
        " (SELECT COUNT(*) FROM answers a"
        "   WHERE a.conversation_id = c.id AND a.problem IS NULL),"
        " c.created_at, c.first_reply_at, c.ended_at{trial}"
        " FROM conversations c {where} ORDER BY c.created_at, c.id"
    ),
    created="c.created_at",
    flow="c.flow_id",
)


def _query(spec: _Export, scope: ExportScope) -> tuple[str, list[object]]:
    where: list[str] = [] if scope.include_trials else ["c.trial = 0"]
    args: list[object] = []
    if scope.flow is not None:
        where.append(f"{spec.flow} = ?")
        args.append(scope.flow)
    if scope.since is not None:
        where.append(f"{spec.created} >= ?")
        args.append(ts(scope.since))
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    trial = ", c.trial" if scope.include_trials else ""
    return spec.sql.replace("{where}", clause).replace("{trial}", trial), args


Chunks = AsyncIterator[list[tuple[Any, ...]]]


class SqliteExports(Repository):
    """The `Exports` port (smsbot.storage.ports) on SQLite: each export one long read on a
    connection of its own (`Database.stream`), in chunks, in constant memory."""

    def answers(self, scope: ExportScope, *, chunk: int) -> Chunks:
        return self._stream(_ANSWERS, scope, chunk)

    def feedback(self, scope: ExportScope, *, chunk: int) -> Chunks:
        return self._stream(_FEEDBACK, scope, chunk)

    def conversations(self, scope: ExportScope, *, chunk: int) -> Chunks:
        return self._stream(_CONVERSATIONS, scope, chunk)

    def _stream(self, spec: _Export, scope: ExportScope, chunk: int) -> Chunks:
        sql, args = _query(spec, scope)

        def rows(conn: sqlite3.Connection) -> Iterator[tuple[Any, ...]]:
            return (tuple(row) for row in conn.execute(sql, args))

        return self.db.stream(rows, chunk=chunk)
