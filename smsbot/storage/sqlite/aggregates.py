"""Aggregate tables (issue 17, "Fast at any size"): the results' counts kept up to date by
SQLite triggers in the same transaction as each write, for every writer (the gateway, imports,
retention, trials marking).

Every row is a cell of the conversations' dimensions: the period the survey started in (its
UTC hour "2026-11-01T08" in agg_surveys, so the dashboard can add hours up into local days;
its UTC day "2026-11-01" in the others, ten times fewer rows), its flow, unit, service,
channel, language and trial mark. A NULL unit, service, channel (and an answer's NULL value)
is stored as the blob x'00', which no text equals: primary keys cannot hold NULL, and NULLs
would never meet in a unique index. `decoded(column)` turns it back.

    agg_surveys  conversations: started, answered (a first reply), by status, and with a
                 delivered opening (hourly)
    agg_answers  understood answers (problem IS NULL) per answer flow, question and value
                 (as answer_counts groups them), their count with a number and its sum
    agg_cost     outbound SMS sent or delivered per currency: count, segments, price
    agg_scales   understood answers with a number per answer flow and question: their count
                 and sum (hourly, for satisfaction over time)
    agg_delays   conversations per seconds from start to first reply (to the millisecond, as
                 first_replies has them: exact medians)
    agg_asked    conversations asked each question (a question SMS not cancelled)
    agg_drops    per survey that ended unfinished without an understood answer to the last
                 question asked: that question (one row per such survey, not a count)
    agg_events   service events per decision and reason (hourly, by the event's own
                 dimensions and received_at)

A conversation whose dimensions change (trials marking, a corrected unit) moves its answers
and SMS to its new cell; a deleted conversation takes them out, as the raw join would.
`REBUILD` fills the tables from the raw rows (the migration, `smsbot db rebuild-aggregates`).
"""

from __future__ import annotations

__all__ = ["AGGREGATES", "REBUILD", "TABLES", "decoded"]

_NONE = "x'00'"
_DIMS = "period, flow_id, unit, service, channel, language, trial"


def decoded(column: str) -> str:
    """SQL giving `column` of an aggregate back as stored in the raw rows (NULL for x'00')."""
    return f"CASE WHEN typeof({column}) = 'blob' THEN NULL ELSE {column} END"


def _dims(c: str, width: int = 10) -> str:
    """A conversation row's cell (c: its alias, or old / new in a trigger): its UTC day
    (width 10), or hour (13)."""
    return (
        f"substr({c}.created_at, 1, {width}), {c}.flow_id, IFNULL({c}.unit, {_NONE}),"
        f" IFNULL({c}.service, {_NONE}), IFNULL({c}.channel, {_NONE}), {c}.language, {c}.trial"
    )


def _dims_differ() -> str:
    return " OR ".join(
        f"old.{name} IS NOT new.{name}"
        for name in ("created_at", "flow_id", "unit", "service", "channel", "language", "trial")
    )


def _upsert(table: str, key: str, sums: tuple[str, ...]) -> str:
    added = ", ".join(f"{name} = {name} + excluded.{name}" for name in sums)
    return f"ON CONFLICT ({key}) DO UPDATE SET {added}"


# --- conversations ---------------------------------------------------------------------------

_SURVEY_SUMS = (
    "started",
    "answered",
    "completed",
    "opted_out",
    "undeliverable",
    "expired",
    "active",
    "delivered",  # conversations with a delivered opening
)


def _survey_values(c: str, sign: str) -> str:
    statuses = ", ".join(f"{sign}({c}.status = '{status}')" for status in _SURVEY_SUMS[2:-1])
    return f"{sign}1, {sign}({c}.first_reply_at IS NOT NULL), {statuses}, {sign}{_delivered(c)}"


def _surveys(c: str, sign: str) -> str:
    return f"""INSERT INTO agg_surveys ({_DIMS}, {", ".join(_SURVEY_SUMS)})
    VALUES ({_dims(c, 13)}, {_survey_values(c, sign)})
    {_upsert("agg_surveys", _DIMS, _SURVEY_SUMS)};"""


_DELAY_KEY = f"{_DIMS}, seconds"


def _delay(c: str, sign: str) -> str:
    """A conversation's seconds from start to first reply (as first_replies rounds them)."""
    return f"""INSERT INTO agg_delays ({_DELAY_KEY}, n)
    SELECT {_dims(c)}, {_seconds(c)}, {sign}1 WHERE {c}.first_reply_at IS NOT NULL
    {_upsert("agg_delays", _DELAY_KEY, ("n",))};"""


def _seconds(c: str) -> str:
    return f"ROUND((julianday({c}.first_reply_at) - julianday({c}.created_at)) * 86400.0, 3)"


# --- answers ---------------------------------------------------------------------------------

_ANSWER_KEY = f"{_DIMS}, answer_flow, question_id, value"
_ANSWER_SUMS = ("n", "numbers", "total")


def _value(a: str) -> str:
    """An answer's value as answer_counts groups it: a scale's whole number, no value for
    free text, else the text."""
    return f"""IFNULL(CASE {a}.kind WHEN 'scale' THEN CAST({a}.value_num AS INTEGER)
        WHEN 'text' THEN NULL ELSE {a}.value_text END, {_NONE})"""


def _answer(a: str, sign: str) -> str:
    """One answer row (a: old / new) into its conversation's cell, if it is understood."""
    return f"""INSERT INTO agg_answers ({_ANSWER_KEY}, {", ".join(_ANSWER_SUMS)})
    SELECT {_dims("c")}, {a}.flow_id, {a}.question_id, {_value(a)}, {sign}1,
        {sign}({a}.value_num IS NOT NULL), {sign}IFNULL({a}.value_num, 0)
    FROM conversations c WHERE c.id = {a}.conversation_id AND {a}.problem IS NULL
    {_upsert("agg_answers", _ANSWER_KEY, _ANSWER_SUMS)};"""


def _answers_of(c: str, sign: str, when: str = "1") -> str:
    """Every understood answer of conversation c (old / new) into c's cell."""
    return f"""INSERT INTO agg_answers ({_ANSWER_KEY}, {", ".join(_ANSWER_SUMS)})
    SELECT {_dims(c)}, a.flow_id, a.question_id, {_value("a")} AS v, {sign}COUNT(*),
        {sign}COUNT(a.value_num), {sign}TOTAL(a.value_num)
    FROM answers a WHERE a.conversation_id = {c}.id AND a.problem IS NULL AND ({when})
    GROUP BY a.flow_id, a.question_id, v
    {_upsert("agg_answers", _ANSWER_KEY, _ANSWER_SUMS)};"""


_SCALE_KEY = f"{_DIMS}, answer_flow, question_id"


def _scale(a: str, sign: str) -> str:
    """An understood answer with a number (a: old / new) into agg_scales, hourly."""
    return f"""INSERT INTO agg_scales ({_SCALE_KEY}, numbers, total)
    SELECT {_dims("c", 13)}, {a}.flow_id, {a}.question_id, {sign}1, {sign}{a}.value_num
    FROM conversations c WHERE c.id = {a}.conversation_id AND {a}.problem IS NULL
        AND {a}.value_num IS NOT NULL
    {_upsert("agg_scales", _SCALE_KEY, ("numbers", "total"))};"""


def _scales_of(c: str, sign: str) -> str:
    return f"""INSERT INTO agg_scales ({_SCALE_KEY}, numbers, total)
    SELECT {_dims(c, 13)}, a.flow_id, a.question_id, {sign}COUNT(*), {sign}TOTAL(a.value_num)
    FROM answers a WHERE a.conversation_id = {c}.id AND a.problem IS NULL
        AND a.value_num IS NOT NULL
    GROUP BY a.flow_id, a.question_id
    {_upsert("agg_scales", _SCALE_KEY, ("numbers", "total"))};"""


# --- SMS cost --------------------------------------------------------------------------------

_COST_KEY = f"{_DIMS}, currency"
_COST_SUMS = ("sms", "segments", "priced", "price")
_SENT = "{m}.direction = 'out' AND {m}.status IN ('sent', 'delivered')"


def _message(m: str, sign: str) -> str:
    """One message row (m: old / new) into its conversation's cell, if it is a sent SMS."""
    return f"""INSERT INTO agg_cost ({_COST_KEY}, {", ".join(_COST_SUMS)})
    SELECT {_dims("c")}, IFNULL({m}.currency, {_NONE}), {sign}1, {sign}IFNULL({m}.segments, 0),
        {sign}({m}.price IS NOT NULL), {sign}IFNULL({m}.price, 0)
    FROM conversations c WHERE c.id = {m}.conversation_id AND {_SENT.format(m=m)}
    {_upsert("agg_cost", _COST_KEY, _COST_SUMS)};"""


def _messages_of(c: str, sign: str, when: str = "1") -> str:
    return f"""INSERT INTO agg_cost ({_COST_KEY}, {", ".join(_COST_SUMS)})
    SELECT {_dims(c)}, IFNULL(m.currency, {_NONE}) AS cur, {sign}COUNT(*),
        {sign}TOTAL(m.segments), {sign}COUNT(m.price), {sign}TOTAL(m.price)
    FROM messages m WHERE m.conversation_id = {c}.id AND {_SENT.format(m="m")} AND ({when})
    GROUP BY cur
    {_upsert("agg_cost", _COST_KEY, _COST_SUMS)};"""


# --- service events --------------------------------------------------------------------------

_EVENT_KEY = f"{_DIMS}, decision, reason"


def _event_dims(e: str) -> str:
    """An event's cell: its UTC hour of receipt (events are filtered by received_at)."""
    return (
        f"substr({e}.received_at, 1, 13), IFNULL({e}.flow_id, {_NONE}),"
        f" IFNULL({e}.unit, {_NONE}), IFNULL({e}.service, {_NONE}),"
        f" IFNULL({e}.channel, {_NONE}), IFNULL({e}.language, {_NONE}), {e}.trial,"
        f" {e}.decision, IFNULL({e}.reason, {_NONE})"
    )


def _event(e: str, sign: str) -> str:
    return f"""INSERT INTO agg_events ({_EVENT_KEY}, n) VALUES ({_event_dims(e)}, {sign}1)
    {_upsert("agg_events", _EVENT_KEY, ("n",))};"""


_EVENT_CHANGED = " OR ".join(
    f"old.{name} IS NOT new.{name}"
    for name in (
        "received_at",
        "flow_id",
        "unit",
        "service",
        "channel",
        "language",
        "trial",
        "decision",
        "reason",
    )
)

# --- delivered openings ----------------------------------------------------------------------

_OPENING = "{m}.direction = 'out' AND {m}.purpose = 'opening' AND {m}.status = 'delivered'"


def _delivered(c: str) -> str:
    """1 when conversation c has a delivered opening, else 0."""
    return f"""EXISTS (SELECT 1 FROM messages d WHERE d.conversation_id = {c}.id
        AND {_OPENING.format(m="d")})"""


def _opening(m: str, sign: str) -> str:
    """Message m (old / new) counted in its conversation's `delivered` if it is a delivered
    opening and no other message of the conversation is one (the count is of conversations)."""
    return f"""UPDATE agg_surveys SET delivered = delivered {sign} 1
    WHERE ({_DIMS}) = (SELECT {_dims("c", 13)} FROM conversations c
            WHERE c.id = {m}.conversation_id)
        AND {_OPENING.format(m=m)}
        AND NOT EXISTS (SELECT 1 FROM messages d WHERE d.conversation_id = {m}.conversation_id
            AND d.id != {m}.id AND {_OPENING.format(m="d")});"""


# --- drop-off --------------------------------------------------------------------------------

_ASKED = """{m}.direction = 'out' AND {m}.purpose = 'question' AND {m}.question_id IS NOT NULL
    AND {m}.status != 'cancelled'"""
_ASKED_KEY = f"{_DIMS}, question_id"
_ENDED_UNFINISHED = "('expired', 'opted_out', 'undeliverable')"


def _asked(m: str, sign: str) -> str:
    """Message m (old / new) counted in agg_asked if it asks a question no other message of
    its conversation asked (the count is of conversations asked the question)."""
    return f"""INSERT INTO agg_asked ({_ASKED_KEY}, n)
    SELECT {_dims("c")}, {m}.question_id, {sign}1 FROM conversations c
    WHERE c.id = {m}.conversation_id AND {_ASKED.format(m=m)}
        AND NOT EXISTS (SELECT 1 FROM messages d WHERE d.conversation_id = {m}.conversation_id
            AND d.id != {m}.id AND d.question_id = {m}.question_id AND {_ASKED.format(m="d")})
    {_upsert("agg_asked", _ASKED_KEY, ("n",))};"""


def _asked_of(c: str, sign: str) -> str:
    return f"""INSERT INTO agg_asked ({_ASKED_KEY}, n)
    SELECT {_dims(c)}, m.question_id AS q, {sign}1 FROM messages m
    WHERE m.conversation_id = {c}.id AND {_ASKED.format(m="m")} GROUP BY q
    {_upsert("agg_asked", _ASKED_KEY, ("n",))};"""


def _drop(conversation_id: str) -> str:
    """agg_drops' row of the conversation made again: a survey that ended unfinished
    (expired, opted out, undeliverable) whose last question asked has no understood answer."""
    return f"""DELETE FROM agg_drops WHERE conversation_id = {conversation_id};
    INSERT INTO agg_drops (conversation_id, {_DIMS}, question_id)
    SELECT c.id, {_dims("c")}, c.q FROM (
        SELECT c.*, (SELECT m.question_id FROM messages m WHERE m.conversation_id = c.id
            AND {_ASKED.format(m="m")} ORDER BY m.id DESC LIMIT 1) AS q
        FROM conversations c
        WHERE c.id = {conversation_id} AND c.status IN {_ENDED_UNFINISHED}) c
    WHERE c.q IS NOT NULL AND NOT EXISTS (SELECT 1 FROM answers x
        WHERE x.conversation_id = c.id AND x.question_id = c.q AND x.problem IS NULL);"""


_QUESTION_MESSAGE = "{m}.direction = 'out' AND {m}.purpose = 'question'"
# Only what can change a count: a question sent, then delivered, changes nothing asked.
_ASKED_CHANGED = " OR ".join(
    [
        *(
            f"old.{name} IS NOT new.{name}"
            for name in ("conversation_id", "direction", "purpose", "question_id")
        ),
        "(old.status = 'cancelled') IS NOT (new.status = 'cancelled')",
    ]
)


def _may_drop(conversation_id: str) -> str:
    """Whether a new question SMS can change the conversation's drop-off: only once it ended
    unfinished (questions are sent while it is active)."""
    return f"""EXISTS (SELECT 1 FROM conversations e WHERE e.id = {conversation_id}
        AND e.status IN {_ENDED_UNFINISHED})"""


# --- the migration ---------------------------------------------------------------------------

_TABLES = f"""
CREATE TABLE agg_surveys (
    period TEXT NOT NULL, flow_id TEXT NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL,
    {", ".join(f"{name} INTEGER NOT NULL" for name in _SURVEY_SUMS)},
    PRIMARY KEY ({_DIMS})
) WITHOUT ROWID;
CREATE TABLE agg_answers (
    period TEXT NOT NULL, flow_id TEXT NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL,
    answer_flow TEXT NOT NULL, question_id TEXT NOT NULL, value NOT NULL,
    n INTEGER NOT NULL, numbers INTEGER NOT NULL, total REAL NOT NULL,
    PRIMARY KEY ({_ANSWER_KEY})
) WITHOUT ROWID;
CREATE TABLE agg_events (
    period TEXT NOT NULL, flow_id NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language NOT NULL, trial INTEGER NOT NULL, decision TEXT NOT NULL,
    reason NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY ({_EVENT_KEY})
) WITHOUT ROWID;
CREATE TABLE agg_scales (
    period TEXT NOT NULL, flow_id TEXT NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL,
    answer_flow TEXT NOT NULL, question_id TEXT NOT NULL,
    numbers INTEGER NOT NULL, total REAL NOT NULL,
    PRIMARY KEY ({_SCALE_KEY})
) WITHOUT ROWID;
CREATE INDEX agg_scales_question ON agg_scales (answer_flow, question_id, period);
CREATE TABLE agg_delays (
    period TEXT NOT NULL, flow_id TEXT NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL, seconds REAL NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY ({_DELAY_KEY})
) WITHOUT ROWID;
CREATE TABLE agg_asked (
    period TEXT NOT NULL, flow_id TEXT NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL,
    question_id TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY ({_ASKED_KEY})
) WITHOUT ROWID;
CREATE TABLE agg_drops (
    conversation_id TEXT PRIMARY KEY,
    period TEXT NOT NULL, flow_id TEXT NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL, question_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX agg_answers_question ON agg_answers (answer_flow, question_id, period);
CREATE TABLE agg_cost (
    period TEXT NOT NULL, flow_id TEXT NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL, currency NOT NULL,
    sms INTEGER NOT NULL, segments INTEGER NOT NULL, priced INTEGER NOT NULL,
    price REAL NOT NULL,
    PRIMARY KEY ({_COST_KEY})
) WITHOUT ROWID;
"""

TABLES = (
    "agg_surveys",
    "agg_answers",
    "agg_scales",
    "agg_cost",
    "agg_events",
    "agg_asked",
    "agg_drops",
    "agg_delays",
)
REBUILD = f"""
DELETE FROM agg_surveys;
DELETE FROM agg_answers;
DELETE FROM agg_cost;
DELETE FROM agg_events;
DELETE FROM agg_asked;
DELETE FROM agg_drops;
DELETE FROM agg_scales;
DELETE FROM agg_delays;
INSERT INTO agg_surveys ({_DIMS}, {", ".join(_SURVEY_SUMS)})
    SELECT {_dims("c", 13)}, COUNT(*), SUM(c.first_reply_at IS NOT NULL),
        {", ".join(f"SUM(c.status = '{status}')" for status in _SURVEY_SUMS[2:-1])},
        SUM({_delivered("c")})
    FROM conversations c GROUP BY {_dims("c", 13)};
INSERT INTO agg_events ({_EVENT_KEY}, n)
    SELECT {_event_dims("e")}, COUNT(*) FROM events e GROUP BY {_event_dims("e")};
INSERT INTO agg_scales ({_SCALE_KEY}, numbers, total)
    SELECT {_dims("c", 13)}, a.flow_id, a.question_id, COUNT(*), TOTAL(a.value_num)
    FROM conversations c CROSS JOIN answers a ON a.conversation_id = c.id
    WHERE a.problem IS NULL AND a.value_num IS NOT NULL
    GROUP BY {_dims("c", 13)}, a.flow_id, a.question_id;
INSERT INTO agg_delays ({_DELAY_KEY}, n)
    SELECT {_dims("c")}, {_seconds("c")} AS s, COUNT(*) FROM conversations c
    WHERE c.first_reply_at IS NOT NULL GROUP BY {_dims("c")}, s;
INSERT INTO agg_asked ({_ASKED_KEY}, n)
    SELECT {_dims("c")}, m.question_id AS q, COUNT(DISTINCT m.conversation_id)
    FROM conversations c CROSS JOIN messages m ON m.conversation_id = c.id
    WHERE {_ASKED.format(m="m")} GROUP BY {_dims("c")}, q;
INSERT INTO agg_drops (conversation_id, {_DIMS}, question_id)
    SELECT c.id, {_dims("c")}, c.q FROM (
        SELECT c.*, (SELECT m.question_id FROM messages m WHERE m.conversation_id = c.id
            AND {_ASKED.format(m="m")} ORDER BY m.id DESC LIMIT 1) AS q
        FROM conversations c WHERE c.status IN {_ENDED_UNFINISHED}) c
    WHERE c.q IS NOT NULL AND NOT EXISTS (SELECT 1 FROM answers x
        WHERE x.conversation_id = c.id AND x.question_id = c.q AND x.problem IS NULL);
INSERT INTO agg_answers ({_ANSWER_KEY}, {", ".join(_ANSWER_SUMS)})
    SELECT {_dims("c")}, a.flow_id, a.question_id, {_value("a")} AS v, COUNT(*),
        COUNT(a.value_num), TOTAL(a.value_num)
    FROM conversations c CROSS JOIN answers a ON a.conversation_id = c.id
    WHERE a.problem IS NULL
    GROUP BY {_dims("c")}, a.flow_id, a.question_id, v;
INSERT INTO agg_cost ({_COST_KEY}, {", ".join(_COST_SUMS)})
    SELECT {_dims("c")}, IFNULL(m.currency, {_NONE}) AS cur, COUNT(*), TOTAL(m.segments),
        COUNT(m.price), TOTAL(m.price)
    FROM conversations c CROSS JOIN messages m ON m.conversation_id = c.id
    WHERE {_SENT.format(m="m")}
    GROUP BY {_dims("c")}, cur;
"""

_ANSWER_CHANGED = " OR ".join(
    f"old.{name} IS NOT new.{name}"
    for name in (
        "conversation_id",
        "flow_id",
        "question_id",
        "kind",
        "value_num",
        "value_text",
        "problem",
    )
)
# Only what can change a count: sent -> delivered changes the cost of nothing but an
# opening's delivery.
_MESSAGE_CHANGED = " OR ".join(
    [
        *(
            f"old.{name} IS NOT new.{name}"
            for name in ("conversation_id", "direction", "purpose", "segments", "price", "currency")
        ),
        "(old.status IN ('sent', 'delivered')) IS NOT (new.status IN ('sent', 'delivered'))",
        "(old.status = 'delivered') IS NOT (new.status = 'delivered')",
    ]
)
_SURVEY_CHANGED = f"{_dims_differ()} OR old.status IS NOT new.status" + (
    " OR old.first_reply_at IS NOT new.first_reply_at"
)

_TRIGGERS = f"""
CREATE TRIGGER agg_conversation_insert AFTER INSERT ON conversations BEGIN
    {_surveys("new", "+")}
    {_delay("new", "+")}
    {_drop("new.id")}
END;
CREATE TRIGGER agg_conversation_update
AFTER UPDATE OF created_at, flow_id, unit, service, channel, language, trial, status,
    first_reply_at ON conversations
WHEN {_SURVEY_CHANGED} BEGIN
    {_surveys("old", "-")}
    {_surveys("new", "+")}
    {_delay("old", "-")}
    {_delay("new", "+")}
    {_drop("new.id")}
END;
CREATE TRIGGER agg_conversation_move
AFTER UPDATE OF created_at, flow_id, unit, service, channel, language, trial ON conversations
WHEN {_dims_differ()} BEGIN
    {_answers_of("old", "-")}
    {_answers_of("new", "+")}
    {_messages_of("old", "-")}
    {_messages_of("new", "+")}
    {_asked_of("old", "-")}
    {_asked_of("new", "+")}
    {_scales_of("old", "-")}
    {_scales_of("new", "+")}
END;
CREATE TRIGGER agg_conversation_delete AFTER DELETE ON conversations BEGIN
    {_surveys("old", "-")}
    {_delay("old", "-")}
    {_answers_of("old", "-")}
    {_messages_of("old", "-")}
    {_asked_of("old", "-")}
    {_scales_of("old", "-")}
    DELETE FROM agg_drops WHERE conversation_id = old.id;
END;
CREATE TRIGGER agg_answer_insert AFTER INSERT ON answers WHEN new.problem IS NULL BEGIN
    {_answer("new", "+")}
    {_scale("new", "+")}
END;
CREATE TRIGGER agg_answer_undrop AFTER INSERT ON answers WHEN new.problem IS NULL
    AND EXISTS (SELECT 1 FROM agg_drops WHERE conversation_id = new.conversation_id) BEGIN
    {_drop("new.conversation_id")}
END;
CREATE TRIGGER agg_answer_update
AFTER UPDATE OF conversation_id, flow_id, question_id, kind, value_num, value_text, problem
ON answers WHEN {_ANSWER_CHANGED} BEGIN
    {_answer("old", "-")}
    {_answer("new", "+")}
    {_scale("old", "-")}
    {_scale("new", "+")}
    {_drop("old.conversation_id")}
    {_drop("new.conversation_id")}
END;
CREATE TRIGGER agg_answer_delete AFTER DELETE ON answers WHEN old.problem IS NULL BEGIN
    {_answer("old", "-")}
    {_scale("old", "-")}
    {_drop("old.conversation_id")}
END;
CREATE TRIGGER agg_message_insert AFTER INSERT ON messages
WHEN new.direction = 'out' AND new.status IN ('sent', 'delivered') BEGIN
    {_message("new", "+")}
    {_opening("new", "+")}
END;
CREATE TRIGGER agg_message_update
AFTER UPDATE OF conversation_id, direction, purpose, status, segments, price, currency
ON messages WHEN {_MESSAGE_CHANGED} BEGIN
    {_message("old", "-")}
    {_message("new", "+")}
    {_opening("old", "-")}
    {_opening("new", "+")}
END;
CREATE TRIGGER agg_message_delete AFTER DELETE ON messages
WHEN old.direction = 'out' AND old.status IN ('sent', 'delivered') BEGIN
    {_message("old", "-")}
    {_opening("old", "-")}
END;
CREATE TRIGGER agg_question_insert AFTER INSERT ON messages
WHEN {_QUESTION_MESSAGE.format(m="new")} BEGIN
    {_asked("new", "+")}
END;
CREATE TRIGGER agg_question_late AFTER INSERT ON messages
WHEN {_QUESTION_MESSAGE.format(m="new")} AND {_may_drop("new.conversation_id")} BEGIN
    {_drop("new.conversation_id")}
END;
CREATE TRIGGER agg_question_update
AFTER UPDATE OF conversation_id, direction, purpose, question_id, status ON messages
WHEN ({_QUESTION_MESSAGE.format(m="old")} OR {_QUESTION_MESSAGE.format(m="new")})
    AND ({_ASKED_CHANGED}) BEGIN
    {_asked("old", "-")}
    {_asked("new", "+")}
    {_drop("old.conversation_id")}
    {_drop("new.conversation_id")}
END;
CREATE TRIGGER agg_question_delete AFTER DELETE ON messages
WHEN {_QUESTION_MESSAGE.format(m="old")} BEGIN
    {_asked("old", "-")}
    {_drop("old.conversation_id")}
END;
CREATE TRIGGER agg_event_insert AFTER INSERT ON events BEGIN
    {_event("new", "+")}
END;
CREATE TRIGGER agg_event_update
AFTER UPDATE OF received_at, flow_id, unit, service, channel, language, trial, decision, reason
ON events WHEN {_EVENT_CHANGED} BEGIN
    {_event("old", "-")}
    {_event("new", "+")}
END;
CREATE TRIGGER agg_event_delete AFTER DELETE ON events BEGIN
    {_event("old", "-")}
END;
"""

# The migration: the tables, filled from what is stored, then kept up to date by the triggers.
AGGREGATES = _TABLES + REBUILD + _TRIGGERS
