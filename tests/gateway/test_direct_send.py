"""A reply goes from the webhook's unit straight to the sender: written as being sent in the
webhook's own transaction, sent with no outbox claim; a number with a message still pending
gets its reply queued behind it; results are recorded in batches."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smsbot.domain import Outgoing
from smsbot.engine.runtime import Send
from smsbot.gateway.batching import Batched
from smsbot.gateway.sender import Sender, SenderSettings
from smsbot.metrics import Metrics
from smsbot.providers.base import SendResult
from smsbot.storage.ports import PRIORITY_REPLY, Handover, Tx
from smsbot.storage.sqlite import counts
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.outbox import SqliteOutbox
from smsbot.storage.sqlite.tx import SqliteStore
from tests.conftest import ManualClock
from tests.harness import Running, gateway_env, running_gateway, wait_for

CITIZEN = "+46701740642"
NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def event(clock: ManualClock, event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "contact.closed",
        "phone": CITIZEN,
        "occurred_at": clock.now().isoformat(),
        "unit": "Kontaktcenter",
        "service": "Bygglov",
    }


async def answer(gw: Running, text: str) -> None:
    async with gw.http.post(
        f"{gw.url}/simulator/inbound", json={"from": CITIZEN, "text": text}
    ) as response:
        assert response.status == 200


async def outgoing(gw: Running) -> list[dict[str, Any]]:
    return await gw.query(
        "SELECT id, purpose, status, attempts FROM messages WHERE direction = 'out' ORDER BY id"
    )


async def delivered(gw: Running, count: int) -> bool:
    return [m["status"] for m in await outgoing(gw)] == ["delivered"] * count


@pytest.fixture
def claims(monkeypatch: pytest.MonkeyPatch) -> list[Outgoing]:
    """Every message the outbox scan claimed (the real claim runs; this only watches)."""
    claimed: list[Outgoing] = []
    real = SqliteOutbox.claim_due

    async def watched(self: SqliteOutbox, now: datetime, limit: int) -> list[Outgoing]:
        found = await real(self, now, limit)
        claimed.extend(found)
        return found

    monkeypatch.setattr(SqliteOutbox, "claim_due", watched)
    return claimed


async def test_a_reply_is_sent_without_a_claim(
    tmp_path: Path, clock: ManualClock, claims: list[Outgoing]
) -> None:
    env = gateway_env(tmp_path, SMSBOT_TRANSPORT__KIND="simulator")
    async with running_gateway(env, clock) as gw:
        await gw.post_events(event(clock, "e1"))
        await gw.settle()
        started = {m.purpose for m in claims}  # a new survey's messages are queued, claimed
        claims.clear()
        await answer(gw, "5")
        await gw.settle()
        await wait_for(lambda: delivered(gw, 3), what="the simulator's receipts")
        sent = await outgoing(gw)
    assert started == {"opening", "question"}
    assert claims == []  # the reply's next question went straight to the sender
    assert sent[-1]["attempts"] == 1


async def test_a_reply_to_a_number_with_a_message_pending_waits_behind_it(
    tmp_path: Path, clock: ManualClock
) -> None:
    env = gateway_env(tmp_path, SMSBOT_TRANSPORT__KIND="simulator")
    async with running_gateway(env, clock) as gw:
        await gw.post_events(event(clock, "e1"))
        await gw.settle()
        await wait_for(lambda: delivered(gw, 2), what="the simulator's receipts")
        later = "2026-12-31T00:00:00.000+00:00"  # the question may have gone: wait for a receipt
        await gw.query(
            "UPDATE messages SET status = 'uncertain', due_at = ? WHERE purpose = 'question'",
            later,
        )
        await answer(gw, "5")
        await gw.settle()
        sent = await outgoing(gw)
    assert [(m["purpose"], m["status"]) for m in sent] == [
        ("opening", "delivered"),
        ("question", "uncertain"),
        ("question", "queued"),  # behind the uncertain one: one in flight per number
    ]
    assert sent[-1]["attempts"] == 0


async def test_results_are_recorded_in_batches_each_durable_and_each_failing_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "ENABLED", True)
    monkeypatch.setattr(counts, "COUNTS", counts.Counts())
    store = SqliteStore(await open_database(tmp_path / "batches.db"))
    batched = Batched(store)

    def opt_out(n: int) -> Any:
        async def work(tx: Tx) -> None:
            await tx.conversations.record_opt_out(f"r{n}", NOW)
            if n == 150:
                raise ValueError(f"result {n} is wrong")

        return work

    units_before = counts.COUNTS.units
    await asyncio.gather(*(batched.run(opt_out(n)) for n in range(100)))
    units = counts.COUNTS.units - units_before
    results = await asyncio.gather(
        *(batched.run(opt_out(n)) for n in range(100, 200)), return_exceptions=True
    )
    async with store.read() as tx:
        kept = [n for n in range(200) if await tx.conversations.is_opted_out(f"r{n}")]
    await store.close()
    assert units <= 3  # the first alone, the 99 that came meanwhile together
    assert [n for n, r in enumerate(results, 100) if isinstance(r, ValueError)] == [150]
    assert kept == [n for n in range(200) if n != 150]


class HeldProvider:
    """A provider that answers only when let go (a slow one), so a send stays in flight."""

    name = "held"

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.sent: list[int] = []

    async def send(self, message: Outgoing) -> SendResult:
        await self.go.wait()
        self.sent.append(message.id)
        return SendResult(f"ref-{message.id}")

    async def close(self) -> None:
        pass


async def test_replies_handed_over_but_not_started_go_back_to_the_queue_at_stop(
    tmp_path: Path,
) -> None:
    store = SqliteStore(await open_database(tmp_path / "stop.db"))

    async def two_replies(tx: Tx) -> Handover:
        tx.outbox.send_directly()
        for phone in ("+46701740001", "+46701740002"):
            send = Send("Hur nöjd är du?", "question")
            await tx.outbox.queue(
                conversation_id=None,
                phone=phone,
                send=send,
                step=1,
                priority=PRIORITY_REPLY,
                due_at=NOW,
                now=NOW,
            )
        return tx.outbox.handover()

    handover = await store.unit(two_replies)
    provider = HeldProvider()
    sender = Sender(
        store,
        provider,
        SenderSettings(concurrency=1),
        clock=ManualClock(NOW),
        metrics=Metrics(),
        on_final_failure=lambda tx, message, code: asyncio.sleep(0),
    )
    stopping = asyncio.Event()
    running = asyncio.create_task(sender.run(stopping))
    sender.hand(handover)  # one slot: the first starts, the second waits for it
    await asyncio.sleep(0.1)
    stopping.set()
    await asyncio.sleep(0.1)
    provider.go.set()
    await running
    rows = await store.db.read(
        lambda conn: conn.execute(
            "SELECT status, attempts, error FROM messages ORDER BY id"
        ).fetchall()
    )
    await store.close()
    assert [m.attempts for m in handover.sending] == [1, 1]
    assert provider.sent == [handover.sending[0].id]
    assert [tuple(r) for r in rows] == [
        ("sent", 1, None),
        ("queued", 0, "not sent before the gateway stopped"),
    ]
