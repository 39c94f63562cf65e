"""Survey reports: funnel, per question, time to first answer, what drives satisfaction, cost.

Every figure is aggregated by SQLite (GROUP BY, window functions, correlated look-ups through
the existing indexes); Python only turns the few aggregated rows per group into figures, so no
answer or message row is ever loaded into Python. Queries start from the conversations in scope
(`conversations c CROSS JOIN messages/answers`), so a period or unit filter reads only those
conversations' messages and answers.

Scope (`ReportFilter`): trials (conversations and events marked `trial`: `smsbot chat`, the
web phone simulator, events posted with "trial": true) are left out unless `include_trials`.
Conversation figures use `conversations.created_at`, event figures
(`funnel`'s events_*) use `events.received_at`; `since` is inclusive, `until` exclusive; unit,
service, channel, flow and `attributes` (exact text match on `json_extract(attributes,
'$.name')`; a JSON number 35 matches "35") narrow both. `group_by` splits every section into
groups: "unit", "service", "channel", "flow", "language" or "attributes.<name>". Without it
there is one group, key None.

Small groups are suppressed: a group, or a cell inside a group, whose n is below `min_group`
(config `[privacy] min_group_size`) has `suppressed: True` and empty figures. What n counts:

    funnel     surveys sent (conversations started) in the group
    questions  group: surveys sent; question cell: understood answers to that question;
               drop-off cell: conversations that were asked that question
    timing     conversations with at least one reply (first_reply_at set)
    drivers    group: understood answers to the satisfaction question; resolved cell (yes/no)
               and wait band cell: those answers in it; correlation cell: (wait, satisfaction)
               pairs
    cost       surveys sent (conversations started) in the group

Percentages are in percent, rounded to 1 decimal; means to 2 decimals. No query selects a
phone number.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import aiosqlite

from smsbot.engine.model import Flow, Kind, Question
from smsbot.suggest import did_you_mean

__all__ = [
    "BANDS",
    "GROUP_BY",
    "SECTIONS",
    "Group",
    "ReportFilter",
    "ReportFilterError",
    "Scope",
    "check_names",
    "cost",
    "csat_pct",
    "drivers",
    "fetch_rows",
    "flows_in_scope",
    "full_report",
    "funnel",
    "mean_of",
    "median_of",
    "nearest_rank",
    "nps",
    "parse_attribute",
    "parse_flag",
    "parse_moment",
    "questions",
    "satisfaction_question",
    "scope_of",
    "timing",
]

SECTIONS = ("funnel", "questions", "timing", "drivers", "cost")
GROUP_BY = ("unit", "service", "channel", "flow", "language", "attributes.<name>")
_COLUMNS = {
    "unit": "unit",
    "service": "service",
    "channel": "channel",
    "flow": "flow_id",
    "language": "language",
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

# Wait bands for `drivers`: (label, upper bound in seconds, inclusive; None = no bound).
BANDS: tuple[tuple[str, float | None], ...] = (
    ("0-60s", 60),
    ("1-3min", 180),
    ("3-5min", 300),
    ("5-10min", 600),
    (">10min", None),
)
_ENDED_UNFINISHED = "('expired', 'opted_out', 'undeliverable')"


class ReportFilterError(ValueError):
    """A filter that cannot be used (unknown group_by, bad attribute name, since >= until, a
    flow, unit or service that nothing has)."""


# --- the filter ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    flow: str | None = None
    since: datetime | None = None  # naive = UTC
    until: datetime | None = None
    unit: str | None = None
    service: str | None = None
    channel: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    group_by: str | None = None
    include_trials: bool = False  # trials are left out of every figure unless asked for

    def __post_init__(self) -> None:
        if self.group_by is not None and self.group_by not in _COLUMNS:
            name = self.group_by.removeprefix("attributes.")
            if not self.group_by.startswith("attributes.") or not _NAME.fullmatch(name):
                raise ReportFilterError(
                    f"group_by: expected one of {', '.join(GROUP_BY)}, got {self.group_by!r}"
                )
        for name in self.attributes:
            if not _NAME.fullmatch(name):
                raise ReportFilterError(f"attribute name {name!r}: expected letters, digits, _")
        since, until = _utc(self.since), _utc(self.until)
        if since is not None and until is not None and since >= until:
            raise ReportFilterError("since must be before until")

    def to_dict(self) -> dict[str, object]:
        return {
            "flow": self.flow,
            "since": _iso(self.since),
            "until": _iso(self.until),
            "unit": self.unit,
            "service": self.service,
            "channel": self.channel,
            "attributes": dict(self.attributes),
            "group_by": self.group_by,
            "include_trials": self.include_trials,
        }


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    utc = _utc(moment)
    return None if utc is None else utc.isoformat(timespec="milliseconds")


def parse_moment(text: str, tz: tzinfo = UTC, *, end: bool = False) -> datetime:
    """A date (2026-11-01) or a date and time (2026-11-01T08:00, with or without offset).

    Without an offset the time is in `tz`. A bare date is that day's start, or with `end` the
    next day's start, so `until=2026-11-30` includes the whole 30th (until is exclusive).
    """
    cleaned = text.strip()
    try:
        if len(cleaned) == 10:
            day = date.fromisoformat(cleaned)
            start = datetime(day.year, day.month, day.day, tzinfo=tz)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ReportFilterError(
            f"expected a date (2026-11-01) or a time (2026-11-01T08:00), got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def parse_flag(name: str, text: str) -> bool:
    """ "true" or "false" (any case) -> bool; a query parameter such as include_trials."""
    word = text.strip().lower()
    if word not in ("true", "false"):
        raise ReportFilterError(f"{name}: expected true or false, got {text!r}")
    return word == "true"


def parse_attribute(text: str) -> tuple[str, str]:
    """ "age_group=65+" -> ("age_group", "65+")."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not _NAME.fullmatch(name):
        raise ReportFilterError(f"expected an attribute as name=value, got {text!r}")
    return name, value.strip()


@dataclass(frozen=True)
class Scope:
    """A filter as SQL over one table alias: the group key, extra WHERE terms, parameters."""

    key: str
    where: str
    params: dict[str, object]


def scope_of(f: ReportFilter, alias: str, time_column: str) -> Scope:
    """`f` over `alias`, a conversations or events table (both have the columns filtered on)."""
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
            params[name] = _iso(moment)
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
    return f'$."{name}"'  # name is checked against _NAME: no quote can get in


# --- names in the filter -----------------------------------------------------------------------

_KNOWN_SHOWN = 10  # names listed when none is close to the unknown one


async def check_names(
    conn: aiosqlite.Connection, f: ReportFilter, flows: Mapping[str, Flow]
) -> None:
    """Refuse a flow, unit or service in `f` that no flow file and no stored survey or event
    has (ReportFilterError naming the closest known name). A known name with nothing in the
    period or the other filters is no error: its report is empty."""
    for what, value in (("flow", f.flow), ("unit", f.unit), ("service", f.service)):
        if value is None or (what == "flow" and value in flows):
            continue
        column = _COLUMNS[what]
        if not await _stored(conn, column, value):
            known = await _stored_names(conn, column) | (set(flows) if what == "flow" else set())
            raise ReportFilterError(f"unknown {what} {value!r}{_hint(what, value, known)}")


def _hint(what: str, value: str, known: set[str]) -> str:
    suggestion = did_you_mean(value, known)
    if suggestion or not known:
        return suggestion or f" (no survey or event has a {what} yet)"
    names = sorted(known)
    more = ", ..." if len(names) > _KNOWN_SHOWN else ""
    return f" (known: {', '.join(names[:_KNOWN_SHOWN])}{more})"


async def _stored(conn: aiosqlite.Connection, column: str, value: str) -> bool:
    sql = f"""SELECT EXISTS (SELECT 1 FROM conversations WHERE {column} = :v)
        OR EXISTS (SELECT 1 FROM events WHERE {column} = :v)"""
    [row] = await fetch_rows(conn, sql, {"v": value})
    return bool(row[0])


async def _stored_names(conn: aiosqlite.Connection, column: str) -> set[str]:
    sql = f"""SELECT {column} FROM conversations WHERE {column} IS NOT NULL
        UNION SELECT {column} FROM events WHERE {column} IS NOT NULL"""
    return {str(row[0]) for row in await fetch_rows(conn, sql, {})}


# --- groups and cells ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    key: str | None
    n: int
    suppressed: bool
    figures: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "n": self.n, "suppressed": self.suppressed, **self.figures}


def _group(key: str | None, n: int, min_group: int, figures: dict[str, object]) -> Group:
    suppressed = n < min_group
    return Group(key, n, suppressed, {} if suppressed else figures)


def _cell(
    key: str, n: int, min_group: int, figures: dict[str, object], **about: object
) -> dict[str, object]:
    """A cell inside a group: `about` (what the cell is) stays visible when it is suppressed."""
    suppressed = n < min_group
    return {
        "key": key,
        **about,
        "n": n,
        "suppressed": suppressed,
        "figures": {} if suppressed else figures,
    }


def _sorted_keys(keys: Iterable[str | None]) -> list[str | None]:
    return sorted(set(keys), key=lambda k: (k is None, k or ""))


# --- pure arithmetic --------------------------------------------------------------------------


def _pct(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def mean_of(counts: Mapping[int, int]) -> float | None:
    """The mean of a distribution value -> count, rounded to 2 decimals."""
    n = sum(counts.values())
    return round(sum(v * c for v, c in counts.items()) / n, 2) if n else None


def nearest_rank(n: int, percent: int) -> int:
    """The nearest-rank position (1-based) of a percentile: ceil(percent / 100 * n)."""
    return max(1, -(-percent * n // 100))


def median_of(counts: Mapping[int, int]) -> float | None:
    """The median of a distribution (the mean of the two middle values when n is even)."""
    n = sum(counts.values())
    if not n:
        return None
    low, high = _value_at(counts, (n + 1) // 2), _value_at(counts, (n + 2) // 2)
    return (low + high) / 2


def _value_at(counts: Mapping[int, int], rank: int) -> int:
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise ValueError(rank)


def csat_pct(counts: Mapping[int, int]) -> float | None:
    """CSAT: the share of 4 and 5 answers on a 1-5 scale, in percent."""
    return _pct(sum(c for v, c in counts.items() if v >= 4), sum(counts.values()))


def nps(counts: Mapping[int, int]) -> float | None:
    """NPS: % promoters (9-10) minus % detractors (0-6), rounded to 1 decimal."""
    n = sum(counts.values())
    if not n:
        return None
    promoters = sum(c for v, c in counts.items() if v >= 9)
    detractors = sum(c for v, c in counts.items() if v <= 6)
    return round(100 * (promoters - detractors) / n, 1)


# --- shared queries --------------------------------------------------------------------------


async def fetch_rows(
    conn: aiosqlite.Connection, sql: str, params: Mapping[str, object]
) -> list[aiosqlite.Row]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def _conversation_counts(
    conn: aiosqlite.Connection, scope: Scope
) -> dict[str | None, aiosqlite.Row]:
    sql = f"""
        SELECT {scope.key} AS k, COUNT(*) AS started,
            SUM(c.first_reply_at IS NOT NULL) AS answered,
            SUM(c.status = 'completed') AS completed,
            SUM(c.status = 'opted_out') AS opted_out,
            SUM(c.status = 'undeliverable') AS undeliverable,
            SUM(c.status = 'expired') AS expired,
            SUM(c.status = 'active') AS active
        FROM conversations c WHERE 1 = 1 {scope.where} GROUP BY k"""
    return {row["k"]: row for row in await fetch_rows(conn, sql, scope.params)}


def _keys(f: ReportFilter, *found: Iterable[str | None]) -> list[str | None]:
    """Every group any query found; without group_by always the one group None."""
    keys = [k for keys in found for k in keys]
    return [None] if f.group_by is None else _sorted_keys(keys)


def _started(counts: Mapping[str | None, aiosqlite.Row], key: str | None) -> int:
    row = counts.get(key)
    return int(row["started"]) if row is not None else 0


# --- funnel --------------------------------------------------------------------------------------


async def funnel(conn: aiosqlite.Connection, f: ReportFilter, *, min_group: int) -> list[Group]:
    """From events to completed surveys, per group (n: surveys sent)."""
    scope = scope_of(f, "c", "created_at")
    counts = await _conversation_counts(conn, scope)
    delivered = await _delivered(conn, scope)
    events, reasons = await _events(conn, scope_of(f, "e", "received_at"))
    groups = []
    for key in _keys(f, counts, events):
        row = counts.get(key)
        figures = _event_figures(events.get(key), reasons.get(key, {}))
        if row is not None:
            figures |= _conversation_figures(row, delivered.get(key, 0))
        groups.append(_group(key, _started(counts, key), min_group, figures))
    return groups


async def _delivered(conn: aiosqlite.Connection, scope: Scope) -> dict[str | None, int]:
    sql = f"""
        SELECT {scope.key} AS k, COUNT(*) AS n FROM conversations c
        WHERE EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
            AND m.direction = 'out' AND m.purpose = 'opening' AND m.status = 'delivered')
            {scope.where}
        GROUP BY k"""
    return {row["k"]: int(row["n"]) for row in await fetch_rows(conn, sql, scope.params)}


async def _events(
    conn: aiosqlite.Connection, scope: Scope
) -> tuple[dict[str | None, aiosqlite.Row], dict[str | None, dict[str, int]]]:
    sql = f"""
        SELECT {scope.key} AS k, COUNT(*) AS received,
            SUM(e.decision = 'started') AS started,
            SUM(e.decision = 'scheduled') AS scheduled,
            SUM(e.decision = 'skipped') AS skipped
        FROM events e WHERE 1 = 1 {scope.where} GROUP BY k"""
    events = {row["k"]: row for row in await fetch_rows(conn, sql, scope.params)}
    sql = f"""
        SELECT {scope.key} AS k, COALESCE(e.reason, 'unknown') AS reason, COUNT(*) AS n
        FROM events e WHERE e.decision = 'skipped' {scope.where}
        GROUP BY k, reason ORDER BY reason"""
    reasons: dict[str | None, dict[str, int]] = defaultdict(dict)
    for row in await fetch_rows(conn, sql, scope.params):
        reasons[row["k"]][row["reason"]] = int(row["n"])
    return events, reasons


def _event_figures(row: aiosqlite.Row | None, reasons: dict[str, int]) -> dict[str, object]:
    names = ("received", "started", "scheduled", "skipped")
    figures: dict[str, object] = {
        f"events_{name}": int(row[name]) if row is not None else 0 for name in names
    }
    figures["skipped_by_reason"] = dict(reasons)
    return figures


def _conversation_figures(row: aiosqlite.Row, delivered: int) -> dict[str, object]:
    started = int(row["started"])
    answered, completed = int(row["answered"]), int(row["completed"])
    return {
        "surveys_sent": started,
        "delivered": delivered,
        "delivered_pct": _pct(delivered, started),
        "answered": answered,
        "response_rate_pct": _pct(answered, started),
        "completed": completed,
        "completion_rate_pct": _pct(completed, started),
        "opted_out": int(row["opted_out"]),
        "undeliverable": int(row["undeliverable"]),
        "expired": int(row["expired"]),
        "active": int(row["active"]),
    }


# --- per question ------------------------------------------------------------------------------

_Cell = tuple[str | None, str, str]  # group key, flow id, question id


async def questions(
    conn: aiosqlite.Connection, f: ReportFilter, flows: Mapping[str, Flow], *, min_group: int
) -> list[Group]:
    """Per group (n: surveys sent): one cell per question of the flow(s) in scope, in order
    (n: understood answers), and one drop-off cell per question (n: conversations asked it)."""
    scope = scope_of(f, "c", "created_at")
    counts = await _conversation_counts(conn, scope)
    answers = await _answer_counts(conn, scope)
    asked = await _dropoff(conn, scope)
    in_scope = flows_in_scope(f, flows)
    groups = []
    for key in _keys(f, counts):
        figures: dict[str, object] = {
            "questions": [
                _question_cell(flow, q, answers.get((key, flow.id, q.id), Counter()), min_group)
                for flow, q in _replied(in_scope)
            ],
            "dropoff": [
                _dropoff_cell(flow, q, asked.get((key, flow.id, q.id), (0, 0)), min_group)
                for flow, q in _replied(in_scope)
            ],
        }
        groups.append(_group(key, _started(counts, key), min_group, figures))
    return groups


def flows_in_scope(f: ReportFilter, flows: Mapping[str, Flow]) -> list[Flow]:
    if f.flow is not None:
        return [flows[f.flow]] if f.flow in flows else []
    return [flows[flow_id] for flow_id in sorted(flows)]


def _replied(flows: Sequence[Flow]) -> list[tuple[Flow, Question]]:
    return [(flow, q) for flow in flows for q in flow.questions if q.expects_reply]


async def _answer_counts(conn: aiosqlite.Connection, scope: Scope) -> dict[_Cell, Counter[object]]:
    sql = f"""
        SELECT {scope.key} AS k, a.flow_id AS flow_id, a.question_id AS question_id,
            CASE a.kind WHEN 'scale' THEN CAST(a.value_num AS INTEGER)
                WHEN 'text' THEN NULL ELSE a.value_text END AS v,
            COUNT(*) AS n
        FROM conversations c CROSS JOIN answers a ON a.conversation_id = c.id
        WHERE a.problem IS NULL {scope.where}
        GROUP BY k, a.flow_id, a.question_id, v"""
    found: dict[_Cell, Counter[object]] = defaultdict(Counter)
    for row in await fetch_rows(conn, sql, scope.params):
        found[(row["k"], row["flow_id"], row["question_id"])][row["v"]] += int(row["n"])
    return found


_ASKED = """m.direction = 'out' AND m.purpose = 'question' AND m.question_id IS NOT NULL
    AND m.status != 'cancelled'"""


async def _dropoff(conn: aiosqlite.Connection, scope: Scope) -> dict[_Cell, tuple[int, int]]:
    """Per question: conversations asked it (a question message out, not cancelled), and those
    of them where it was the last question asked, never answered, and the conversation ended
    unfinished (expired, opted out, undeliverable)."""
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
    dropped = _by_cell(await fetch_rows(conn, dropped_sql, scope.params))
    asked = _by_cell(await fetch_rows(conn, asked_sql, scope.params))
    return {cell: (n, dropped.get(cell, 0)) for cell, n in asked.items()}


def _by_cell(rows: Iterable[aiosqlite.Row]) -> dict[_Cell, int]:
    return {(row["k"], row["flow_id"], row["question_id"]): int(row["n"]) for row in rows}


def _question_cell(
    flow: Flow, q: Question, counts: Counter[object], min_group: int
) -> dict[str, object]:
    n = sum(counts.values())
    figures: dict[str, object] = {"answers": n}
    if q.kind is Kind.SCALE:
        figures |= _scale_figures(q, counts)
    elif q.kind is Kind.YESNO:
        figures |= _share_figures(("yes", "no"), counts)
    elif q.kind is Kind.CHOICE:
        figures |= _share_figures(tuple(o.id for o in q.options), counts)
    about = {"flow": flow.id, "question": q.id, "kind": q.kind.value, "preset": q.preset}
    return _cell(f"{flow.id}/{q.id}", n, min_group, figures, **about)


def _scale_figures(q: Question, counts: Counter[object]) -> dict[str, object]:
    values = {int(v): c for v, c in counts.items() if isinstance(v, int)}
    low, high = q.min if q.min is not None else 0, q.max if q.max is not None else 0
    everything = sorted(set(range(low, high + 1)) | set(values))
    figures: dict[str, object] = {
        "distribution": {str(v): values.get(v, 0) for v in everything},
        "mean": mean_of(values),
        "median": median_of(values),
    }
    if q.preset == "csat":
        figures["csat_pct"] = csat_pct(values)
    elif q.preset == "nps":
        n = sum(values.values())
        figures["nps"] = nps(values)
        figures["promoters_pct"] = _pct(sum(c for v, c in values.items() if v >= 9), n)
        figures["detractors_pct"] = _pct(sum(c for v, c in values.items() if v <= 6), n)
    elif q.preset == "ces":
        figures["ces"] = mean_of(values)
    return figures


def _share_figures(order: Sequence[str], counts: Counter[object]) -> dict[str, object]:
    seen = [str(v) for v in counts if v is not None and str(v) not in order]
    distribution = {v: counts.get(v, 0) for v in (*order, *sorted(seen))}
    n = sum(distribution.values())
    return {
        "distribution": distribution,
        "shares_pct": {v: _pct(c, n) for v, c in distribution.items()},
    }


def _dropoff_cell(
    flow: Flow, q: Question, asked_dropped: tuple[int, int], min_group: int
) -> dict[str, object]:
    asked, dropped = asked_dropped
    figures: dict[str, object] = {
        "asked": asked,
        "dropped": dropped,
        "dropoff_pct": _pct(dropped, asked),
    }
    return _cell(f"{flow.id}/{q.id}", asked, min_group, figures, flow=flow.id, question=q.id)


# --- time to first answer ---------------------------------------------------------------------


async def timing(conn: aiosqlite.Connection, f: ReportFilter, *, min_group: int) -> list[Group]:
    """Seconds from the survey's start (conversations.created_at) to the first reply.

    n: conversations with a reply. `median_seconds` is the usual median (the mean of the two
    middle values when n is even); `p90_seconds` is the nearest-rank 90th percentile, the
    ceil(0.9 n)-th smallest delay. `within_1h_pct` / `within_24h_pct`: the share of those
    replies that came at most 3 600 / 86 400 seconds after the start.
    """
    scope = scope_of(f, "c", "created_at")
    counts = await _conversation_counts(conn, scope)
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
    picked: dict[str | None, list[aiosqlite.Row]] = defaultdict(list)
    for row in await fetch_rows(conn, sql, scope.params):
        picked[row["k"]].append(row)
    groups = []
    for key in _keys(f, counts, picked):
        rows = picked.get(key, [])
        n = int(rows[0]["n"]) if rows else 0
        groups.append(_group(key, n, min_group, _timing_figures(rows, n)))
    return groups


def _timing_figures(rows: Sequence[aiosqlite.Row], n: int) -> dict[str, object]:
    if not rows:
        return {"answered": 0}
    at = {int(row["rn"]): float(row["s"]) for row in rows}
    return {
        "answered": n,
        "median_seconds": round((at[(n + 1) // 2] + at[(n + 2) // 2]) / 2, 3),
        "p90_seconds": at[nearest_rank(n, 90)],
        "within_1h_pct": _pct(int(rows[0]["hour"]), n),
        "within_24h_pct": _pct(int(rows[0]["day"]), n),
    }


# --- what drives satisfaction -----------------------------------------------------------------


@dataclass(frozen=True)
class _Driver:
    flow: Flow
    satisfaction: Question
    resolved: Question | None


async def drivers(
    conn: aiosqlite.Connection,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    *,
    satisfaction: str | None = None,
    resolved: str | None = None,
    attribute: str = "wait_seconds",
    min_group: int,
) -> list[Group]:
    """Satisfaction split by resolution (yes/no) and by a numeric event attribute.

    Per flow in scope: the satisfaction question is `satisfaction`, else the flow's csat-preset
    scale, else its first scale (a flow without one is left out); the resolved question is
    `resolved` (a yes/no question), else the one the flow declares `means: resolution`, else
    none: a yes/no question is never taken for resolution unasked. Flows are never pooled (their
    scales differ): without `f.flow` each group key is prefixed with the flow id ("flow" alone
    without group_by, "flow/key" with it).

    n: understood satisfaction answers in the group. `by_resolved` cells (yes, no), `by_band`
    cells (wait bands, see BANDS; the attribute must be a number >= 0, as JSON number or
    digits) and the `correlation` cell (Pearson r between the attribute and satisfaction;
    None with fewer than 3 pairs or no variance) each count their own answers.
    """
    if not _NAME.fullmatch(attribute):
        raise ReportFilterError(f"attribute {attribute!r}: expected letters, digits, _")
    groups = []
    for driver in _drivers_in_scope(f, flows, satisfaction, resolved):
        scoped = replace(f, flow=driver.flow.id)
        prefix = None if f.flow is not None else driver.flow.id
        for group in await _drivers_for(conn, scoped, driver, attribute, min_group):
            groups.append(replace(group, key=_prefixed(prefix, group.key)))
    return groups


def _prefixed(prefix: str | None, key: str | None) -> str | None:
    if prefix is None:
        return key
    return prefix if key is None else f"{prefix}/{key}"


def _drivers_in_scope(
    f: ReportFilter, flows: Mapping[str, Flow], satisfaction: str | None, resolved: str | None
) -> list[_Driver]:
    found = []
    for flow in flows_in_scope(f, flows):
        if satisfaction is not None:
            scale = _named(flow, satisfaction, Kind.SCALE)
        else:
            scale = satisfaction_question(flow)
        split = flow.resolution if resolved is None else _named(flow, resolved, Kind.YESNO)
        if scale is not None:
            found.append(_Driver(flow, scale, split))
    return found


def _named(flow: Flow, question_id: str, kind: Kind) -> Question | None:
    found = next((q for q in flow.questions if q.id == question_id), None)
    return found if found is not None and found.kind is kind else None


def satisfaction_question(flow: Flow) -> Question | None:
    """The question the drivers report explains when none is named: the csat-preset scale,
    else the first scale."""
    scales = [q for q in flow.questions if q.kind is Kind.SCALE]
    preferred = [q for q in scales if q.preset == "csat"] + scales
    return preferred[0] if preferred else None


async def _drivers_for(
    conn: aiosqlite.Connection, f: ReportFilter, driver: _Driver, attribute: str, min_group: int
) -> list[Group]:
    scope = scope_of(f, "c", "created_at")
    params = {
        **scope.params,
        "sat": driver.satisfaction.id,
        "res": driver.resolved.id if driver.resolved else "",
        "attr_name": _json_path(attribute),
    }
    split = await _by_resolved(conn, scope, params)
    bands = await _by_band(conn, scope, params)
    counts = await _conversation_counts(conn, scope)
    groups = []
    for key in _keys(f, counts, split):
        by_answer = split.get(key, {})
        n = sum(count for count, _ in by_answer.values())
        in_bands = bands.get(key, {})
        figures = _driver_figures(driver, attribute, min_group, by_answer, in_bands)
        figures["correlation"] = _correlation_cell(attribute, in_bands, min_group)
        groups.append(_group(key, n, min_group, figures))
    return groups


_SATISFACTION = """
    FROM answers s JOIN conversations c ON c.id = s.conversation_id
    WHERE s.flow_id = :flow AND s.question_id = :sat AND s.problem IS NULL
        AND s.value_num IS NOT NULL"""


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


async def _by_resolved(
    conn: aiosqlite.Connection, scope: Scope, params: Mapping[str, object]
) -> dict[str | None, dict[str | None, tuple[int, float]]]:
    sql = f"""
        SELECT {scope.key} AS k,
            (SELECT r.value_text FROM answers r WHERE r.conversation_id = s.conversation_id
                AND r.question_id = :res AND r.problem IS NULL ORDER BY r.id DESC LIMIT 1)
                AS resolved,
            COUNT(*) AS n, SUM(s.value_num) AS total
        {_SATISFACTION} {scope.where}
        GROUP BY k, resolved"""
    found: dict[str | None, dict[str | None, tuple[int, float]]] = defaultdict(dict)
    for row in await fetch_rows(conn, sql, params):
        found[row["k"]][row["resolved"]] = (int(row["n"]), float(row["total"]))
    return found


@dataclass(frozen=True)
class _Moments:
    """Per group and wait band: n, the satisfaction total, and sums centred on the group's
    means (two passes, so r stays exact for large or offset values)."""

    n: int
    total: float
    sxy: float
    sxx: float
    syy: float
    flat: bool = False  # every x, or every y, of the group is the same value

    def __add__(self, other: _Moments) -> _Moments:
        return _Moments(
            self.n + other.n,
            self.total + other.total,
            self.sxy + other.sxy,
            self.sxx + other.sxx,
            self.syy + other.syy,
            self.flat or other.flat,
        )

    def pearson(self) -> float | None:
        """r; None with fewer than 3 pairs or no variance in either."""
        if self.n < 3 or self.flat or self.sxx <= 0 or self.syy <= 0:
            return None
        r = self.sxy / math.sqrt(self.sxx * self.syy)
        return round(max(-1.0, min(1.0, r)), 4)


async def _by_band(
    conn: aiosqlite.Connection, scope: Scope, params: Mapping[str, object]
) -> dict[str | None, dict[int, _Moments]]:
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
    found: dict[str | None, dict[int, _Moments]] = defaultdict(dict)
    for row in await fetch_rows(conn, sql, params):
        found[row["k"]][int(row["band"])] = _Moments(
            n=int(row["n"]),
            total=float(row["total"]),
            sxy=float(row["sxy"]),
            sxx=float(row["sxx"]),
            syy=float(row["syy"]),
            flat=bool(row["flat"]),
        )
    return found


def _mean(count_total: tuple[int, float] | None) -> float | None:
    if not count_total or not count_total[0]:
        return None
    return round(count_total[1] / count_total[0], 2)


def _driver_figures(
    driver: _Driver,
    attribute: str,
    min_group: int,
    by_answer: Mapping[str | None, tuple[int, float]],
    bands: Mapping[int, _Moments],
) -> dict[str, object]:
    n = sum(count for count, _ in by_answer.values())
    total = sum(value for _, value in by_answer.values())
    q = driver.satisfaction
    resolved = driver.resolved.id if driver.resolved else None
    return {
        "flow": driver.flow.id,
        "satisfaction": q.id,
        "scale": [q.min, q.max],
        "resolved": resolved,
        "attribute": attribute,
        "mean": _mean((n, total)),
        "by_resolved": [
            _mean_cell(answer, by_answer.get(answer), min_group)
            for answer in (("yes", "no") if resolved else ())
        ],
        "by_band": [
            _mean_cell(label, _count_total(bands.get(i)), min_group)
            for i, (label, _) in enumerate(BANDS)
        ],
    }


def _count_total(moments: _Moments | None) -> tuple[int, float] | None:
    return None if moments is None else (moments.n, moments.total)


def _mean_cell(
    key: str, count_total: tuple[int, float] | None, min_group: int
) -> dict[str, object]:
    n = count_total[0] if count_total else 0
    return _cell(key, n, min_group, {"mean": _mean(count_total)})


def _correlation_cell(
    attribute: str, bands: Mapping[int, _Moments], min_group: int
) -> dict[str, object]:
    total = sum(bands.values(), _Moments(0, 0.0, 0.0, 0.0, 0.0))
    return _cell(attribute, total.n, min_group, {"r": total.pearson()})


# --- cost ------------------------------------------------------------------------------------


async def cost(conn: aiosqlite.Connection, f: ReportFilter, *, min_group: int) -> list[Group]:
    """SMS sent for the surveys in scope and their price as the provider reported it.

    n: surveys sent. Counts outbound messages of those conversations whose status is 'sent' or
    'delivered'. `price` and `cost_per_completed` are per currency; `unpriced_sms` is how many
    had no price reported (they are not in the sums).
    """
    scope = scope_of(f, "c", "created_at")
    counts = await _conversation_counts(conn, scope)
    sql = f"""
        SELECT {scope.key} AS k, m.currency AS currency, COUNT(*) AS sms,
            COALESCE(SUM(m.segments), 0) AS segments, SUM(m.price) AS price,
            SUM(m.price IS NULL) AS unpriced
        FROM conversations c CROSS JOIN messages m ON m.conversation_id = c.id
        WHERE m.direction = 'out' AND m.status IN ('sent', 'delivered') {scope.where}
        GROUP BY k, currency"""
    found: dict[str | None, list[aiosqlite.Row]] = defaultdict(list)
    for row in await fetch_rows(conn, sql, scope.params):
        found[row["k"]].append(row)
    groups = []
    for key in _keys(f, counts):
        counted = counts.get(key)
        completed = int(counted["completed"]) if counted is not None else 0
        figures = _cost_figures(found.get(key, []), completed)
        groups.append(_group(key, _started(counts, key), min_group, figures))
    return groups


def _cost_figures(rows: Sequence[aiosqlite.Row], completed: int) -> dict[str, object]:
    price: dict[str, float] = {}
    for row in rows:
        if row["price"] is not None:
            currency = row["currency"] or "unknown"
            price[currency] = price.get(currency, 0.0) + float(row["price"])
    return {
        "sms_sent": sum(int(row["sms"]) for row in rows),
        "segments": sum(int(row["segments"]) for row in rows),
        "unpriced_sms": sum(int(row["unpriced"]) for row in rows),
        "completed": completed,
        "price": {c: round(total, 4) for c, total in sorted(price.items())},
        "cost_per_completed": {
            c: round(total / completed, 4) if completed else None
            for c, total in sorted(price.items())
        },
    }


# --- everything ------------------------------------------------------------------------------


async def full_report(
    conn: aiosqlite.Connection,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    *,
    min_group: int,
    sections: Sequence[str] = SECTIONS,
    satisfaction: str | None = None,
    resolved: str | None = None,
    attribute: str = "wait_seconds",
) -> dict[str, object]:
    """The chosen sections as plain JSON-ready data: {filter, min_group, sections: {name: [...]}}.

    Each group is {key, n, suppressed, <figures>}. A flow, unit or service in `f` that nothing
    has is refused (`check_names`)."""
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        raise ReportFilterError(f"unknown section {unknown[0]!r}: one of {', '.join(SECTIONS)}")
    await check_names(conn, f, flows)
    done: dict[str, list[dict[str, object]]] = {}
    for name in sections:
        groups = await _section(
            conn, name, f, flows, min_group, (satisfaction, resolved, attribute)
        )
        done[name] = [group.to_dict() for group in groups]
    return {"filter": f.to_dict(), "min_group": min_group, "sections": done}


async def _section(
    conn: aiosqlite.Connection,
    name: str,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    min_group: int,
    driver_options: tuple[str | None, str | None, str],
) -> list[Group]:
    if name == "questions":
        return await questions(conn, f, flows, min_group=min_group)
    if name == "drivers":
        sat, res, attribute = driver_options
        return await drivers(
            conn,
            f,
            flows,
            satisfaction=sat,
            resolved=res,
            attribute=attribute,
            min_group=min_group,
        )
    simple: dict[str, Any] = {"funnel": funnel, "timing": timing, "cost": cost}
    groups: list[Group] = await simple[name](conn, f, min_group=min_group)
    return groups
