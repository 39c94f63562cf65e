"""Answer profiles kept by triggers (issue 17): what the avoidable-demand report reads
(`answer_profiles`) without looking up each survey's latest answers.

    agg_profile_of  one row per conversation: its cell (UTC day, flow, unit, service,
                    channel, language, trial) and its profile, a JSON object of the latest
                    understood answer to each question (a scale's number, else the text), as
                    `_latest_answer` in results.py reads them; free-text answers left out
    agg_profiles    conversations per cell and profile (`latest`), kept by triggers on
                    agg_profile_of
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


def _refresh(cid: str) -> str:
    """Conversation cid's row made again (none if the conversation is gone)."""
    return f"""DELETE FROM agg_profile_of WHERE conversation_id = {cid};
    INSERT INTO agg_profile_of (conversation_id, {_DIMS}, profile)
    SELECT c.id, {_dims("c")}, {_profile("c.id")} FROM conversations c WHERE c.id = {cid};"""


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
    channel NOT NULL, language TEXT NOT NULL, trial INTEGER NOT NULL, profile TEXT NOT NULL
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
END;
CREATE TRIGGER agg_profile_of_delete AFTER DELETE ON agg_profile_of BEGIN
    {_count("old", "-")}
END;
"""

PROFILES_TABLES = ("agg_profile_of", "agg_profiles", "agg_text_questions")

PROFILES_REBUILD = f"""
DELETE FROM agg_profile_of;
DELETE FROM agg_profiles;
DELETE FROM agg_text_questions;
INSERT INTO agg_text_questions (question_id)
    SELECT DISTINCT question_id FROM answers WHERE kind = 'text' AND problem IS NULL;
INSERT INTO agg_profile_of (conversation_id, {_DIMS}, profile)
    SELECT c.id, {_dims("c")}, {_profile("c.id")} FROM conversations c;
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
