"""Sending through Vonage's SMS API with the official SDK (`POST /sms/json`)."""

from __future__ import annotations

import re
from typing import Any

from vonage_sms import PartialFailureError, SmsError, SmsMessage

from smsbot.storage.outbox import Outgoing
from smsbot.transport.base import SendError, SendResult, VonageSettings
from smsbot.transport.vonage_common import ThreadedClient, map_error

__all__ = ["VonageSmsTransport"]

# SMS API status codes (https://developer.vonage.com/en/messaging/sms/guides/troubleshooting-sms):
# 1 throttled and 5 internal error are worth a retry; the rest are final.
_RETRYABLE_STATUS = {"1": "throttled", "5": "internal_error"}
_STATUS = re.compile(r"error code (\d+)")


class VonageSmsTransport:
    name = "vonage-sms"

    def __init__(self, settings: VonageSettings, *, threads: int) -> None:
        self.settings = settings
        self._client = ThreadedClient(settings, threads=threads, use_jwt=False)

    async def send(self, message: Outgoing) -> SendResult:
        sms = SmsMessage(
            to=message.phone.lstrip("+"),
            from_=self.settings.from_number,
            text=message.body,
            type="unicode" if message.encoding == "UCS-2" else "text",
            client_ref=message.client_ref,
        )
        try:
            response = await self._client.call(lambda client: client.sms.send(sms))
        except PartialFailureError as error:
            raise SendError(
                "some parts were not accepted", retryable=False, code="partial_failure"
            ) from error
        except SmsError as error:
            raise _sms_error(error) from error
        except Exception as error:
            raise map_error(error) from error
        return _result(response)

    async def close(self) -> None:
        await self._client.close()


def _sms_error(error: SmsError) -> SendError:
    match = _STATUS.search(str(error))
    status = match.group(1) if match else "?"
    if status in _RETRYABLE_STATUS:
        return SendError(str(error), retryable=True, code=_RETRYABLE_STATUS[status])
    return SendError(str(error), retryable=False, code=f"status_{status}")


def _result(response: Any) -> SendResult:
    parts = list(response.messages)
    prices = [float(p.message_price) for p in parts if p.message_price not in (None, "")]
    return SendResult(
        provider_ref=str(parts[0].message_id),
        price=sum(prices) if prices else None,
        currency="EUR" if prices else None,
        parts=len(parts),
    )
