"""Which follow-up rule a conversation's answers meet, whether the citizen consented to a call,
and when a case opened now is due. Pure: the gateway opens the case."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from smsbot.engine.model import Flow, FollowUpRule

__all__ = ["consented", "due_at", "rule_that_holds"]

_EVENT_FIELDS = ("unit", "service", "channel")
_SATURDAY = 5


def rule_that_holds(
    flow: Flow, answers: Mapping[str, object], fields: Mapping[str, str], language: str
) -> FollowUpRule | None:
    """The first of the flow's rules that the answers meet, or None."""
    env: dict[str, object] = {k: fields[k] for k in _EVENT_FIELDS if k in fields}
    env["language"] = language
    env.update(answers)
    return next((rule for rule in flow.follow_up if rule.when.evaluate(env)), None)


def consented(flow: Flow, answers: Mapping[str, object]) -> bool:
    """Whether the citizen answered yes to the flow's consent question."""
    return flow.consent_question is not None and answers.get(flow.consent_question) == "yes"


def due_at(opened: datetime, rule: FollowUpRule, timezone: str) -> datetime:
    """When a case opened at `opened` is due: a plain duration, or working days with Saturdays
    and Sundays skipped in the flow's time zone (the due time keeps the opening's clock time;
    a case opened at a weekend counts from Monday)."""
    if not rule.due_working_days:
        return opened + timedelta(seconds=rule.due_seconds)
    local = opened.astimezone(ZoneInfo(timezone))
    while local.weekday() >= _SATURDAY:
        local = (local + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    left = rule.due_working_days
    while left:
        local += timedelta(days=1)
        left -= local.weekday() < _SATURDAY
    return local.astimezone(opened.tzinfo)
