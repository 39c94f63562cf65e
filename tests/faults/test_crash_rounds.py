"""kill -9 at random moments under load, several times, and the run still completes.

A crowd of citizens goes through the contact-centre flow against `smsbot serve` (a real
process, the real SDK, our fake Vonage posting delivery receipts back). Meanwhile the gateway
is killed with SIGKILL at random moments and started again. Posts cut off by a kill are posted
again, as Vonage and the source systems do. At the end every acknowledged event and reply is
stored exactly once, every conversation completed, every SMS went out once and in order.
"""

from __future__ import annotations

import asyncio
import random
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
    settled,
    stored,
)
from tests.fakevonage import FakeVonage
from tests.suite_summary import tally

CITIZENS = 40
KILLS = 6  # per round


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[Process, FakeVonage, str]]:
    async with serving(tmp_path, SMSBOT_SENDING__RATE_PER_SECOND="60") as running:
        yield running


async def kill_at_random(process: Process, url: str, crowd: Crowd, seed: int) -> None:
    """SIGKILL after a random 0.2-1.0 s of work, start again, KILLS times or until done."""
    rng = random.Random(seed)
    while process.kills < KILLS and not crowd.done:
        await asyncio.sleep(rng.uniform(0.2, 1.0))
        process.kill()
        process.start()
        await ready(url)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_kills_under_load_lose_nothing_and_send_nothing_twice(
    gateway: tuple[Process, FakeVonage, str], tmp_path: Path, seed: int
) -> None:
    process, fake, url = gateway
    process.start()
    await ready(url)
    crowd = Crowd(url, fake, CITIZENS, tag=f"round-{seed}")
    await asyncio.gather(crowd.run(seconds=90), kill_at_random(process, url, crowd, seed))

    await crowd.all_closed(seconds=30)
    texts = expected_texts()
    await settled(fake, tmp_path / "gateway.db")  # nothing more can go out
    process.stop()

    found = stored(tmp_path / "gateway.db")
    twice = [ref for ref, n in fake.count_by_client_ref().items() if n > 1]
    acked = [r["messageId"] for c in crowd.citizens for r in c.replies]
    replies = Counter(ref for (ref,) in found["replies"])
    lost = [ref for ref in acked if replies[ref] == 0]
    tally("crash", "kills", process.kills)
    tally("crash", "events", CITIZENS)
    tally("crash", "replies", len(acked))
    tally("crash", "SMS", len(fake.sent))
    tally("crash", "posts unanswered and posted again", crowd.posts - len(acked) - CITIZENS)
    uncertain = log_events(tmp_path / "gateway.log", "outbox_uncertain_after_restart")
    tally("crash", "sends cut off", sum(int(e["messages"]) for e in uncertain))
    tally("crash", "lost", len(lost))
    tally("crash", "duplicate sends", len(twice))

    assert crowd.refused == []
    assert process.kills == KILLS
    assert lost == [] and twice == []
    assert sorted(replies.values()) == [1] * len(acked) == [1] * CITIZENS * len(ANSWERS)
    assert sorted(found["events"]) == sorted((f"round-{seed}-{n}", "started") for n in range(40))
    assert found["conversations"] == [(c.phone, "completed") for c in crowd.citizens]
    assert found["unsettled"] == []
    for citizen in crowd.citizens:
        assert [s.text for s in fake.sent_to(citizen.phone)] == texts, citizen.phone
        answers = [row[1:] for row in found["answers"] if row[0] == citizen.phone]
        questions = ("ces", "solved", "reason", "web_first", "comment_other")
        assert answers == list(zip(questions, ANSWERS, strict=True)), citizen.phone
