"""The aggregate tables give every figure the raw rows give (issue 17, "Fast at any size").

Generated data (tests.reportdata: three flows, five units, services, channels, languages, two
months of days, bad replies, priced SMS, and trials beside real surveys) goes into a real
SQLite file through plain INSERTs, so the triggers fill the aggregates as any writer would.
Each figure the `Results` repository reads from the aggregates is compared with the same
figure from the raw rows: the raw query is reached by a filter that means the same but that
the aggregates cannot answer (`since` one millisecond earlier: no stored moment falls in it).
Then the rows are changed the ways writers change them (surveys end, replies come, trials are
marked, a unit corrected, answers and SMS updated, retention deletes) and compared again, and
the tables are compared with a rebuild from the raw rows.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from click.testing import CliRunner

from smsbot.cli import main
from smsbot.results.reports import full_report
from smsbot.storage.figures import GROUPINGS, DriverQuestions, ReportFilter
from smsbot.storage.ports import Results, Store
from smsbot.storage.sqlite import aggregate_reads as agg
from smsbot.storage.sqlite.db import Database, open_database
from smsbot.storage.sqlite.results import ALL_REBUILD
from smsbot.storage.sqlite.tx import SqliteStore
from tests.harness import ROOT
from tests.reportdata import START, UNITS, database_with, generate, marked_flows, write

DATA = generate(seed=1717, surveys=1200)
TRIALS = generate(seed=1718, surveys=200, trial=True)
FLOWS = DATA.flows
_MS = timedelta(milliseconds=1)
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

# The questions whose latest answers answer_profiles reads (avoidable demand), per flow.
_PROFILED: dict[str, tuple[str, ...]] = {
    "visit": ("solved", "reason", "csat"),
    "contact": ("web_first", "ces", "solved"),
    "recommend": ("nps", "staff"),
}
# What the drivers report explains, per flow: satisfaction by the resolved question.
_DRIVEN = {
    "visit": DriverQuestions("csat", "solved", "age"),
    "contact": DriverQuestions("ces", "solved", "age"),
    "recommend": DriverQuestions("nps", None, "age"),
}
Read = Callable[[Results, ReportFilter], Awaitable[Any]]
READS: dict[str, Read] = {
    "conversation_counts": lambda r, f: r.conversation_counts(f),
    "surveys_per_hour": lambda r, f: _sorted(r.surveys_per_hour(f)),
    "answer_counts": lambda r, f: r.answer_counts(f),
    "sms_cost": lambda r, f: r.sms_cost(f),
    "delivered": lambda r, f: r.delivered(f),
    "event_counts": lambda r, f: r.event_counts(f),
    "skipped_by_reason": lambda r, f: r.skipped_by_reason(f),
    "dropoff": lambda r, f: r.dropoff(f),
    "first_replies": lambda r, f: r.first_replies(f),
    "satisfaction_per_hour": lambda r, f: _sorted(r.satisfaction_per_hour(f, *_scale_of(f))),
    "answer_profiles": lambda r, f: _profiles(r, f, _PROFILED[f.flow or "visit"]),
    "satisfaction_by_resolved": lambda r, f: r.satisfaction_by_resolved(
        replace(f, flow=f.flow or "visit"), _DRIVEN[f.flow or "visit"]
    ),
}
_HOURLY = ("conversation_counts", "surveys_per_hour", "delivered", "event_counts")
WIDTH = dict.fromkeys((*_HOURLY, "skipped_by_reason", "satisfaction_per_hour"), agg.HOUR)

DAY = START + timedelta(days=20)
FILTERS = [
    ReportFilter(),
    ReportFilter(include_trials=True),
    ReportFilter(unit=UNITS[0]),
    ReportFilter(unit=UNITS[2], include_trials=True, group_by="language"),
    ReportFilter(flow="contact"),
    ReportFilter(service="primary-care", channel="phone"),
    ReportFilter(since=DAY, until=DAY + timedelta(days=9)),
    ReportFilter(since=DAY, group_by="unit"),
    ReportFilter(until=DAY, flow="visit", group_by="channel"),
    *(ReportFilter(group_by=name) for name in GROUPINGS),
]
HOURLY = [  # local days: hour boundaries that are no UTC midnight
    ReportFilter(since=DAY + timedelta(hours=23), until=DAY + timedelta(days=3, hours=23)),
    ReportFilter(since=DAY - timedelta(hours=1), unit=UNITS[1], group_by="service"),
]


def _scale_of(f: ReportFilter) -> tuple[str, str]:
    """A scale question of the filter's flow (of "visit" without one)."""
    return (f.flow or "visit", {"contact": "ces", "recommend": "nps"}.get(f.flow or "", "csat"))


async def _profiles(r: Results, f: ReportFilter, questions: tuple[str, ...]) -> list[Any]:
    found = await r.answer_profiles(f, f.flow or "visit", questions)
    return sorted(found, key=repr)


async def _sorted(rows: Awaitable[list[Any]]) -> list[Any]:
    return sorted(await rows, key=lambda row: row.hour)


def reference(f: ReportFilter) -> ReportFilter:
    """`f` as the raw rows must answer it: the same surveys, but `since` off every boundary."""
    return replace(f, since=(f.since or _LONG_AGO) - _MS)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(tmp_path / "agg.db")
    try:
        await write(database.conn, DATA)
        await write(database.conn, TRIALS)
        yield database
    finally:
        await database.close()


async def compare(store: Store, filters: list[ReportFilter]) -> int:
    """Every aggregated figure against the raw one; how many came from the aggregates."""
    fast = 0
    for f in filters:
        for name, read in READS.items():
            width = WIDTH.get(name, agg.DAY)
            assert agg.scope(reference(f), width) is None  # the reference reads raw rows
            async with store.read() as tx:
                got = await read(tx.results, f)
                expected = await read(tx.results, reference(f))
            assert expected, (name, f)  # the data has something in every filter
            assert _rounded(got) == _rounded(expected), (name, f)
            fast += agg.scope(f, width) is not None
    return fast


def _rounded(value: object) -> object:
    """Sums of prices, kept by adding and taking away, may differ in the last bits."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: _rounded(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


async def test_every_aggregated_figure_is_the_raw_one(db: Database) -> None:
    store = SqliteStore(db)
    fast = await compare(store, FILTERS)
    assert fast == len(FILTERS) * len(READS)  # every one of them read the aggregates
    hourly = await compare(store, HOURLY)
    assert hourly == len(HOURLY) * len(WIDTH)  # on hour boundaries: the hourly tables only


async def test_answer_profiles_read_the_profiles_unless_a_question_is_free_text(
    db: Database,
) -> None:
    """Emptied behind the store's back, agg_profiles gives nothing: the profiles were read
    from it; a free-text question ("comment") has no place in a profile: raw rows."""
    await db.conn.execute("DELETE FROM agg_profiles")
    await db.conn.commit()
    async with SqliteStore(db).read() as tx:
        assert await tx.results.answer_profiles(ReportFilter(), "recommend", ("nps",)) == []
        with_text = await tx.results.answer_profiles(ReportFilter(), "recommend", ("comment",))
    assert sum(profile.n for profile in with_text) == sum(
        c.flow_id == "recommend" for c in DATA.conversations
    )


async def test_the_figures_stay_right_as_writers_change_the_rows(db: Database) -> None:
    await change_rows(db.conn, random.Random(17))
    store = SqliteStore(db)
    await compare(store, FILTERS + HOURLY)
    assert await snapshot(db.conn) == await rebuilt(db.conn)


async def test_the_whole_report_is_the_same_from_the_aggregates(db: Database) -> None:
    store = SqliteStore(db)
    flows = marked_flows(FLOWS)  # with avoidable demand marked: its section too
    for f in (ReportFilter(), ReportFilter(group_by="unit", include_trials=True)):
        got = await full_report(store, f, flows, min_group=5)
        expected = await full_report(store, reference(f), flows, min_group=5)
        sections = got["sections"]
        assert isinstance(sections, dict) and sections["avoidable"]
        assert _rounded(got["sections"]) == _rounded(expected["sections"])


async def test_the_migration_fills_the_tables_from_what_was_stored(db: Database) -> None:
    """A rebuild (what the migration and `smsbot db rebuild-aggregates` run) from the raw rows
    gives the tables the triggers kept."""
    found = await snapshot(db.conn)
    assert found == await rebuilt(db.conn)
    assert len(found["agg_drops"]) > 20  # surveys that ended unfinished, each with its question
    async with db.conn.execute("SELECT SUM(started) FROM agg_surveys") as cur:
        [(started,)] = list(await cur.fetchall())
    assert started == len(DATA.conversations) + len(TRIALS.conversations)


# --- writers -------------------------------------------------------------------------------


_SCALES = "kind = 'scale'"
_FAILED = "status = 'failed', price = NULL"
_RECOSTED = "currency = 'SEK', segments = 3"
# Late answers to the last question of ten surveys that expired unanswered: no longer dropped.
_LATE_ANSWERS = """INSERT INTO answers (conversation_id, flow_id, flow_version, question_id, kind,
        value_text, raw_text, created_at)
    SELECT c.id, c.flow_id, c.flow_version, m.question_id, 'yesno', 'yes', 'ja', c.created_at
    FROM conversations c JOIN messages m ON m.id = (SELECT MAX(id) FROM messages
        WHERE conversation_id = c.id AND purpose = 'question')
    WHERE c.status = 'expired' AND NOT EXISTS (SELECT 1 FROM answers a
        WHERE a.conversation_id = c.id AND a.question_id = m.question_id)
    ORDER BY c.id LIMIT 10"""
# A second answer to "solved" (a correction): the latest answer wins in answer profiles.
_CORRECTED = """INSERT INTO answers (conversation_id, flow_id, flow_version, question_id, kind,
        value_text, raw_text, created_at)
    SELECT conversation_id, flow_id, flow_version, question_id, kind,
        CASE value_text WHEN 'yes' THEN 'no' ELSE 'yes' END, 'rättat', created_at
    FROM answers WHERE question_id = 'solved' AND problem IS NULL AND conversation_id = ?"""
_CANCELLED = "status = 'cancelled' WHERE purpose = 'question'"
_AGAIN = """(conversation_id, direction, body, purpose, status, created_at, updated_at)
    SELECT conversation_id, 'out', 'again', 'opening', 'delivered', created_at, updated_at
    FROM messages"""  # a second delivered opening: the conversation still counts once


async def change_rows(conn: aiosqlite.Connection, rng: random.Random) -> None:
    """What the gateway, trials marking, corrections and retention do to stored rows."""
    ids = [row[0] for row in await _all(conn, "SELECT id FROM conversations ORDER BY id")]
    picked = rng.sample(ids, 140)
    statements = [
        ("UPDATE conversations SET status = 'completed' WHERE id = ?", picked[0:20]),
        ("UPDATE conversations SET first_reply_at = created_at WHERE id = ?", picked[20:30]),
        ("UPDATE conversations SET trial = 1 - trial WHERE id = ?", picked[30:50]),
        (
            f"UPDATE conversations SET unit = '{UNITS[3]}', channel = NULL WHERE id = ?",
            picked[50:60],
        ),
        ("UPDATE answers SET problem = 'unclear' WHERE conversation_id = ?", picked[60:70]),
        (
            f"UPDATE answers SET value_num = 1 WHERE {_SCALES} AND conversation_id = ?",
            picked[70:80],
        ),
        (f"UPDATE messages SET {_FAILED} WHERE conversation_id = ?", picked[80:90]),
        (f"UPDATE messages SET {_RECOSTED} WHERE conversation_id = ?", picked[90:95]),
    ]
    statements += [
        (f"INSERT INTO messages {_AGAIN} WHERE conversation_id = ?", picked[40:45]),
        (
            "UPDATE events SET decision = 'skipped', reason = NULL WHERE conversation_id = ?",
            picked[0:10],
        ),
        ("UPDATE events SET trial = 1, unit = NULL WHERE conversation_id = ?", picked[10:15]),
        ("DELETE FROM events WHERE conversation_id = ?", picked[15:20]),
    ]
    statements += [
        ("UPDATE conversations SET status = 'expired' WHERE id = ?", picked[120:130]),
        (_CORRECTED, picked[0:40]),
        (f"UPDATE messages SET {_CANCELLED} AND conversation_id = ?", picked[130:140]),
    ]
    for table in ("answers", "messages", "timers", "feedback"):
        statements.append((f"DELETE FROM {table} WHERE conversation_id = ?", picked[95:110]))
    statements.append(("DELETE FROM conversations WHERE id = ?", picked[95:110]))
    statements.append(("DELETE FROM answers WHERE conversation_id = ?", picked[110:120]))
    await conn.execute("BEGIN")
    await conn.execute(_LATE_ANSWERS)
    for sql, chosen in statements:
        await conn.executemany(sql, [(cid,) for cid in chosen])
    await conn.commit()


# --- the tables ----------------------------------------------------------------------------

_KEYS = {
    "agg_surveys": 7,
    "agg_answers": 10,
    "agg_cost": 8,
    "agg_events": 9,
    "agg_profiles": 8,
}  # a table: its key's columns


_DROPS = "SELECT * FROM agg_drops ORDER BY conversation_id"


async def snapshot(conn: aiosqlite.Connection) -> dict[str, list[Any]]:
    """Each table's rows that hold anything (a cell emptied by changes stays, all zeros)."""
    found = {}
    for table, key in _KEYS.items():
        order = ", ".join(str(i + 1) for i in range(key))
        rows = [tuple(row) for row in await _all(conn, f"SELECT * FROM {table} ORDER BY {order}")]
        found[table] = [_rounded(row) for row in rows if any(map(_nonzero, row[key:]))]
    found["agg_drops"] = [tuple(row) for row in await _all(conn, _DROPS)]
    for table in ("agg_profile_of", "agg_text_questions"):
        found[table] = [tuple(row) for row in await _all(conn, f"SELECT * FROM {table} ORDER BY 1")]
    return found


def _nonzero(value: object) -> bool:
    return isinstance(value, int | float) and round(value, 6) != 0


async def rebuilt(conn: aiosqlite.Connection) -> dict[str, list[Any]]:
    await conn.execute("BEGIN")
    for statement in filter(None, (s.strip() for s in ALL_REBUILD.split(";"))):
        await conn.execute(statement)
    await conn.commit()
    return await snapshot(conn)


async def _all(conn: aiosqlite.Connection, sql: str) -> list[Any]:
    async with conn.execute(sql) as cur:
        return list(await cur.fetchall())


# --- smsbot db rebuild-aggregates ------------------------------------------------------------


def test_the_rebuild_command_mends_tables_changed_behind_the_stores_back(tmp_path: Path) -> None:
    path = database_with(tmp_path / "mend.db", DATA)
    with sqlite3.connect(path) as conn:
        expected = _figures(conn)
        conn.execute("DROP TRIGGER agg_answer_insert")  # a writer the triggers miss
        conn.execute("DELETE FROM agg_answers")
        conn.execute("UPDATE agg_surveys SET started = started + 1")
        assert _figures(conn) != expected
    env = {
        "SMSBOT_CONFIG": str(ROOT / "config.toml"),
        "SMSBOT_DATABASE__PATH": str(path),
        "SMSBOT_FLOWS__DIR": str(ROOT / "flows"),
    }
    result = CliRunner().invoke(main, ["db", "rebuild-aggregates"], env=env)
    assert result.exit_code == 0, result.output
    assert "agg_answers: " in result.stdout and "rebuilt in " in result.stdout
    with sqlite3.connect(path) as conn:
        assert _figures(conn) == expected


def _figures(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT SUM(started), (SELECT SUM(n) FROM agg_answers),"
        " (SELECT COUNT(*) FROM agg_answers WHERE n != 0) FROM agg_surveys"
    ).fetchall()
