"""The triggers keep the aggregate tables equal to a rebuild from the raw rows, whatever
sequence of writes comes (hypothesis: inserts, updates and deletes of conversations, answers,
SMS and events in any order, on a real SQLite file migrated by smsbot)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smsbot.storage.sqlite.aggregates import REBUILD, TABLES
from smsbot.storage.sqlite.db import open_database

_IDS = ("c0", "c1")
_AT = (
    "2026-11-01T08:15:00.000+00:00",
    "2026-11-01T23:59:59.999+00:00",
    "2026-11-02T00:00:00.000+00:00",
)
_REPLY = (None, "2026-11-01T08:16:00.500+00:00", "2026-11-02T09:00:00.000+00:00")
_STATUS = ("active", "completed", "expired", "opted_out", "undeliverable")
_UNITS = (None, "Norr", "Syd")
_QUESTIONS = ("csat", "solved")

conversation = st.tuples(
    st.just("conversation"),
    st.sampled_from(_IDS),
    st.sampled_from(_AT),
    st.sampled_from(_UNITS),
    st.sampled_from(_STATUS),
    st.sampled_from(_REPLY),
    st.integers(0, 1),
)
answer = st.tuples(
    st.just("answer"),
    st.sampled_from(_IDS),
    st.sampled_from(_QUESTIONS),
    st.sampled_from(("scale", "yesno", "text")),
    st.sampled_from((None, 1.0, 4.0, 5.0)),
    st.sampled_from((None, "yes", "no")),
    st.sampled_from((None, "unclear")),
)
message = st.tuples(
    st.just("message"),
    st.sampled_from(_IDS),
    st.sampled_from(("opening", "question", "reply")),
    st.sampled_from((None, *_QUESTIONS)),
    st.sampled_from(("queued", "sent", "delivered", "cancelled", "failed")),
    st.sampled_from((None, 0.05)),
    st.sampled_from((None, "EUR")),
)
event = st.tuples(
    st.just("event"),
    st.sampled_from(_AT),
    st.sampled_from(_UNITS),
    st.sampled_from(("started", "scheduled", "skipped")),
    st.sampled_from((None, "fatigue")),
    st.integers(0, 1),
)
change = st.tuples(
    st.just("change"),
    st.sampled_from(
        (
            "UPDATE conversations SET status = 'expired' WHERE id = ?",
            "UPDATE conversations SET status = 'active' WHERE id = ?",
            "UPDATE conversations SET trial = 1 - trial WHERE id = ?",
            "UPDATE conversations SET unit = 'Syd', created_at = '2026-11-03T01:00:00.000+00:00'"
            " WHERE id = ?",
            "UPDATE conversations SET first_reply_at = NULL WHERE id = ?",
            "UPDATE answers SET problem = 'unclear' WHERE conversation_id = ?",
            "UPDATE answers SET problem = NULL, value_num = 2 WHERE conversation_id = ?",
            "UPDATE messages SET status = 'delivered' WHERE conversation_id = ?",
            "UPDATE messages SET status = 'cancelled' WHERE conversation_id = ?",
            "UPDATE messages SET price = 0.07, currency = 'SEK' WHERE conversation_id = ?",
            "UPDATE events SET decision = 'skipped', trial = 1 WHERE unit IS ?",
            "DELETE FROM answers WHERE conversation_id = ?",
            "DELETE FROM messages WHERE conversation_id = ?",
            "DELETE FROM events WHERE unit IS ?",
            "DELETE FROM answers WHERE conversation_id = ?1;"
            " DELETE FROM messages WHERE conversation_id = ?1;"
            " DELETE FROM conversations WHERE id = ?1",
        )
    ),
    st.sampled_from(_IDS),
)
writes = st.lists(st.one_of(conversation, answer, message, event, change), max_size=40)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("agg") / "template.db"

    async def make() -> None:
        db = await open_database(path)
        await db.close()

    asyncio.run(make())
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO flow_versions (flow_id, version, definition, first_seen)"
            " VALUES ('visit', '1', '{}', '2026-11-01')"
        )
    return path


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=writes)
@example(  # a late answer to the question an expired survey stopped at: no longer dropped
    steps=[
        ("conversation", "c0", _AT[0], None, "expired", None, 0),
        ("message", "c0", "question", "csat", "sent", None, None),
        ("answer", "c0", "csat", "scale", 4.0, None, None),
    ]
)
def test_any_writes_leave_the_tables_as_a_rebuild_would(
    template: Path, tmp_path: Path, steps: list[tuple[Any, ...]]
) -> None:
    path = tmp_path / "w.db"
    shutil.copyfile(template, path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        for step in steps:
            _write(conn, step)
        kept = _tables(conn)
        conn.execute("BEGIN")
        for statement in filter(None, (s.strip() for s in REBUILD.split(";"))):
            conn.execute(statement)
        conn.execute("COMMIT")
        assert kept == _tables(conn)
    finally:
        conn.close()


def _write(conn: sqlite3.Connection, step: tuple[Any, ...]) -> None:
    kind, *values = step
    try:
        if kind == "conversation":
            cid, at, unit, status, reply, trial = values
            conn.execute(_CONVERSATION, (cid, status, unit, at, at, reply, trial))
        elif kind == "answer":
            cid, question, answer_kind, number, text, problem = values
            conn.execute(_ANSWER, (cid, question, answer_kind, number, text, problem))
        elif kind == "message":
            conn.execute(_MESSAGE, values)
        elif kind == "event":
            conn.execute(_EVENT, values)
        else:
            sql, cid = values
            for statement in sql.split(";"):
                conn.execute(statement.replace("?1", "?"), (cid,))
    except sqlite3.IntegrityError:
        pass  # a conversation id taken, or a row whose conversation is not there: not written


def _tables(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for table in TABLES:
        rows = conn.execute(f"SELECT * FROM {table}").fetchall()
        key = _KEYS.get(table)
        kept = [_rounded(row) for row in rows if key is None or _counts(row[key:])]
        found[table] = sorted(kept, key=repr)
    return found


# A table: its key's columns (agg_drops has one row per survey, no counts).
_KEYS = {
    "agg_surveys": 7,
    "agg_answers": 10,
    "agg_scales": 9,
    "agg_cost": 8,
    "agg_events": 9,
    "agg_asked": 8,
    "agg_delays": 8,
}


def _counts(sums: tuple[Any, ...]) -> bool:
    """Counts not all zero (a cell emptied by changes stays, all zeros)."""
    return any(round(v, 6) != 0 for v in sums)


def _rounded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(round(v, 6) if isinstance(v, float) else v for v in row)


_CONVERSATION = (
    "INSERT INTO conversations (id, flow_id, flow_version, language, status, step, state, unit,"
    " created_at, updated_at, first_reply_at, trial)"
    " VALUES (?, 'visit', '1', 'sv', ?, 0, '{}', ?, ?, ?, ?, ?)"
)
_ANSWER = (
    "INSERT INTO answers (conversation_id, flow_id, flow_version, question_id, kind, value_num,"
    " value_text, raw_text, problem, created_at)"
    " VALUES (?, 'visit', '1', ?, ?, ?, ?, 'x', ?, '2026-11-01T09:00:00.000+00:00')"
)
_MESSAGE = (
    "INSERT INTO messages (conversation_id, direction, purpose, question_id, status, price,"
    " currency, segments, created_at, updated_at)"
    " VALUES (?, 'out', ?, ?, ?, ?, ?, 1, '2026-11-01T09:00:00.000+00:00', '2026-11-01')"
)
_EVENT = (
    "INSERT INTO events (source, source_id, type, occurred_at, received_at, unit, decision,"
    " reason, trial, answer)"
    " VALUES ('t', hex(randomblob(8)), 'visit.done', ?1, ?1, ?2, ?3, ?4, ?5, '{}')"
)
