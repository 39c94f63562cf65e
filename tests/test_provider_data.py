"""What real provider data showed (issue 11), end to end: the running gateway, the real SDK, our
fake Vonage, and webhooks built from Vonage's published formats (tests/payloads/).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import structlog

from tests.conftest import ManualClock
from tests.fakevonage import FakeVonage
from tests.harness import OUR_NUMBER, Running, gateway_env, running_gateway
from tests.test_gateway_vonage import CITIZEN, started

PAYLOADS = Path(__file__).parent / "payloads"


def payloads(name: str) -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    return list(data["payloads"])


@pytest.fixture
async def vonage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeVonage]:
    async with FakeVonage(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        yield server


@pytest.fixture
async def messages_gw(
    tmp_path: Path, clock: ManualClock, vonage: FakeVonage
) -> AsyncIterator[Running]:
    """A gateway sending through the Messages API (its status webhooks carry `error` objects)."""
    from tests.test_transport import private_key

    env = gateway_env(
        tmp_path,
        SMSBOT_TRANSPORT__KIND="vonage-messages",
        SMSBOT_VONAGE__API_HOST=vonage.host,
        SMSBOT_VONAGE__APPLICATION_ID="app-id",
        SMSBOT_VONAGE__PRIVATE_KEY=private_key(),
    )
    async with running_gateway(env, clock) as running:
        yield running


# --- a Messages API status keeps its error's code and words ------------------------------------


@pytest.mark.parametrize(
    ("shape", "code", "words"),
    [
        (0, "1300", "Not part of the provider network"),
        (1, "1000", "Throttled - You have exceeded the submission capacity"),
    ],
)
async def test_a_failed_status_keeps_its_error_code_and_reason(
    messages_gw: Running, vonage: FakeVonage, shape: int, code: str, words: str
) -> None:
    gw = messages_gw
    await started(gw, vonage)
    opening = vonage.sent_to(CITIZEN)[0]
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


async def test_a_years_old_token_is_stale(messages_gw: Running, vonage: FakeVonage) -> None:
    gw = messages_gw
    await started(gw, vonage)
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
