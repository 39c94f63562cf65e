"""Exports for analysts: pseudonymous rows, never a phone number, streamed in constant memory."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest
from click.testing import CliRunner

from smsbot.cli.export import export
from smsbot.config import Config
from smsbot.results.export import EXPORTS, parse_since, write_export
from smsbot.storage.sqlite.db import Database, open_database, ts
from smsbot.storage.sqlite.tx import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

# The test data's numbers, and every form they could leak in.
PHONES = {
    "+46701740642": ("46701740642", "0701740642", "070-174 06 42", "70 174 06 42"),
    "+358401234567": ("358401234567", "0401234567", "040 123 4567", "40 1234567"),
}
FORMS = [form for e164, others in PHONES.items() for form in (e164, *others)]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    opened = await open_database(tmp_path / "smsbot.db")
    yield opened
    await opened.close()


async def seed(db: Database) -> None:
    """Two conversations with every phone-bearing row the gateway writes."""
    async with db.transaction() as conn:
        for flow in ("contact-centre", "health-visit"):
            await conn.execute("INSERT INTO flow_versions VALUES (?, '3', '{}', ?)", (flow, ts(T0)))
        for n, (phone, flow, language) in enumerate(
            [("+46701740642", "contact-centre", "sv"), ("+358401234567", "health-visit", "fi")]
        ):
            await _conversation(conn, n, phone, flow, language)


async def _conversation(
    conn: aiosqlite.Connection, n: int, phone: str, flow: str, language: str
) -> None:
    cid = f"conv{n}"
    at = ts(T0 + timedelta(days=n))
    await conn.execute(
        "INSERT INTO events (source, source_id, type, occurred_at, received_at, phone, respondent,"
        " unit, service, attributes, decision, conversation_id, answer)"
        " VALUES ('crm', ?, 'contact.closed', ?, ?, ?, ?, 'Unit', 'Service', '{}', 'started', ?,"
        " '{}')",
        (f"e{n}", at, at, phone, f"resp{n}", cid),
    )
    await conn.execute(
        "INSERT INTO conversations (id, flow_id, flow_version, phone, respondent, sender, language,"
        " status, step, state, unit, service, channel, attributes, journey_id, journey_step,"
        " created_at, updated_at, first_reply_at, ended_at)"
        " VALUES (?, ?, '3', ?, ?, 'smsbot', ?, 'completed', 2, '{}', 'Unit', 'Service', 'phone',"
        " ?, 'j1', 'visit', ?, ?, ?, ?)",
        (cid, flow, phone, f"resp{n}", language, json.dumps({"age": "40-49"}), at, at, at, at),
    )
    await conn.execute(
        "INSERT INTO messages (conversation_id, direction, phone, body, status, created_at,"
        " updated_at) VALUES (?, 'out', ?, 'Hej! Svara 1-5.', 'delivered', ?, ?)",
        (cid, phone, at, at),
    )
    cur = await conn.execute(
        "INSERT INTO messages (conversation_id, direction, phone, body, status, created_at,"
        " updated_at) VALUES (?, 'in', ?, '4 lång kö', 'received', ?, ?)",
        (cid, phone, at, at),
    )
    cur = await conn.execute(
        "INSERT INTO answers (conversation_id, message_id, flow_id, flow_version, question_id,"
        " kind, value_num, value_text, raw_text, comment, created_at)"
        " VALUES (?, ?, ?, '3', 'csat', 'scale', 4, NULL, '4 lång kö', 'lång kö', ?)",
        (cid, cur.lastrowid, flow, at),
    )
    await conn.execute(
        "INSERT INTO answers (conversation_id, flow_id, flow_version, question_id, kind,"
        " value_text, raw_text, created_at) VALUES (?, ?, '3', 'solved', 'yesno', 'yes', 'ja', ?)",
        (cid, flow, at),
    )
    cur = await conn.execute(
        "INSERT INTO feedback (conversation_id, answer_id, flow_id, question_id, unit, service,"
        " language, text, created_at) VALUES (?, ?, ?, 'csat', 'Unit', 'Service', ?, 'lång kö', ?)",
        (cid, cur.lastrowid, flow, language, at),
    )
    await conn.execute(
        "INSERT INTO feedback_tags VALUES (?, 'waiting', 'confirmed', 'Anna', ?)",
        (cur.lastrowid, at),
    )
    await conn.execute(
        "INSERT INTO inbound_parts (phone, sender, concat_ref, total, part, text, provider_ref,"
        " received_at) VALUES (?, 'smsbot', 'ref', 2, 1, 'half', ?, ?)",
        (phone, f"p{n}", at),
    )


async def exported(db: Database, what: str, fmt: str, **filters: object) -> str:
    out = io.StringIO()
    await write_export(SqliteStore(db), what, out, fmt=fmt, **filters)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("what", list(EXPORTS))
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_no_phone_number_in_any_export(db: Database, what: str, fmt: str) -> None:
    await seed(db)
    text = await exported(db, what, fmt)
    assert text.count("\n") >= 2
    data = text.encode()
    for form in FORMS:
        assert form.encode() not in data, (form, what, fmt)


async def test_answers_csv_columns(db: Database) -> None:
    await seed(db)
    rows = list(csv.DictReader(io.StringIO(await exported(db, "answers", "csv"))))
    assert len(rows) == 4
    first = rows[0]
    assert list(first) == list(EXPORTS["answers"].columns)
    assert first["flow"] == "contact-centre"
    assert first["flow_version"] == "3"
    assert (first["question"], first["kind"], first["value"]) == ("csat", "scale", "4")
    assert (first["raw_text"], first["comment"]) == ("4 lång kö", "lång kö")
    assert json.loads(first["attributes"]) == {"age": "40-49"}
    assert first["respondent"] == "resp0"
    assert (first["journey_id"], first["journey_step"]) == ("j1", "visit")
    assert first["conversation_created_at"] == first["ended_at"] == ts(T0)
    assert rows[1]["value"] == "yes"


async def test_jsonl_has_objects_and_lists(db: Database) -> None:
    await seed(db)
    answers = [json.loads(line) for line in (await exported(db, "answers", "jsonl")).splitlines()]
    assert answers[0]["value"] == 4
    assert answers[0]["attributes"] == {"age": "40-49"}
    feedback = [json.loads(line) for line in (await exported(db, "feedback", "jsonl")).splitlines()]
    assert feedback[0]["confirmed_tags"] == ["waiting"]
    assert feedback[0]["suggested_tags"] == []
    conversations = (await exported(db, "conversations", "jsonl")).splitlines()
    assert json.loads(conversations[0])["answers"] == 2


async def test_flow_and_since_filters(db: Database) -> None:
    await seed(db)
    only = await exported(db, "answers", "jsonl", flow="health-visit")
    assert {json.loads(line)["flow"] for line in only.splitlines()} == {"health-visit"}
    later = await exported(db, "conversations", "jsonl", since=T0 + timedelta(hours=1))
    assert [json.loads(line)["conversation_id"] for line in later.splitlines()] == ["conv1"]


def test_parse_since() -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 11, 23, tzinfo=UTC)
    assert parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="expected a date"):
        parse_since("last week", now)


# --- streaming ---------------------------------------------------------------------------------

MANY = 200_000


def _answers(count: int) -> Iterator[tuple[object, ...]]:
    for n in range(count):
        at = ts(T0 + timedelta(seconds=n))
        yield (f"c{n // 5}", "contact-centre", "3", f"q{n % 5}", "scale", n % 5 + 1, str(n), at)


@pytest.mark.timeout(600)  # 200 000 answers through the aggregates' triggers first
async def test_a_large_export_streams_in_constant_memory(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO flow_versions VALUES ('contact-centre', '3', '{}', ?)", ("t",)
        )
        await conn.executemany(
            "INSERT INTO conversations (id, flow_id, flow_version, respondent, language, status,"
            " step, state, unit, created_at, updated_at) VALUES (?, 'contact-centre', '3', ?, 'sv',"
            " 'completed', 5, '{}', 'Kontaktcenter', ?, ?)",
            ((f"c{n}", f"r{n}", ts(T0), ts(T0)) for n in range(MANY // 5)),
        )
        await conn.executemany(
            "INSERT INTO answers (conversation_id, flow_id, flow_version, question_id, kind,"
            " value_num, raw_text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            _answers(MANY),
        )
    target = tmp_path / "answers.csv"
    tracemalloc.start()
    try:
        with target.open("w", encoding="utf-8", newline="") as out:
            count = await write_export(SqliteStore(db), "answers", out, fmt="csv")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == MANY
    with target.open(encoding="utf-8", newline="") as handle:
        assert sum(1 for _ in csv.reader(handle)) == MANY + 1
    assert peak < 10 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert target.stat().st_size > 20 * 1024 * 1024  # the file is larger than what we held


# --- the command -------------------------------------------------------------------------------


def test_the_export_command(config: Config, tmp_path: Path) -> None:
    async def prepare() -> None:
        opened = await open_database(config.database.path)
        try:
            await seed(opened)
        finally:
            await opened.close()

    asyncio.run(prepare())
    target = tmp_path / "out.csv"
    args = ["feedback", "--format", "csv", "--out", str(target), "--bom", "--flow", "health-visit"]
    result = CliRunner().invoke(export, args, obj=config)
    assert result.exit_code == 0, result.output
    assert "1 feedback row(s) exported" in result.stderr
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufefffeedback_id,")
    assert len(text.splitlines()) == 2
    result = CliRunner().invoke(export, ["answers", "--format", "jsonl"], obj=config)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 4
    result = CliRunner().invoke(export, ["answers", "--since", "yesterday"], obj=config)
    assert result.exit_code == 2
    assert "expected a date" in result.stderr
