"""Sending through Vonage's Messages API with the official SDK (`POST https://{api_host}/v1/messages`).

Authentication is a JWT the SDK signs (RS256) with the application's private key, a fresh one on
every request. The answer is 202 with a `message_uuid`; price and parts arrive later, in the
status webhook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import vonage
from cryptography.hazmat.primitives import serialization
from vonage_messages import Sms

from smsbot.storage.outbox import Outgoing
from smsbot.transport.base import SendResult, VonageSettings
from smsbot.transport.vonage_common import SDK_ERRORS, ThreadedClient, digits, map_error

__all__ = ["VonageMessagesTransport", "pkcs8_pem"]


class VonageMessagesTransport:
    name = "vonage-messages"

    def __init__(
        self, settings: VonageSettings, *, threads: int, gate: Callable[[], None] | None = None
    ) -> None:
        if not (settings.application_id and settings.private_key):
            raise ValueError(
                "the Vonage Messages API needs vonage.application_id and vonage.private_key"
            )
        self.settings = settings
        self._private_key = pkcs8_pem(settings.private_key)
        self._client = ThreadedClient(settings, threads=threads, auth=self._auth, gate=gate)

    def _auth(self) -> Any:
        return vonage.Auth(
            application_id=self.settings.application_id, private_key=self._private_key
        )

    async def send(self, message: Outgoing) -> SendResult:
        try:
            sms = Sms(
                to=digits(message.phone),
                from_=self.settings.from_number,
                text=message.body,
                client_ref=message.client_ref,
            )
            response = await self._client.call(lambda client: client.messages.send(sms))
        except SDK_ERRORS as error:
            raise map_error(error) from error
        return SendResult(provider_ref=str(response.message_uuid), parts=message.segments)

    async def close(self) -> None:
        await self._client.close()


def pkcs8_pem(key: str) -> str:
    """The private key as PKCS#8 PEM text.

    The SDK takes a key given as text only if it contains "-----BEGIN PRIVATE KEY-----"
    (PKCS#8); the "BEGIN RSA PRIVATE KEY" (PKCS#1) form the dashboard may hand out is refused,
    and a text ending like a file name (".key") is opened as a file. Convert PKCS#1 here.
    """
    if "-----BEGIN" not in key:
        return key.strip()  # a file name: the SDK reads it
    text = key.strip().replace("\\n", "\n") + "\n"  # "\n" escapes, as env variables carry them
    if "-----BEGIN PRIVATE KEY-----" in text:
        return text
    loaded = serialization.load_pem_private_key(text.encode(), password=None)
    pem = loaded.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()
