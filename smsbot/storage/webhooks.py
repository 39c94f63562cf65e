"""Webhook subscriptions and deliveries, in the domain's words (the `Webhooks` port's types)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "EVENT_TYPES",
    "Attempt",
    "Delivery",
    "MailNotice",
    "NewSubscription",
    "Subscription",
]

EVENT_TYPES = (
    "case.opened",
    "case.updated",
    "case.closed",
    "survey.completed",
    "feedback.created",
)


@dataclass(frozen=True)
class NewSubscription:
    url: str
    events: frozenset[str]
    unit: str | None  # None: every unit
    secret: str  # whsec_...
    send_phone: bool  # may receive a consented case's callback number


@dataclass(frozen=True)
class Subscription:
    id: int
    url: str
    events: frozenset[str]
    unit: str | None
    secret: str
    send_phone: bool
    active: bool
    disabled_reason: str | None
    created_at: datetime


@dataclass(frozen=True)
class Delivery:
    id: int
    webhook_id: str  # the `webhook-id` header: the same on every attempt and replay
    subscription_id: int
    url: str
    secret: str
    event_type: str
    payload: str  # the JSON body as signed
    status: str  # pending | delivered | failed | cancelled
    attempts: int
    due_at: datetime
    created_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    at: datetime
    status_code: int | None  # None: no answer (refused, timed out)
    error: str | None
    milliseconds: int


@dataclass(frozen=True)
class MailNotice:
    """One line of a unit's e-mail: a title and a link to the page, never a phone number."""

    unit: str
    title: str  # "Case opened: effort 2 of 7, not solved"
    link_path: str  # "/ui/cases/17": the e-mail links to [email] base_url + this
    created_at: datetime
    id: int = 0
