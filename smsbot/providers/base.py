"""What every transport offers: send one message, close."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from smsbot.domain import Outgoing

__all__ = ["SendError", "SendResult", "Transport", "VonageSettings"]


@dataclass(frozen=True)
class SendResult:
    provider_ref: str  # SMS API message-id of the first part, or Messages API message_uuid
    price: float | None = None  # all parts together, in the account's currency
    currency: str | None = None  # None when the provider does not say
    parts: int = 1


class SendError(Exception):
    """A send that did not go through; `retryable` says whether trying again can help.

    `code` is stable and short (for metrics and the outbox): throttled, http_429, http_5xx,
    internal_error, timeout, connection, tls, closed, auth, rejected, invalid_number.
    `maybe_sent` says the provider may have taken it all the same (it got the request but its
    answer did not arrive in time): a delivery receipt, not a second send, should settle it.
    """

    def __init__(
        self, reason: str, *, retryable: bool, code: str, maybe_sent: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code
        self.maybe_sent = maybe_sent

    def __repr__(self) -> str:
        return f"SendError({self.reason!r}, retryable={self.retryable}, code={self.code!r})"


class Transport(Protocol):
    name: str

    async def send(self, message: Outgoing) -> SendResult: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class VonageSettings:
    """The `[vonage]` configuration section, as plain values."""

    api_key: str = ""
    api_secret: str | None = None
    from_number: str = "smsbot"
    signature_method: str = "sha256"
    signature_secret: str | None = None
    application_id: str = ""
    private_key: str | None = None  # PEM text (PKCS#8 or PKCS#1)
    rest_host: str = "rest.nexmo.com"
    api_host: str = "api.nexmo.com"
    timeout_seconds: int = 10

    def __repr__(self) -> str:  # never print the secrets
        return (
            f"VonageSettings(api_key={self.api_key!r}, from_number={self.from_number!r},"
            f" application_id={self.application_id!r}, rest_host={self.rest_host!r},"
            f" api_host={self.api_host!r}, timeout_seconds={self.timeout_seconds})"
        )
