"""The benchmark's necessary-work app does the work it stands for: 200 only after the unit is
committed, the next SMS sent once and recorded, a receipt recorded, forgeries refused."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bench.citizens import inbound_body, make_citizens, receipt_body
from bench.necessary import build
from smsbot.storage.sqlite.db import open_database
from tests.fakevonage import FakeVonage

App = tuple[TestClient[web.Request, web.Application], FakeVonage, Path]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    db = tmp_path / "necessary.db"
    await (await open_database(db)).close()  # smsbot's schema
    async with FakeVonage(tmp_path) as fake:
        client = TestClient(TestServer(build(db, fake.host, fake.ca_path)))
        await client.start_server()
        try:
            yield client, fake, db
        finally:
            await client.close()


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql).fetchall())


async def until(check: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within the time")


async def test_inbound_committed_then_sent_once_then_receipted(
    app: App,
) -> None:
    client, fake, db = app
    citizen = next(iter(make_citizens(1_000_000, 1, seed=1).values()))
    body = inbound_body(citizen, "5", "in-1")
    response = await client.post("/webhooks/vonage/inbound", data=body, headers=FORM)
    assert response.status == 200
    # committed before the answer: seen from another connection at once
    stored = rows(db, "SELECT direction, status FROM messages ORDER BY id")
    assert stored[0] == ("in", "received")
    assert stored[1][0] == "out"
    await until(lambda: rows(db, "SELECT status FROM messages WHERE id = 2") == [("sent",)])
    assert [s.to for s in fake.sent] == [citizen.digits]
    again = await client.post("/webhooks/vonage/inbound", data=body, headers=FORM)
    assert again.status == 200
    await asyncio.sleep(0.1)
    assert len(fake.sent) == 1  # the same webhook again sends nothing more
    receipt = receipt_body(citizen.digits, fake.sent[0].message_id, None)
    answered = await client.post("/webhooks/vonage/status", data=receipt, headers=FORM)
    assert answered.status == 200
    assert rows(db, "SELECT status FROM messages WHERE id = 2") == [("delivered",)]


async def test_a_forged_webhook_is_refused(app: App) -> None:
    client, fake, db = app
    citizen = next(iter(make_citizens(1_000_000, 1, seed=1).values()))
    forged = inbound_body(citizen, "5", "in-1").replace(b"text=5", b"text=6")
    response = await client.post("/webhooks/vonage/inbound", data=forged, headers=FORM)
    assert response.status == 401
    assert rows(db, "SELECT COUNT(*) FROM messages") == [(0,)]
    assert fake.sent == []
