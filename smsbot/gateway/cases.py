"""Opening a follow-up case when a conversation ends with answers that meet a flow's rule.

`open_case` runs in the unit of work that ends the conversation (the last answer, or the expiry
timer), so the case is committed with it or not at all. It is the one call the webhooks' outbox
can hook `case.opened` onto; `case_payload` is the plain dict a case is told to others as.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from smsbot.engine import runtime
from smsbot.engine.follow_up import consented, due_at, rule_that_holds
from smsbot.engine.model import Flow
from smsbot.gateway import deliveries, mailer
from smsbot.storage.cases import Case, NewCase
from smsbot.storage.ports import Conversation, Tx

__all__ = ["case_payload", "open_case", "tell"]

_ENDINGS = (runtime.Status.COMPLETED, runtime.Status.EXPIRED)
_FALLBACK_TIMEZONE = "UTC"  # a flow without `schedule: timezone` counts working days in UTC


async def open_case(
    tx: Tx, flow: Flow, conversation: Conversation, outcome: runtime.Outcome, now: datetime
) -> Case | None:
    """Open the unit's case if this outcome ends the conversation (completed or expired) and a
    follow-up rule holds; the number is kept only if the citizen said yes to a call."""
    state = outcome.state
    if not flow.follow_up or not _ends(outcome):
        return None
    rule = rule_that_holds(flow, state.answers, state.fields, state.language)
    if rule is None:
        return None
    consent = consented(flow, state.answers)
    timezone = flow.schedule.timezone or _FALLBACK_TIMEZONE
    new = NewCase(
        conversation_id=conversation.id,
        flow_id=flow.id,
        rule_id=rule.id,
        unit=conversation.unit,
        service=conversation.service,
        respondent=conversation.respondent,
        consent=consent,
        phone=conversation.phone if consent else None,
        opened_at=now,
        due_at=due_at(now, rule, timezone),
    )
    case = await tx.cases.open(new)
    if case is None:  # the conversation's case is open already
        return None
    await tell(tx, "case.opened", case, now)
    if case.unit:
        due = case.due_at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
        title = f"Follow-up case {case.id} ({rule.id}), due {due}"
        await mailer.notify(tx, case.unit, title, f"/ui/cases/{case.id}", now)
    return case


async def tell(tx: Tx, event_type: str, case: Case, now: datetime) -> None:
    """Queue `case.opened`, `case.updated` or `case.closed` for the subscribed systems, in the
    caller's unit; the callback number goes apart, only while consent holds (deliveries gives it
    only to subscriptions marked for it)."""
    phone = case.phone if case.callable else None
    await deliveries.enqueue(
        tx, event_type, case_payload(case), case.unit, now=now, callback_phone=phone
    )


def _ends(outcome: runtime.Outcome) -> bool:
    return any(isinstance(e, runtime.Finished) and e.status in _ENDINGS for e in outcome.events)


def case_payload(case: Case, *, with_phone: bool = False) -> dict[str, object]:
    """The case as others are told of it: pseudonymous, the number only when the case holds
    consent and `with_phone` (a subscription marked for callback numbers)."""
    payload: dict[str, object] = {
        "id": case.id,
        "flow": case.flow_id,
        "rule": case.rule_id,
        "unit": case.unit,
        "service": case.service,
        "respondent": case.respondent,
        "consent": case.consent,
        "state": case.state,
        "taken_by": case.taken_by,
        "outcome": case.outcome,
        "opened_at": case.opened_at.isoformat(),
        "due_at": case.due_at.isoformat(),
        "first_contact_at": case.first_contact_at.isoformat() if case.first_contact_at else None,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
    }
    if with_phone and case.callable:
        payload["phone"] = case.phone
    return payload
