"""Sending through Vonage's SMS API (`POST https://{rest_host}/sms/json`).

`VonageSmsTransport` posts with aiohttp on the event loop (smsbot.providers.vonage.wire); the
SDK's pydantic models still build the request (`SmsMessage`: the documented fields and their
checks) and read the answer (`SmsResponse`). `SdkSmsTransport` is the SDK's own client in a
thread pool, as smsbot sent before; it is kept for `bench/send_client.py` and the tests that
hold both to the same guarantees.

Authentication is the API key and secret as HTTP Basic (what the SDK sends). The signature
secret is deliberately *not* used for sending: with one, SDK 4.9.1 signs the message's unset
fields as the text "None" (`&callback=None&ttl=None...`) but does not send them, so Vonage can
never verify the signature (status 14). The signature secret stays for checking webhooks.

A status other than "0" arrives as HTTP 200 with the status and its text in each part's entry;
the SDK raises `SmsError` (the status is only in the text: "...failed with error code 1:
Throttled") or, for a multi-part text, a `PartialFailureError` whose `.response` is the body.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pydantic
import vonage
from vonage_sms import PartialFailureError, SmsError, SmsMessage, SmsResponse

from smsbot.domain import Outgoing
from smsbot.providers.base import SendError, SendResult, VonageSettings
from smsbot.providers.vonage.common import SDK_ERRORS, ThreadedClient, digits, map_error
from smsbot.providers.vonage.wire import WireClient

__all__ = ["SdkSmsTransport", "VonageSmsTransport", "status_error"]

# SMS API status codes (developer.vonage.com/en/messaging/sms/guides/troubleshooting-sms):
# 1 Throttled and 5 Internal Error are worth a retry; every other status is final.
_STATUSES: dict[str, tuple[str, bool]] = {
    "1": ("throttled", True),
    "5": ("internal_error", True),
    "4": ("auth", False),  # Invalid Credentials
    "8": ("auth", False),  # Partner Account Barred
    "14": ("auth", False),  # Invalid Signature
    "32": ("auth", False),  # Signature And API Secret Disallowed
    "7": ("invalid_number", False),  # Number Barred
    "33": ("invalid_number", False),  # Number De-activated
}
_SDK_TEXT = re.compile(r"error code (\d+): (.*)", re.DOTALL)


def _check(settings: VonageSettings) -> None:
    if not (settings.api_key and settings.api_secret):
        raise ValueError("the Vonage SMS API needs vonage.api_key and vonage.api_secret")


def _sms(settings: VonageSettings, message: Outgoing) -> SmsMessage:
    """The request as the SDK's model (raises pydantic.ValidationError for a bad field)."""
    return SmsMessage(
        to=digits(message.phone),
        from_=settings.from_number,
        text=message.body,
        type="unicode" if message.encoding == "UCS-2" else "text",
        client_ref=message.client_ref,
    )


class VonageSmsTransport:
    """The SMS API over aiohttp: one request per send, never repeated."""

    name = "vonage-sms"

    def __init__(
        self, settings: VonageSettings, *, threads: int, gate: Callable[[], None] | None = None
    ) -> None:
        _check(settings)
        self.settings = settings
        self._url = f"https://{settings.rest_host}/sms/json"
        secret = f"{settings.api_key}:{settings.api_secret}".encode()
        self._authorization = f"Basic {base64.b64encode(secret).decode('ascii')}"
        self._client = WireClient(settings, threads=threads, gate=gate)

    async def send(self, message: Outgoing) -> SendResult:
        try:
            form = _sms(self.settings, message).model_dump(by_alias=True, exclude_none=True)
        except pydantic.ValidationError as error:
            raise map_error(error) from error
        answer = await self._client.post(
            self._url,
            body=urlencode(form).encode("ascii"),
            content_type="application/x-www-form-urlencoded",
            authorization=self._authorization,
        )
        return _answer(answer.body)

    async def close(self) -> None:
        await self._client.close()


def _answer(body: Any) -> SendResult:
    """The SMS API's 200 answer: every part accepted, or the first refusal as a SendError."""
    try:
        response = SmsResponse(**body)
    except (pydantic.ValidationError, TypeError):
        response = None
    if response is None or not response.messages:
        raise SendError(
            "the SMS API answered 200 with a body it does not document",
            retryable=True,
            code="connection",
            maybe_sent=True,
        )
    parts = response.messages
    refused = [i for i, part in enumerate(parts) if part.status != "0"]
    if not refused:
        return _result(response)
    first = refused[0]
    text = str(body["messages"][first].get("error-text", "")).strip()
    prefix = (
        f"{len(parts) - len(refused)} of {len(parts)} parts accepted; " if len(parts) > 1 else ""
    )
    raise status_error(str(parts[first].status), text, prefix=prefix)


class SdkSmsTransport:
    """The SMS API through the SDK's own (requests) client, in a thread pool."""

    name = "vonage-sms"

    def __init__(
        self, settings: VonageSettings, *, threads: int, gate: Callable[[], None] | None = None
    ) -> None:
        _check(settings)
        self.settings = settings
        self._client = ThreadedClient(settings, threads=threads, auth=self._auth, gate=gate)

    def _auth(self) -> Any:
        return vonage.Auth(api_key=self.settings.api_key, api_secret=self.settings.api_secret)

    async def send(self, message: Outgoing) -> SendResult:
        try:
            sms = _sms(self.settings, message)
            response = await self._client.call(lambda client: client.sms.send(sms))
        except SmsError as error:
            raise _sms_error(error) from error
        except SDK_ERRORS as error:
            raise map_error(error) from error
        return _result(response)

    async def close(self) -> None:
        await self._client.close()


def status_error(status: str, text: str, *, prefix: str = "") -> SendError:
    """A non-zero SMS API status as a SendError."""
    code, retryable = _STATUSES.get(status, ("rejected", False))
    return SendError(f"{prefix}status {status}: {text}", retryable=retryable, code=code)


def _sms_error(error: SmsError) -> SendError:
    if isinstance(error, PartialFailureError):
        return _partial_error(error)
    match = _SDK_TEXT.search(str(error))
    if match is None:
        return SendError(str(error), retryable=False, code="rejected")
    return status_error(match.group(1), match.group(2).strip())


def _partial_error(error: PartialFailureError) -> SendError:
    """Some parts of a long text were refused: the first refusal decides.

    A retry sends every part again, so parts already accepted arrive twice; the reason says so.
    """
    body = getattr(error, "response", None)
    parts = body.get("messages", []) if isinstance(body, dict) else []
    refused = [p for p in parts if str(p.get("status")) != "0"]
    if not refused:
        return SendError("some parts were refused", retryable=False, code="rejected")
    first = refused[0]
    prefix = f"{len(parts) - len(refused)} of {len(parts)} parts accepted; "
    return status_error(str(first.get("status")), str(first.get("error-text", "")), prefix=prefix)


def _result(response: Any) -> SendResult:
    parts = list(response.messages)
    prices = [_price(p.message_price) for p in parts]
    known = [p for p in prices if p is not None]
    return SendResult(
        provider_ref=str(parts[0].message_id),
        price=sum(known) if known else None,
        currency=None,  # the SMS API answers in the account's currency without naming it
        parts=len(parts),
    )


def _price(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
