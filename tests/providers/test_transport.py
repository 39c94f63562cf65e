"""Our Vonage transports against our fake Vonage on loopback (TLS): what each answer becomes.

Every transport test runs twice: against the aiohttp transports (what smsbot sends with) and
against the SDK's own client in threads (how it sent before), which must keep the same promises.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import vonage
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from vonage_sms import SmsError, SmsMessage

from smsbot.domain import DeliveryReceipt, Outgoing
from smsbot.gateway.pacing import WireGate
from smsbot.providers import SendError, SendResult, Transport, VonageSettings, build_transport
from smsbot.providers.simulator import SimulatorTransport
from smsbot.providers.vonage.messages_api import SdkMessagesTransport, VonageMessagesTransport
from smsbot.providers.vonage.sms_api import SdkSmsTransport, VonageSmsTransport
from smsbot.providers.vonage.wire import ca_context
from tests.fakevonage import FakeVonage, segments

API_KEY, API_SECRET, APP_ID = "abcd1234", "secret", "app-id"


def private_key(form: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, form, serialization.NoEncryption()
    ).decode()


@dataclass(frozen=True)
class Impl:
    sms: Callable[..., Transport]
    messages: Callable[..., Transport]


IMPLS = {
    "aiohttp": Impl(VonageSmsTransport, VonageMessagesTransport),
    "sdk-threads": Impl(SdkSmsTransport, SdkMessagesTransport),
}


@pytest.fixture(params=sorted(IMPLS))
def impl(request: pytest.FixtureRequest) -> Impl:
    return IMPLS[str(request.param)]


@pytest.fixture
async def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeVonage]:
    server = FakeVonage(tmp_path, api_key=API_KEY, api_secret=API_SECRET, application_id=APP_ID)
    async with server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        yield server


def settings(fake: FakeVonage, **extra: Any) -> VonageSettings:
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "api_secret": API_SECRET,
        "from_number": "46701740000",
        "application_id": APP_ID,
        "private_key": private_key(),
        "rest_host": fake.host,
        "api_host": fake.host,
        "timeout_seconds": 1,
        **extra,
    }
    return VonageSettings(**values)


def message(body: str = "Hur nöjd är du? Svara 1-5.", encoding: str = "GSM-7") -> Outgoing:
    return Outgoing(7, "c1", "+46701740642", body, "question", encoding, 1, 1)


async def sms_send(
    impl: Impl, fake: FakeVonage, msg: Outgoing | None = None, **extra: Any
) -> SendResult:
    transport = impl.sms(settings(fake, **extra), threads=2)
    try:
        return await transport.send(msg or message())
    finally:
        await transport.close()


async def sms_error(
    impl: Impl, fake: FakeVonage, msg: Outgoing | None = None, **extra: Any
) -> SendError:
    with pytest.raises(SendError) as caught:
        await sms_send(impl, fake, msg, **extra)
    return caught.value


# --- SMS API -----------------------------------------------------------------------------------


async def test_sms_api_success_carries_reference_price_and_parts(
    impl: Impl, fake: FakeVonage
) -> None:
    result = await sms_send(impl, fake)
    assert (result.provider_ref, result.parts, result.currency) == (
        fake.sent[0].message_id,
        1,
        None,
    )
    assert isinstance(result.price, float) and result.price == pytest.approx(0.0333)
    request = fake.requests[0]
    assert (request.client_ref, request.to, request.type) == ("smsbot-7", "46701740642", "text")
    assert request.form["from"] == "46701740000"
    assert request.authorization.startswith("Basic ")  # key and secret, never in the form
    assert "api_secret" not in request.form


async def test_a_200_character_text_goes_in_two_parts_each_billed(
    impl: Impl, fake: FakeVonage
) -> None:
    result = await sms_send(impl, fake, message("Tack för ditt svar! " * 10))
    assert (result.parts, fake.sent[0].parts) == (2, 2)
    assert result.price == pytest.approx(2 * 0.0333)
    assert result.provider_ref == fake.sent[0].message_id


async def test_ucs2_text_goes_as_unicode(impl: Impl, fake: FakeVonage) -> None:
    body = "Bra 😀 " * 20  # 140 UTF-16 units: three UCS-2 parts
    result = await sms_send(impl, fake, message(body, "UCS-2"))
    assert (fake.requests[0].type, fake.sent[0].type) == ("unicode", "unicode")
    assert result.parts == segments(body, unicode=True) == 3


async def test_the_signature_secret_does_not_switch_sends_to_signing(
    impl: Impl, fake: FakeVonage
) -> None:
    fake.signature_secret = "sig-secret"
    await sms_send(impl, fake, signature_secret="sig-secret", signature_method="sha256")
    assert "sig" not in fake.requests[0].form
    assert len(fake.sent) == 1


def test_the_sdk_signs_sms_sends_wrongly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why we don't give the SDK the signature secret: it signs unset fields as "None"."""
    with FakeVonage(tmp_path, signature_secret="sig-secret") as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_path)
        auth = vonage.Auth(
            api_key=API_KEY, signature_secret="sig-secret", signature_method="sha256"
        )
        options = vonage.HttpClientOptions(rest_host=fake.host, timeout=2, max_retries=0)
        client = vonage.Vonage(auth, http_client_options=options)
        with pytest.raises(SmsError, match="error code 14"):
            client.sms.send(SmsMessage(to="46701740642", from_="46701740000", text="Hej"))
        assert "sig" in fake.requests[0].form


@pytest.mark.parametrize(
    ("answer", "code", "retryable"),
    [
        ("throttle", "throttled", True),
        ("status:5", "internal_error", True),
        ("http429", "http_429", True),
        ("http500", "http_5xx", True),
        ("slow:2.5", "timeout", True),
        ("drop", "connection", True),
        ("reject", "rejected", False),
        ("status:3", "rejected", False),
        ("status:7", "invalid_number", False),
        ("status:4", "auth", False),
        ("auth", "auth", False),
    ],
)
async def test_sms_api_failures_say_whether_to_retry(
    impl: Impl, fake: FakeVonage, answer: str, code: str, retryable: bool
) -> None:
    fake.script([answer])
    error = await sms_error(impl, fake)
    assert (error.code, error.retryable) == (code, retryable)
    assert error.maybe_sent == (code == "timeout")  # only a late answer may hide a send
    assert len(fake.requests) == 1  # never re-sent by the SDK or urllib3


async def test_a_throttled_send_keeps_vonages_words(impl: Impl, fake: FakeVonage) -> None:
    fake.script(["throttle"])
    error = await sms_error(impl, fake)
    assert str(error).startswith("status 1: Throughput Rate Exceeded")


async def test_a_dropped_connection_is_one_request_and_nothing_sent(
    impl: Impl, fake: FakeVonage
) -> None:
    fake.default = "drop"  # the SDK alone would re-POST it up to pool_maxsize (10) times
    transport = impl.sms(settings(fake), threads=1)
    try:
        for _ in range(3):
            with pytest.raises(SendError, match="connection failed"):
                await transport.send(message())
    finally:
        await transport.close()
    assert len(fake.requests) == 3 and fake.sent == []


async def test_a_dropped_kept_alive_connection_is_not_posted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a reused connection too: aiohttp retries a request on a kept-alive connection the
    server closed only for idempotent methods (GET, PUT, DELETE...), never our POST."""
    async with FakeVonage(tmp_path, keep_alive=True) as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_path)
        fake.script(["ok", "drop", "ok"])
        transport = VonageSmsTransport(settings(fake), threads=1)
        try:
            await transport.send(message())
            with pytest.raises(SendError) as caught:
                await transport.send(message())
            await transport.send(message())
        finally:
            await transport.close()
    assert (caught.value.code, caught.value.maybe_sent) == ("connection", False)
    assert [r.answer for r in fake.requests] == ["ok", "drop", "ok"] and len(fake.sent) == 2


async def test_the_wire_gate_paces_sends(impl: Impl, fake: FakeVonage) -> None:
    fake.rate_limit(per_second=4)
    # the margin absorbs the jitter between leaving here and arriving there (a loaded machine's)
    transport = impl.sms(settings(fake), threads=6, gate=WireGate(4.0, 0.2))
    started = time.monotonic()
    try:
        await asyncio.gather(*(transport.send(message()) for _ in range(6)))
    finally:
        await transport.close()
    assert time.monotonic() - started >= 1.0 and fake.throttled == 0 and len(fake.sent) == 6


async def test_a_connection_that_never_opens_is_a_timeout_that_sent_nothing(
    fake: FakeVonage,
) -> None:
    """TCP connects but TLS never answers: the request was never written, so no receipt is
    awaited (not maybe_sent) and the retry comes at once. (The SDK in threads took this for a
    late answer: requests raises ReadTimeout for a TLS handshake that times out.)"""
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        error = await sms_error(IMPLS["aiohttp"], fake, rest_host=f"127.0.0.1:{port}")
    finally:
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()
    assert (error.code, error.retryable, error.maybe_sent) == ("timeout", True, False)


async def test_a_timed_out_send_may_still_go_out(impl: Impl, fake: FakeVonage) -> None:
    fake.script(["slow:1.5"])
    error = await sms_error(impl, fake)
    assert error.code == "timeout" and error.maybe_sent and fake.sent == []
    await asyncio.sleep(1)
    assert [s.client_ref for s in fake.sent] == ["smsbot-7"]  # hence retries keep the client_ref


async def test_a_long_text_partly_throttled_is_retryable(impl: Impl, fake: FakeVonage) -> None:
    fake.script(["partial"])
    error = await sms_error(impl, fake, message("Tack för ditt svar! " * 10))
    assert (error.code, error.retryable) == ("throttled", True)
    assert str(error).startswith("1 of 2 parts accepted; status 1")


async def test_wrong_credentials_are_not_retried(impl: Impl, fake: FakeVonage) -> None:
    error = await sms_error(impl, fake, api_secret="wrong")
    assert (error.code, error.retryable) == ("auth", False)
    assert str(error) == "status 4: Bad Credentials"


async def test_sends_go_through_the_proxy_the_environment_names(
    impl: Impl, fake: FakeVonage, monkeypatch: pytest.MonkeyPatch
) -> None:
    tunnels: list[str] = []
    ends: list[asyncio.StreamWriter] = []

    async def tunnel(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ends.append(writer)
        head = await reader.readuntil(b"\r\n\r\n")
        target = head.split()[1].decode()
        tunnels.append(head.split()[0].decode() + " " + target)
        host, port = target.rsplit(":", 1)
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        ends.append(upstream_writer)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    proxy = await asyncio.start_server(tunnel, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
    try:
        result = await sms_send(impl, fake)
    finally:
        proxy.close()
        for end in ends:
            end.close()
        await asyncio.gather(*(end.wait_closed() for end in ends), return_exceptions=True)
        await proxy.wait_closed()
    assert tunnels == [f"CONNECT {fake.host}"]
    assert result.provider_ref == fake.sent[0].message_id


async def test_an_untrusted_certificate_is_a_tls_error(
    impl: Impl, fake: FakeVonage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    error = await sms_error(impl, fake)
    assert (error.code, error.retryable) == ("tls", True)


def test_the_ca_bundle_comes_from_the_environment_as_requests_took_it(
    fake: FakeVonage, tmp_path: Path
) -> None:
    def subjects(environ: dict[str, str]) -> list[Any]:
        return [cert["subject"] for cert in ca_context(environ).get_ca_certs()]

    ours = subjects({"REQUESTS_CA_BUNDLE": fake.ca_path})
    assert len(ours) == 1
    assert subjects({"CURL_CA_BUNDLE": fake.ca_path}) == ours
    assert subjects({"SSL_CERT_FILE": fake.ca_path}) == ours
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    assert subjects({"REQUESTS_CA_BUNDLE": fake.ca_path, "SSL_CERT_FILE": str(empty)}) == ours
    everyone = subjects({})  # certifi's bundle, requests' default
    assert len(everyone) > 100 and ours[0] not in everyone


async def test_a_slow_send_does_not_block_the_event_loop(impl: Impl, fake: FakeVonage) -> None:
    fake.script(["slow:0.5"])
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    task = asyncio.create_task(ticker())
    await sms_send(impl, fake)
    task.cancel()
    assert ticks >= 10


async def test_sends_run_in_parallel_up_to_the_thread_count(impl: Impl, fake: FakeVonage) -> None:
    fake.default = "slow:0.4"
    transport = impl.sms(settings(fake), threads=4)
    started = time.monotonic()
    try:
        results = await asyncio.gather(*(transport.send(message()) for _ in range(8)))
    finally:
        await transport.close()
    assert time.monotonic() - started >= 0.8  # two rounds of four at least
    assert fake.slow_peak == 4  # four at once, never more (nor one at a time)
    assert len({r.provider_ref for r in results}) == 8


async def test_the_rate_limit_throttles_beyond_it(impl: Impl, fake: FakeVonage) -> None:
    fake.rate_limit(per_second=3)
    transport = impl.sms(settings(fake), threads=6)
    try:
        outcomes = await asyncio.gather(
            *(transport.send(message()) for _ in range(6)), return_exceptions=True
        )
    finally:
        await transport.close()
    codes = [o.code if isinstance(o, SendError) else "ok" for o in outcomes]
    assert sorted(codes) == ["ok"] * 3 + ["throttled"] * 3
    assert fake.throttled == 3 and len(fake.sent) == 3


async def test_a_closed_transport_refuses_retryably(impl: Impl, fake: FakeVonage) -> None:
    transport = impl.sms(settings(fake), threads=1)
    await transport.close()
    with pytest.raises(SendError) as caught:
        await transport.send(message())
    assert (caught.value.code, caught.value.retryable) == ("closed", True)


# --- Messages API ------------------------------------------------------------------------------


async def messages_send(
    impl: Impl, fake: FakeVonage, msg: Outgoing | None = None, **extra: Any
) -> SendResult:
    transport = impl.messages(settings(fake, **extra), threads=1)
    try:
        return await transport.send(msg or message())
    finally:
        await transport.close()


async def test_messages_api_success(impl: Impl, fake: FakeVonage) -> None:
    result = await messages_send(impl, fake)
    assert result.provider_ref == fake.sent[0].message_id
    request = fake.requests[0]
    assert request.path == "/v1/messages"
    assert request.json["channel"] == "sms" and request.json["from"] == "46701740000"
    assert (request.client_ref, request.to) == ("smsbot-7", "46701740642")
    assert request.authorization.startswith("Bearer ")


async def test_messages_api_jwt_is_the_sdks_signed_with_the_applications_key(
    fake: FakeVonage,
) -> None:
    key = private_key()
    transport = VonageMessagesTransport(settings(fake, private_key=key), threads=1)
    try:
        await transport.send(message())
        await transport.send(message())
    finally:
        await transport.close()
    public = serialization.load_pem_private_key(key.encode(), password=None).public_key()
    tokens = [r.authorization.removeprefix("Bearer ") for r in fake.requests]
    claims = [jwt.decode(t, public, algorithms=["RS256"]) for t in tokens]
    assert [c["application_id"] for c in claims] == [APP_ID, APP_ID]
    assert claims[0]["jti"] != claims[1]["jti"]  # a fresh token for every request, as the SDK's
    assert claims[0]["exp"] - claims[0]["iat"] == 15 * 60


async def test_messages_api_takes_a_pkcs1_key(impl: Impl, fake: FakeVonage) -> None:
    key = private_key(serialization.PrivateFormat.TraditionalOpenSSL)
    assert "BEGIN RSA PRIVATE KEY" in key
    result = await messages_send(impl, fake, private_key=key)
    assert result.provider_ref == fake.sent[0].message_id


@pytest.mark.parametrize(
    ("answer", "code", "retryable"),
    [
        ("throttle", "http_429", True),
        ("http500", "http_5xx", True),
        ("slow:2.5", "timeout", True),
        ("drop", "connection", True),
        ("reject", "rejected", False),
        ("auth", "auth", False),
    ],
)
async def test_messages_api_failures(
    impl: Impl, fake: FakeVonage, answer: str, code: str, retryable: bool
) -> None:
    fake.script([answer])
    with pytest.raises(SendError) as caught:
        await messages_send(impl, fake)
    assert (caught.value.code, caught.value.retryable) == (code, retryable)
    assert len(fake.requests) == 1


async def test_messages_api_wrong_application_and_bad_number(impl: Impl, fake: FakeVonage) -> None:
    with pytest.raises(SendError) as caught:
        await messages_send(impl, fake, application_id="someone-else")
    assert (caught.value.code, caught.value.retryable) == ("auth", False)
    bad = Outgoing(8, None, "+123", "Hej", "question", "GSM-7", 1, 1)
    with pytest.raises(SendError) as caught:
        await messages_send(impl, fake, bad)
    assert (caught.value.code, caught.value.retryable) == ("invalid_number", False)
    assert len(fake.requests) == 1  # the bad number never left


# --- the factory, the simulator, the fake itself -----------------------------------------------


async def test_the_factory_builds_each_kind(fake: FakeVonage) -> None:
    for kind, cls in [
        ("simulator", SimulatorTransport),
        ("vonage-sms", VonageSmsTransport),
        ("vonage-messages", VonageMessagesTransport),
    ]:
        transport = build_transport(kind, settings(fake), threads=2)
        assert isinstance(transport, cls) and transport.name == kind
        await transport.close()
    with pytest.raises(ValueError, match="unknown transport"):
        build_transport("carrier-pigeon", settings(fake), threads=1)
    with pytest.raises(ValueError, match="application_id"):
        build_transport("vonage-messages", VonageSettings(), threads=1)


async def test_the_simulator_reports_delivery() -> None:
    received: list[DeliveryReceipt] = []

    async def sink(receipt: DeliveryReceipt) -> None:
        received.append(receipt)

    simulator = SimulatorTransport(sink, receipt_delay=0.01)
    result = await simulator.send(message())
    assert result.provider_ref.startswith("sim-")
    await asyncio.sleep(0.1)
    late = SimulatorTransport(sink, receipt_delay=10)
    await late.send(message())
    await late.close()  # cancels the receipt still pending
    assert [(r.provider_ref, r.status, r.client_ref, r.phone) for r in received] == [
        (result.provider_ref, "delivered", "smsbot-7", "+46701740642")
    ]


def test_the_fake_runs_in_a_thread_for_synchronous_clients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with FakeVonage() as fake:
        ca_path = fake.ca_path
        monkeypatch.setitem(os.environ, "REQUESTS_CA_BUNDLE", ca_path)
        auth = vonage.Auth(api_key=API_KEY, api_secret=API_SECRET)
        options = vonage.HttpClientOptions(rest_host=fake.host, timeout=2, max_retries=0)
        response = vonage.Vonage(auth, http_client_options=options).sms.send(
            SmsMessage(to="46701740642", from_="46701740000", text="Hej", client_ref="r-1")
        )
        assert response.messages[0].message_id == fake.sent_to("+46701740642")[0].message_id
        assert fake.count_by_client_ref() == {"r-1": 1}
    assert not Path(ca_path).exists()  # its temporary directory is gone
