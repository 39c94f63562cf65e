"""Answer profiles kept by triggers (issue 17): what the avoidable-demand report reads
(`answer_profiles`) without looking up each survey's latest answers.

    agg_profile_of  one row per conversation: its cell (UTC day, flow, unit, service,
                    channel, language, trial) and its profile, a JSON object of the latest
                    understood answer to each question (a scale's number, else the text), as
                    `_latest_answer` in results.py reads them; free-text answers left out
    agg_profiles    conversations per cell and profile (`latest`), kept by triggers on
                    agg_profile_of
    agg_profile_scales  understood answers with a number per cell, profile, answer flow and
                    question: their count and sum (the drivers' satisfaction by resolved),
                    from agg_profile_of's `scales`
    agg_text_questions  questions that ever had an understood free-text answer: a profile
                    cannot answer for them, so answer_profiles reads the raw rows

A conversation's row is made again whenever one of its answers or its cell changes.
"""

from __future__ import annotations

from smsbot.storage.sqlite.aggregates import _DIMS, _dims, _upsert

__all__ = ["PROFILES", "PROFILES_REBUILD", "PROFILES_TABLES"]

_LATEST = """(SELECT CASE b.kind WHEN 'scale' THEN b.value_num ELSE b.value_text END
    FROM answers b WHERE b.conversation_id = {cid} AND b.question_id = a.question_id
        AND b.problem IS NULL ORDER BY b.id DESC LIMIT 1)"""


def _profile(cid: str) -> str:
    """Conversation cid's profile (its questions in order, so equal profiles are equal text)."""
    return f"""(SELECT json_group_object(q, v) FROM (
        SELECT a.question_id AS q, {_LATEST.format(cid=cid)} AS v FROM answers a
        WHERE a.conversation_id = {cid} AND a.problem IS NULL AND a.kind != 'text'
        GROUP BY a.question_id ORDER BY a.question_id))"""


def _scales(cid: str) -> str:
    """Conversation cid's understood answers with a number, per answer flow and question:
    [[flow, question, count, sum], ...] (what agg_profile_scales adds up)."""
    return f"""(SELECT json_group_array(json_array(f, q, n, t)) FROM (
        SELECT a.flow_id AS f, a.question_id AS q, COUNT(*) AS n, TOTAL(a.value_num) AS t
        FROM answers a WHERE a.conversation_id = {cid} AND a.problem IS NULL
            AND a.value_num IS NOT NULL GROUP BY a.flow_id, a.question_id))"""


def _refresh(cid: str) -> str:
    """Conversation cid's row made again (none if the conversation is gone)."""
    return f"""DELETE FROM agg_profile_of WHERE conversation_id = {cid};
    INSERT INTO agg_profile_of (conversation_id, {_DIMS}, profile, scales)
    SELECT c.id, {_dims("c")}, {_profile("c.id")}, {_scales("c.id")}
    FROM conversations c WHERE c.id = {cid};"""


_SCALE_KEY = f"{_DIMS}, latest, answer_flow, question_id"


def _count_scales(row: str, sign: str) -> str:
    """Row's scale sums into agg_profile_scales (a row not made by the triggers, without
    valid JSON, adds nothing)."""
    return f"""INSERT INTO agg_profile_scales ({_SCALE_KEY}, numbers, total)
    SELECT {row}.{_DIMS.replace(", ", f", {row}.")}, {row}.profile, j.value ->> 0,
        j.value ->> 1, {sign}(j.value ->> 2), {sign}(j.value ->> 3)
    FROM json_each(CASE WHEN json_valid({row}.scales) THEN {row}.scales ELSE '[]' END) j
    WHERE 1 {_upsert("agg_profile_scales", _SCALE_KEY, ("numbers", "total"))};"""


def _count(row: str, sign: str) -> str:
    return f"""INSERT INTO agg_profiles ({_DIMS}, latest, n)
    VALUES ({row}.{_DIMS.replace(", ", f", {row}.")}, {row}.profile, {sign}1)
    {_upsert("agg_profiles", f"{_DIMS}, latest", ("n",))};"""


_TEXT = """INSERT OR IGNORE INTO agg_text_questions (question_id)
    SELECT {a}.question_id WHERE {a}.kind = 'text' AND {a}.problem IS NULL;"""

_ANSWER_CHANGED = " OR ".join(
    f"old.{name} IS NOT new.{name}"
    for name in ("conversation_id", "question_id", "kind", "value_num", "value_text", "problem")
)

_TABLES = f"""
CREATE TABLE agg_profile_of (
    conversation_id TEXT PRIMARY KEY,
    period TEXT NOT NULL, flow_id TEXT NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL, profile TEXT NOT NULL,
    scales TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE agg_profile_scales (
    period TEXT NOT NULL, flow_id TEXT NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL, latest TEXT NOT NULL,
    answer_flow TEXT NOT NULL, question_id TEXT NOT NULL, numbers INTEGER NOT NULL,
    total REAL NOT NULL,
    PRIMARY KEY (answer_flow, question_id, period, flow_id, unit, service, channel, language,
        trial, latest)
) WITHOUT ROWID;
CREATE TABLE agg_profiles (
    period TEXT NOT NULL, flow_id TEXT NOT NULL, unit NOT NULL, service NOT NULL,
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL, latest TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (flow_id, period, unit, service, channel, language, trial, latest)
) WITHOUT ROWID;
CREATE TABLE agg_text_questions (question_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TRIGGER agg_profile_of_insert AFTER INSERT ON agg_profile_of BEGIN
    {_count("new", "+")}
    {_count_scales("new", "+")}
END;
CREATE TRIGGER agg_profile_of_delete AFTER DELETE ON agg_profile_of BEGIN
    {_count("old", "-")}
    {_count_scales("old", "-")}
END;
"""

PROFILES_TABLES = ("agg_profile_of", "agg_profiles", "agg_profile_scales", "agg_text_questions")

PROFILES_REBUILD = f"""
DELETE FROM agg_profile_of;
DELETE FROM agg_profiles;
DELETE FROM agg_profile_scales;
DELETE FROM agg_text_questions;
INSERT INTO agg_text_questions (question_id)
    SELECT DISTINCT question_id FROM answers WHERE kind = 'text' AND problem IS NULL;
INSERT INTO agg_profile_of (conversation_id, {_DIMS}, profile, scales)
    SELECT c.id, {_dims("c")}, {_profile("c.id")}, {_scales("c.id")} FROM conversations c;
"""

_TRIGGERS = f"""
CREATE TRIGGER agg_profile_conversation_insert AFTER INSERT ON conversations BEGIN
    {_refresh("new.id")}
END;
CREATE TRIGGER agg_profile_conversation_move
AFTER UPDATE OF created_at, flow_id, unit, service, channel, language, trial ON conversations
WHEN old.created_at IS NOT new.created_at OR old.flow_id IS NOT new.flow_id
    OR old.unit IS NOT new.unit OR old.service IS NOT new.service
    OR old.channel IS NOT new.channel OR old.language IS NOT new.language
    OR old.trial IS NOT new.trial BEGIN
    {_refresh("new.id")}
END;
CREATE TRIGGER agg_profile_conversation_delete AFTER DELETE ON conversations BEGIN
    DELETE FROM agg_profile_of WHERE conversation_id = old.id;
END;
CREATE TRIGGER agg_profile_answer_insert AFTER INSERT ON answers WHEN new.problem IS NULL BEGIN
    {_TEXT.format(a="new")}
    {_refresh("new.conversation_id")}
END;
CREATE TRIGGER agg_profile_answer_update AFTER UPDATE ON answers WHEN {_ANSWER_CHANGED} BEGIN
    {_TEXT.format(a="new")}
    {_refresh("old.conversation_id")}
    {_refresh("new.conversation_id")}
END;
CREATE TRIGGER agg_profile_answer_delete AFTER DELETE ON answers WHEN old.problem IS NULL BEGIN
    {_refresh("old.conversation_id")}
END;
"""

PROFILES = _TABLES + PROFILES_REBUILD + _TRIGGERS
