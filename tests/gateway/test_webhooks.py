"""Results out: the webhook outbox and its delivery worker, against a real receiver on loopback
that checks every signature with the `standardwebhooks` library (tests/webhookreceiver.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from smsbot.bootstrap.parts import Parts, database_of
from smsbot.gateway import deliveries, subscriptions
from smsbot.gateway.surveys import StartRequest
from smsbot.gateway.webhooks import DeliveryWorker, WebhookSettings
from smsbot.people.accounts import Actor
from tests.conftest import ManualClock
from tests.webhookreceiver import Receiver

PHONE = "+46701740642"
ADMIN = Actor("admin (test)", "127.0.0.1")
REPLIES = ["2 lång kö", "nej", "1", "nej", "Svårt att hitta på webben", "nej"]  # no call back
FAST = WebhookSettings(timeout_seconds=0.5, retry_after=(1, 1, 1))


@pytest.fixture
def clock() -> ManualClock:
    """Now: a receiver checks the webhook-timestamp against its own clock (5 minutes)."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    yield found
    await found.down()


@pytest.fixture
async def worker(parts: Parts, clock: ManualClock) -> AsyncIterator[DeliveryWorker]:
    made = DeliveryWorker(parts.store, clock, FAST)
    yield made
    await made.close()


async def subscribe(
    parts: Parts, receiver: Receiver, *events: str, unit: str | None = None, phone: bool = False
) -> int:
    new = subscriptions.parse(receiver.url, events, unit, send_phone=phone)
    receiver.secret = new.secret
    return await subscriptions.add(parts.store, ADMIN, new, parts.surveys.clock.now())


async def survey(parts: Parts, replies: list[str] = REPLIES) -> str:
    flow = parts.catalog.get("contact-centre")
    assert flow is not None
    request = StartRequest(flow=flow, phone=PHONE, unit="Kontaktcenter", service="Bygglov")
    started = await parts.surveys.start(request)
    assert started.conversation_id is not None
    for reply in replies:
        await parts.surveys.receive(PHONE, reply)
    return started.conversation_id


async def rows(parts: Parts, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with database_of(parts).conn.execute(sql, args) as cur:
        return [dict(r) for r in await cur.fetchall()]


async def test_a_completed_survey_and_its_feedback_arrive_signed_without_the_number(
    parts: Parts, receiver: Receiver, worker: DeliveryWorker
) -> None:
    await receiver.up()
    await subscribe(parts, receiver, "survey.completed", "feedback.created")
    conversation_id = await survey(parts)
    assert await worker.deliver_due() == 3  # two pieces of feedback, one completion

    assert receiver.refused_signatures == 0
    kinds = [r.payload["type"] for r in receiver.accepted]
    assert sorted(kinds) == ["feedback.created", "feedback.created", "survey.completed"]
    completed = next(
        r.payload for r in receiver.accepted if r.payload["type"] == "survey.completed"
    )
    data = completed["data"]
    assert data["conversation_id"] == conversation_id
    assert data["respondent"] and data["respondent"] != PHONE
    assert data["answers"] == {
        "ces": 2, "solved": "no", "reason": "in_progress", "web_first": "no",
        "comment": "Svårt att hitta på webben", "callback_consent": "no",
    }  # fmt: skip
    assert {k: data[k] for k in ("flow_id", "unit", "service", "language")} == {
        "flow_id": "contact-centre", "unit": "Kontaktcenter", "service": "Bygglov",
        "language": "sv",
    }  # fmt: skip
    texts = {r.payload["data"]["text"] for r in receiver.accepted if "text" in r.payload["data"]}
    assert texts == {"lång kö", "Svårt att hitta på webben"}
    for delivered in receiver.accepted:  # byte by byte: no form of the number
        for form in (PHONE, PHONE.lstrip("+"), "0701740642", "701740642"):
            assert form.encode() not in delivered.body
    stored = await rows(parts, "SELECT status, attempts FROM webhook_deliveries")
    assert stored == [{"status": "delivered", "attempts": 1}] * 3
    assert await worker.deliver_due() == 0  # delivered means never again


async def test_nothing_is_queued_when_no_one_subscribed_or_for_another_unit(
    parts: Parts, receiver: Receiver
) -> None:
    await subscribe(parts, receiver, "survey.completed", unit="Akuten")
    await subscribe(parts, receiver, "case.closed")
    await survey(parts)
    assert await rows(parts, "SELECT * FROM webhook_deliveries") == []


async def test_a_change_rolled_back_tells_no_one(parts: Parts, receiver: Receiver) -> None:
    await subscribe(parts, receiver, "survey.completed")
    now = parts.surveys.clock.now()
    with pytest.raises(RuntimeError):
        async with parts.store.write() as tx:
            await deliveries.enqueue(tx, "survey.completed", {"x": 1}, "Kontaktcenter", now=now)
            raise RuntimeError("the change failed")
    assert await rows(parts, "SELECT * FROM webhook_deliveries") == []


async def test_the_callback_number_goes_only_to_subscriptions_flagged_for_it(
    parts: Parts, clock: ManualClock
) -> None:
    flagged, plain = Receiver(), Receiver()
    await subscribe(parts, flagged, "case.opened", phone=True)
    await subscribe(parts, plain, "case.opened")
    async with parts.store.write() as tx:
        queued = await deliveries.enqueue(
            tx, "case.opened", {"case_id": "c1"}, "Akuten", now=clock.now(), callback_phone=PHONE
        )
    assert queued == 2
    payloads = [
        json.loads(r["payload"])["data"]
        for r in await rows(parts, "SELECT payload FROM webhook_deliveries ORDER BY id")
    ]
    assert payloads == [{"case_id": "c1", "callback_phone": PHONE}, {"case_id": "c1"}]
    await flagged.up()
    worker = DeliveryWorker(parts.store, clock, FAST)
    await worker.deliver_due()
    await worker.close()
    await flagged.down()
    assert flagged.accepted[0].payload["data"]["callback_phone"] == PHONE
    # once delivered (or failed, or cancelled), the number is gone from the stored payload
    for row in await rows(parts, "SELECT payload FROM webhook_deliveries"):
        assert PHONE not in row["payload"] and "callback_phone" not in row["payload"]


async def test_an_unknown_event_type_is_refused_in_words(parts: Parts) -> None:
    async with parts.store.write() as tx:
        with pytest.raises(ValueError, match=r"no webhook event type 'case\.reopened'"):
            await deliveries.enqueue(tx, "case.reopened", {}, None, now=parts.surveys.clock.now())


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        ("down", "ClientConnectorError"),
        (503, "HTTP 503"),
        (("slow", 1.5), "no answer within 0.5 s"),
    ],
)
async def test_a_failed_delivery_is_tried_again_under_the_same_id_and_arrives_once(
    parts: Parts,
    receiver: Receiver,
    worker: DeliveryWorker,
    clock: ManualClock,
    failure: Any,
    error: str,
) -> None:
    await subscribe(parts, receiver, "survey.completed")
    if failure != "down":
        receiver.script = [failure]
        await receiver.up()
    await survey(parts)
    assert await worker.deliver_due() == 1
    first = await rows(parts, "SELECT webhook_id, status, last_error FROM webhook_deliveries")
    assert first[0]["status"] == "pending" and error in first[0]["last_error"]
    assert await worker.deliver_due() == 0  # not due yet: it waits
    if failure == "down":
        await receiver.up()
    clock.advance(seconds=1)
    assert await worker.deliver_due() == 1
    clock.advance(seconds=5)
    assert await worker.deliver_due() == 0
    assert list(receiver.ids().items()) == [(first[0]["webhook_id"], 1)]
    attempts = await rows(parts, "SELECT status_code, error FROM webhook_attempts ORDER BY id")
    assert len(attempts) == 2 and attempts[1] == {"status_code": 200, "error": None}


async def test_retries_end_after_the_last_wait_and_the_delivery_is_failed(
    parts: Parts, receiver: Receiver, worker: DeliveryWorker, clock: ManualClock
) -> None:
    await subscribe(parts, receiver, "survey.completed")
    receiver.script = [500] * 10
    await receiver.up()
    await survey(parts)
    for _ in range(6):
        await worker.deliver_due()
        clock.advance(seconds=1)
    stored = await rows(parts, "SELECT status, attempts, last_error FROM webhook_deliveries")
    assert stored == [{"status": "failed", "attempts": 4, "last_error": "HTTP 500"}]
    assert receiver.posts == 4  # the first and one after each of the three waits


async def test_410_gone_disables_the_subscription(
    parts: Parts, receiver: Receiver, worker: DeliveryWorker
) -> None:
    await subscribe(parts, receiver, "survey.completed", "feedback.created")
    receiver.script = [410] * 3
    await receiver.up()
    await survey(parts)
    await worker.deliver_due()
    subs = await rows(parts, "SELECT active, disabled_reason FROM webhook_subscriptions")
    assert subs == [{"active": 0, "disabled_reason": "410 Gone"}]
    statuses = await rows(parts, "SELECT DISTINCT status FROM webhook_deliveries")
    assert {r["status"] for r in statuses} <= {"failed", "cancelled"}
    await survey(parts, ["1"])  # a new conversation's events go to no one now
    assert len(await rows(parts, "SELECT * FROM webhook_deliveries")) == 3


async def test_a_replay_sends_the_same_id_again(
    parts: Parts, receiver: Receiver, worker: DeliveryWorker, clock: ManualClock
) -> None:
    await subscribe(parts, receiver, "survey.completed")
    await receiver.up()
    await survey(parts)
    await worker.deliver_due()
    (delivery,) = await rows(parts, "SELECT id, webhook_id FROM webhook_deliveries")
    await subscriptions.replay(parts.store, ADMIN, delivery["id"], clock.now())
    await worker.deliver_due()
    assert receiver.ids() == {delivery["webhook_id"]: 2}
    actions = await rows(parts, "SELECT action, target FROM audit_log ORDER BY id")
    assert actions[-1] == {"action": "webhook_replayed", "target": f"delivery {delivery['id']}"}
    with pytest.raises(subscriptions.SubscriptionError, match="no delivery 99"):
        await subscriptions.replay(parts.store, ADMIN, 99, clock.now())


@pytest.mark.parametrize(
    ("url", "events", "error"),
    [
        ("ftp://x.example.org/", ["survey.completed"], "must be http(s)://host/path"),
        ("https://x.example.org/", ["survey.done"], "no event type 'survey.done'"),
        ("https://x.example.org/", [], "give at least one event type"),
    ],
)
def test_a_subscription_that_cannot_work_is_refused_in_words(
    url: str, events: list[str], error: str
) -> None:
    with pytest.raises(
        subscriptions.SubscriptionError, match=error.replace("(", r"\(").replace(")", r"\)")
    ):
        subscriptions.parse(url, events, None, send_phone=False)
