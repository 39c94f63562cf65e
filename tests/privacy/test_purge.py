"""Privacy over time: numbers go once retention has passed, from every table and from the disk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest
from click.testing import CliRunner

from smsbot.bootstrap.parts import Parts, database_of
from smsbot.cli.purge import purge_command
from smsbot.config import Config, load_config
from smsbot.domain import InboundPart
from smsbot.gateway.inbound import Inbound
from smsbot.gateway.loops import every
from smsbot.gateway.surveys import StartRequest
from smsbot.metrics import Metrics
from smsbot.privacy.retention import PurgeCounts, PurgeTask, parse_retention, purge
from smsbot.storage.sqlite.db import Database, open_database, ts
from smsbot.storage.sqlite.tx import SqliteStore
from tests.conftest import ManualClock

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

OLD = "+46701740642"  # conversation ended 30 days ago
RECENT = "+358401234567"  # ended an hour ago
ACTIVE = "+46709876543"  # still answering
UNKNOWN = "+46731234567"  # wrote to us with no conversation
SKIPPED = "+358451112223"  # event skipped (fatigue), no conversation
SCHEDULED = "+358505556667"  # event scheduled for later: the survey has yet to start

NATIONAL = {"+46": "0", "+358": "0"}


def forms(e164: str) -> list[str]:
    """E.164, without +, national (0...)."""
    country = "+358" if e164.startswith("+358") else "+46"
    return [e164, e164[1:], NATIONAL[country] + e164[len(country) :]]


async def add_conversation(
    conn: aiosqlite.Connection, cid: str, phone: str, *, ended: datetime | None
) -> None:
    created = ts((ended or NOW) - timedelta(hours=1))
    status = "active" if ended is None else "completed"
    await conn.execute(
        "INSERT INTO conversations (id, flow_id, flow_version, phone, respondent, sender, language,"
        " status, step, state, unit, created_at, updated_at, ended_at)"
        " VALUES (?, 'health-visit', '1', ?, ?, 'smsbot', 'fi', ?, 1, '{}', 'Kajaani', ?, ?, ?)",
        (cid, phone, f"hash-{cid}", status, created, created, ts(ended) if ended else None),
    )
    await conn.execute(
        "INSERT INTO events (source, source_id, type, occurred_at, received_at, phone, respondent,"
        " attributes, decision, conversation_id, answer)"
        " VALUES ('emr', ?, 'visit.completed', ?, ?, ?, ?, '{}', 'started', ?, '{}')",
        (f"e-{cid}", created, created, phone, f"hash-{cid}", cid),
    )
    for direction, body in (("out", f"Hei! Kysely {cid}"), ("in", "5 kiitos")):
        status = "delivered" if direction == "out" else "received"
        await conn.execute(
            "INSERT INTO messages (conversation_id, direction, phone, body, status, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (cid, direction, phone, body, status, created, created),
        )
    await conn.execute(
        "INSERT INTO answers (conversation_id, flow_id, flow_version, question_id, kind,"
        " value_num, raw_text, created_at) VALUES (?, 'health-visit', '1', 'csat', 'scale', 5,"
        " '5 kiitos', ?)",
        (cid, created),
    )


async def seed(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO flow_versions VALUES ('health-visit', '1', '{}', 't')")
        await add_conversation(conn, "old", OLD, ended=NOW - 30 * DAY)
        await add_conversation(conn, "recent", RECENT, ended=NOW - timedelta(hours=1))
        await add_conversation(conn, "active", ACTIVE, ended=None)
        for direction, body in (("in", "Mikä tämä on?"), ("out", "Tästä numerosta lähetetään")):
            await conn.execute(
                "INSERT INTO messages (conversation_id, direction, phone, body, status, created_at,"
                " updated_at) VALUES (NULL, ?, ?, ?, 'sent', ?, ?)",
                (direction, UNKNOWN, body, ts(NOW - 2 * DAY), ts(NOW - 2 * DAY)),
            )
        for phone, decision, due in ((SKIPPED, "skipped", None), (SCHEDULED, "scheduled", NOW)):
            await conn.execute(
                "INSERT INTO events (source, source_id, type, occurred_at, received_at, phone,"
                " respondent, attributes, decision, reason, due_at, answer)"
                " VALUES ('emr', ?, 'visit.completed', ?, ?, ?, 'h', '{}', ?, 'fatigue', ?, '{}')",
                (
                    f"e-{decision}",
                    ts(NOW - DAY),
                    ts(NOW - DAY),
                    phone,
                    decision,
                    ts(due) if due else None,
                ),
            )
        await conn.execute(
            "INSERT INTO inbound_parts (phone, sender, concat_ref, total, part, text,"
            " provider_ref, received_at) VALUES (?, 'smsbot', 'r1', 2, 1, 'Jonossa', 'p1', ?)",
            (OLD, ts(NOW - 2 * DAY)),
        )
        await conn.execute("INSERT INTO opt_outs VALUES ('hash-old', ?)", (ts(NOW),))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    opened = await open_database(tmp_path / "smsbot.db")
    await seed(opened)
    yield opened
    await opened.close()


async def everything_as_text(conn: aiosqlite.Connection) -> str:
    """Every column of every table, cast to text: where a number could hide."""
    sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    async with conn.execute(sql) as cur:
        tables = [str(r[0]) for r in await cur.fetchall()]
    chunks: list[str] = []
    for table in tables:
        async with conn.execute(f"PRAGMA table_info({table})") as cur:
            columns = [str(r[1]) for r in await cur.fetchall()]
        casts = ", ".join(f"CAST({c} AS TEXT)" for c in columns)
        async with conn.execute(f"SELECT {casts} FROM {table}") as cur:
            chunks.extend(str(v) for row in await cur.fetchall() for v in row if v is not None)
    return "\n".join(chunks)


def file_bytes(db: Database) -> bytes:
    """The database file and its WAL (and any journal), as on the disk."""
    files = sorted(db.path.parent.glob(db.path.name + "*"))
    return b"".join(f.read_bytes() for f in files if not f.name.endswith("-shm"))


def present(haystack: str, phone: str) -> bool:
    return any(form in haystack for form in forms(phone))


async def test_retention_zero_removes_every_ended_number_from_tables_and_disk(
    db: Database,
) -> None:
    wal = db.path.with_name(db.path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the test data is (also) in the WAL
    before = file_bytes(db)
    assert OLD[1:].encode() in before and RECENT[1:].encode() in before

    counts = await purge(SqliteStore(db), retention_seconds=0, now=NOW)

    assert counts == PurgeCounts(
        conversations=2, messages=4, unknown_messages=2, events=3, inbound_parts=1
    )
    text = await everything_as_text(db.conn)
    for gone in (OLD, RECENT, UNKNOWN, SKIPPED):
        assert not present(text, gone), gone
    for kept in (ACTIVE, SCHEDULED):
        assert present(text, kept), kept
    on_disk = file_bytes(db)
    for gone in (OLD, RECENT, UNKNOWN, SKIPPED):
        for form in forms(gone):
            digits = form.lstrip("+").encode()
            assert digits not in on_disk, form
    assert ACTIVE[1:].encode() in on_disk
    assert not wal.exists() or wal.stat().st_size == 0


async def test_what_stays_after_a_purge(db: Database) -> None:
    await purge(SqliteStore(db), retention_seconds=0, now=NOW)
    async with db.conn.execute(
        "SELECT conversation_id, direction, body FROM messages ORDER BY id"
    ) as cur:
        messages = [tuple(r) for r in await cur.fetchall()]
    assert ("old", "out", None) in messages  # our text: the flow reproduces it
    assert ("old", "in", "5 kiitos") in messages  # the citizen's reply stays (it is an answer)
    assert ("active", "out", "Hei! Kysely active") in messages
    async with db.conn.execute("SELECT id, respondent FROM conversations ORDER BY id") as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [
            ("active", "hash-active"),
            ("old", "hash-old"),
            ("recent", "hash-recent"),
        ]
    async with db.conn.execute("SELECT COUNT(*) FROM answers") as cur:
        assert (await cur.fetchone())[0] == 3  # type: ignore[index]
    async with db.conn.execute("SELECT respondent FROM opt_outs") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["hash-old"]


async def test_a_week_of_retention_keeps_recent_numbers(db: Database) -> None:
    counts = await purge(SqliteStore(db), retention_seconds=7 * 86400, now=NOW)
    assert (counts.conversations, counts.messages, counts.events) == (1, 2, 1)
    assert counts.unknown_messages == 0  # two days old: not yet
    assert counts.inbound_parts == 1  # parts older than a day go whatever the retention
    text = await everything_as_text(db.conn)
    assert not present(text, OLD)
    for kept in (RECENT, ACTIVE, UNKNOWN, SKIPPED, SCHEDULED):
        assert present(text, kept), kept
    again = await purge(SqliteStore(db), retention_seconds=7 * 86400, now=NOW)
    assert again.total == 0


async def test_a_message_still_on_its_way_keeps_its_number(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO messages (conversation_id, direction, phone, body, status, created_at,"
            " updated_at) VALUES ('recent', 'out', ?, 'Kiitos!', 'queued', ?, ?)",
            (RECENT, ts(NOW), ts(NOW)),
        )
    await purge(SqliteStore(db), retention_seconds=0, now=NOW)
    sql = "SELECT phone, body FROM messages WHERE status = 'queued'"
    async with db.conn.execute(sql) as cur:
        assert [tuple(r) for r in await cur.fetchall()] == [(RECENT, "Kiitos!")]
    async with db.transaction() as conn:
        await conn.execute("UPDATE messages SET status = 'sent' WHERE status = 'queued'")
    assert (await purge(SqliteStore(db), retention_seconds=0, now=NOW)).messages == 1


async def test_secure_delete_is_on(db: Database) -> None:
    async with db.conn.execute("PRAGMA secure_delete") as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]


def test_parse_retention() -> None:
    assert parse_retention("0") == 0
    assert parse_retention("0s") == 0
    assert parse_retention("7d") == 7 * 86400
    with pytest.raises(ValueError):
        parse_retention("a week")


async def test_the_periodic_task_purges_until_stopped(db: Database) -> None:
    class Clock:
        def now(self) -> datetime:
            return NOW

    stopping = asyncio.Event()
    task = PurgeTask(SqliteStore(db), retention_seconds=0, clock=Clock(), every_seconds=0.01)
    running = asyncio.create_task(every(task.every_seconds, task.due, stopping, name="purge"))
    await asyncio.sleep(0.2)
    stopping.set()
    await asyncio.wait_for(running, timeout=5)
    assert not present(await everything_as_text(db.conn), OLD)


# --- long SMS: reassembled through the real code, then purged ----------------------------------

LONG_REPLY = (
    "2 Jouduin soittamaan kolme kertaa ennen kuin pääsin oikealle käsittelijälle, ja joka kerta "
    "piti selittää asia alusta. Lopulta asia hoitui, mutta siihen meni koko aamupäivä."
)
OUR_NUMBER = "358401740000"


def long_parts(phone: str, ref_base: str) -> list[InboundPart]:
    chunks = [LONG_REPLY[i : i + 153] for i in range(0, len(LONG_REPLY), 153)]
    return [
        InboundPart(phone, OUR_NUMBER, chunk, f"{ref_base}{n}", "108", len(chunks), n)
        for n, chunk in enumerate(chunks, start=1)
    ]


async def test_retention_zero_leaves_no_number_of_a_long_sms(
    parts: Parts, clock: ManualClock
) -> None:
    """A citizen's long reply in a survey and one from a number with no survey, each in two
    parts; and a reassembled message stored before this version (its ref held the number)."""
    inbound = Inbound(parts.surveys, Metrics())
    flow = next(f for f in parts.catalog.flows() if f.id == "contact-centre")
    started = await parts.surveys.start(StartRequest(flow, OLD, sender=OUR_NUMBER, unit="Kajaani"))
    assert started.conversation_id is not None
    results = [await inbound.part(part) for part in long_parts(OLD, "0A00000001")]
    assert results[-1] is not None and results[-1].outcome == "answered"
    unknown = [await inbound.part(part) for part in long_parts(UNKNOWN, "0A00000002")]
    assert unknown[-1] is not None and unknown[-1].outcome == "unknown"
    async with database_of(parts).transaction() as conn:  # an old row, from before the fix
        await conn.execute(
            "INSERT INTO messages (conversation_id, direction, phone, body, status, provider_ref,"
            " created_at, updated_at) VALUES (?, 'in', NULL, 'Kiitos', 'received', ?, ?, ?)",
            (started.conversation_id, f"concat:{RECENT}:17", ts(NOW), ts(NOW)),
        )
        await conn.execute("UPDATE messages SET status = 'sent' WHERE direction = 'out'")
    step = (await database_of(parts).conn.execute_fetchall("SELECT step FROM conversations"))[0][0]
    assert await parts.surveys.expire(started.conversation_id, int(step))
    assert present(await everything_as_text(database_of(parts).conn), OLD)

    clock.advance(seconds=1)
    await purge(parts.store, retention_seconds=0, now=clock.now())

    text = await everything_as_text(database_of(parts).conn)
    on_disk = file_bytes(database_of(parts))
    for gone in (OLD, UNKNOWN, RECENT):
        assert not present(text, gone), gone
        for form in forms(gone):
            assert form.lstrip("+").encode() not in on_disk, form
    async with database_of(parts).conn.execute("SELECT raw_text FROM answers") as cur:
        assert [r[0] for r in await cur.fetchall()] == [LONG_REPLY]  # the answer stays


async def test_the_parts_of_a_whole_message_stay_three_days_for_late_retries(
    parts: Parts, clock: ManualClock
) -> None:
    inbound = Inbound(parts.surveys, Metrics())
    sent = long_parts(UNKNOWN, "0B00000001")
    assert [await inbound.part(part) for part in sent][-1] is not None
    week = 7 * 86400
    at = clock.now() + 3 * DAY
    almost = await purge(parts.store, retention_seconds=week, now=at - timedelta(seconds=1))
    assert almost.inbound_parts == 0
    late = await inbound.part(sent[0])  # Vonage retries for up to 72 hours
    assert late is not None and late.outcome == "duplicate"
    gone = await purge(parts.store, retention_seconds=week, now=at)
    assert gone.inbound_parts == len(sent)


# --- the command -------------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(
        ROOT / "config.toml",
        environ={
            "SMSBOT_DATABASE__PATH": str(tmp_path / "cli.db"),
            "SMSBOT_FLOWS__DIR": str(ROOT / "flows"),
            "SMSBOT_PRIVACY__PSEUDONYM_KEY": "k",
        },
    )


def test_the_purge_command(config: Config) -> None:
    async def prepare() -> None:
        opened = await open_database(config.database.path)
        try:
            async with opened.transaction() as conn:
                await conn.execute(
                    "INSERT INTO flow_versions VALUES ('health-visit', '1', '{}', 't')"
                )
                await add_conversation(conn, "a", OLD, ended=datetime.now(UTC) - 30 * DAY)
                await add_conversation(conn, "b", RECENT, ended=datetime.now(UTC) - DAY)
        finally:
            await opened.close()

    asyncio.run(prepare())
    result = CliRunner().invoke(purge_command, [], obj=config)  # config: retention 7d
    assert result.exit_code == 0, result.output
    assert "conversations: 1\n" in result.stdout
    result = CliRunner().invoke(purge_command, ["--retention", "0"], obj=config)
    assert result.exit_code == 0
    assert "conversations: 1\nmessages: 2\n" in result.stdout
    result = CliRunner().invoke(purge_command, ["--retention", "soon"], obj=config)
    assert result.exit_code == 2
    assert "--retention" in result.stderr
