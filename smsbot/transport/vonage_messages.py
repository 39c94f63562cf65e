"""Sending through Vonage's Messages API with the official SDK (`POST /v1/messages`)."""

from __future__ import annotations

from vonage_messages import Sms

from smsbot.storage.outbox import Outgoing
from smsbot.transport.base import SendResult, VonageSettings
from smsbot.transport.vonage_common import ThreadedClient, map_error

__all__ = ["VonageMessagesTransport"]


class VonageMessagesTransport:
    name = "vonage-messages"

    def __init__(self, settings: VonageSettings, *, threads: int) -> None:
        self.settings = settings
        self._client = ThreadedClient(settings, threads=threads, use_jwt=True)

    async def send(self, message: Outgoing) -> SendResult:
        sms = Sms(
            to=message.phone.lstrip("+"),
            from_=self.settings.from_number,
            text=message.body,
            client_ref=message.client_ref,
        )
        try:
            response = await self._client.call(lambda client: client.messages.send(sms))
        except Exception as error:
            raise map_error(error) from error
        return SendResult(provider_ref=str(response.message_uuid), parts=message.segments)

    async def close(self) -> None:
        await self._client.close()
