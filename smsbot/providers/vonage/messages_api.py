"""Sending through Vonage's Messages API (`POST https://{api_host}/v1/messages`).

`VonageMessagesTransport` posts with aiohttp on the event loop (smsbot.providers.vonage.wire);
the SDK still does the rest: its JWT code (vonage_jwt's `JwtClient`, what `vonage.Auth` uses)
signs the JWT, its `Sms` model builds and checks the request body, its `SendMessageResponse`
reads the answer. `SdkMessagesTransport` is the SDK's own client in a thread pool, as smsbot
sent before (kept for `bench/send_client.py` and the tests that hold both to the same
guarantees).

Authentication is a JWT signed (RS256) with the application's private key, a fresh one on every
request, as the SDK makes them. The answer is 202 with a `message_uuid`; price and parts arrive
later, in the status webhook.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import vonage
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from vonage_jwt.jwt import JwtClient
from vonage_messages import SendMessageResponse, Sms

from smsbot.domain import Outgoing
from smsbot.providers.base import SendError, SendResult, VonageSettings
from smsbot.providers.vonage.common import SDK_ERRORS, ThreadedClient, digits, map_error
from smsbot.providers.vonage.wire import WireClient

__all__ = ["SdkMessagesTransport", "VonageMessagesTransport", "pkcs8_pem"]


def _private_key(settings: VonageSettings) -> str:
    if not (settings.application_id and settings.private_key):
        raise ValueError(
            "the Vonage Messages API needs vonage.application_id and vonage.private_key"
        )
    return pkcs8_pem(settings.private_key)


def _sms(settings: VonageSettings, message: Outgoing) -> Sms:
    """The request as the SDK's model (raises pydantic.ValidationError for a bad field)."""
    return Sms(
        to=digits(message.phone),
        from_=settings.from_number,
        text=message.body,
        client_ref=message.client_ref,
    )


class VonageMessagesTransport:
    """The Messages API over aiohttp: one request per send, never repeated."""

    name = "vonage-messages"

    def __init__(
        self, settings: VonageSettings, *, threads: int, gate: Callable[[], None] | None = None
    ) -> None:
        self.settings = settings
        # The SDK's own JWT code, given the key loaded once: given PEM text, as vonage.Auth
        # gives it, PyJWT parses and checks the RSA key again for every token (about 30 ms of
        # CPU per SMS on the development machine, against about 1 ms to sign).
        key = serialization.load_pem_private_key(_private_key(settings).encode(), password=None)
        self._jwt = JwtClient(settings.application_id, key)
        self._url = f"https://{settings.api_host}/v1/messages"
        self._client = WireClient(settings, threads=threads, gate=gate)

    async def send(self, message: Outgoing) -> SendResult:
        try:
            sms = _sms(self.settings, message)
        except pydantic.ValidationError as error:
            raise map_error(error) from error
        body = sms.model_dump(by_alias=True, exclude_none=True, mode="json")
        token = self._jwt.generate_application_jwt().decode("ascii")
        answer = await self._client.post(
            self._url,
            body=json.dumps(body).encode(),
            content_type="application/json",
            authorization=f"Bearer {token}",
        )
        try:
            response = SendMessageResponse(**answer.body)
        except (pydantic.ValidationError, TypeError):
            raise SendError(
                f"the Messages API answered {answer.status} without a message_uuid",
                retryable=True,
                code="connection",
                maybe_sent=True,
            ) from None
        return SendResult(provider_ref=str(response.message_uuid), parts=message.segments)

    async def close(self) -> None:
        await self._client.close()


class SdkMessagesTransport:
    """The Messages API through the SDK's own (requests) client, in a thread pool."""

    name = "vonage-messages"

    def __init__(
        self, settings: VonageSettings, *, threads: int, gate: Callable[[], None] | None = None
    ) -> None:
        self.settings = settings
        self._private_key = _private_key(settings)
        self._client = ThreadedClient(settings, threads=threads, auth=self._auth, gate=gate)

    def _auth(self) -> Any:
        return vonage.Auth(
            application_id=self.settings.application_id, private_key=self._private_key
        )

    async def send(self, message: Outgoing) -> SendResult:
        try:
            sms = _sms(self.settings, message)
            response = await self._client.call(lambda client: client.messages.send(sms))
        except SDK_ERRORS as error:
            raise map_error(error) from error
        return SendResult(provider_ref=str(response.message_uuid), parts=message.segments)

    async def close(self) -> None:
        await self._client.close()


def pkcs8_pem(key: str) -> str:
    """The private key as PKCS#8 PEM text; raises ValueError saying what is wrong with it.

    `key` is the PEM text (with real line breaks or "\\n" escapes, as environment variables
    carry them) or the name of a file that holds it. The SDK takes a key given as text only if
    it contains "-----BEGIN PRIVATE KEY-----" (PKCS#8), and refuses the "BEGIN RSA PRIVATE KEY"
    (PKCS#1) form the dashboard may hand out; so the key is read and checked here, once, and
    the SDK always gets PKCS#8 text.
    """
    text = _key_text(key)
    try:
        loaded = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError(
            "not a PEM private key without a password (give the private key of the Vonage "
            "application, as text or as the name of its file)"
        ) from None
    pem = loaded.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()


def _key_text(key: str) -> str:
    if "-----BEGIN" in key:
        return key.strip().replace("\\n", "\n") + "\n"
    path = Path(key.strip())
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        why = getattr(error, "strerror", None) or "not a text file"
        raise ValueError(f"the key file {path} cannot be read: {why.lower()}") from None
