"""Results out: what a change tells the subscribed systems, written in the change's own unit.

    await enqueue(tx, "case.opened", {"case_id": ..., "unit": ...}, unit, now=now,
                  callback_phone=consented_number_or_None)

`enqueue` writes one delivery per active subscription that wants the event type from the unit,
in the caller's unit of writes: the delivery is durable exactly when the change is, and a
rolled-back change tells no one. Each delivery gets its `webhook-id` here, once, so that every
attempt and replay carries the same id (receivers deduplicate on it). The delivery worker
(smsbot.gateway.webhooks) sends them afterwards.

`data` must hold pseudonymous ids only (conversation id, respondent, case id), never a phone
number: a consented callback number is passed apart, as `callback_phone`, and only the
subscriptions flagged for it get it (as `data.callback_phone`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

from smsbot.engine import runtime
from smsbot.storage.ports import Conversation, Tx
from smsbot.storage.webhooks import EVENT_TYPES

__all__ = ["after_outcome", "enqueue", "new_webhook_id"]


def new_webhook_id() -> str:
    return f"msg_{secrets.token_hex(12)}"


def envelope(event_type: str, data: Mapping[str, object], now: datetime) -> str:
    """The JSON body as signed and sent: the Standard Webhooks shape (type, timestamp, data)."""
    body = {
        "type": event_type,
        "timestamp": now.astimezone(UTC).isoformat(timespec="milliseconds"),
        "data": dict(data),
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


async def enqueue(
    tx: Tx,
    event_type: str,
    data: Mapping[str, object],
    unit: str | None,
    *,
    now: datetime,
    callback_phone: str | None = None,
) -> int:
    """Queue the event for every subscription that wants it; how many deliveries were queued."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"no webhook event type {event_type!r}; the types are {EVENT_TYPES}")
    queued = 0
    for subscription in await tx.webhooks.subscribers(event_type, unit):
        body = dict(data)
        if callback_phone is not None and subscription.send_phone:
            body["callback_phone"] = callback_phone
        await tx.webhooks.queue(
            webhook_id=new_webhook_id(),
            subscription_id=subscription.id,
            event_type=event_type,
            unit=unit,
            payload=envelope(event_type, body, now),
            now=now,
        )
        queued += 1
    return queued


async def after_outcome(
    tx: Tx, conversation: Conversation, outcome: runtime.Outcome, now: datetime
) -> None:
    """`feedback.created` for each piece of feedback the reply gave, `survey.completed` when it
    completed the survey (the gateway calls this where a reply's outcome is stored)."""
    for event in outcome.events:
        if isinstance(event, runtime.FeedbackGiven):
            data = _feedback(conversation, outcome.state, event)
            await enqueue(tx, "feedback.created", data, conversation.unit, now=now)
        elif isinstance(event, runtime.Finished) and event.status is runtime.Status.COMPLETED:
            data = _completed(conversation, outcome.state, now)
            await enqueue(tx, "survey.completed", data, conversation.unit, now=now)


def _about(conversation: Conversation, state: runtime.State) -> dict[str, object]:
    return {
        "conversation_id": conversation.id,
        "respondent": conversation.respondent,
        "flow_id": state.flow_id,
        "flow_version": state.flow_version,
        "unit": conversation.unit,
        "service": conversation.service,
        "language": state.language,
    }


def _feedback(
    conversation: Conversation, state: runtime.State, event: runtime.FeedbackGiven
) -> dict[str, object]:
    return {**_about(conversation, state), "question_id": event.question_id, "text": event.text}


def _completed(
    conversation: Conversation, state: runtime.State, now: datetime
) -> dict[str, object]:
    completed_at = now.astimezone(UTC).isoformat(timespec="milliseconds")
    return {
        **_about(conversation, state),
        "answers": dict(state.answers),
        "completed_at": completed_at,
    }
