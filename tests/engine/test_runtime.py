"""The engine as data: each case in cases/conversations.yaml is a conversation and its expected
effects (the survey flow is cases/flows/survey.yaml). Whole event lists per entry point are in
test_cases.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from smsbot.engine import runtime
from smsbot.engine.definition import build_flow
from smsbot.engine.model import Flow
from smsbot.engine.runtime import (
    AnswerRecorded,
    FeedbackGiven,
    QuestionSkipped,
    ReplyNotUnderstood,
    Send,
    State,
    Status,
)

HERE = Path(__file__).parent
SURVEY = yaml.safe_load((HERE / "cases" / "flows" / "survey.yaml").read_text(encoding="utf-8"))
CASES = yaml.safe_load((HERE / "cases" / "conversations.yaml").read_text(encoding="utf-8"))
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LONG = "Det tog lång tid. " * 111 + "Slut"  # 2002 characters


def _flow(data: dict[str, Any]) -> Flow:
    flow, problems = build_flow(data)
    assert flow is not None, problems
    return flow


FLOW = _flow(SURVEY)


def _label(send: Send) -> str:
    return f"{send.purpose}:{send.question_id}" if send.question_id else send.purpose


def _run(case: dict[str, Any]) -> tuple[runtime.State, list[runtime.Event]]:
    fields = {"unit": "Vårdcentral Nord"}
    outcome = runtime.start(FLOW, language=case.get("language", "sv"), fields=fields, now=NOW)
    events = list(outcome.events)
    state = outcome.state
    for minute, reply in enumerate(case["replies"], start=1):
        outcome = runtime.receive(FLOW, state, reply, NOW + timedelta(minutes=minute))
        state = outcome.state
        events += outcome.events
    return state, events


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["name"])
def test_conversation(case: dict[str, Any]) -> None:
    state, events = _run(case)
    sends = [e for e in events if isinstance(e, Send)]
    assert [_label(s) for s in sends] == case["sends"]
    answers = {e.question_id: e.value for e in events if isinstance(e, AnswerRecorded)}
    assert answers == case.get("answers", {})
    problems = [[e.question_id, e.problem] for e in events if isinstance(e, ReplyNotUnderstood)]
    assert problems == case.get("problems", [])
    skipped = [e.question_id for e in events if isinstance(e, QuestionSkipped)]
    assert skipped == case.get("skipped", [])
    if "feedback" in case:
        assert [e.text for e in events if isinstance(e, FeedbackGiven)] == case["feedback"]
    if "first_text" in case:
        assert sends[0].text == case["first_text"]
    assert state.status.value == case["status"]


def test_long_reply_is_stored_whole_as_free_text() -> None:
    _, events = _run({"replies": ["2", "ja", LONG]})
    why = [e for e in events if isinstance(e, AnswerRecorded) and e.question_id == "why"]
    assert why[0].raw == LONG
    assert why[0].value == LONG.strip()
    assert len(str(why[0].value)) > 2000


def test_every_reply_keeps_its_raw_text() -> None:
    _, events = _run({"replies": [" 4! ", "Japp, tack", "10."]})
    raws = [e.raw for e in events if isinstance(e, AnswerRecorded)]
    assert raws == [" 4! ", "Japp, tack", "10."]


def test_expiry_ends_an_active_conversation_without_a_message() -> None:
    state, _ = _run({"replies": ["5"]})
    outcome = runtime.expire(FLOW, state, NOW + timedelta(days=1))
    assert outcome.state.status is Status.EXPIRED
    assert outcome.sends() == ()
    assert outcome.state.step > state.step


def test_expiry_of_a_finished_conversation_does_nothing() -> None:
    state, _ = _run({"replies": ["5", "ja", "10"]})
    assert runtime.expire(FLOW, state, NOW).events == ()


def test_asking_sets_the_expiry_from_the_flow() -> None:
    state, _ = _run({"replies": ["5"]})
    assert state.expires_at == NOW + timedelta(minutes=1) + timedelta(hours=24)


def test_a_reply_after_the_end_is_ignored() -> None:
    state, _ = _run({"replies": ["5", "ja", "10"]})
    outcome = runtime.receive(FLOW, state, "hej igen", NOW)
    assert outcome.state == state
    assert outcome.events == (runtime.ReplyIgnored("hej igen", "not_active"),)


def test_reminder_repeats_the_current_question_and_moves_the_step() -> None:
    state, _ = _run({"replies": ["5"]})
    outcome = runtime.remind(FLOW, state, NOW + timedelta(hours=2))
    assert [_label(s) for s in outcome.sends()] == ["reminder:solved"]
    assert outcome.state.step == state.step + 1


def test_opt_out_ends_the_conversation() -> None:
    state, _ = _run({"replies": ["5"]})
    outcome = runtime.opt_out(state)
    assert outcome.state.status is Status.OPTED_OUT
    assert outcome.state.current is None


def test_state_survives_a_round_trip_through_json() -> None:
    state, _ = _run({"replies": ["2", "nej"]})
    assert State.from_dict(yaml.safe_load(yaml.safe_dump(state.to_dict()))) == state


def test_a_running_conversation_keeps_its_flow_version() -> None:
    """A new version of the file does not change what a running conversation asks next."""
    changed = dict(SURVEY)
    changed["questions"] = [q for q in changed["questions"] if q["id"] != "nps"]
    new_flow = _flow(changed)
    assert new_flow.version != FLOW.version
    state, _ = _run({"replies": ["5"]})
    assert state.flow_version == FLOW.version
    assert [_label(s) for s in runtime.receive(FLOW, state, "ja", NOW).sends()] == ["question:nps"]
    assert [_label(s) for s in runtime.receive(new_flow, state, "ja", NOW).sends()] == ["closing"]


# --- the event fields a flow's texts use ----------------------------------------------------

FIELDS_FLOW: dict[str, Any] = {
    "format": 1,
    "id": "fields",
    "languages": ["sv", "en"],
    "triggers": ["x"],
    "expires_after": "1h",
    "fields": ["wait_seconds", "age_group"],
    "opening": {"sv": "Hej från {unit}! Svara STOPP för att sluta.", "en": "Hi! Reply STOP."},
    "closing": "Tack, {service}!",
    "questions": [
        {
            "id": "csat",
            "type": "scale",
            "preset": "csat",
            "text": "Hur nöjd ({min}-{max})?",
            "retry": "Svara {min}-{max}; du väntade {wait_seconds} s.",
        },
        {"id": "why", "type": "text", "text": "Varför? ({channel})"},
    ],
}


def test_the_fields_a_flows_texts_use_in_any_language() -> None:
    flow = _flow(FIELDS_FLOW)
    assert runtime.fields_used(flow) == ("unit", "service", "wait_seconds", "channel")
    given = {"unit": "Nord", "service": " ", "channel": "sms"}
    assert runtime.missing_fields(runtime.fields_used(flow), given) == (
        "service",
        "wait_seconds",
    )
    assert runtime.fields_used(FLOW) == ("unit",)
