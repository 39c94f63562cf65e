"""An admin's webhook subscriptions: add (the secret is shown once), remove, replay; audited.

The CLI (`smsbot webhooks`) and the page (/ui/webhooks) both go through here, so a change is
checked the same way and lands in the audit log with the change itself (one unit of writes).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from smsbot.people.accounts import Actor, audit_entry
from smsbot.people.audit import record_in
from smsbot.storage.ports import Store, Tx
from smsbot.storage.webhooks import EVENT_TYPES, NewSubscription

__all__ = ["SubscriptionError", "add", "new_secret", "parse", "remove", "replay"]


class SubscriptionError(ValueError):
    """A subscription that cannot be made, in words for the admin."""


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def parse(
    url: str, events: Iterable[str], unit: str | None, *, send_phone: bool
) -> NewSubscription:
    """The subscription an admin asked for, checked, with a new secret."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SubscriptionError(f"the URL {url!r} must be http(s)://host/path")
    wanted = frozenset(e.strip() for e in events if e.strip())
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        raise SubscriptionError(
            f"no event type {unknown[0]!r}; the types are {', '.join(EVENT_TYPES)}"
        )
    if not wanted:
        raise SubscriptionError(f"give at least one event type: {', '.join(EVENT_TYPES)}")
    named_unit = (unit or "").strip() or None
    return NewSubscription(url.strip(), wanted, named_unit, new_secret(), send_phone)


async def add(store: Store, actor: Actor, new: NewSubscription, now: datetime) -> int:
    async with store.write() as tx:
        subscription_id = await tx.webhooks.subscribe(new, now)
        detail: dict[str, object] = {
            "url": new.url,
            "events": sorted(new.events),
            "unit": new.unit,
            "send_phone": new.send_phone,
        }
        await _audit(tx, actor, "webhook_added", subscription_id, now, detail)
    return subscription_id


async def remove(store: Store, actor: Actor, subscription_id: int, now: datetime) -> None:
    async with store.write() as tx:
        if not await tx.webhooks.remove(subscription_id, now):
            raise SubscriptionError(f"no subscription {subscription_id}: see `webhooks list`")
        await _audit(tx, actor, "webhook_removed", subscription_id, now, {})


async def replay(store: Store, actor: Actor, delivery_id: int, now: datetime) -> None:
    """Deliver again, with the same webhook-id."""
    async with store.write() as tx:
        if not await tx.webhooks.replay(delivery_id, now):
            raise SubscriptionError(
                f"no delivery {delivery_id} to an active subscription: see `webhooks deliveries`"
            )
        entry = audit_entry(actor, "webhook_replayed", f"delivery {delivery_id}", now)
        await record_in(tx, entry)


async def _audit(
    tx: Tx,
    actor: Actor,
    action: str,
    subscription_id: int,
    now: datetime,
    detail: dict[str, object],
) -> None:
    await record_in(tx, audit_entry(actor, action, f"webhook {subscription_id}", now, **detail))
