"""Engine cases as data, in the style of goflow's flows/actions/testdata/*.json.

One JSON file per entry point under tests/engine/cases/ (start, receive, expire, remind, opt_out,
undeliverable). A case names a flow (tests/engine/cases/flows/NAME.yaml), the conversation so far
(`given`: a language and the replies, one a minute after the start at NOW), the entry point's
`input` (for `receive`: the reply's `text`, and optionally `detected`, the language detector's
verdict on it: {"language": "fi", "confidence": 0.99}; a reply in `given` may be such an object
too), and what the engine must return: the WHOLE list of `events` and the new `state`.

After a deliberate change to the engine, `SMSBOT_REWRITE_CASES=1 pytest tests/engine` writes
the returned events and states into the files; read the diff before committing it. (Run it on
one process, as that command does: not under `-n auto`, where two workers could write one file.)
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from smsbot.engine import runtime
from smsbot.engine.definition import build_flow
from smsbot.engine.model import Flow

__all__ = [
    "CASES",
    "ENTRY_POINTS",
    "NOW",
    "Case",
    "check_case",
    "event_data",
    "flow_named",
    "load_cases",
    "outcome_data",
    "rewriting",
    "run_case",
    "save_cases",
]

CASES = Path(__file__).parent / "cases"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FIELDS = {"unit": "Vårdcentral Nord"}  # the event's fields every conversation starts with
REWRITE = "SMSBOT_REWRITE_CASES"
EXPECTED = ("events", "state")  # the parts of a case the rewrite flag writes
ENTRY_POINTS = ("start", "receive", "expire", "remind", "opt_out", "undeliverable")

Case = dict[str, Any]


def rewriting() -> bool:
    return os.environ.get(REWRITE, "") not in ("", "0")


@cache
def flow_named(name: str) -> Flow:
    data = yaml.safe_load((CASES / "flows" / f"{name}.yaml").read_text(encoding="utf-8"))
    flow, problems = build_flow(data)
    assert flow is not None, problems
    return flow


def load_cases(entry_point: str) -> list[Case]:
    cases: list[Case] = json.loads((CASES / f"{entry_point}.json").read_text(encoding="utf-8"))
    return cases


def save_cases(entry_point: str, cases: list[Case]) -> None:
    text = json.dumps(cases, ensure_ascii=False, indent=2) + "\n"
    (CASES / f"{entry_point}.json").write_text(text, encoding="utf-8")


def _at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def _given(flow: Flow, given: Case) -> runtime.State:
    """The conversation so far: started at NOW, then one reply a minute."""
    language = given.get("language", "sv")
    state = runtime.start(flow, language=language, fields=FIELDS, now=NOW).state
    for minute, reply in enumerate(given.get("replies", []), start=1):
        text, detected = _reply(reply)
        state = runtime.receive(flow, state, text, _at(minute), detected).state
    return state


def _reply(reply: str | Case) -> tuple[str, runtime.Detected | None]:
    """A reply in `given`: its text, or {"text": ..., "detected": {"language", "confidence"}}."""
    if isinstance(reply, str):
        return reply, None
    verdict = reply.get("detected")
    return reply["text"], runtime.Detected(**verdict) if verdict else None


def run_case(entry_point: str, case: Case) -> runtime.Outcome:
    """Call the entry point named by the file on the case's flow, conversation and input."""
    flow = flow_named(case.get("flow", "survey"))
    given: Case = case.get("given", {})
    given_input: Case = case.get("input", {})
    now = _at(given_input.get("minutes", 0))
    if entry_point == "start":
        fields = given_input.get("fields", FIELDS)
        return runtime.start(flow, language=given_input.get("language"), fields=fields, now=now)
    state = _given(flow, given)
    if entry_point == "receive":
        text, detected = _reply(given_input)
        return runtime.receive(flow, state, text, now, detected)
    if entry_point == "expire":
        return runtime.expire(flow, state, now)
    if entry_point == "remind":
        return runtime.remind(flow, state, now)
    if entry_point == "opt_out":
        return runtime.opt_out(state)
    if entry_point == "undeliverable":
        return runtime.undeliverable(state)
    raise ValueError(f"no engine entry point {entry_point!r}")


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _type_name(event: runtime.Event) -> str:
    """AnswerRecorded -> answer_recorded (the name an event has in the case files)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def event_data(event: runtime.Event) -> dict[str, object]:
    fields = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return {"type": _type_name(event), **fields}


def outcome_data(outcome: runtime.Outcome) -> dict[str, object]:
    """What a case expects: every event in order, and the whole new state."""
    return {
        "events": [event_data(e) for e in outcome.events],
        "state": outcome.state.to_dict(),
    }


def check_case(entry_point: str, index: int) -> None:
    """Assert that case `index` of the entry point's file gets exactly its expected events and
    state; with SMSBOT_REWRITE_CASES=1, write what the engine returned into the file instead."""
    cases = load_cases(entry_point)
    case = cases[index]
    actual = outcome_data(run_case(entry_point, case))
    if rewriting():
        case.update(actual)
        save_cases(entry_point, cases)
    expected = {part: case.get(part) for part in EXPECTED}
    assert actual == expected, case["description"]
