"""The provider misbehaves for a while, then recovers: everything is delivered, once, in order.

A crowd of citizens goes through the contact-centre flow against `smsbot serve` while our fake
Vonage passes through phases: throttling (SMS API status 1), HTTP 429, HTTP 500, slow answers,
dropped connections, and a spell where every request fails. Then it recovers. A send whose
answer came too late is settled by its delivery receipt, not sent again.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.crashkit import (
    ANSWERS,
    Crowd,
    Process,
    expected_texts,
    log_events,
    ready,
    serving,
)
from tests.crashkit import stored as stored_in
from tests.fakevonage import FakeVonage
from tests.suite_summary import tally

CITIZENS = 30
# (answer, share of requests, seconds): one after the other while the crowd is at work
PHASES = [
    ("throttle", 0.6, 1.5),
    ("http429", 0.6, 1.5),
    ("http500", 0.6, 1.5),
    ("slow:0.5", 0.5, 1.5),  # slow, but within the gateway's 1 s timeout
    ("slow:3", 0.3, 2.0),  # past the timeout, and sent all the same: a receipt settles it
    ("drop", 0.6, 1.5),
    ("http500", 1.0, 3.0),  # down altogether for a while
]


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[Process, FakeVonage, str]]:
    async with serving(
        tmp_path,
        SMSBOT_SENDING__RATE_PER_SECOND="60",
        SMSBOT_SENDING__BACKOFF_SECONDS="0.25",
        SMSBOT_SENDING__MAX_ATTEMPTS="12",
        SMSBOT_VONAGE__TIMEOUT_SECONDS="1",
        SMSBOT_SENDING__UNCERTAIN_GRACE="10s",  # a receipt comes well within it
        # each request fails or not by chance here: the per-message path is under test, so
        # the provider is never taken for down (test_provider_outage.py tests that path)
        SMSBOT_SENDING__PROVIDER_DOWN_AFTER="1000",
    ) as running:
        yield running


async def misbehave(fake: FakeVonage) -> Counter[str]:
    """Go through PHASES, then recover; the answers given, by kind. The phases start with the
    crowd's first SMS (on a loaded machine the first survey can take seconds to go out)."""
    for _ in range(600):
        if fake.requests:
            break
        await asyncio.sleep(0.05)
    for seed, (answer, share, seconds) in enumerate(PHASES):
        fake.phase(answer, share, seed)
        await asyncio.sleep(seconds)
    fake.phase(None)
    return Counter(r.answer.split(":")[0] for r in fake.requests if r.answer != "ok")


async def test_provider_faults_then_recovery_deliver_everything_once_in_order(
    gateway: tuple[Process, FakeVonage, str], tmp_path: Path
) -> None:
    process, fake, url = gateway
    process.start()
    await ready(url)
    crowd = Crowd(url, fake, CITIZENS, tag="faults")
    _, faults = await asyncio.gather(crowd.run(seconds=120), misbehave(fake))

    await crowd.all_closed(seconds=60)
    texts = expected_texts()
    process.stop()

    found = stored_in(tmp_path / "gateway.db")
    twice = [ref for ref, n in fake.count_by_client_ref().items() if n > 1]
    for kind in ("throttle", "http429", "http500", "slow", "drop"):
        tally("provider faults", kind.replace("http", "HTTP "), faults[kind])
    timed_out = log_events(tmp_path / "gateway.log", "sms_send_uncertain")
    tally("provider faults", "timed out", len(timed_out))
    tally("provider faults", "SMS delivered", len(fake.sent))
    tally(
        "provider faults",
        "out of order",
        sum([s.text for s in fake.sent_to(c.phone)] != texts for c in crowd.citizens),
    )
    tally("provider faults", "duplicate sends", len(twice))

    assert set(faults) == {"throttle", "http429", "http500", "slow", "drop"}
    assert crowd.refused == [] and twice == []
    assert timed_out != []  # the late answers did time out, and still nothing went twice
    assert found["conversations"] == [(c.phone, "completed") for c in crowd.citizens]
    assert found["unsettled"] == []
    assert len(found["answers"]) == CITIZENS * len(ANSWERS)
    for citizen in crowd.citizens:
        assert [s.text for s in fake.sent_to(citizen.phone)] == texts, citizen.phone
