"""Frozen value types that cross the service boundary: what comes in and goes out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "DeliveryReceipt",
    "IgnoredInbound",
    "InboundPart",
    "InboundSms",
    "Outgoing",
    "ServiceEvent",
    "message_id_from_client_ref",
]


@dataclass(frozen=True)
class InboundSms:
    """A citizen's SMS (all parts reassembled), whatever provider brought it."""

    phone: str  # the citizen, E.164 with '+'
    to: str  # our number
    text: str
    provider_ref: str  # Vonage messageId / message_uuid: the duplicate key
    received_at: datetime | None = None  # as the provider reports it


@dataclass(frozen=True)
class InboundPart:
    """One part of a long SMS (SMS API concat); reassembled before the engine sees it."""

    phone: str
    to: str
    text: str
    provider_ref: str
    concat_ref: str
    total: int
    part: int  # 1-based
    received_at: datetime | None = None


@dataclass(frozen=True)
class IgnoredInbound:
    """An inbound message we cannot use (a binary SMS, a picture, another channel's message).

    Authentic all the same, so it is acknowledged (a refusal would be retried for a day), kept
    with `reason`, and nothing else happens: no answer, no reply.
    """

    phone: str | None  # the sender, E.164 with '+', when it is a phone number
    to: str  # our number
    provider_ref: str  # the duplicate key, as for any inbound message
    reason: str  # why we cannot use it, for the people who read the record
    received_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryReceipt:
    """What the provider says became of a message we sent."""

    provider_ref: str  # messageId / message_uuid of our message
    status: str  # delivered | expired | failed | rejected | accepted | buffered | submitted ...
    error_code: str = "0"
    error_reason: str | None = None  # the provider's words for the error, when it gives any
    client_ref: str | None = None
    phone: str | None = None  # the recipient
    price: float | None = None
    currency: str | None = None
    at: datetime | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


FINAL_STATUSES = frozenset(
    {"delivered", "expired", "failed", "rejected", "undeliverable", "undelivered"}
)
FAILED_STATUSES = frozenset({"expired", "failed", "rejected", "undeliverable", "undelivered"})


@dataclass(frozen=True)
class ServiceEvent:
    """A service happened (a call closed, a visit done, a decision sent): maybe ask about it."""

    source: str  # the system that posted it (its token's name)
    source_id: str  # the source's own id: the idempotency key
    type: str
    phone: str  # E.164
    occurred_at: datetime
    unit: str
    service: str
    channel: str | None = None
    language: str | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)
    journey_id: str | None = None
    journey_step: str | None = None
    trial: bool = False  # trying a flow: starts at once, left out of results (see policy)


# An SMS in the outbox as the sender hands it to a provider.
@dataclass(frozen=True)
class Outgoing:
    id: int
    conversation_id: str | None
    phone: str
    body: str
    purpose: str
    encoding: str
    segments: int
    attempts: int  # when claimed: the attempt now being made (1 for the first)

    @property
    def client_ref(self) -> str:
        """Our reference for the provider: the same on every attempt at this message."""
        return f"smsbot-{self.id}"


def message_id_from_client_ref(client_ref: str | None) -> int | None:
    """The outbox message an `Outgoing.client_ref` names; None for any other reference."""
    if client_ref and client_ref.startswith("smsbot-") and client_ref[7:].isdigit():
        return int(client_ref[7:])
    return None
