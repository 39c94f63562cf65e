"""Results read from the aggregate tables (smsbot.storage.sqlite.aggregates), where the filter
allows: no attribute filter or grouping (the cells have no attributes), and `since` / `until`
on a boundary of the table's period (an hour for agg_surveys, a UTC day for the others).
Otherwise `scope` gives None and the caller reads the raw rows. The figures are the raw
queries' to the last unit; tests/storage/test_aggregates.py compares them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from smsbot.storage.figures import GROUPINGS, ReportFilter
from smsbot.storage.sqlite.aggregates import decoded

__all__ = [
    "DAY",
    "HOUR",
    "answer_counts_sql",
    "asked_sql",
    "cost_sql",
    "delays_sql",
    "delivered_sql",
    "dropped_sql",
    "events_sql",
    "scales_per_hour_sql",
    "scope",
    "skipped_sql",
    "surveys_per_hour_sql",
    "surveys_sql",
]

HOUR, DAY = 13, 10  # the length of a period's text: "2026-11-01T08", "2026-11-01"

_COLUMNS = {
    "unit": "unit",
    "service": "service",
    "channel": "channel",
    "flow": "flow_id",
    "language": "language",
}


def scope(f: ReportFilter, width: int) -> tuple[str, str, dict[str, object]] | None:
    """(group key, WHERE terms, parameters) of `f` over the aggregate alias g, or None when
    the aggregates cannot answer it."""
    if f.attributes or (f.group_by is not None and f.group_by not in GROUPINGS):
        return None
    if not (_on_boundary(f.since, width) and _on_boundary(f.until, width)):
        return None
    terms = [] if f.include_trials else ["g.trial = 0"]
    params: dict[str, object] = {}
    for name, value in (
        ("flow", f.flow),
        ("unit", f.unit),
        ("service", f.service),
        ("channel", f.channel),
    ):
        if value is not None:
            terms.append(f"g.{_COLUMNS[name]} = :{name}")
            params[name] = value
    for op, name, moment in ((">=", "since", f.since), ("<", "until", f.until)):
        if moment is not None:
            terms.append(f"g.period {op} :{name}")
            params[name] = _utc(moment).isoformat()[:width]
    key = "NULL" if f.group_by is None else decoded(f"g.{_COLUMNS[f.group_by]}")
    return key, "".join(f" AND {term}" for term in terms), params


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _on_boundary(moment: datetime | None, width: int) -> bool:
    if moment is None:
        return True
    utc = _utc(moment)
    whole_hour = utc.minute == utc.second == utc.microsecond == 0
    return whole_hour and (width == HOUR or utc.hour == 0)


def surveys_sql(key: str, where: str) -> str:
    """conversation_counts' columns per group key k."""
    return f"""
    SELECT {key} AS k, SUM(g.started) AS started, SUM(g.answered) AS answered,
        SUM(g.completed) AS completed, SUM(g.opted_out) AS opted_out,
        SUM(g.undeliverable) AS undeliverable, SUM(g.expired) AS expired,
        SUM(g.active) AS active
    FROM agg_surveys g WHERE 1 = 1 {where} GROUP BY k HAVING SUM(g.started) > 0"""


def surveys_per_hour_sql(where: str) -> str:
    return f"""
    SELECT g.period AS hour, SUM(g.started) AS sent, SUM(g.answered) AS answered,
        SUM(g.completed) AS completed
    FROM agg_surveys g WHERE 1 = 1 {where} GROUP BY g.period HAVING SUM(g.started) > 0"""


def answer_counts_sql(key: str, where: str) -> str:
    return f"""
    SELECT {key} AS k, g.answer_flow AS flow_id, g.question_id AS question_id,
        {decoded("g.value")} AS v, SUM(g.n) AS n
    FROM agg_answers g WHERE 1 = 1 {where}
    GROUP BY k, g.answer_flow, g.question_id, g.value HAVING SUM(g.n) > 0"""


def cost_sql(key: str, where: str) -> str:
    return f"""
    SELECT {key} AS k, {decoded("g.currency")} AS currency, SUM(g.sms) AS sms,
        SUM(g.segments) AS segments,
        CASE WHEN SUM(g.priced) > 0 THEN SUM(g.price) END AS price,
        SUM(g.sms) - SUM(g.priced) AS unpriced
    FROM agg_cost g WHERE 1 = 1 {where} GROUP BY k, g.currency HAVING SUM(g.sms) > 0
    ORDER BY k, currency"""


def delivered_sql(key: str, where: str) -> str:
    return f"""
    SELECT {key} AS k, SUM(g.delivered) AS n
    FROM agg_surveys g WHERE 1 = 1 {where} GROUP BY k HAVING SUM(g.delivered) > 0"""


def events_sql(key: str, where: str) -> str:
    return f"""
    SELECT {key} AS k, SUM(g.n) AS received,
        SUM(CASE g.decision WHEN 'started' THEN g.n ELSE 0 END) AS started,
        SUM(CASE g.decision WHEN 'scheduled' THEN g.n ELSE 0 END) AS scheduled,
        SUM(CASE g.decision WHEN 'skipped' THEN g.n ELSE 0 END) AS skipped
    FROM agg_events g WHERE 1 = 1 {where} GROUP BY k HAVING SUM(g.n) > 0"""


def skipped_sql(key: str, where: str) -> str:
    return f"""
    SELECT {key} AS k, IFNULL({decoded("g.reason")}, 'unknown') AS reason, SUM(g.n) AS n
    FROM agg_events g WHERE g.decision = 'skipped' {where}
    GROUP BY k, reason HAVING SUM(g.n) > 0 ORDER BY reason"""


def asked_sql(key: str, where: str) -> str:
    return f"""
    SELECT {key} AS k, g.flow_id AS flow_id, g.question_id AS question_id, SUM(g.n) AS n
    FROM agg_asked g WHERE 1 = 1 {where}
    GROUP BY k, g.flow_id, g.question_id HAVING SUM(g.n) > 0"""


def dropped_sql(key: str, where: str) -> str:
    return f"""
    SELECT {key} AS k, g.flow_id AS flow_id, g.question_id AS question_id, COUNT(*) AS n
    FROM agg_drops g WHERE 1 = 1 {where} GROUP BY k, g.flow_id, g.question_id"""


def scales_per_hour_sql(where: str) -> str:
    """satisfaction_per_hour's rows; `where` holds the terms of :sat_flow and :sat."""
    return f"""
    SELECT g.period AS hour, SUM(g.numbers) AS n, SUM(g.total) AS total
    FROM agg_scales g WHERE g.answer_flow = :sat_flow AND g.question_id = :sat {where}
    GROUP BY g.period HAVING SUM(g.numbers) > 0"""


def delays_sql(key: str, where: str) -> str:
    """Per group k, each delay s with the ranks its replies take in the sorted delays (first
    to last), the group's n and replies within an hour and a day, where a rank first_replies
    needs falls in it."""
    return f"""
    WITH d AS (
        SELECT {key} AS k, g.seconds AS s, SUM(g.n) AS n FROM agg_delays g
        WHERE 1 = 1 {where} GROUP BY k, g.seconds HAVING SUM(g.n) > 0
    ), r AS (
        SELECT k, s, n, SUM(n) OVER w AS upto, SUM(n) OVER p AS total,
            SUM(CASE WHEN s <= 3600 THEN n ELSE 0 END) OVER p AS hour,
            SUM(CASE WHEN s <= 86400 THEN n ELSE 0 END) OVER p AS day
        FROM d WINDOW p AS (PARTITION BY k),
            w AS (PARTITION BY k ORDER BY s ROWS UNBOUNDED PRECEDING)
    )
    SELECT k, s, upto - n + 1 AS low, upto AS high, total AS n, hour, day FROM r
    WHERE (total + 1) / 2 BETWEEN upto - n + 1 AND upto
        OR (total + 2) / 2 BETWEEN upto - n + 1 AND upto
        OR (9 * total + 9) / 10 BETWEEN upto - n + 1 AND upto"""
