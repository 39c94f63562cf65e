"""Security: signatures, tokens, hostile text and oversized requests, at the running gateway."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from smsbot.providers.vonage.webhooks import sign_messages_body
from tests.conftest import ManualClock
from tests.harness import OUR_NUMBER, Running, gateway_env, running_gateway
from tests.suite_summary import tally

CITIZEN = "46701740642"
HOSTILE = [
    "'; DROP TABLE answers; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM conversations;--",
    "nul\x00byte",
    "\x1b[31mred\x1b[0m",
    "\u202eevil\u202c",
]


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(
        tmp_path,
        SMSBOT_TRANSPORT__KIND="simulator",
        SMSBOT_SERVER__MAX_BODY_BYTES="8192",
        SMSBOT_SERVER__ADMIN_TOKEN="admin-token-for-tests",
    )
    async with running_gateway(env, clock) as running:
        yield running


def event(clock: ManualClock, event_id: str = "e1", **extra: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "contact.closed",
        "phone": f"+{CITIZEN}",
        "occurred_at": clock.now().isoformat(),
        "unit": "Kontaktcenter",
        "service": "Bygglov",
        **extra,
    }


def inbound(text: str, message_id: str = "m1") -> dict[str, str]:
    return {"msisdn": CITIZEN, "to": OUR_NUMBER, "messageId": message_id, "text": text}


async def count(gw: Running, table: str) -> int:
    return int((await gw.query(f"SELECT COUNT(*) AS n FROM {table}"))[0]["n"])


async def test_a_replayed_signed_webhook_has_no_second_effect(gw: Running) -> None:
    await gw.post_events(event(gw.clock))
    signed = gw.sign(inbound("5"))
    assert (await gw.sms_webhook("inbound", signed, sign=False))[1] == {"status": "answered"}
    assert (await gw.sms_webhook("inbound", signed, sign=False))[1] == {"status": "duplicate"}
    assert await count(gw, "answers") == 1
    tally("security", "replayed signatures")


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda p: {**p, "text": "1"}, "bad_signature"),
        (lambda p: {**p, "sig": "0" * 64}, "bad_signature"),
        (lambda p: {k: v for k, v in p.items() if k != "sig"}, "missing_signature"),
        (lambda p: {**p, "sig": p["sig"].upper()}, "ok"),
    ],
)
async def test_forged_signatures(gw: Running, tamper: Any, reason: str) -> None:
    await gw.post_events(event(gw.clock))
    status, body = await gw.sms_webhook("inbound", tamper(gw.sign(inbound("5"))), sign=False)
    if reason == "ok":
        assert status == 200
    else:
        assert (status, body["error"]) == (401, reason)
        assert await count(gw, "answers") == 0
        tally("security", "forged signatures refused")


async def test_a_stale_signature_is_refused(gw: Running) -> None:
    signed = gw.sign(inbound("5"))
    gw.clock.advance(minutes=10)
    status, body = await gw.sms_webhook("inbound", signed, sign=False)
    assert (status, body["error"]) == (401, "stale")
    tally("security", "stale signatures refused")


async def _messages(gw: Running, raw: bytes, authorization: str) -> int:
    url = f"{gw.url}/webhooks/vonage/messages/inbound"
    headers = {"Authorization": authorization, "Content-Type": "application/json"}
    async with gw.http.post(url, data=raw, headers=headers) as response:
        return response.status


async def test_messages_api_tokens(gw: Running) -> None:
    body = json.dumps(
        {"channel": "sms", "message_uuid": "u1", "to": OUR_NUMBER, "from": CITIZEN,
         "message_type": "text", "text": "5"}
    ).encode()  # fmt: skip
    wrong_secret = sign_messages_body(body, "another-secret-that-is-long-enough-32b", iat=1)
    other_body = sign_messages_body(b"{}", "webhook-signature-secret-of-32-bytes-or-more", iat=1)
    assert await _messages(gw, body, wrong_secret) == 401
    assert await _messages(gw, body, other_body) == 401  # payload_hash does not match
    assert await _messages(gw, body, "Bearer garbage") == 401
    assert await _messages(gw, body, "") == 401
    assert await count(gw, "messages") == 0
    tally("security", "forged signatures refused", 4)


@pytest.mark.parametrize("token", ["", "Bearer", "Bearer wrong", "Basic dGVzdA==", "test-token"])
async def test_events_need_the_right_bearer_token(gw: Running, token: str) -> None:
    url = f"{gw.url}/v1/events"
    async with gw.http.post(url, json=event(gw.clock), headers={"Authorization": token}) as r:
        assert r.status == 401
    assert await count(gw, "events") == 0
    tally("security", "wrong tokens refused")


@pytest.mark.parametrize("token", [None, "wrong", "test-token"])
async def test_admin_endpoints_refuse_without_the_admin_token(
    gw: Running, token: str | None
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with gw.http.get(f"{gw.url}/v1/feedback", headers=headers) as r:
        assert r.status == 401
    tally("security", "wrong tokens refused")
    good = {"Authorization": "Bearer admin-token-for-tests"}
    async with gw.http.get(f"{gw.url}/v1/feedback", headers=good) as r:
        assert r.status == 200


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_replies_are_stored_verbatim(gw: Running, text: str) -> None:
    await gw.post_events(event(gw.clock))
    await gw.sms_webhook("inbound", inbound(f"3 {text}"), how="json")
    stored = await gw.query("SELECT raw_text, comment FROM answers")
    assert len(stored) == 1 and stored[0]["raw_text"] == f"3 {text}"  # verbatim
    assert text.endswith(stored[0]["comment"])  # the comment: the text after the value
    assert await count(gw, "conversations") == 1
    tally("security", "hostile strings stored verbatim")


async def test_hostile_event_fields_are_stored_verbatim(gw: Running) -> None:
    fields = {"unit": HOSTILE[0], "service": HOSTILE[2], "attributes": {"note": HOSTILE[4]}}
    status, _ = await gw.post_events(event(gw.clock, **fields))
    assert status == 202
    rows = await gw.query("SELECT unit, service, attributes FROM events")
    assert rows[0]["unit"] == HOSTILE[0] and rows[0]["service"] == HOSTILE[2]
    assert json.loads(rows[0]["attributes"]) == {"note": HOSTILE[4]}
    tally("security", "hostile strings stored verbatim", 3)


async def test_oversized_bodies_are_refused_before_the_handler(gw: Running) -> None:
    headers = {"Authorization": "Bearer test-token"}
    async with gw.http.post(f"{gw.url}/v1/events", data=b"[" + b" " * 9000 + b"]",
                            headers=headers) as r:  # fmt: skip
        assert r.status == 413
    async with gw.http.post(f"{gw.url}/webhooks/vonage/inbound", data=b"a=" + b"x" * 9000) as r:
        assert r.status == 413
    assert await count(gw, "messages") == 0
    tally("security", "oversized bodies and header floods refused", 2)


@pytest.mark.parametrize(
    "headers",
    [{f"X-Flood-{n}": "x" for n in range(200)}, {"X-Big": "x" * 20_000}],
    ids=["200 headers", "a 20 KB header"],
)
async def test_header_floods_get_a_4xx(gw: Running, headers: dict[str, str]) -> None:
    async with gw.http.get(f"{gw.url}/healthz", headers=headers) as r:
        assert 400 <= r.status < 500
    async with gw.http.get(f"{gw.url}/healthz") as r:
        assert r.status == 200
    tally("security", "oversized bodies and header floods refused")


@pytest.mark.parametrize(
    "path", ["/v1/events", "/webhooks/vonage/messages/inbound", "/simulator/inbound"]
)
async def test_deeply_nested_json_is_a_400_not_a_crash(gw: Running, path: str) -> None:
    headers = {"Authorization": "Bearer test-token", "Content-Type": "application/json"}
    body = b"[" * 4000 + b"]" * 4000
    async with gw.http.post(f"{gw.url}{path}", data=body, headers=headers) as r:
        assert r.status in (400, 401)
    async with gw.http.get(f"{gw.url}/healthz") as r:
        assert r.status == 200
