"""At production size: no statement on the hot path reads the history.

A database holds months of ended conversations (a million answers, 2.6 M messages) beside the
few that are in progress. Every statement the gateway runs for a webhook, a send or a timer
must find its rows through an index (SQLite's plan says SEARCH), so that its cost follows the
work in progress and not the history. SQLite plans the same way on an empty file as on a full
one (the gateway never runs ANALYZE), so the plans are read on a small real database: every
statement a running gateway executed is traced, then explained.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import aiosqlite
import pytest
from aiohttp.test_utils import TestServer

from smsbot.bootstrap.parts import database_of
from smsbot.bootstrap.serve import build_gateway
from smsbot.bootstrap.web import build_app
from smsbot.config import load_config
from smsbot.feedback.review import suggest_new
from smsbot.feedback.taxonomy import Tag, Taxonomy, load_taxonomy
from smsbot.storage.sqlite.db import Database, open_database, ts
from smsbot.storage.sqlite.tx import SqliteStore
from tests.conftest import ManualClock
from tests.fakevonage import FakeVonage
from tests.feedback.test_tagging import FEEDBACK, T0, TAGS, seed
from tests.harness import OUR_NUMBER, ROOT, Running, gateway_env, wait_for

# Partial indexes that hold only messages not yet sent: their size is the backlog, never the
# history, so a statement whose job is to visit every such message (the queue depth, the
# recovery after a crash) may scan one of them.
OUTBOX_INDEXES = ("messages_due", "messages_pending_phone", "messages_sending")
_PLANNED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
_VALUES = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


async def plan(conn: aiosqlite.Connection, sql: str) -> list[str]:
    """The plan's steps. An INSERT is planned without foreign keys: into a table with
    triggers (the aggregates'), SQLite also codes a scan of the tables whose foreign keys
    point at it, to see whether the new row resolves a deferred violation; that scan runs only
    while one is outstanding (OP_FkIfZero skips it), never on the hot path. An INSERT's own
    foreign key checks look up a parent by its key: nothing to miss."""
    insert = sql.lstrip().upper().startswith("INSERT")
    if insert:
        await conn.execute("PRAGMA foreign_keys = OFF")
    try:
        async with conn.execute(f"EXPLAIN QUERY PLAN {sql}") as cur:
            return [row[3] for row in await cur.fetchall()]
    finally:
        if insert:
            await conn.execute("PRAGMA foreign_keys = ON")


def reads_history(step: str) -> bool:
    """A plan step that visits rows without an index bound: a SCAN, except of a constant row
    or of an index of messages not yet sent."""
    if not step.startswith("SCAN ") or step == "SCAN CONSTANT ROW":
        return False
    return not any(step.endswith(f" INDEX {name}") for name in OUTBOX_INDEXES)


def shape(sql: str) -> str:
    """A traced statement (its values written in) as written in the code: values as `?`."""
    return " ".join(_VALUES.sub("?", sql).split())


async def scanning(conn: aiosqlite.Connection, statements: list[str]) -> dict[str, list[str]]:
    """Each statement (by shape) whose plan reads the history, with that plan."""
    found = {}
    for sql in dict.fromkeys(statements):
        if sql.lstrip().upper().startswith(_PLANNED):
            steps = await plan(conn, sql)
            if any(reads_history(step) for step in steps):
                found[shape(sql)] = steps
    return found


# --- the sender's claim ---------------------------------------------------------------------


async def test_the_senders_claim_searches_an_index_in_order(
    tmp_path: Path, clock: ManualClock
) -> None:
    """The claim asks for queued or uncertain messages that are due, replies first: it must
    search the outbox's own index, in that index's order (no sort of every due message)."""
    db = await open_database(tmp_path / "claim.db")
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)
    try:
        async with SqliteStore(db).write() as tx:
            await tx.outbox.claim_due(clock.now(), 4)
        (claim,) = [s for s in statements if s.lstrip().startswith("SELECT")]
        steps = await plan(db.conn, claim)
    finally:
        await db.close()
    assert not [s for s in steps if s.startswith("SCAN")], steps
    assert not [s for s in steps if "TEMP B-TREE" in s], steps
    assert steps[0].startswith("SEARCH m USING INDEX messages_due ("), steps


# --- every statement of a running gateway ----------------------------------------------------


@asynccontextmanager
async def traced_gateway(
    env: dict[str, str], clock: ManualClock
) -> AsyncIterator[tuple[Running, list[str]]]:
    """A gateway on loopback whose every SQL statement is recorded. Only the sender runs in
    the background (timers are fired by the test; the hourly purge and the tag suggestions do
    not run), so that what is traced is the work of webhooks, sends and timers."""
    gateway = await build_gateway(load_config(ROOT / "config.toml", environ=env), clock=clock)
    statements: list[str] = []
    await database_of(gateway.parts).conn.set_trace_callback(statements.append)
    server = TestServer(build_app(gateway), host="127.0.0.1")
    await server.start_server()
    stopping = asyncio.Event()
    sender = asyncio.create_task(gateway.sender.run(stopping))
    async with aiohttp.ClientSession() as http:
        try:
            yield Running(gateway, http, str(server.make_url("")).rstrip("/"), clock), statements
        finally:
            stopping.set()
            try:
                await sender
            finally:
                await server.close()
                await gateway.stop()


@pytest.fixture
async def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeVonage]:
    async with FakeVonage(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        yield server


async def settle(gw: Running) -> None:
    """Until the sender has sent everything due (asking it, so that no query of the test's
    own is traced)."""
    sender = gw.gateway.sender

    async def idle() -> bool:
        return await sender.send_due() == 0 and not sender._in_flight

    await wait_for(idle, what="the sender to send everything due")


_numbers = iter(range(1, 10_000))


def inbound(citizen: str, text: str, **extra: str) -> dict[str, str]:
    return {
        "msisdn": citizen,
        "to": OUR_NUMBER,
        "messageId": f"2000000{next(_numbers):05d}",
        "text": text,
        "type": "text",
        "message-timestamp": "2026-11-23 09:00:05",
        "api-key": "abcd1234",
        **extra,
    }


def event(clock: ManualClock, citizen: str, event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "contact.closed",
        "phone": f"+{citizen}",
        "occurred_at": clock.now().isoformat(),
        "unit": "Kontaktcenter Örebro",
        "service": "Bygglov",
    }


ANSWERS = ("2", "nej", "3", "ja")  # the contact-centre flow's first four questions
LONG_REPLY = "Jag fick vänta länge i telefonkön och sedan kopplades jag fel två gånger. " * 3


async def receipts(gw: Running, fake: FakeVonage, citizen: str) -> None:
    """Delivery receipts for what went to `citizen`: every other one without our client
    reference, so that both ways of finding the message are used."""
    for n, sent in enumerate(fake.sent_to(citizen)):
        params = {"msisdn": citizen, "to": OUR_NUMBER, "messageId": sent.message_id}
        params.update({"status": "delivered", "err-code": "0"})
        if n % 2 == 0 and sent.client_ref:
            params["client-ref"] = sent.client_ref
        assert (await gw.sms_webhook("status", params))[0] == 200


async def a_whole_survey(gw: Running, fake: FakeVonage, citizen: str) -> None:
    """Answers (one webhook repeated, as Vonage retries), the last a long SMS in parts."""
    for text in ANSWERS:
        webhook = inbound(citizen, text)
        for _ in range(2 if text == "nej" else 1):
            assert (await gw.sms_webhook("inbound", webhook))[0] == 200
        await settle(gw)
    parts = [LONG_REPLY[i : i + 153] for i in range(0, len(LONG_REPLY), 153)]
    for number, text in enumerate(parts, start=1):
        concat = {"concat": "true", "concat-ref": "42", "concat-total": str(len(parts))}
        part = inbound(citizen, text, **concat, **{"concat-part": str(number)})
        assert (await gw.sms_webhook("inbound", part))[0] == 200
    await settle(gw)
    await receipts(gw, fake, citizen)


async def timers_and_schedules(gw: Running, fake: FakeVonage) -> None:
    """A reminder, an expiry, a survey held by quiet hours, a busy and a STOP."""
    timers = gw.gateway.timers
    gw.clock.advance(hours=2)  # past the reminder of the citizen who never answers
    await timers.fire_due()
    gw.clock.advance(hours=24)  # past everyone's expiry
    await timers.fire_due()
    gw.clock.advance(hours=11)  # 22:00 in Stockholm: held until 08:00
    _, body = await gw.post_events([event(gw.clock, "46701740003", "late")])
    assert body["results"][0]["decision"] == "scheduled"
    gw.clock.advance(hours=10)
    await timers.fire_due()
    await settle(gw)
    _, body = await gw.post_events([event(gw.clock, "46701740003", "again")])
    assert body["results"][0]["reason"] in ("busy", "fatigue")
    assert (await gw.sms_webhook("inbound", inbound("46701740003", "STOPP")))[0] == 200
    await settle(gw)
    await receipts(gw, fake, "46701740003")


async def test_no_statement_of_webhooks_sends_or_timers_reads_the_history(
    tmp_path: Path, clock: ManualClock, fake: FakeVonage
) -> None:
    env = gateway_env(
        tmp_path,
        SMSBOT_TRANSPORT__KIND="vonage-sms",
        SMSBOT_VONAGE__REST_HOST=fake.host,
        SMSBOT_SURVEY__REMINDER_AFTER="1h",
        SMSBOT_SURVEY__QUIET_START="21:00",
        SMSBOT_SURVEY__QUIET_END="08:00",
    )
    async with traced_gateway(env, clock) as (gw, statements):
        async with gw.gateway.parts.store.write() as tx:  # what start() does first
            await tx.outbox.recover_after_crash(clock.now(), timedelta(minutes=5))
        events = [event(clock, "46701740001", "one"), event(clock, "46701740002", "two")]
        assert (await gw.post_events(events))[0] == 202
        await settle(gw)
        await a_whole_survey(gw, fake, "46701740001")
        await timers_and_schedules(gw, fake)
    assert len({shape(s) for s in statements}) > 40  # the trace saw the work
    db = await open_database(tmp_path / "gateway.db")  # the gateway's file, once it stopped
    try:
        found = await scanning(db.conn, statements)
    finally:
        await db.close()
    assert not found, "\n".join(f"{sql}\n    {steps}" for sql, steps in found.items())


# --- the tag suggestions, every minute ---------------------------------------------------------


class AskedRules(Taxonomy):
    """The shipped taxonomy, noting every feedback text put to its rules."""

    def __init__(self, tags: Iterable[Tag]) -> None:
        super().__init__(tags)
        self.asked: list[str] = []

    def suggest(self, text: str, language: str) -> list[str]:
        self.asked.append(text)
        return super().suggest(text, language)


async def asked_in_one_pass(db: Database, taxonomy: AskedRules) -> list[str]:
    taxonomy.asked.clear()
    await suggest_new(SqliteStore(db), taxonomy, now=T0)
    return list(taxonomy.asked)


async def test_each_feedback_is_put_to_the_rules_once(tmp_path: Path) -> None:
    """The gateway suggests tags every minute: a pass reads the feedback new since the last
    one, not every feedback the rules found nothing for, again, for ever."""
    db = await open_database(tmp_path / "tags.db")
    rules = load_taxonomy(TAGS)
    try:
        await seed(db)
        shipped = AskedRules(rules.tags)
        assert len(await asked_in_one_pass(db, shipped)) == len(FEEDBACK)
        assert await asked_in_one_pass(db, shipped) == []
        await seed_more(db, "Ingen svarade i telefon.")
        assert await asked_in_one_pass(db, shipped) == ["Ingen svarade i telefon."]
        assert await asked_in_one_pass(db, AskedRules(rules.tags)) == []  # a restart
        fewer = AskedRules(rules.tags[1:])  # a changed taxonomy: the untagged get another go
        assert "Kiitos!" in await asked_in_one_pass(db, fewer)
    finally:
        await db.close()


async def seed_more(db: Database, text: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO feedback (conversation_id, flow_id, question_id, unit, service, language,"
            " text, created_at) SELECT id, flow_id, 'comment', unit, service, language, ?, ?"
            " FROM conversations LIMIT 1",
            (text, ts(T0)),
        )
