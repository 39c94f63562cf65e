"""The real Vonage SDK against our fake Vonage on loopback (TLS): what each answer becomes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from smsbot.domain import DeliveryReceipt
from smsbot.storage.outbox import Outgoing
from smsbot.transport.base import SendError, VonageSettings
from smsbot.transport.simulator import SimulatorTransport
from smsbot.transport.vonage_messages import VonageMessagesTransport
from smsbot.transport.vonage_sms import VonageSmsTransport
from tests.fakevonage import FakeVonage


def private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()


@pytest.fixture
async def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeVonage]:
    async with FakeVonage(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        yield server


def settings(fake: FakeVonage, **extra: Any) -> VonageSettings:
    values: dict[str, Any] = {
        "api_key": "abcd1234",
        "api_secret": "secret",
        "from_number": "46701740000",
        "rest_host": fake.host,
        "api_host": fake.host,
        "timeout_seconds": 1,
        **extra,
    }
    return VonageSettings(**values)


def message(body: str = "Hur nöjd är du? Svara 1-5.", encoding: str = "GSM-7") -> Outgoing:
    return Outgoing(7, "c1", "+46701740642", body, "question", encoding, 1, 1)


async def sms_send(fake: FakeVonage, msg: Outgoing | None = None) -> Any:
    transport = VonageSmsTransport(settings(fake), threads=2)
    try:
        return await transport.send(msg or message())
    finally:
        await transport.close()


async def test_sms_api_success_carries_reference_price_and_parts(fake: FakeVonage) -> None:
    result = await sms_send(fake)
    assert result.provider_ref == fake.sent[0].message_id
    assert result.price == pytest.approx(0.0333)
    assert fake.sent[0].client_ref == "smsbot-7"
    assert fake.sent[0].to == "46701740642"
    assert fake.sent[0].type == "text"


async def test_ucs2_text_goes_as_unicode_and_long_text_in_parts(fake: FakeVonage) -> None:
    result = await sms_send(fake, message("Bra 😀 " * 20, "UCS-2"))
    assert fake.sent[0].type == "unicode"
    assert result.parts == fake.sent[0].parts > 1
    assert result.price == pytest.approx(0.0333 * result.parts)


@pytest.mark.parametrize(
    ("answer", "code", "retryable"),
    [
        ("throttle", "throttled", True),
        ("http429", "http_429", True),
        ("http500", "http_5xx", True),
        ("slow:2.5", "timeout", True),
        ("drop", "connection", True),
        ("reject", "status_6", False),
        ("auth", "auth", False),
    ],
)
async def test_sms_api_failures_say_whether_to_retry(
    fake: FakeVonage, answer: str, code: str, retryable: bool
) -> None:
    fake.script([answer])
    with pytest.raises(SendError) as caught:
        await sms_send(fake)
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    assert len(fake.requests) == 1  # never re-sent by the SDK or urllib3
    assert fake.sent == []


async def test_a_slow_send_does_not_block_the_event_loop(fake: FakeVonage) -> None:
    fake.script(["slow:0.5"])
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    task = asyncio.create_task(ticker())
    await sms_send(fake)
    task.cancel()
    assert ticks >= 10


async def test_messages_api_success_and_errors(fake: FakeVonage) -> None:
    transport = VonageMessagesTransport(
        settings(fake, application_id="app-id", private_key=private_key()), threads=1
    )
    try:
        result = await transport.send(message())
        assert result.provider_ref == fake.sent[0].message_id
        assert fake.sent[0].client_ref == "smsbot-7"
        fake.script(["throttle", "http500", "reject"])
        codes = []
        for _ in range(3):
            with pytest.raises(SendError) as caught:
                await transport.send(message())
            codes.append((caught.value.code, caught.value.retryable))
        assert codes == [("http_429", True), ("http_5xx", True), ("http_422", False)]
    finally:
        await transport.close()


async def test_the_simulator_reports_delivery() -> None:
    received: list[DeliveryReceipt] = []

    async def sink(receipt: DeliveryReceipt) -> None:
        received.append(receipt)

    simulator = SimulatorTransport(sink, receipt_delay=0.01)
    result = await simulator.send(message())
    await asyncio.sleep(0.05)
    await simulator.close()
    assert [(r.provider_ref, r.status, r.client_ref) for r in received] == [
        (result.provider_ref, "delivered", "smsbot-7")
    ]
