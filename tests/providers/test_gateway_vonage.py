"""End to end with Vonage: the running gateway, the real SDK, our fake Vonage, signed webhooks.

Each test shows a defined outcome and that nothing was lost or sent twice.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog

from tests.conftest import ManualClock
from tests.fakevonage import FakeVonage, Sent
from tests.harness import OUR_NUMBER, Running, gateway_env, running_gateway, wait_for

CITIZEN = "46701740642"


@pytest.fixture
async def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeVonage]:
    async with FakeVonage(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        yield server


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock, fake: FakeVonage) -> AsyncIterator[Running]:
    env = gateway_env(
        tmp_path,
        SMSBOT_TRANSPORT__KIND="vonage-sms",
        SMSBOT_VONAGE__REST_HOST=fake.host,
        SMSBOT_SENDING__MAX_ATTEMPTS="3",
        SMSBOT_SERVER__MAX_BODY_BYTES="16384",
        SMSBOT_VONAGE__TIMEOUT_SECONDS="1",
    )
    async with running_gateway(env, clock) as running:
        yield running


@pytest.fixture
async def messages_gw(
    tmp_path: Path, clock: ManualClock, fake: FakeVonage
) -> AsyncIterator[Running]:
    """A gateway sending through the Messages API."""
    from tests.providers.test_transport import private_key

    env = gateway_env(
        tmp_path,
        SMSBOT_TRANSPORT__KIND="vonage-messages",
        SMSBOT_VONAGE__API_HOST=fake.host,
        SMSBOT_VONAGE__APPLICATION_ID="app-id",
        SMSBOT_VONAGE__PRIVATE_KEY=private_key(),
    )
    async with running_gateway(env, clock) as running:
        yield running


def event(clock: ManualClock, event_id: str = "call-1") -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "contact.closed",
        "phone": f"+{CITIZEN}",
        "occurred_at": clock.now().isoformat(),
        "unit": "Kontaktcenter Örebro",
        "service": "Bygglov",
    }


_ids = iter(range(1, 10_000))


def inbound(text: str, **extra: str) -> dict[str, str]:
    """An SMS API inbound webhook as Vonage documents it."""
    return {
        "msisdn": CITIZEN,
        "to": OUR_NUMBER,
        "messageId": f"1000000{next(_ids):05d}",
        "text": text,
        "type": "text",
        "keyword": text.split()[0].upper() if text.split() else "",
        "message-timestamp": "2026-11-23 09:00:05",
        "api-key": "abcd1234",
        **extra,
    }


async def texts_to_citizen(gw: Running, fake: FakeVonage) -> list[str]:
    await gw.settle()
    return [s.text for s in fake.sent_to(CITIZEN)]


async def started(gw: Running, fake: FakeVonage) -> None:
    status, body = await gw.post_events(event(gw.clock))
    assert (status, body["results"][0]["decision"]) == (202, "started")
    assert len(await texts_to_citizen(gw, fake)) == 2


def receipt_for(sent: Sent, status: str, err_code: str = "0") -> dict[str, str]:
    """An SMS API delivery receipt for what the fake accepted, as Vonage documents it."""
    return {
        "msisdn": CITIZEN,
        "to": OUR_NUMBER,
        "messageId": sent.message_id,
        "status": status,
        "err-code": err_code,
        "client-ref": sent.client_ref or "",
    }


async def answers(gw: Running) -> list[tuple[str, str]]:
    rows = await gw.query("SELECT question_id, raw_text FROM answers ORDER BY id")
    return [(r["question_id"], r["raw_text"]) for r in rows]


async def test_a_survey_over_every_webhook_form(gw: Running, fake: FakeVonage) -> None:
    await started(gw, fake)
    assert (await gw.sms_webhook("inbound", inbound("2"), how="form"))[0] == 200
    assert (await gw.sms_webhook("inbound", inbound("nej"), how="json"))[0] == 200
    assert (await gw.sms_webhook("inbound", inbound("3"), how="get"))[0] == 200
    assert (await gw.sms_webhook("inbound", inbound("ja")))[0] == 200
    long_reply = "Jag fick vänta länge i telefonkön och sedan kopplades jag fel två gånger. " * 3
    parts = [long_reply[i : i + 153] for i in range(0, len(long_reply), 153)]
    for number, part in enumerate(parts, start=1):
        concat = {"concat": "true", "concat-ref": "77", "concat-total": str(len(parts))}
        status, body = await gw.sms_webhook(
            "inbound", inbound(part, **concat, **{"concat-part": str(number)})
        )
        assert status == 200
    assert body == {"status": "answered"}  # ces 2: the flow asks for consent to a call
    assert (await gw.sms_webhook("inbound", inbound("nej")))[1] == {"status": "completed"}
    sent = await texts_to_citizen(gw, fake)
    assert len(sent) == 2 + 4 + 1 + 1  # opening, 5 questions, consent, closing
    asked = ["ces", "solved", "reason", "web_first", "comment", "callback_consent"]
    assert [q for q, _ in await answers(gw)] == asked
    assert (await answers(gw))[-2][1] == long_reply
    assert set(fake.count_by_client_ref().values()) == {1}
    assert await gw.query("SELECT status FROM conversations") == [{"status": "completed"}]


async def test_a_retried_webhook_has_no_second_effect(gw: Running, fake: FakeVonage) -> None:
    await started(gw, fake)
    reply = gw.sign(inbound("5"))
    first = await gw.sms_webhook("inbound", reply, sign=False)
    again = await gw.sms_webhook("inbound", reply, sign=False)
    assert first == (200, {"status": "answered"})
    assert again == (200, {"status": "duplicate"})
    assert len(await answers(gw)) == 1
    assert len(await texts_to_citizen(gw, fake)) == 3


async def test_forged_and_stale_signatures_are_refused(gw: Running, fake: FakeVonage) -> None:
    await started(gw, fake)
    forged = {**gw.sign(inbound("5")), "text": "1"}
    assert (await gw.sms_webhook("inbound", forged, sign=False))[0] == 401
    unsigned = inbound("5")
    assert (await gw.sms_webhook("inbound", unsigned, sign=False))[1][
        "error"
    ] == "missing_signature"
    stale = gw.sign(inbound("5"))
    gw.clock.advance(minutes=10)
    assert (await gw.sms_webhook("inbound", stale, sign=False))[1]["error"] == "stale"
    assert await answers(gw) == []
    assert await gw.query("SELECT id FROM messages WHERE direction = 'in'") == []


async def test_malformed_and_oversized_bodies(gw: Running, fake: FakeVonage) -> None:
    missing = inbound("5")
    del missing["msisdn"]
    status, body = await gw.sms_webhook("inbound", missing)
    assert (status, body["error"]) == (400, "malformed")
    url = f"{gw.url}/webhooks/vonage/inbound"
    async with gw.http.post(url, data=b"x" * 20_000) as r:
        assert r.status == 413
    async with gw.http.post(
        url, data=b"{not json", headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 400
    assert await gw.query("SELECT id FROM messages") == []


async def test_a_2000_character_emoji_reply_is_kept_whole(gw: Running, fake: FakeVonage) -> None:
    await started(gw, fake)
    reply = "4 " + "Bra bemötande 👍 " * 125
    status, _ = await gw.sms_webhook("inbound", inbound(reply, type="unicode"), how="json")
    assert status == 200
    stored = await gw.query("SELECT raw_text, comment, value_num FROM answers")
    assert stored[0]["raw_text"] == reply and stored[0]["value_num"] == 4.0
    assert stored[0]["comment"] == reply[2:].strip()


async def test_stop_confirms_once_and_is_never_texted_again(gw: Running, fake: FakeVonage) -> None:
    await started(gw, fake)
    assert (await gw.sms_webhook("inbound", inbound("Stopp")))[1] == {"status": "opted_out"}
    assert (await gw.sms_webhook("inbound", inbound("STOPP!")))[1] == {"status": "opted_out"}
    sent = await texts_to_citizen(gw, fake)
    assert len(sent) == 3
    gw.clock.advance(days=365)
    _, body = await gw.post_events(event(gw.clock, "call-2"))
    assert body["results"][0]["reason"] == "opted_out"
    assert len(await texts_to_citizen(gw, fake)) == 3


async def test_delivery_receipts_update_messages_once(gw: Running, fake: FakeVonage) -> None:
    await started(gw, fake)
    opening = fake.sent_to(CITIZEN)[0]
    receipt = {
        "msisdn": CITIZEN,
        "to": OUR_NUMBER,
        "network-code": "24001",
        "messageId": opening.message_id,
        "price": "0.0333",
        "status": "delivered",
        "scts": "2611230900",
        "err-code": "0",
        "client-ref": opening.client_ref or "",
        "message-timestamp": "2026-11-23 09:00:03",
    }
    assert (await gw.sms_webhook("status", {**receipt, "status": "buffered"}))[0] == 200
    assert await gw.sms_webhook("status", receipt) == (200, {"status": "ok"})
    assert await gw.sms_webhook("status", receipt) == (200, {"status": "duplicate"})
    assert (await gw.sms_webhook("status", {**receipt, "status": "accepted"}))[0] == 200
    rows = await gw.query("SELECT status FROM messages WHERE purpose = 'opening'")
    assert rows == [{"status": "delivered"}]
    assert len(await gw.query("SELECT * FROM receipts")) == 3


async def test_an_undelivered_first_message_ends_the_conversation(
    gw: Running, fake: FakeVonage
) -> None:
    await started(gw, fake)
    receipt = receipt_for(fake.sent_to(CITIZEN)[0], "failed", "6")
    assert (await gw.sms_webhook("status", receipt))[0] == 200
    rows = await gw.query("SELECT status FROM conversations")
    assert rows == [{"status": "undeliverable"}]


async def test_throttling_is_retried_and_sends_once(gw: Running, fake: FakeVonage) -> None:
    fake.script(["throttle", "http429"])
    await gw.post_events(event(gw.clock))
    await gw.settle()
    for _ in range(5):
        gw.clock.advance(seconds=5)
        await gw.settle()
    assert len(fake.sent_to(CITIZEN)) == 2
    assert set(fake.count_by_client_ref().values()) == {1}
    attempts = await gw.query("SELECT attempts, status FROM messages ORDER BY id")
    assert attempts[0] == {"attempts": 3, "status": "sent"}


async def test_a_provider_that_keeps_failing_holds_messages_without_spending_attempts(
    gw: Running, fake: FakeVonage
) -> None:
    fake.default = "http500"
    await gw.post_events(event(gw.clock))
    for _ in range(6):
        gw.clock.advance(seconds=30)
        await gw.settle()
    rows = await gw.query("SELECT status, attempts, error FROM messages ORDER BY id")
    # down after 3 failures in a row: held (attempt given back), probed now and then
    assert rows[0] == {"status": "queued", "attempts": 2, "error": "http_5xx"}
    assert rows[1]["status"] == "queued"  # the first question waits behind it
    assert gw.gateway.sender.circuit.is_open
    assert await gw.query("SELECT status FROM conversations") == [{"status": "active"}]
    assert fake.sent == []

    fake.default = "ok"  # the provider answers again: the next probe goes, the rest drain
    gw.clock.advance(minutes=5)
    await gw.settle()
    assert [s.text for s in fake.sent_to(CITIZEN)][:1] == [fake.sent[0].text]
    assert len(fake.sent_to(CITIZEN)) == 2 and not gw.gateway.sender.circuit.is_open
    assert set(fake.count_by_client_ref().values()) == {1}


async def test_a_message_refused_for_itself_still_fails_at_once(
    gw: Running, fake: FakeVonage
) -> None:
    fake.script(["reject"])
    await gw.post_events(event(gw.clock))
    await gw.settle()
    rows = await gw.query("SELECT status, attempts, error FROM messages ORDER BY id")
    assert rows[0]["status"] == "failed" and rows[0]["attempts"] == 1
    assert rows[1]["status"] == "cancelled"  # the question after an opening that never went
    assert await gw.query("SELECT status FROM conversations") == [{"status": "undeliverable"}]
    assert not gw.gateway.sender.circuit.is_open  # the provider answered


async def test_a_dropped_connection_is_retried_without_a_double_send(
    gw: Running, fake: FakeVonage
) -> None:
    fake.script(["drop"])
    await gw.post_events(event(gw.clock))
    await gw.settle()
    gw.clock.advance(seconds=5)
    await gw.settle()
    assert len(fake.sent_to(CITIZEN)) == 2
    assert set(fake.count_by_client_ref().values()) == {1}


async def late_send(gw: Running, fake: FakeVonage) -> Sent:
    """The opening, answered after the 1 s timeout and sent all the same, as Vonage may."""
    fake.script(["slow:1.5"])
    await gw.post_events(event(gw.clock))
    await wait_for(lambda: len(fake.sent) == 1, what="the late send")
    await gw.settle()
    rows = await gw.query("SELECT status, error FROM messages ORDER BY id")
    assert rows == [
        {"status": "uncertain", "error": "timeout"},
        {"status": "queued", "error": None},  # the first question waits behind it
    ]
    return fake.sent[0]


async def test_a_timed_out_send_is_settled_by_its_receipt_not_sent_twice(
    gw: Running, fake: FakeVonage
) -> None:
    late = await late_send(gw, fake)
    assert (await gw.sms_webhook("status", receipt_for(late, "delivered")))[0] == 200
    await gw.settle()
    gw.clock.advance(minutes=10)  # past the grace: nothing may go again
    await gw.settle()
    assert len(fake.sent_to(CITIZEN)) == 2  # the opening once, then the first question
    assert set(fake.count_by_client_ref().values()) == {1}


async def test_a_timed_out_send_without_a_receipt_goes_again_after_the_grace(
    gw: Running, fake: FakeVonage
) -> None:
    late = await late_send(gw, fake)
    gw.clock.advance(minutes=4)
    await gw.settle()
    assert len(fake.sent) == 1  # still waiting for a receipt
    gw.clock.advance(minutes=2)
    await gw.settle()
    texts = [s.text for s in fake.sent_to(CITIZEN)]
    assert texts == [late.text, late.text, fake.sent[2].text]  # again, then the question
    assert fake.sent[1].client_ref == late.client_ref  # the same reference, for the records


async def test_a_restart_gives_an_uncertain_send_the_whole_grace_again(
    gw: Running, fake: FakeVonage
) -> None:
    await late_send(gw, fake)  # uncertain, due again in five minutes
    gw.clock.advance(minutes=4)
    async with gw.gateway.parts.store.write() as tx:  # what start() does after a crash
        caught = await tx.outbox.recover_after_crash(gw.clock.now(), timedelta(minutes=5))
    assert caught == 0  # nothing was caught mid-send this time
    gw.clock.advance(minutes=2)  # past the first grace, but no receipt could come while down
    await gw.settle()
    assert len(fake.sent) == 1
    gw.clock.advance(minutes=4)
    await gw.settle()
    assert len(fake.sent) == 3  # again, then the first question


async def test_quiet_hours_hold_the_survey_until_morning(gw: Running, fake: FakeVonage) -> None:
    gw.clock.advance(hours=13)  # 22:00 UTC = 23:00 in Stockholm
    _, body = await gw.post_events(event(gw.clock))
    result = body["results"][0]
    assert (result["decision"], result["reason"]) == ("scheduled", "quiet_hours")
    assert result["due_at"].startswith("2026-11-24T07:00")  # 08:00 Stockholm
    await gw.gateway.timers.fire_due()
    assert await texts_to_citizen(gw, fake) == []
    gw.clock.advance(hours=9)
    await wait_for(gw.gateway.timers.fire_due, what="the scheduled survey")
    assert len(await texts_to_citizen(gw, fake)) == 2


async def test_messages_api_end_to_end(messages_gw: Running, fake: FakeVonage) -> None:
    gw = messages_gw
    await started(gw, fake)
    body = {
        "channel": "sms",
        "message_uuid": "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab",
        "to": OUR_NUMBER,
        "from": CITIZEN,
        "timestamp": "2026-11-23T09:00:05Z",
        "message_type": "text",
        "text": "6",
        "sms": {"num_messages": "1", "keyword": "6"},
    }
    assert await gw.messages_webhook("inbound", body) == (200, {"status": "answered"})
    assert await gw.messages_webhook("inbound", body) == (200, {"status": "duplicate"})
    status = {
        "message_uuid": fake.sent[0].message_id,
        "to": CITIZEN,
        "from": OUR_NUMBER,
        "timestamp": "2026-11-23T09:00:06Z",
        "status": "delivered",
        "usage": {"currency": "EUR", "price": "0.0333"},
        "client_ref": fake.sent[0].client_ref,
        "channel": "sms",
    }
    assert await gw.messages_webhook("status", status) == (200, {"status": "ok"})
    raw = json.dumps(body).encode()
    url = f"{gw.url}/webhooks/vonage/messages/inbound"
    async with gw.http.post(url, data=raw, headers={"Authorization": "Bearer x.y.z"}) as r:
        assert r.status == 401
    assert len(await texts_to_citizen(gw, fake)) == 3
    assert (await gw.query("SELECT price FROM messages WHERE purpose = 'opening'"))[0][
        "price"
    ] == pytest.approx(0.0333)


# --- what real provider data showed (issue 11): webhooks built from Vonage's published formats --

PAYLOADS = Path(__file__).parent / "payloads"


def payloads(name: str) -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return list(data["payloads"])


# --- a Messages API status keeps its error's code and words ------------------------------------


@pytest.mark.parametrize(
    ("shape", "code", "words"),
    [
        (0, "1300", "Not part of the provider network"),
        (1, "1000", "Throttled - You have exceeded the submission capacity"),
    ],
)
async def test_a_failed_status_keeps_its_error_code_and_reason(
    messages_gw: Running, fake: FakeVonage, shape: int, code: str, words: str
) -> None:
    gw = messages_gw
    await started(gw, fake)
    opening = fake.sent_to(CITIZEN)[0]
    status = {
        **payloads("messages_status_error_shapes")[shape],
        "message_uuid": opening.message_id,
        "client_ref": opening.client_ref,
    }
    with structlog.testing.capture_logs() as logs:
        assert await gw.messages_webhook("status", status) == (200, {"status": "ok"})
    [receipt] = await gw.query("SELECT status, error_code, error_reason FROM receipts")
    assert (receipt["error_code"], receipt["error_reason"][: len(words)]) == (code, words)
    [message] = await gw.query("SELECT status, error FROM messages WHERE purpose = 'opening'")
    assert message["status"] == status["status"]
    assert message["error"].startswith(f"receipt: {status['status']} (err-code {code}: {words}")
    [logged] = [line for line in logs if line["event"] == "receipt_received"]
    assert (logged["error_code"], logged["error_reason"][: len(words)]) == (code, words)


# --- a Messages API webhook must be fresh, as an SMS API one must ------------------------------

MESSAGES_INBOUND = {
    "channel": "sms",
    "message_uuid": "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab",
    "to": OUR_NUMBER,
    "from": CITIZEN,
    "timestamp": "2026-11-23T09:00:05Z",
    "message_type": "text",
    "text": "6",
}


async def test_a_years_old_token_is_stale(messages_gw: Running, fake: FakeVonage) -> None:
    gw = messages_gw
    await started(gw, fake)
    years_ago = int(gw.clock.now().timestamp()) - 3 * 365 * 86400
    with structlog.testing.capture_logs() as logs:
        status, body = await gw.messages_webhook("inbound", MESSAGES_INBOUND, iat=years_ago)
    assert (status, body["error"]) == (401, "stale")
    refused = [line for line in logs if line["event"] == "webhook_refused"]
    assert [(line["reason"], line["status"]) for line in refused] == [("stale", 401)]
    assert await gw.query("SELECT id FROM messages WHERE direction = 'in'") == []


async def test_a_gateway_clock_behind_vonages_takes_genuine_webhooks(
    messages_gw: Running,
) -> None:
    gw = messages_gw
    gw.clock.moment = datetime.now(UTC)  # PyJWT, inside the SDK, reads the real clock
    ahead = int(gw.clock.now().timestamp()) + 2  # Vonage's clock two seconds ahead of ours
    answer = await gw.messages_webhook("inbound", MESSAGES_INBOUND, iat=ahead)
    assert answer == (200, {"status": "unknown"})  # taken: no survey runs for the number
    stored = await gw.query("SELECT provider_ref FROM messages WHERE direction = 'in'")
    assert stored == [{"provider_ref": MESSAGES_INBOUND["message_uuid"]}]


# --- a message we cannot use is answered 200 and kept as ignored, never refused ----------------


async def test_a_binary_sms_is_acknowledged_and_kept_as_ignored(
    gw: Running, fake: FakeVonage
) -> None:
    await started(gw, fake)
    before = await gw.query("SELECT id, step, status, state FROM conversations")
    binary = {**payloads("sms_inbound_binary")[0], "msisdn": CITIZEN, "to": OUR_NUMBER}
    with structlog.testing.capture_logs() as logs:
        assert await gw.sms_webhook("inbound", binary) == (200, {"status": "ignored"})
    assert await gw.sms_webhook("inbound", binary) == (200, {"status": "duplicate"})
    [kept] = await gw.query(
        "SELECT conversation_id, phone, body, purpose, status, provider_ref, error FROM messages"
        " WHERE direction = 'in'"
    )
    assert await gw.query("SELECT id, step, status, state FROM conversations") == before
    assert kept == {
        "conversation_id": before[0]["id"],
        "phone": f"+{CITIZEN}",
        "body": None,
        "purpose": "ignored",
        "status": "ignored",
        "provider_ref": binary["messageId"],
        "error": "type 'binary': no text to read",
    }
    [logged] = [line for line in logs if line["event"] == "sms_ignored"]
    assert (logged["reason"], logged["provider_ref"]) == (kept["error"], binary["messageId"])
    assert len(await texts_to_citizen(gw, fake)) == 2  # no reply, no retry of the question
    assert await answers(gw) == []
    assert (await gw.sms_webhook("inbound", inbound("6")))[1] == {"status": "answered"}


async def test_messages_api_media_and_other_channels_are_kept_as_ignored(
    messages_gw: Running, fake: FakeVonage
) -> None:
    gw = messages_gw
    await started(gw, fake)
    for body in payloads("messages_inbound_not_text"):
        mine = {**body, "from": CITIZEN, "to": OUR_NUMBER}
        assert await gw.messages_webhook("inbound", mine) == (200, {"status": "ignored"})
        assert await gw.messages_webhook("inbound", mine) == (200, {"status": "duplicate"})
    kept = await gw.query("SELECT status, error FROM messages WHERE direction = 'in' ORDER BY id")
    assert kept == [
        {"status": "ignored", "error": "channel 'mms': not SMS"},
        {"status": "ignored", "error": "channel 'whatsapp': not SMS"},
    ]
    assert len(await texts_to_citizen(gw, fake)) == 2
    assert await answers(gw) == []


# --- long replies: reassembly never takes a new message for an old one --------------------------


def long_sms(
    text: str, concat_ref: str, message_ids: list[str] | None = None
) -> list[dict[str, str]]:
    """A long reply as Vonage delivers it: one webhook a part of 153 characters, in order."""
    chunks = [text[i : i + 153] for i in range(0, len(text), 153)]
    webhooks = []
    for number, chunk in enumerate(chunks, start=1):
        concat = {"concat-ref": concat_ref, "concat-total": str(len(chunks))}
        webhooks.append(inbound(chunk, concat="true", **concat, **{"concat-part": str(number)}))
    if message_ids is not None:
        for webhook, message_id in zip(webhooks, message_ids, strict=True):
            webhook["messageId"] = message_id
    return webhooks


async def post_all(gw: Running, webhooks: list[dict[str, str]]) -> list[str]:
    """Post each (signed anew, as Vonage does on a retry); the gateway's answers."""
    outcomes = []
    for webhook in webhooks:
        status, body = await gw.sms_webhook("inbound", webhook)
        assert status == 200, body
        outcomes.append(body["status"])
    return outcomes


async def test_a_reused_concat_ref_starts_a_new_message(gw: Running, fake: FakeVonage) -> None:
    """Vonage's payloads: two long replies with ref 108, a part of the first retried late."""
    await started(gw, fake)
    data = json.loads((PAYLOADS / "sms_inbound_concat_ref_reused.json").read_text("utf-8"))
    mine = [{**p, "msisdn": CITIZEN, "to": OUR_NUMBER} for p in data["payloads"]]
    assert await post_all(gw, mine) == data["answers"]
    assert await answers(gw) == [
        ("ces", data["whole_texts"][0]),
        ("solved", data["whole_texts"][1]),
    ]


LONG_ANSWERS = [
    ("ces", "2 Jag fick ringa tre gånger innan jag kom rätt, och varje gång fick jag förklara "
     "mitt ärende från början. Till slut löste det sig, men det tog en hel förmiddag."),
    ("solved", "nej, jag behöver ringa igen när beslutet kommer, och ingen kunde säga när det "
     "blir. Det vore bra med ett sms när handläggningen är klar, då slipper man ringa och fråga."),
    ("reason", "1 Jag ville veta hur det går med min ansökan om bygglov som jag skickade in i "
     "augusti. Jag har inte hört något sedan dess och fastigheten ska säljas i vår."),
    ("web_first", "ja, jag letade på webben först men hittade bara allmän information om "
     "handläggningstider, inget om just mitt ärende. En inloggad sida med status vore bra."),
    ("comment", "Personalen var trevlig och kunnig när jag väl kom fram, men kön var lång och "
     "telefonmenyn svår att förstå. Ni borde ha ett val för den som redan har ett pågående ärende. "
     "Tack för att ni frågar!"),
]  # fmt: skip


async def test_several_long_answers_in_one_survey_with_the_same_ref(
    gw: Running, fake: FakeVonage
) -> None:
    """A handset reuses its concat ref; parts arrive out of order, some twice."""
    await started(gw, fake)
    seen: list[dict[str, str]] = []
    for number, (_, text) in enumerate(LONG_ANSWERS):
        parts = long_sms(text, "77")
        assert len(parts) >= 2
        arrival = parts[::-1] if number % 2 else parts  # every other reply: last part first
        if seen:
            arrival.insert(1, seen[-1])  # the previous reply's last part, retried late
        outcomes = await post_all(gw, arrival)
        assert outcomes.count("duplicate") == (1 if seen else 0), outcomes
        assert outcomes[-1] in ("answered", "completed"), outcomes
        seen.extend(parts)
    assert await post_all(gw, seen) == ["duplicate"] * len(seen)  # every part again: no effect
    assert (await gw.sms_webhook("inbound", inbound("nej")))[0] == 200  # no call, thanks
    assert await answers(gw) == [*LONG_ANSWERS, ("callback_consent", "nej")]
    assert await gw.query("SELECT status FROM conversations") == [{"status": "completed"}]
    assert len(await texts_to_citizen(gw, fake)) == 2 + 4 + 1 + 1  # no retry question anywhere


async def test_two_long_messages_interleaved_with_different_refs(
    gw: Running, fake: FakeVonage
) -> None:
    await started(gw, fake)
    first, second = long_sms(LONG_ANSWERS[0][1], "12"), long_sms(LONG_ANSWERS[1][1], "13")
    outcomes = await post_all(gw, [first[0], second[0], second[1], first[1]])
    assert outcomes == ["part_stored", "part_stored", "retry", "answered"]
    # the second arrived whole first and was taken as the (wrong) answer to the first question
    assert [raw for _, raw in await answers(gw)] == [LONG_ANSWERS[1][1], LONG_ANSWERS[0][1]]


async def test_a_part_that_never_came_does_not_swallow_the_next_message(
    gw: Running, fake: FakeVonage
) -> None:
    await started(gw, fake)
    lost = long_sms(LONG_ANSWERS[4][1], "200")
    assert await post_all(gw, lost[:1]) == ["part_stored"]  # its other parts never arrive
    later = long_sms(LONG_ANSWERS[0][1], "200")
    assert len(later) == 2
    assert await post_all(gw, later) == ["part_stored", "answered"]
    assert await answers(gw) == [LONG_ANSWERS[0]]
