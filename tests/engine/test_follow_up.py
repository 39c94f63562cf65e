"""`follow_up:` in a flow: rules checked with located problems, the consent question appended and
asked only when a rule holds, and due times in working days."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from smsbot.engine import runtime
from smsbot.engine.definition import build_flow
from smsbot.engine.follow_up import consented, due_at, rule_that_holds
from smsbot.engine.model import CONSENT_QUESTION, FollowUpRule, Kind
from tests.engine.test_definition import VALID

FOLLOW_UP: dict[str, Any] = {
    "rules": [{"id": "unhappy", "when": "csat <= 2 or solved == no", "due": "2 working days"}],
    "consent": {"sv": "Får vi ringa dig? Svara ja eller nej.", "en": "May we call? Yes or no."},
}
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # a Friday


def _flow(follow_up: object) -> Any:
    data = copy.deepcopy(VALID)
    data["follow_up"] = follow_up
    return build_flow(data)


def test_consent_is_a_yes_no_question_at_the_end_asked_when_a_rule_holds() -> None:
    flow, problems = _flow(FOLLOW_UP)
    assert flow is not None, problems
    last = flow.questions[-1]
    assert (last.id, last.kind, flow.consent_question) == (CONSENT_QUESTION, Kind.YESNO, last.id)
    assert last.when_source == "(csat <= 2 or solved == no)"
    assert flow.follow_up[0].due_working_days == 2


def _answer_all(flow: Any, replies: list[str]) -> runtime.State:
    outcome = runtime.start(flow, language="en", fields={"unit": "U"}, now=NOW)
    for text in replies:
        outcome = runtime.receive(flow, outcome.state, text, NOW)
    return outcome.state


def test_a_happy_citizen_is_not_asked_for_consent_and_opens_no_case() -> None:
    flow, _ = _flow(FOLLOW_UP)
    state = _answer_all(flow, ["5", "yes", "1"])
    assert state.status is runtime.Status.COMPLETED
    assert CONSENT_QUESTION not in state.answers
    assert rule_that_holds(flow, state.answers, state.fields, state.language) is None


def test_an_unhappy_citizen_is_asked_and_her_yes_is_consent() -> None:
    flow, _ = _flow(FOLLOW_UP)
    state = _answer_all(flow, ["1", "no", "2", "slow and rude", "yes"])
    assert state.status is runtime.Status.COMPLETED
    rule = rule_that_holds(flow, state.answers, state.fields, state.language)
    assert rule is not None and rule.id == "unhappy"
    assert consented(flow, state.answers)
    refused = _answer_all(flow, ["1", "no", "2", "slow and rude", "no"])
    assert not consented(flow, refused.answers)


def _one(when: str = "csat <= 2", due: str | None = "4h", rid: str = "x") -> dict[str, str]:
    rule = {"id": rid, "when": when}
    return rule if due is None else {**rule, "due": due}


RULES = ("follow_up", "rules")


@pytest.mark.parametrize(
    ("follow_up", "path", "words"),
    [
        ({"rules": [_one(due="soon")]}, (*RULES, 0, "due"), "2 working days"),
        ({"rules": [_one(when="cast <= 2")]}, (*RULES, 0, "when"), "did you mean 'csat'"),
        ({"rules": [_one(when="csat > 5")]}, (*RULES, 0, "when"), "never holds"),
        ({"rules": [_one(due=None)]}, (*RULES, 0), "missing 'due'"),
        ({"rules": [], "consent": "Call?"}, RULES, "one or more rules"),
        ({"rules": [_one()], "ask": 1}, ("follow_up", "ask"), "unknown"),
        ({"rules": [_one(), _one("solved == no")]}, (*RULES, 1, "id"), "duplicate rule id 'x'"),
    ],
)
def test_problems_are_located(follow_up: object, path: tuple[object, ...], words: str) -> None:
    flow, problems = _flow(follow_up)
    assert flow is None
    found = [p for p in problems if p.path == path]
    assert found and words in found[0].message, problems


def _rule(days: int = 0, seconds: int = 0) -> FollowUpRule:
    flow, _ = _flow(FOLLOW_UP)
    return FollowUpRule("r", flow.follow_up[0].when, "", seconds, days)


def test_working_days_skip_the_weekend_in_the_flows_time_zone() -> None:
    # Friday 17:00 in Helsinki + 2 working days: Tuesday 17:00 there
    due = due_at(NOW, _rule(days=2), "Europe/Helsinki")
    assert due == datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
    # Saturday counts from Monday 08:00: + 1 working day = Tuesday 08:00 local (06:00 UTC)
    saturday = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert due_at(saturday, _rule(days=1), "Europe/Helsinki") == datetime(
        2026, 12, 8, 6, 0, tzinfo=UTC
    )


def test_a_plain_duration_counts_every_hour() -> None:
    assert due_at(NOW, _rule(seconds=4 * 3600), "Europe/Helsinki") == datetime(
        2026, 12, 4, 19, 0, tzinfo=UTC
    )
