"""Webhooks and delivery receipts delivered twice, and receipts out of order, under load.

A crowd of citizens goes through the contact-centre flow against `smsbot serve`; every event
and every reply is posted twice at the same moment (as a source system or Vonage retrying
early may), and our fake Vonage posts each SMS's receipts (accepted, buffered, delivered)
twice each, in random order, four at a time. Each has one effect: one conversation, one
answer, one next question, and "delivered" stays delivered when an "accepted" arrives after.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.crashkit import (
    ANSWERS,
    Crowd,
    Process,
    expected_texts,
    ready,
    serving,
)
from tests.crashkit import stored as stored_in
from tests.fakevonage import FakeVonage
from tests.harness import wait_for
from tests.suite_summary import tally

CITIZENS = 30
STATUSES = ("accepted", "buffered", "delivered")


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[tuple[Process, FakeVonage, str]]:
    shuffled_twice = {
        "receipt_statuses": STATUSES,
        "receipt_copies": 2,
        "receipt_shuffle": 7,
        "receipt_workers": 4,
    }
    async with serving(tmp_path, shuffled_twice, SMSBOT_SENDING__RATE_PER_SECOND="100") as running:
        yield running


def overtaken(taken: list[tuple[str, str]]) -> int:
    """Messages whose "delivered" receipt arrived before their "accepted" one."""
    first: dict[tuple[str, str], int] = {}
    for position, key in enumerate(taken):
        first.setdefault(key, position)
    return sum(
        first[(ref, "delivered")] < first[(ref, "accepted")]
        for ref, status in first
        if status == "delivered" and (ref, "accepted") in first
    )


async def test_twice_delivered_webhooks_and_shuffled_receipts_have_one_effect(
    gateway: tuple[Process, FakeVonage, str], tmp_path: Path
) -> None:
    process, fake, url = gateway
    process.start()
    await ready(url)
    crowd = Crowd(url, fake, CITIZENS, tag="twice", copies=2)
    await crowd.run(seconds=60)
    texts = expected_texts()

    async def everything_delivered() -> bool:
        closed = all(len(fake.sent_to(c.phone)) >= len(texts) for c in crowd.citizens)
        return closed and fake.receipts_pending == 0

    await wait_for(everything_delivered, what="every SMS and receipt", seconds=60)
    process.stop()

    found = stored_in(tmp_path / "gateway.db")
    sent = len(fake.sent)
    statuses = Counter(status for (status,) in _outgoing_statuses(tmp_path))
    twice = [ref for ref, n in fake.count_by_client_ref().items() if n > 1]
    tally("duplicates", "events and replies posted twice", CITIZENS * (1 + len(ANSWERS)))
    tally("duplicates", "receipts posted twice", sent * len(STATUSES))
    tally("duplicates", "receipts overtaken", overtaken(fake.receipts_taken))
    events = Counter(decision for _, decision in found["events"])
    extra_answers = len(found["answers"]) - CITIZENS * len(ANSWERS)
    extra_conversations = len(found["conversations"]) - CITIZENS
    tally("duplicates", "second effects", len(twice) + extra_answers + extra_conversations)

    assert crowd.refused == []
    assert crowd.answers == {  # of each pair, one took effect and one was known again
        "started": 2 * CITIZENS,  # a repeated event gets the stored answer again
        "answered": CITIZENS * (len(ANSWERS) - 1),
        "completed": CITIZENS,  # the last answer
        "duplicate": CITIZENS * len(ANSWERS),
    }
    replies = Counter(ref for (ref,) in found["replies"])
    assert sorted(replies.values()) == [1] * CITIZENS * len(ANSWERS)
    assert len(found["answers"]) == CITIZENS * len(ANSWERS) and twice == []
    assert found["conversations"] == [(c.phone, "completed") for c in crowd.citizens]
    assert events == {"started": CITIZENS}
    assert sent == CITIZENS * len(texts)
    assert all([s.text for s in fake.sent_to(c.phone)] == texts for c in crowd.citizens)
    assert fake.receipt_answers == {"ok": sent * len(STATUSES), "duplicate": sent * len(STATUSES)}
    assert overtaken(fake.receipts_taken) > 0  # the shuffle did put some out of order
    assert statuses == {"delivered": sent}  # final wins, whatever came after it


def _outgoing_statuses(tmp_path: Path) -> list[tuple[str]]:
    with sqlite3.connect(tmp_path / "gateway.db") as db:
        return db.execute("SELECT status FROM messages WHERE direction = 'out'").fetchall()
