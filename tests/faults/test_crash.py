"""kill -9 right after the gateway acknowledged: nothing acknowledged is lost, nothing sent twice.

The gateway runs as a real process (`smsbot serve`) on loopback, sending through the real SDK
to our fake Vonage, which posts delivery receipts back as Vonage does (retrying until 2xx).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from smsbot.providers.vonage.webhooks import sign_sms_params
from tests.crashkit import Process, ready, serving, settled
from tests.fakevonage import FakeVonage
from tests.harness import OUR_NUMBER, SECRET, TOKEN, wait_for
from tests.suite_summary import tally

PHONES = [f"+4670174{n:04d}" for n in range(605, 617)]  # the range kept for fiction


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[Process, FakeVonage, str]]:
    async with serving(tmp_path) as running:
        yield running


def event(n: int, phone: str) -> dict[str, Any]:
    return {
        "id": f"crash-{n}",
        "type": "contact.closed",
        "phone": phone,
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "unit": "Kontaktcenter",
        "service": "Bygglov",
    }


def reply(n: int, phone: str, text: str) -> dict[str, str]:
    params = {
        "msisdn": phone.lstrip("+"),
        "to": OUR_NUMBER,
        "messageId": f"crash-reply-{n}",
        "text": text,
        "type": "text",
        "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }
    return sign_sms_params(params, SECRET, "sha256", timestamp=int(time.time()))


def database(tmp: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp) as db:
        return db.execute("SELECT conversation_id, question_id, raw_text FROM answers").fetchall()


async def each_sent(fake: FakeVonage, per_phone: int) -> None:
    async def done() -> bool:
        return all(len(fake.sent_to(p)) >= per_phone for p in PHONES)

    await wait_for(done, what=f"{per_phone} SMS to every phone", seconds=30)


async def test_acknowledged_events_and_replies_survive_kill_9(
    setup: tuple[Process, FakeVonage, str], tmp_path: Path
) -> None:
    process, fake, url = setup
    headers = {"Authorization": f"Bearer {TOKEN}"}
    process.start()
    await ready(url)
    async with aiohttp.ClientSession() as http:
        for n, phone in enumerate(PHONES):
            async with http.post(f"{url}/v1/events", json=event(n, phone), headers=headers) as r:
                assert r.status == 202
        process.kill()  # the instant after the last acknowledgement
        process.start()
        await ready(url)
        await each_sent(fake, 2)  # the opening and the first question

        for n, phone in enumerate(PHONES):
            status = 0
            async with http.post(f"{url}/webhooks/vonage/inbound", data=reply(n, phone, "6")) as r:
                status = r.status
            assert status == 200
        process.kill()
        process.start()
        await ready(url)
        await each_sent(fake, 3)  # the second question
        await settled(fake, tmp_path / "gateway.db")  # nothing more can go out

    counts = fake.count_by_client_ref()
    assert sorted(set(counts.values())) == [1], [ref for ref, c in counts.items() if c > 1]
    assert all(len(fake.sent_to(p)) == 3 for p in PHONES)
    stored = database(tmp_path / "gateway.db")
    assert len(stored) == len(PHONES)
    assert {row[1:] for row in stored} == {("ces", "6")}

    tally("crash", "kills", process.kills)
    tally("crash", "events", len(PHONES))
    tally("crash", "replies", len(stored))
    process.stop()  # SIGTERM: a graceful stop
    assert process.proc is not None and process.proc.returncode == 0
    assert '"event": "gateway_stopped"' in (tmp_path / "gateway.log").read_text()
