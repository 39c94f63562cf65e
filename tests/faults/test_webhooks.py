"""Webhook deliveries under faults: the receiver down, slow (past the time-out), answering 5xx,
and the gateway killed -9 at random while it delivers. Nothing is lost, and no event is ever
delivered under two webhook-ids (a receiver may see one id twice, and drops the repeat).

The gateway is `smsbot serve` as a real process; the subscription is made with the real CLI
(`smsbot webhooks add`); the receiver checks every signature with the `standardwebhooks`
library (tests/webhookreceiver.py).
"""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import subprocess
import sys
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.crashkit import Crowd, Process, ready, serving
from tests.fakevonage import FakeVonage
from tests.harness import ROOT, wait_for
from tests.suite_summary import tally
from tests.webhookreceiver import Receiver

CITIZENS = 20
KILLS = 3
EVENTS = ("survey.completed", "feedback.created")


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[Process, FakeVonage, str]]:
    waits = ",".join(["1s"] * 20)  # quick retries, so that the test ends in seconds
    async with serving(
        tmp_path, SMSBOT_WEBHOOKS__RETRY_AFTER=waits, SMSBOT_WEBHOOKS__TIMEOUT="1s"
    ) as running:
        yield running


def subscribe(process: Process, url: str) -> str:
    """`smsbot webhooks add`, as an admin would type it; the secret it prints."""
    events = [arg for event in EVENTS for arg in ("--event", event)]
    done = subprocess.run(
        [sys.executable, "-c", "from smsbot.cli import main; main()", "webhooks", "add", url,
         *events],
        env=process.env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    secret = re.search(r"whsec_\S+", done.stdout)
    assert secret is not None, done.stdout
    return secret[0]


def delivery_rows(database: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(database) as db:
        sql = "SELECT webhook_id, event_type, status FROM webhook_deliveries"
        return db.execute(sql).fetchall()


async def kill_at_random(process: Process, url: str, receiver: Receiver, seed: int) -> None:
    """SIGKILL KILLS times, each once the receiver has seen a few more posts (so mid-delivery)."""
    rng = random.Random(seed)
    while process.kills < KILLS:
        enough = receiver.posts + 3
        await wait_for(lambda n=enough: receiver.posts >= n, what="deliveries", seconds=60)
        await asyncio.sleep(rng.uniform(0.0, 0.3))
        process.kill()
        process.start()
        await ready(url)


async def receiver_down_for_a_while(receiver: Receiver) -> None:
    await asyncio.sleep(3)
    await receiver.up()


async def test_deliveries_survive_a_receiver_down_slow_failing_and_a_gateway_killed(
    gateway: tuple[Process, FakeVonage, str], tmp_path: Path
) -> None:
    process, fake, url = gateway
    process.start()
    await ready(url)
    receiver = Receiver(script=[503, ("slow", 1.5), 500, 200, ("slow", 1.5), 502] * 4)
    receiver.secret = subscribe(process, receiver.url)
    crowd = Crowd(url, fake, CITIZENS, tag="hooks")
    await asyncio.gather(
        crowd.run(seconds=90),
        receiver_down_for_a_while(receiver),
        kill_at_random(process, url, receiver, seed=16),
    )
    database = tmp_path / "gateway.db"

    def all_delivered() -> bool:
        rows = delivery_rows(database)
        return len(rows) == 2 * CITIZENS and all(status == "delivered" for *_, status in rows)

    await wait_for(all_delivered, what="every delivery", seconds=60)
    process.stop()
    await receiver.down()

    rows = delivery_rows(database)
    ids_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for received in receiver.accepted:
        data = received.payload["data"]
        ids_of[(received.payload["type"], data["conversation_id"])].add(received.webhook_id)
    stored_ids = {webhook_id for webhook_id, *_ in rows}
    lost = stored_ids - {r.webhook_id for r in receiver.accepted}
    twice = [key for key, ids in ids_of.items() if len(ids) > 1]
    tally("webhooks", "kills", process.kills)
    tally("webhooks", "events", len(rows))
    tally("webhooks", "posts", receiver.posts)
    tally("webhooks", "repeats of an id the receiver dropped", len(receiver.accepted) - len(rows))
    tally("webhooks", "lost", len(lost))
    tally("webhooks", "events under two ids", len(twice))

    assert receiver.refused_signatures == 0
    assert lost == set() and twice == []
    assert len(ids_of) == 2 * CITIZENS  # a completion and a piece of feedback for each citizen
    assert sorted({event for _, event, _ in rows}) == sorted(EVENTS)
    assert receiver.posts > len(rows)  # the faults happened: some posts were tried again
