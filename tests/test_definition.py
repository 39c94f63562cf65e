"""The flow definition checker on plain data: one mutation of a valid flow, one problem."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from smsbot.engine.definition import build_flow, flow_from_source
from smsbot.engine.model import Kind

VALID: dict[str, Any] = {
    "format": 1,
    "id": "visit",
    "title": {"sv": "Besök", "en": "Visit"},
    "languages": ["sv", "en"],
    "triggers": ["visit.completed"],
    "expires_after": "48h",
    "fields": ["wait_seconds"],
    "opening": {
        "sv": "Hej från {unit}! Svara gratis. Svara STOPP för att sluta.",
        "en": "Hi from {unit}! Answering is free. Reply STOP to stop.",
    },
    "closing": "Tack! / Thanks!",
    "questions": [
        {"id": "csat", "type": "scale", "preset": "csat", "text": "1-5?"},
        {"id": "solved", "type": "yesno", "text": "Ja/nej? Yes/no?"},
        {
            "id": "reason",
            "type": "choice",
            "text": "1 A 2 B",
            "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
        },
        {"id": "why", "type": "text", "optional": True, "when": "csat <= 2 or solved == no",
         "text": "Varför? Why?"},
        {"id": "bye", "type": "info", "text": "Väntade {wait_seconds} s."},
    ],
}  # fmt: skip

Mutation = Callable[[dict[str, Any]], None]


def _q(index: int, key: str, value: Any) -> Mutation:
    def mutate(flow: dict[str, Any]) -> None:
        flow["questions"][index][key] = value

    return mutate


def _set(key: str, value: Any) -> Mutation:
    def mutate(flow: dict[str, Any]) -> None:
        flow[key] = value

    return mutate


def _drop(key: str) -> Mutation:
    def mutate(flow: dict[str, Any]) -> None:
        del flow[key]

    return mutate


PROBLEMS: list[tuple[str, Mutation, tuple[Any, ...], str]] = [
    ("format", _set("format", 2), ("format",), "unknown format 2: this smsbot reads format 1"),
    ("missing id", _drop("id"), (), "missing 'id'"),
    ("bad id", _set("id", "Visit Flow"), ("id",), "flow id 'Visit Flow': use lower case"),
    ("typo", _set("tittle", "x"), ("tittle",), "unknown key 'tittle' (did you mean 'title'?)"),
    ("language", _set("languages", ["sv", "de"]), ("languages", 1), "unsupported language 'de'"),
    ("twice", _set("languages", ["sv", "sv"]), ("languages",), "a language is listed twice"),
    ("triggers", _set("triggers", 5), ("triggers",), "expected a list of event types"),
    ("duration", _set("expires_after", "soon"), ("expires_after",), "expected a duration"),
    ("questions", _set("questions", []), ("questions",), "expected a list of one or more"),
    ("type", _q(0, "type", "slider"), ("questions", 0, "type"), "unknown type 'slider'"),
    ("preset", _q(0, "preset", "ces5"), ("questions", 0, "preset"), "unknown preset 'ces5'"),
    ("dup id", _q(1, "id", "csat"), ("questions", 1, "id"), "duplicate question id 'csat'"),
    ("retries", _q(1, "retries", 7), ("questions", 1, "retries"), "retries must be 0, 1, 2 or 3"),
    ("optional", _q(1, "optional", "yes"), ("questions", 1, "optional"), "optional must be true"),
    ("options", _q(2, "options", [{"id": "a", "label": "A"}]), ("questions", 2, "options"),
     "a choice needs a list of two or more options"),
    ("dup option", _q(2, "options", [{"id": "a", "label": "A"}, {"id": "a", "label": "B"}]),
     ("questions", 2, "options", 1, "id"), "duplicate option id 'a'"),
    ("fi text", _set("closing", {"sv": "Tack", "en": "Thanks", "fi": "Kiitos"}),
     ("closing", "fi"), "'fi' is not one of the flow's languages"),
    ("en text", _set("closing", {"sv": "Tack"}), ("closing",), "missing the 'en' text"),
    ("empty text", _set("closing", {"sv": "Tack", "en": " "}), ("closing", "en"),
     "the 'en' text is empty"),
    ("placeholder", _q(1, "text", "{who}?"), ("questions", 1, "text"), "unknown placeholder {who}"),
    ("syntax", _q(3, "when", "csat <"), ("questions", 3, "when"),
     "condition: expected a value after '<' (column 7)"),
    ("unknown name", _q(3, "when", "nps > 5"), ("questions", 3, "when"),
     "condition names 'nps', no such question"),
    ("itself", _q(3, "when", "answered(why)"), ("questions", 3, "when"),
     "condition names 'why', the question itself"),
    ("later", _q(1, "when", "answered(why)"), ("questions", 1, "when"),
     "condition names 'why', which is asked later"),
    ("info name", _q(3, "when", "answered(bye)"), ("questions", 3, "when"),
     "condition names 'bye', which is asked later"),
    ("option value", _q(3, "when", "reason == c"), ("questions", 3, "when"),
     "'reason' is never 'c' (it is one of a, b)"),
    ("unreachable", _q(3, "when", "csat > 5"), ("questions", 3, "when"),
     "question 'why' is never asked: its condition is never true"),
    ("quiet", _set("schedule", {"quiet_hours": {"start": "9pm", "end": "08:00"}}),
     ("schedule", "quiet_hours", "start"), "expected a time of day as HH:MM"),
    ("zone", _set("schedule", {"timezone": "Europe/Kajaani"}), ("schedule", "timezone"),
     "unknown time zone 'Europe/Kajaani'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "path", "message"), [p[1:] for p in PROBLEMS], ids=[p[0] for p in PROBLEMS]
)
def test_each_problem_is_found_and_located(
    mutate: Mutation, path: tuple[Any, ...], message: str
) -> None:
    data = copy.deepcopy(VALID)
    mutate(data)
    flow, problems = build_flow(data)
    errors = [(p.path, p.message) for p in problems if p.severity == "error"]
    assert flow is None
    assert any(p == path and m.startswith(message) for p, m in errors), errors


def test_the_valid_flow_builds_with_defaults() -> None:
    flow, problems = build_flow(copy.deepcopy(VALID))
    assert problems == []
    assert flow is not None
    csat = flow.question("csat")
    assert (csat.kind, csat.min, csat.max, csat.preset, csat.retries) == (
        Kind.SCALE,
        1,
        5,
        "csat",
        1,
    )
    assert (
        csat.retry is not None and csat.retry.by_lang["sv"] == "Svara med en siffra från 1 till 5."
    )
    assert flow.question("bye").retry is None
    assert flow.closing.by_lang == {"sv": "Tack! / Thanks!", "en": "Tack! / Thanks!"}
    assert flow.expires_after_seconds == 48 * 3600


def test_the_version_follows_the_content() -> None:
    first, _ = build_flow(copy.deepcopy(VALID))
    changed = copy.deepcopy(VALID)
    changed["closing"] = "Kiitos!"
    second, _ = build_flow(changed)
    assert first is not None and second is not None
    assert first.version != second.version
    assert flow_from_source(first.source).version == first.version


def test_a_stored_version_that_no_longer_checks_is_refused() -> None:
    with pytest.raises(ValueError, match="missing 'id'"):
        flow_from_source({k: v for k, v in VALID.items() if k != "id"})
