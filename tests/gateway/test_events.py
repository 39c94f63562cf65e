from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from smsbot.domain import ServiceEvent
from smsbot.gateway.service_events import (
    EventError,
    FieldError,
    FlowNeeds,
    parse_event,
    parse_events_body,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KNOWN = ("call_closed", "visit_done")
EXAMPLE = "e.g. 2026-11-23T10:15:00+02:00"


def payload() -> dict[str, Any]:
    return {
        "id": "case-1",
        "type": "call_closed",
        "phone": "070-174 06 42",
        "occurred_at": "2026-11-23T10:15:00+02:00",
        "unit": "Kontaktcenter Örebro",
        "service": "bygglov",
    }


def parse(data: object) -> ServiceEvent:
    return parse_event(data, source="crm", default_region="SE", known_types=KNOWN, now=NOW)


def errors_of(data: object) -> list[tuple[str, str]]:
    with pytest.raises(EventError) as caught:
        parse(data)
    return [(e.field, e.message) for e in caught.value.errors]


def test_a_minimal_event() -> None:
    assert parse(payload()) == ServiceEvent(
        source="crm",
        source_id="case-1",
        type="call_closed",
        phone="+46701740642",
        occurred_at=datetime(2026, 11, 23, 10, 15, tzinfo=timezone(timedelta(hours=2))),
        unit="Kontaktcenter Örebro",
        service="bygglov",
    )


def test_a_full_event() -> None:
    event = parse(
        payload()
        | {
            "id": 4711,
            "occurred_at": "2026-11-23T08:15:00Z",
            "channel": "phone",
            "language": " SV ",
            "attributes": {"age_group": "65+", "visits": 3, "score": 1.5, "first": True},
            "journey": {"id": "apnea-9", "step": 2},
        }
    )
    assert event.source_id == "4711"
    assert event.occurred_at == datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    assert event.channel == "phone"
    assert event.language == "sv"
    assert event.attributes == {"age_group": "65+", "visits": 3, "score": 1.5, "first": True}
    assert (event.journey_id, event.journey_step) == ("apnea-9", "2")


def test_null_optional_fields_are_absent() -> None:
    event = parse(payload() | {"channel": None, "language": None, "journey": None})
    assert (event.channel, event.language, event.journey_id) == (None, None, None)


def without(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.pop(key)


def setting(key: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.__setitem__(key, value)


CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[tuple[str, str]]]] = [
    ("id missing", without("id"), [("id", "required")]),
    ("id null", setting("id", None), [("id", "required")]),
    ("id empty", setting("id", "  "), [("id", "must not be empty")]),
    ("id float", setting("id", 1.5), [("id", "expected a string or an integer")]),
    ("id bool", setting("id", True), [("id", "expected a string or an integer")]),
    ("id long", setting("id", "x" * 201), [("id", "too long: at most 200 characters")]),
    (
        "type unknown",
        setting("type", "x"),
        [("type", "unknown event type 'x' (known: call_closed, visit_done)")],
    ),
    ("type number", setting("type", 3), [("type", "expected a string")]),
    ("phone missing", without("phone"), [("phone", "required")]),
    (
        "phone landline",
        setting("phone", "08-123 456 78"),
        [
            (
                "phone",
                "not a mobile number: read as +46 8 123 456 78, a Swedish landline (a number "
                "without a country code is read as SE); a Finnish number needs +358",
            )
        ],
    ),
    (
        "phone invalid",
        setting("phone", "070-1"),
        [("phone", "not a valid phone number: read as +46 0701, which is too short")],
    ),
    ("phone number", setting("phone", 46701740642), [("phone", "expected a string")]),
    (
        "naive time",
        setting("occurred_at", "2026-11-23T10:15:00"),
        [("occurred_at", f"needs a time zone, {EXAMPLE}")],
    ),
    (
        "date only",
        setting("occurred_at", "2026-11-23"),
        [("occurred_at", f"needs a time of day and a time zone, {EXAMPLE}")],
    ),
    (
        "not a time",
        setting("occurred_at", "yesterday"),
        [("occurred_at", f"not an ISO 8601 time, {EXAMPLE}")],
    ),
    (
        "future",
        setting("occurred_at", "2026-11-23T12:05:01Z"),
        [("occurred_at", "in the future: at most 5 minutes ahead of our clock is accepted")],
    ),
    ("unit missing", without("unit"), [("unit", "required")]),
    ("service list", setting("service", ["a"]), [("service", "expected a string")]),
    (
        "service long",
        setting("service", "s" * 201),
        [("service", "too long: at most 200 characters")],
    ),
    (
        "channel long",
        setting("channel", "c" * 51),
        [("channel", "too long: at most 50 characters")],
    ),
    ("channel empty", setting("channel", ""), [("channel", "must not be empty")]),
    (
        "language",
        setting("language", "de"),
        [("language", "unknown language 'de' (known: sv, fi, en)")],
    ),
    ("attributes list", setting("attributes", []), [("attributes", "expected an object")]),
    (
        "attribute name",
        setting("attributes", {"Age": 1, "9x": 2, "ok": 3}),
        [
            (
                "attributes.Age",
                "not a valid attribute name: use a-z, 0-9 and _, not starting with a digit",
            ),
            (
                "attributes.9x",
                "not a valid attribute name: use a-z, 0-9 and _, not starting with a digit",
            ),
        ],
    ),
    (
        "attribute values",
        setting("attributes", {"a": None, "b": [1], "c": {}, "d": float("nan")}),
        [
            ("attributes.a", "expected a string, a number or true/false"),
            ("attributes.b", "expected a string, a number or true/false"),
            ("attributes.c", "expected a string, a number or true/false"),
            ("attributes.d", "expected a finite number"),
        ],
    ),
    (
        "too many attributes",
        setting("attributes", {f"a{i}": i for i in range(51)}),
        [("attributes", "too many attributes: at most 50 (got 51)")],
    ),
    ("journey string", setting("journey", "j-1"), [("journey", "expected an object")]),
    (
        "journey incomplete",
        setting("journey", {"step": 1.5, "extra": 1}),
        [
            ("journey.id", "required"),
            ("journey.step", "expected a string or an integer"),
            ("journey.extra", "unknown field 'extra'"),
        ],
    ),
    ("unknown field", setting("colour", "red"), [("colour", "unknown field 'colour'")]),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_field_errors(
    mutate: Callable[[dict[str, Any]], None], expected: list[tuple[str, str]]
) -> None:
    data = payload()
    mutate(data)
    assert errors_of(data) == expected


def test_every_problem_is_reported_at_once() -> None:
    data = {"type": "nope", "phone": "x", "occurred_at": "2026-11-23T10:15", "extra": 1}
    assert errors_of(data) == [
        ("id", "required"),
        ("type", "unknown event type 'nope' (known: call_closed, visit_done)"),
        ("phone", "not a phone number: the string supplied did not seem to be a phone number"),
        ("occurred_at", f"needs a time zone, {EXAMPLE}"),
        ("unit", "required"),
        ("service", "required"),
        ("extra", "unknown field 'extra'"),
    ]


def test_an_event_must_be_an_object() -> None:
    assert errors_of(["a"]) == [("event", "expected an object")]


def test_up_to_five_minutes_ahead_is_accepted() -> None:
    event = parse(payload() | {"occurred_at": "2026-11-23T12:05:00Z"})
    assert event.occurred_at == NOW + timedelta(minutes=5)


def test_the_error_message_lists_the_fields() -> None:
    error = EventError([FieldError("id", "required"), FieldError("unit", "required")])
    assert str(error) == "id: required; unit: required"


# --- the body ----------------------------------------------------------------------------------


def test_a_body_of_one_object() -> None:
    assert parse_events_body({"id": "1"}) == [{"id": "1"}]


def test_a_body_of_a_list() -> None:
    assert parse_events_body([{"id": "1"}, 2]) == [{"id": "1"}, 2]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "empty list: send at least one event"),
        ([{}] * 1001, "too many events: at most 1000 at once (got 1001)"),
        ("events", "expected an event object or a list of them"),
        (None, "expected an event object or a list of them"),
    ],
)
def test_bad_bodies(data: object, message: str) -> None:
    with pytest.raises(EventError) as caught:
        parse_events_body(data)
    assert caught.value.errors == [FieldError("body", message)]


def test_a_body_of_the_maximum_size() -> None:
    assert len(parse_events_body([{}] * 1000)) == 1000


# --- fields the flow's texts use ---------------------------------------------------------------

NEEDS = {
    "visit_done": FlowNeeds("health-visit", ("unit", "channel", "wait_seconds")),
    "call_closed": FlowNeeds("contact-centre", ("unit",)),
}


def errors_with_needs(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(EventError) as caught:
        parse_event(
            data, source="crm", default_region="SE", known_types=KNOWN, now=NOW, needs=NEEDS
        )
    return [(e.field, e.message) for e in caught.value.errors]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"type": "visit_done"},
            [
                ("channel", "required: flow 'health-visit' uses {channel} in its texts"),
                (
                    "attributes.wait_seconds",
                    "required: flow 'health-visit' uses {wait_seconds} in its texts",
                ),
            ],
        ),
        (
            {"type": "visit_done", "channel": "visit", "attributes": {"wait_seconds": " "}},
            [
                (
                    "attributes.wait_seconds",
                    "required: flow 'health-visit' uses {wait_seconds} in its texts",
                ),
            ],
        ),
        (  # a broken attributes object is reported once, as itself
            {"type": "visit_done", "channel": "visit", "attributes": [1]},
            [("attributes", "expected an object")],
        ),
        ({"type": "call_closed", "unit": None}, [("unit", "required")]),  # not twice
    ],
    ids=["absent", "blank", "broken attributes", "unit"],
)
def test_an_event_without_a_field_its_flows_texts_use_is_refused(
    change: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    data = {**payload(), **change}
    assert errors_with_needs({k: v for k, v in data.items() if v is not None}) == expected


def test_an_event_with_every_field_its_flow_uses_is_taken() -> None:
    data = {**payload(), "type": "visit_done", "channel": "visit"}
    data["attributes"] = {"wait_seconds": 140}
    event = parse_event(
        data, source="crm", default_region="SE", known_types=KNOWN, now=NOW, needs=NEEDS
    )
    assert event.attributes == {"wait_seconds": 140}
