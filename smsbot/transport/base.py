"""What every transport offers: send one message, close."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from smsbot.storage.outbox import Outgoing

__all__ = ["SendError", "SendResult", "Transport", "VonageSettings"]


@dataclass(frozen=True)
class SendResult:
    provider_ref: str
    price: float | None = None
    currency: str | None = None
    parts: int = 1


class SendError(Exception):
    """A send that did not go through; `retryable` says whether trying again can help."""

    def __init__(self, reason: str, *, retryable: bool, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code


class Transport(Protocol):
    name: str

    async def send(self, message: Outgoing) -> SendResult: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class VonageSettings:
    api_key: str = ""
    api_secret: str | None = None
    from_number: str = "smsbot"
    signature_method: str = "sha256"
    signature_secret: str | None = None
    application_id: str = ""
    private_key: str | None = None
    rest_host: str = "rest.nexmo.com"
    api_host: str = "api.nexmo.com"
    timeout_seconds: int = 10
