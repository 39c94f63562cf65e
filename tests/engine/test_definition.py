"""The flow definition checker on plain data: one mutation of a valid flow, one located problem."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsbot.engine.definition import Problem, build_flow, flow_from_source, lint_flow
from smsbot.engine.model import Kind
from smsbot.engine.sms_text import Encoding, measure

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
        {"id": "csat", "type": "scale", "preset": "csat", "text": "{min}-{max}?"},
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

Data = dict[str, Any]
Mutation = Callable[[Data], None]


@pytest.fixture
def valid() -> Data:
    return copy.deepcopy(VALID)


def put(path: tuple[str | int, ...], value: Any) -> Mutation:
    """Set the value at a path (creating nothing but the last key)."""

    def mutate(data: Data) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def drop(path: tuple[str | int, ...]) -> Mutation:
    def mutate(data: Data) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def append(question: dict[str, Any]) -> Mutation:
    def mutate(data: Data) -> None:
        data["questions"].append(question)

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(data: Data) -> None:
        for one in mutations:
            one(data)

    return mutate


def when(index: int, condition: Any) -> Mutation:
    return put(("questions", index, "when"), condition)


def errors_of(problems: list[Problem]) -> list[tuple[tuple[str | int, ...], str]]:
    return [(p.path, p.message) for p in problems if p.severity == "error"]


Q = "questions"
OPTIONS: tuple[str | int, ...] = (Q, 2, "options")

# (test id, mutation, path of the problem, a substring of its message)
PROBLEMS: list[tuple[str, Mutation, tuple[str | int, ...], str]] = [
    # unknown keys, at every level
    ("typo", put(("tittle",), "x"), ("tittle",), "unknown key 'tittle' (did you mean 'title'?)"),
    ("schedule key", put(("schedule",), {"delai": "1m"}), ("schedule", "delai"),
     "unknown key 'delai' (did you mean 'delay'?)"),
    ("quiet key", put(("schedule",), {"quiet_hours": {"start": "21:00", "end": "08:00", "x": 1}}),
     ("schedule", "quiet_hours", "x"), "unknown key 'x'"),
    ("question key", put((Q, 1, "txet"), "x"), (Q, 1, "txet"),
     "unknown key 'txet' (did you mean 'text'?)"),
    ("other kind's key", put((Q, 1, "options"), []), (Q, 1, "options"),
     "'options' does not apply to a yesno question"),
    ("info retry", put((Q, 4, "retry"), "x"), (Q, 4, "retry"),
     "'retry' does not apply to an info question"),
    ("option key", put((*OPTIONS, 0, "lable"), "x"), (*OPTIONS, 0, "lable"),
     "unknown key 'lable' (did you mean 'label'?)"),
    ("labels key", put((Q, 0, "labels"), {"low": "x"}), (Q, 0, "labels", "low"),
     "unknown key 'low'"),
    # missing keys
    ("no format", drop(("format",)), (), "missing 'format'"),
    ("no id", drop(("id",)), (), "missing 'id'"),
    ("no languages", drop(("languages",)), (), "missing 'languages'"),
    ("no triggers", drop(("triggers",)), (), "missing 'triggers'"),
    ("no expiry", drop(("expires_after",)), (), "missing 'expires_after'"),
    ("no opening", drop(("opening",)), (), "missing 'opening'"),
    ("null closing", put(("closing",), None), ("closing",), "missing 'closing'"),
    ("no questions", drop((Q,)), (), "missing 'questions'"),
    ("no text", drop((Q, 1, "text")), (Q, 1), "missing 'text'"),
    ("no type", drop((Q, 1, "type")), (Q, 1), "missing 'type'"),
    ("no question id", drop((Q, 1, "id")), (Q, 1), "missing 'id'"),
    ("no label", drop((*OPTIONS, 1, "label")), (*OPTIONS, 1), "missing 'label'"),
    # wrong types
    ("triggers", put(("triggers",), 5), ("triggers",), "expected a list of event types"),
    ("no trigger", put(("triggers",), []), ("triggers",), "expected a list of event types"),
    ("fields", put(("fields",), [1]), ("fields",), "expected a list of attribute names"),
    ("field name", put(("fields",), ["Wait"]), ("fields", 0), "field 'Wait'"),
    ("questions map", put((Q,), {}), (Q,), "expected a list of one or more questions"),
    ("question str", put((Q, 0), "csat"), (Q, 0), "expected a question (id, type, text)"),
    ("schedule str", put(("schedule",), "10m"), ("schedule",), "expected a mapping with delay"),
    ("option str", put((*OPTIONS, 0), "a"), (*OPTIONS, 0), "expected an option (id, label)"),
    ("words", put((*OPTIONS, 0, "words"), ["x"]), (*OPTIONS, 0, "words"),
     "expected words per language"),
    ("text list", put(("closing",), ["Tack"]), ("closing",), "the text must be a text"),
    ("text yes", put(("closing",), True), ("closing",), "reads as yes/no (True): put it in quotes"),
    ("when bool", when(3, True), (Q, 3, "when"), "expected a condition in quotes"),
    # format, ids, types, presets
    ("format", put(("format",), 2), ("format",), "unknown format 2: this smsbot reads format 1"),
    ("format str", put(("format",), "1"), ("format",), "unknown format '1'"),
    ("flow id", put(("id",), "Visit Flow"), ("id",), "flow id 'Visit Flow': use lower case"),
    ("question id", put((Q, 1, "id"), "Solved"), (Q, 1, "id"), "question id 'Solved'"),
    ("digit id", put((Q, 1, "id"), "1st"), (Q, 1, "id"), "question id '1st'"),
    ("option id", put((*OPTIONS, 0, "id"), "A b"), (*OPTIONS, 0, "id"), "option id 'A b'"),
    ("yaml no id", put((*OPTIONS, 0, "id"), False), (*OPTIONS, 0, "id"),
     "option id false: use lower case letters, digits and _ (put it in quotes)"),
    ("dup id", put((Q, 1, "id"), "csat"), (Q, 1, "id"), "duplicate question id 'csat'"),
    ("dup option", put((*OPTIONS, 1, "id"), "a"), (*OPTIONS, 1, "id"), "duplicate option id 'a'"),
    ("type", put((Q, 0, "type"), "slider"), (Q, 0, "type"), "unknown type 'slider'"),
    ("type typo", put((Q, 1, "type"), "yes-no"), (Q, 1, "type"), "(did you mean 'yesno'?)"),
    ("preset", put((Q, 0, "preset"), "ces5"), (Q, 0, "preset"), "unknown preset 'ces5'"),
    # scales
    ("no max", put((Q, 0), {"id": "csat", "type": "scale", "min": 1, "text": "?"}), (Q, 0),
     "missing 'max': a scale needs a preset (csat, ces, nps) or min and max"),
    ("max < min", put((Q, 0), {"id": "csat", "type": "scale", "min": 9, "max": 8, "text": "?"}),
     (Q, 0, "max"), "max (8) must be greater than min (9)"),
    ("max = min", put((Q, 0), {"id": "csat", "type": "scale", "min": 3, "max": 3, "text": "?"}),
     (Q, 0, "max"), "max (3) must be greater than min (3)"),
    ("min 1.5", put((Q, 0), {"id": "csat", "type": "scale", "min": 1.5, "max": 5, "text": "?"}),
     (Q, 0, "min"), "min must be a whole number from 0 to 100, got 1.5"),
    ("preset clash", put((Q, 0, "max"), 7), (Q, 0, "max"),
     "max (7) does not fit: preset 'csat' is 1-5"),
    # choices
    ("one option", put(OPTIONS, [{"id": "a", "label": "A"}]), OPTIONS,
     "a choice needs a list of two or more options"),
    ("no options", drop(OPTIONS), (Q, 2), "missing 'options'"),
    # texts and languages
    ("missing fi", put(("languages",), ["sv", "en", "fi"]), ("opening",), "missing the 'fi' text"),
    ("missing en", put(("closing",), {"sv": "Tack"}), ("closing",), "missing the 'en' text"),
    ("german text", put(("opening", "de"), "Hallo"), ("opening", "de"),
     "unsupported language 'de' (use sv, fi, en)"),
    ("fi text", put(("closing",), {"sv": "Tack", "en": "Thanks", "fi": "Kiitos"}),
     ("closing", "fi"), "'fi' is not one of the flow's languages (sv, en)"),
    ("empty text", put(("closing",), {"sv": "Tack", "en": " "}), ("closing", "en"),
     "the 'en' text is empty"),
    ("language", put(("languages",), ["sv", "de"]), ("languages", 1),
     "unsupported language 'de' (use sv, fi, en)"),
    ("twice", put(("languages",), ["sv", "sv"]), ("languages", 1), "'sv' is listed twice"),
    ("no language", put(("languages",), []), ("languages",), "expected a list of languages"),
    ("word language", put((*OPTIONS, 0, "words"), {"fi": ["aa"]}), (*OPTIONS, 0, "words", "fi"),
     "'fi' is not one of the flow's languages"),
    # retries and optional
    ("retries 7", put((Q, 1, "retries"), 7), (Q, 1, "retries"), "retries must be 0, 1, 2 or 3"),
    ("retries -1", put((Q, 1, "retries"), -1), (Q, 1, "retries"), "retries must be 0, 1, 2 or 3"),
    ("retries str", put((Q, 1, "retries"), "1"), (Q, 1, "retries"), "got '1'"),
    ("optional", put((Q, 1, "optional"), "yes"), (Q, 1, "optional"), "optional must be true"),
    # conditions
    ("syntax", when(3, "csat = 2"), (Q, 3, "when"), "condition: use '==' to compare (column 6)"),
    ("syntax end", when(3, "csat <"), (Q, 3, "when"),
     "condition: expected a value after '<' (column 7)"),
    ("empty when", when(3, ""), (Q, 3, "when"), "condition: the condition is empty"),
    ("unknown name", when(3, "nps > 5"), (Q, 3, "when"), "condition names 'nps', no such question"),
    ("name typo", when(3, "csta <= 2"), (Q, 3, "when"), "no such question (did you mean 'csat'?)"),
    ("itself", when(3, "answered(why)"), (Q, 3, "when"), "names 'why', the question itself"),
    ("later", when(1, "answered(why)"), (Q, 1, "when"), "names 'why', which is asked later"),
    ("later info", when(3, "answered(bye)"), (Q, 3, "when"), "names 'bye', which is asked later"),
    ("info", append({"id": "x", "type": "text", "text": "?", "when": "answered(bye)"}),
     (Q, 5, "when"), "condition names 'bye', an info message with no answer"),
    ("yes/no value", when(3, "solved == ja"), (Q, 3, "when"),
     "'solved' is never 'ja' (it is one of yes, no)"),
    ("yes/no true", when(3, "solved != true"), (Q, 3, "when"), "'solved' is never 'true'"),
    ("yes/no order", when(3, "solved > 0"), (Q, 3, "when"),
     "'solved' is a yesno answer: compare it with ==, != or in, not >"),
    ("option value", when(3, "reason in [a, c]"), (Q, 3, "when"),
     "'reason' is never 'c' (it is one of a, b)"),
    ("scale word", when(3, "csat == high"), (Q, 3, "when"),
     "'csat' is a whole number from 1 to 5, never 'high'"),
    ("scale range", when(3, "solved == no or csat == 9"), (Q, 3, "when"),
     "'csat' is never 9 (it is a whole number from 1 to 5)"),
    ("unreachable", when(3, "csat > 5"), (Q, 3, "when"),
     "question 'why' is never asked: its condition is never true"),
    ("contradiction", when(3, "csat > 3 and csat < 2"), (Q, 3, "when"), "is never asked"),
    ("unanswered", when(3, "not answered(solved) and solved == no"), (Q, 3, "when"),
     "is never asked"),
    # placeholders
    ("placeholder", put((Q, 1, "text"), "{who}?"), (Q, 1, "text"), "unknown placeholder {who}"),
    ("placeholder typo", put(("opening", "en"), "{unt}"), ("opening", "en"),
     "unknown placeholder {unt} (did you mean {unit}?)"),
    ("min in yesno", put((Q, 1, "text"), "{min}?"), (Q, 1, "text"),
     "unknown placeholder {min} (only scale questions have it)"),
    ("min in closing", put(("closing",), "{max}"), ("closing",), "unknown placeholder {max}"),
    ("language placeholder", put(("closing",), "{language}"), ("closing",),
     "unknown placeholder {language}"),
    ("label placeholder", put((Q, 0, "labels"), {"min": "{min_label}"}), (Q, 0, "labels", "min"),
     "unknown placeholder {min_label}"),
    # no questions
    ("no question", put((Q,), []), (Q,), "expected a list of one or more questions"),
    # what report pages show: labels, the resolution question, example event values
    ("label language", put((Q, 1, "label"), {"sv": "Löst"}), (Q, 1, "label"),
     "missing the 'en' text"),
    ("label list", put((Q, 1, "label"), ["Löst"]), (Q, 1, "label"), "the text must be a text"),
    ("label placeholder", put((Q, 1, "label"), "Löst på {unit}"), (Q, 1, "label"),
     "a label is shown on report pages, not sent: it cannot use {unit}"),
    ("means typo", put((Q, 1, "means"), "resolved"), (Q, 1, "means"),
     "unknown meaning 'resolved' (did you mean 'resolution'?)"),
    ("means yes", put((Q, 1, "means"), True), (Q, 1, "means"), "unknown meaning true"),
    ("means on a scale", put((Q, 0, "means"), "resolution"), (Q, 0, "means"),
     "'means' does not apply to a scale question"),
    ("means twice",
     both(put((Q, 1, "means"), "resolution"),
          append({"id": "fixed", "type": "yesno", "text": "?", "means": "resolution"})),
     (Q, 5, "means"), "question 'solved' already means resolution: only one question can"),
    ("example str", put(("example",), "Norr"), ("example",),
     "expected a mapping with unit, service, channel, wait_seconds"),
    ("example key", put(("example",), {"unti": "Norr"}), ("example", "unti"),
     "unknown key 'unti' (did you mean 'unit'?)"),
    ("example value", put(("example",), {"unit": ["Norr"]}), ("example", "unit"),
     "expected a text or a number, got ['Norr']"),
    ("example empty", put(("example",), {"unit": " "}), ("example", "unit"), "is empty"),
    # durations, quiet hours, time zones
    ("expiry word", put(("expires_after",), "soon"), ("expires_after",),
     "expected a duration such as 30m, 48h or 7d, got 'soon'"),
    ("expiry zero", put(("expires_after",), "0m"), ("expires_after",), "expected a duration"),
    ("expiry int", put(("expires_after",), 48), ("expires_after",), "got 48"),
    ("delay", put(("schedule",), {"delay": "ten minutes"}), ("schedule", "delay"),
     "expected a duration"),
    ("max age", put(("schedule",), {"max_age": "1 day"}), ("schedule", "max_age"),
     "expected a duration"),
    ("quiet", put(("schedule",), {"quiet_hours": {"start": "9pm", "end": "08:00"}}),
     ("schedule", "quiet_hours", "start"), "expected a time of day as HH:MM, got '9pm'"),
    ("quiet 24", put(("schedule",), {"quiet_hours": {"start": "24:00", "end": "08:00"}}),
     ("schedule", "quiet_hours", "start"), "expected a time of day as HH:MM"),
    ("quiet base 60", put(("schedule",), {"quiet_hours": {"start": 1260, "end": "08:00"}}),
     ("schedule", "quiet_hours", "start"), 'got 1260 (put it in quotes: "21:00")'),
    ("quiet end", put(("schedule",), {"quiet_hours": {"start": "21:00"}}),
     ("schedule", "quiet_hours"), "missing 'end'"),
    ("zone", put(("schedule",), {"timezone": "Europe/Kajaani"}), ("schedule", "timezone"),
     "unknown time zone 'Europe/Kajaani'"),
    ("zone folder", put(("schedule",), {"timezone": "Europe"}), ("schedule", "timezone"),
     "unknown time zone 'Europe'"),
    ("zone path", put(("schedule",), {"timezone": "../etc"}), ("schedule", "timezone"),
     "unknown time zone"),
    # avoidable demand
    ("avoidable text", put((*OPTIONS, 0, "avoidable"), "yes"), (*OPTIONS, 0, "avoidable"),
     "expected true or false, got 'yes'"),
    ("avoidable_when typo", put(("avoidable_when",), "solvd == yes"), ("avoidable_when",),
     "condition names 'solvd', no such question (did you mean 'solved'?)"),
    ("avoidable_when value", put(("avoidable_when",), "solved == ja"), ("avoidable_when",),
     "'solved' is never 'ja'"),
    ("avoidable_when option", put(("avoidable_when",), "reason == c"), ("avoidable_when",),
     "'reason' is never 'c'"),
    ("avoidable_when never", put(("avoidable_when",), "solved == yes and solved == no"),
     ("avoidable_when",), "avoidable_when is never true: no contact would count as avoidable"),
    ("avoidable_when field", put(("avoidable_when",), "unit == x"), ("avoidable_when",),
     "condition names 'unit', an event field: name answers only"),
    ("avoidable_when info", put(("avoidable_when",), "bye == x"), ("avoidable_when",),
     "an info message with no answer"),
    ("avoidable_when bool", put(("avoidable_when",), True), ("avoidable_when",),
     'expected a condition in quotes, such as avoidable_when: "web_first == yes"'),
    ("avoidable_when syntax", put(("avoidable_when",), "solved =="), ("avoidable_when",),
     "condition:"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "path", "message"), [p[1:] for p in PROBLEMS], ids=[p[0] for p in PROBLEMS]
)
def test_each_problem_is_found_and_located(
    valid: Data, mutate: Mutation, path: tuple[Any, ...], message: str
) -> None:
    mutate(valid)
    flow, problems = build_flow(valid)
    errors = errors_of(problems)
    assert flow is None
    assert any(p == path and message in m for p, m in errors), errors


def test_the_valid_flow_has_no_problems(valid: Data) -> None:
    flow, problems = build_flow(valid)
    assert problems == []
    assert flow is not None
    assert [q.kind for q in flow.questions] == [
        Kind.SCALE,
        Kind.YESNO,
        Kind.CHOICE,
        Kind.TEXT,
        Kind.INFO,
    ]
    assert flow.languages == ("sv", "en")
    assert flow.default_language == "sv"
    assert flow.triggers == ("visit.completed",)
    assert flow.fields == ("wait_seconds",)
    assert flow.expires_after_seconds == 48 * 3600
    assert flow.question("why").when_source == "csat <= 2 or solved == no"
    assert flow.question("why").when is not None
    assert flow.source == VALID


@pytest.mark.parametrize(
    "mutate",
    [
        when(3, "unit == 'akuten' and channel == sms and language == sv and service != x"),
        when(3, "csat > 5 and unit == x"),  # an event field could make it true: not checked
        when(3, "csat < 10"),  # always true, but not wrong
        when(3, "csat <= 2.5"),
        when(3, "reason not in [a] or solved != yes"),
        append({"id": "again", "type": "text", "text": "?", "when": "why == 'kö' or why != x"}),
        put(("schedule",), {"delay": 0, "max_age": "1d", "timezone": "UTC"}),
        put(("schedule",), {"quiet_hours": {"start": "21:00", "end": "08:00"}}),
        put(("triggers",), "visit.completed"),
        put(("closing",), 42),
        put((Q, 1, "label"), "Solved"),
        put((Q, 4, "label"), {"sv": "Väntetid", "en": "Waiting time"}),
        put(("example",), {}),
    ],
    ids=[
        "reserved fields",
        "event field skips reachability",
        "always true",
        "decimal",
        "not in",
        "text values",
        "schedule",
        "quiet hours",
        "one trigger",
        "number text",
        "one label",
        "label per language",
        "no example",
    ],
)
def test_accepted_variations(valid: Data, mutate: Mutation) -> None:
    mutate(valid)
    flow, problems = build_flow(valid)
    assert errors_of(problems) == []
    assert flow is not None


def test_every_problem_is_collected_not_only_the_first(valid: Data) -> None:
    valid["tittle"] = "x"
    valid["questions"][0]["max"] = 9
    valid["questions"][1]["retries"] = 5
    valid["questions"][3]["when"] = "nps > 3"
    valid["schedule"] = {"timezone": "Mars/Olympus"}
    flow, problems = build_flow(valid)
    assert flow is None
    assert [path for path, _ in errors_of(problems)] == [
        ("tittle",),
        ("schedule", "timezone"),
        ("questions", 0, "max"),
        ("questions", 1, "retries"),
        ("questions", 3, "when"),
    ]


def test_a_broken_question_does_not_make_later_conditions_fail(valid: Data) -> None:
    valid["questions"][0]["text"] = {"sv": "1-5?"}  # missing 'en'
    _, problems = build_flow(valid)
    assert errors_of(problems) == [(("questions", 0, "text"), "missing the 'en' text")]


def test_broken_languages_do_not_flood_every_text(valid: Data) -> None:
    valid["languages"] = ["sv", "de"]
    _, problems = build_flow(valid)
    assert errors_of(problems) == [
        (("languages", 1), "unsupported language 'de' (use sv, fi, en)"),
    ]


def _nps(qid: str, condition: str | None = None) -> dict[str, Any]:
    question = {"id": qid, "type": "scale", "preset": "nps", "text": "0-10?"}
    return {**question, "when": condition} if condition else question


def test_reachability_is_checked_up_to_20000_combinations(valid: Data) -> None:
    # three 0-10 answers (12 values each, with 'not answered'): 1728 combinations, checked
    ids = ["n1", "n2", "n3"]
    impossible = " and ".join(f"{i} > 10" for i in ids)
    valid["questions"] = [_nps(i) for i in ids] + [_nps("last", impossible)]
    _, problems = build_flow(valid)
    assert errors_of(problems) == [
        (("questions", 3, "when"), "question 'last' is never asked: its condition is never true")
    ]


def test_reachability_is_not_checked_beyond_20000_combinations(valid: Data) -> None:
    ids = ["n1", "n2", "n3", "n4", "n5"]  # 12**5 = 248832 combinations
    impossible = " and ".join(f"{i} > 10" for i in ids)
    valid["questions"] = [_nps(i) for i in ids] + [_nps("last", impossible)]
    flow, problems = build_flow(valid)
    assert errors_of(problems) == []
    assert flow is not None


# --- defaults ---------------------------------------------------------------------------------


def test_defaults_retries_and_built_in_retry_texts(valid: Data) -> None:
    valid["questions"][3]["optional"] = False
    flow, _ = build_flow(valid)
    assert flow is not None
    retries = {q.id: q.retries for q in flow.questions}
    assert retries == {"csat": 1, "solved": 1, "reason": 1, "why": 1, "bye": 1}
    texts = {q.id: q.retry.by_lang if q.retry else None for q in flow.questions}
    assert texts == {
        "csat": {
            "sv": "Svara med en siffra från 1 till 5.",
            "en": "Please reply with a number from 1 to 5.",
        },
        "solved": {"sv": "Svara ja eller nej.", "en": "Please reply yes or no."},
        "reason": {
            "sv": "Svara med en av siffrorna 1 eller 2.",
            "en": "Please reply with one of the numbers 1 or 2.",
        },
        "why": {"sv": "Skriv gärna några ord.", "en": "Please write a few words."},
        "bye": None,
    }


def test_built_in_retry_texts_in_finnish_list_the_numbers_and_offer_skipping(valid: Data) -> None:
    valid["languages"] = ["fi"]
    valid["opening"] = "Hei {unit}! Vastaaminen on maksutonta. Lopeta: LOPETA."
    valid["title"] = "Käynti"
    valid["questions"][2]["options"].append({"id": "c", "label": "C"})
    flow, problems = build_flow(valid)
    assert flow is not None, problems
    retry = {q.id: q.retry.by_lang["fi"] for q in flow.questions if q.retry}
    assert retry == {
        "csat": "Vastaa numerolla 1-5.",
        "solved": "Vastaa kyllä tai ei.",
        "reason": "Vastaa jollakin numeroista 1, 2 tai 3.",
        "why": "Kirjoita muutama sana. Vastaa - jos haluat ohittaa.",
    }


@pytest.mark.parametrize("lang", ["sv", "fi", "en"])
def test_built_in_retry_texts_fit_one_gsm7_sms(valid: Data, lang: str) -> None:
    valid["languages"] = [lang]
    valid["title"] = valid["opening"] = "x"
    valid["questions"][0]["preset"] = "nps"
    valid["questions"][2]["options"] += [{"id": f"o{i}", "label": "O"} for i in range(7)]
    flow, _ = build_flow(valid)
    assert flow is not None
    for question in flow.questions:
        if question.retry is not None:
            cost = measure(question.retry.by_lang[lang])
            assert (cost.encoding, cost.segments) == (Encoding.GSM7, 1), question.retry


def test_a_plain_string_is_the_text_in_every_language(valid: Data) -> None:
    flow, _ = build_flow(valid)
    assert flow is not None
    assert flow.closing.by_lang == {"sv": "Tack! / Thanks!", "en": "Tack! / Thanks!"}
    assert flow.question("reason").options[0].label.by_lang == {"sv": "A", "en": "A"}


def test_presets_and_explicit_bounds(valid: Data) -> None:
    valid["questions"][0] = {"id": "ces", "type": "scale", "preset": "ces", "min": 1, "text": "?"}
    valid["questions"].insert(
        1, {"id": "staff", "type": "scale", "min": 0, "max": 4, "text": "?", "retries": 0}
    )
    valid["questions"][4]["when"] = "ces <= 2"
    flow, problems = build_flow(valid)
    assert flow is not None, problems
    ces, staff = flow.question("ces"), flow.question("staff")
    assert (ces.min, ces.max, ces.preset) == (1, 7, "ces")
    assert (staff.min, staff.max, staff.preset, staff.retries) == (0, 4, None, 0)


def test_custom_retry_text_and_labels(valid: Data) -> None:
    valid["questions"][0]["retry"] = {"sv": "Svara {min}-{max} ({max_label}).", "en": "{min}-{max}"}
    valid["questions"][0]["labels"] = {"min": {"sv": "Dåligt", "en": "Bad"}, "max": "Top"}
    valid["questions"][2]["options"][0]["words"] = {"sv": ["aa", "ah"], "en": "ay"}
    flow, problems = build_flow(valid)
    assert flow is not None, problems
    csat = flow.question("csat")
    assert csat.retry is not None and csat.retry.by_lang["sv"] == "Svara {min}-{max} ({max_label})."
    assert csat.min_label is not None and csat.min_label.by_lang == {"sv": "Dåligt", "en": "Bad"}
    assert flow.question("reason").options[0].words == {"sv": ("aa", "ah"), "en": ("ay",)}


def test_labels_meanings_and_example_values(valid: Data) -> None:
    valid["questions"][0]["label"] = {"sv": "Nöjdhet", "en": "Satisfaction"}
    valid["questions"][1]["means"] = "resolution"
    valid["example"] = {"unit": "Vårdcentral Norr", "service": "Lab", "wait_seconds": 140}
    flow, problems = build_flow(valid)
    assert flow is not None and problems == []
    csat, solved = flow.question("csat"), flow.question("solved")
    assert csat.label is not None and csat.label.by_lang == {"sv": "Nöjdhet", "en": "Satisfaction"}
    assert (csat.means, solved.means, solved.label) == (None, "resolution", None)
    assert flow.resolution is solved
    assert flow.example == {"unit": "Vårdcentral Norr", "service": "Lab", "wait_seconds": "140"}


def test_without_a_declaration_no_question_means_resolution(valid: Data) -> None:
    flow, _ = build_flow(valid)
    assert flow is not None and flow.resolution is None and flow.example == {}


def test_avoidable_options_and_condition(valid: Data) -> None:
    valid["questions"][2]["options"][1]["avoidable"] = True
    valid["avoidable_when"] = "solved == yes and csat >= 4"
    flow, problems = build_flow(valid)
    assert flow is not None and problems == []
    reason = flow.question("reason")
    assert [(o.id, o.avoidable) for o in reason.options] == [("a", False), ("b", True)]
    assert flow.avoidable_when_source == "solved == yes and csat >= 4"
    assert flow.avoidable_when is not None and flow.marks_avoidable
    assert flow.avoidable_when.evaluate({"solved": "yes", "csat": 4})
    assert not flow.avoidable_when.evaluate({"solved": "yes"})


def test_a_flow_without_marks_marks_nothing(valid: Data) -> None:
    flow, _ = build_flow(valid)
    assert flow is not None and not flow.marks_avoidable and flow.avoidable_when is None


LABEL = {"sv": "Löst", "en": "Solved"}


@pytest.mark.parametrize(
    ("question", "lang", "shown"),
    [
        ({"id": "solved", "type": "yesno", "label": LABEL}, "en", "Solved"),
        ({"id": "solved", "type": "yesno", "label": LABEL}, "fi", "Löst"),
        ({"id": "web_first", "type": "yesno"}, "sv", "Web first"),
        ({"id": "ces", "type": "scale", "preset": "ces"}, "en", "CES"),
        ({"id": "nps_score", "type": "scale", "preset": "nps"}, "en", "Nps score"),
    ],
)
def test_a_question_is_named_by_its_label_or_else_readably(
    valid: Data, question: Data, lang: str, shown: str
) -> None:
    """The label in the language asked for, else the flow's first; without one, the id in words
    (a preset's name in capitals)."""
    valid["questions"] = [{**question, "text": "?"}]
    flow, problems = build_flow(valid)
    assert flow is not None, problems
    assert flow.questions[0].name(lang, flow.default_language) == shown


def test_a_long_label_is_a_warning(valid: Data) -> None:
    long = "Was the matter resolved in the first call?"
    valid["questions"][1]["label"] = {"sv": "Löst", "en": long}
    flow, problems = build_flow(valid)
    assert flow is not None
    assert [(p.path, p.message) for p in problems if p.severity == "warning"] == [
        (
            (Q, 1, "label", "en"),
            "label ('en') is 42 characters: up to 40 keep charts and tables readable",
        )
    ]


def test_schedule(valid: Data) -> None:
    valid["schedule"] = {
        "delay": "10m",
        "quiet_hours": {"start": "21:00", "end": "08:00"},
        "timezone": "Europe/Helsinki",
        "max_age": "1d",
    }
    flow, _ = build_flow(valid)
    assert flow is not None
    schedule = flow.schedule
    assert (schedule.delay_seconds, schedule.quiet_start, schedule.quiet_end) == (
        600,
        "21:00",
        "08:00",
    )
    assert (schedule.timezone, schedule.max_age_seconds) == ("Europe/Helsinki", 86400)


# --- versions ---------------------------------------------------------------------------------


def test_the_version_is_a_hash_of_the_canonical_content(valid: Data) -> None:
    flow, _ = build_flow(valid)
    assert flow is not None
    canonical = json.dumps(VALID, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert flow.version == hashlib.sha256(canonical.encode()).hexdigest()[:12]
    reordered = dict(reversed(list(copy.deepcopy(VALID).items())))
    again, _ = build_flow(reordered)
    assert again is not None and again.version == flow.version


def test_the_version_follows_the_content(valid: Data) -> None:
    first, _ = build_flow(copy.deepcopy(valid))
    valid["closing"] = "Kiitos!"
    second, _ = build_flow(valid)
    assert first is not None and second is not None
    assert first.version != second.version


def test_a_stored_version_is_rebuilt_from_its_source(valid: Data) -> None:
    flow, _ = build_flow(valid)
    assert flow is not None
    stored = json.loads(json.dumps(flow.source))
    assert flow_from_source(stored) == flow


def test_a_stored_version_that_no_longer_checks_is_refused(valid: Data) -> None:
    del valid["id"]
    valid["questions"][0]["max"] = 7
    with pytest.raises(ValueError, match=r"missing 'id'; questions\[0\]\.max: max \(7\)"):
        flow_from_source(valid)


@pytest.mark.parametrize("data", [None, [], "format: 1", 1, {}])
def test_anything_that_is_not_a_flow_gives_problems_not_exceptions(data: object) -> None:
    flow, problems = build_flow(data)
    assert flow is None
    assert problems and all(p.severity == "error" for p in problems)


_WORDS = ["", "x", "{x}", "sv", "csat", "csat <= 2", "yes", "21:00", "1d", "Europe"]
_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 200) | st.floats() | st.sampled_from(_WORDS),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _all_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the data (as `put` takes it), the root left out."""
    children: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    found = [prefix] if prefix else []
    for key, value in children:
        found += _all_paths(value, (*prefix, key))
    return found


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_all_paths(VALID)), _JUNK)
def test_any_value_anywhere_gives_problems_not_exceptions(path: tuple[Any, ...], junk: Any) -> None:
    data = copy.deepcopy(VALID)
    put(path, junk)(data)
    flow, problems = build_flow(data)
    assert (flow is None) == any(p.severity == "error" for p in problems)


# --- warnings ---------------------------------------------------------------------------------


def warnings_of(data: Data) -> list[tuple[tuple[str | int, ...], str]]:
    flow, problems = build_flow(data)
    assert flow is not None, problems
    return [(p.path, p.message) for p in problems if p.severity == "warning"]


def test_an_opening_must_say_answering_is_free_and_how_to_stop(valid: Data) -> None:
    valid["opening"]["sv"] = "Hej från {unit}! Svara på 3 frågor."
    valid["opening"]["en"] = "Hi! Answering is free of charge. Reply stop to stop."
    assert warnings_of(valid) == [
        (("opening", "sv"), "opening ('sv') does not say answering is free"),
        (("opening", "sv"), "opening ('sv') does not say how to stop"),
    ]


@pytest.mark.parametrize(
    ("lang", "opening"),
    [
        ("sv", "Det kostar inget att svara. Svara SLUTA för att sluta."),
        ("sv", "Kostnadsfritt. Sluta: STOPP"),
        ("fi", "Vastaaminen on maksutonta. Lopeta: LOPETA"),
        ("fi", "Ilmainen. Vastaa STOP lopettaaksesi."),
        ("en", "Free to answer. Reply STOP to end."),
    ],
)
def test_openings_that_say_it(valid: Data, lang: str, opening: str) -> None:
    valid["languages"] = [lang]
    valid["opening"] = {lang: opening}
    valid["title"] = "x"
    assert warnings_of(valid) == []


def test_a_long_text_costs_several_segments(valid: Data) -> None:
    valid["questions"][1]["text"] = {"sv": "a" * 171, "en": "Yes/no?"}
    assert warnings_of(valid) == [
        (
            ("questions", 1, "text", "sv"),
            "question 'solved' text ('sv'): 2 SMS segments (GSM-7, 171 characters)",
        )
    ]


def test_a_typographic_character_forces_ucs2(valid: Data) -> None:
    valid["closing"] = {"sv": "Tack – hej!", "en": "It’s done. " + "x" * 60}
    assert warnings_of(valid) == [
        (("closing", "sv"), "closing ('sv'): needs UCS-2 because of '–' (70 characters per SMS)"),
        (("closing", "en"), "closing ('en'): needs UCS-2 because of '’' (70 characters per SMS)"),
        (("closing", "en"), "closing ('en'): 2 SMS segments (UCS-2, 71 characters)"),
    ]


def test_placeholders_count_as_20_characters_and_the_message_says_so(valid: Data) -> None:
    valid["questions"][1]["text"] = "a" * 140 + " {unit}"  # 141 + 20
    valid["questions"][0]["labels"] = {"max": "Very satisfied"}
    valid["questions"][0]["text"] = "b" * 140 + " {max_label}"  # scale values are known: 155
    assert warnings_of(valid) == [
        (
            ("questions", 1, "text", "sv"),  # flowfiles finds the line of the parent
            "question 'solved' text ('sv'): 2 SMS segments (GSM-7, 161 characters with 20 for"
            " {unit})",
        ),
        (
            ("questions", 1, "text", "en"),
            "question 'solved' text ('en'): 2 SMS segments (GSM-7, 161 characters with 20 for"
            " {unit})",
        ),
    ]


def test_a_scale_wider_than_usual_is_a_warning(valid: Data) -> None:
    valid["questions"][0] = {"id": "csat", "type": "scale", "min": 0, "max": 20, "text": "?"}
    assert warnings_of(valid) == [
        (("questions", 0, "max"), "a scale from 0 to 20 is wide: 0-10 at most is usual")
    ]


def test_lint_flow_on_a_built_flow(valid: Data) -> None:
    valid["closing"] = "Tack – hej!"
    flow, problems = build_flow(valid)
    assert flow is not None
    assert lint_flow(flow) == [p for p in problems if p.severity == "warning"]
    assert len(lint_flow(flow)) == 2  # one per language
