"""Service events in: plain data (a JSON body, a file row) checked into a `ServiceEvent`.

Pure: no I/O. Every problem of an event is reported at once, each naming its field, so a
service system gets one useful 400 answer instead of fixing its payload one error at a time:
`{"errors": [{"field": "phone", "message": "not a mobile number: read as +46 8 123 456 78, ..."}]}`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from smsbot.domain import ServiceEvent
from smsbot.engine.model import LANGUAGES, Flow
from smsbot.engine.runtime import fields_used, missing_fields
from smsbot.phones import PhoneError, parse_phone

__all__ = [
    "FIELDS",
    "MAX_ATTRIBUTES",
    "MAX_EVENTS",
    "MAX_FUTURE",
    "EventError",
    "FieldError",
    "FlowNeeds",
    "needs_by_type",
    "parse_event",
    "parse_events_body",
]

T = TypeVar("T")

FIELDS = (
    "id",
    "type",
    "phone",
    "occurred_at",
    "unit",
    "service",
    "channel",
    "language",
    "attributes",
    "journey",
    "trial",
)
MAX_EVENTS = 1000  # per request or batch
MAX_ATTRIBUTES = 50
MAX_FUTURE = timedelta(minutes=5)  # clock skew allowed between the source and us
_MAX_NAME = 200  # id, unit, service, journey id and step
_MAX_CHANNEL = 50
_MAX_ATTRIBUTE_TEXT = 1000
_ATTRIBUTE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_TIME_EXAMPLE = "e.g. 2026-11-23T10:15:00+02:00"
_JOURNEY_FIELDS = ("id", "step")


@dataclass(frozen=True)
class FieldError:
    """One problem: the field (dotted for nested ones: `attributes.age`, `journey.id`) and why."""

    field: str
    message: str


class EventError(ValueError):
    """An event (or a body of events) that cannot be accepted; `errors` lists every problem."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class _Invalid(Exception):
    """Raised by a field parser; `problems` are (sub-field or "", message) pairs."""

    def __init__(self, message: str = "", *, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [("", message)]


# --- the body ----------------------------------------------------------------------------------


def parse_events_body(data: object, *, max_events: int = MAX_EVENTS) -> list[object]:
    """One event object or a list of 1..max_events of them -> the list, items still unchecked."""
    if isinstance(data, Mapping):
        return [data]
    if not isinstance(data, list):
        raise EventError([FieldError("body", "expected an event object or a list of them")])
    if not data:
        raise EventError([FieldError("body", "empty list: send at least one event")])
    if len(data) > max_events:
        message = f"too many events: at most {max_events} at once (got {len(data)})"
        raise EventError([FieldError("body", message)])
    return list(data)


# --- one event ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowNeeds:
    """What the flow an event type starts needs of the event: the fields its texts use."""

    flow_id: str
    fields: tuple[str, ...]


def needs_by_type(flows: Iterable[Flow]) -> dict[str, FlowNeeds]:
    """For `parse_event`: each event type's flow and the fields its texts use."""
    return {
        trigger: FlowNeeds(flow.id, fields_used(flow))
        for flow in flows
        for trigger in flow.triggers
    }


def parse_event(
    data: object,
    *,
    source: str,
    default_region: str,
    known_types: Collection[str],
    now: datetime | None = None,
    needs: Mapping[str, FlowNeeds] | None = None,
) -> ServiceEvent:
    """Check one event; raises EventError listing every problem.

    `now` (aware) bounds `occurred_at` (at most MAX_FUTURE ahead); it defaults to the system
    clock. JSON null counts as absent. Strings are stripped of surrounding white space.
    `needs` (see `needs_by_type`): an event without a field its flow's texts use ({channel},
    an attribute) is refused, naming the field, rather than surveyed with a hole in a text.
    """
    if not isinstance(data, Mapping):
        raise EventError([FieldError("event", "expected an object")])
    errors: list[FieldError] = []
    read = _Reader(data, errors)
    moment = now if now is not None else datetime.now(UTC)
    source_id = read.required("id", _parse_id)
    type_ = read.required("type", lambda value: _parse_type(value, known_types))
    phone = read.required("phone", lambda value: _parse_mobile(value, default_region))
    occurred_at = read.required("occurred_at", lambda value: _parse_time(value, moment))
    unit = read.required("unit", _parse_name)
    service = read.required("service", _parse_name)
    channel = read.optional("channel", _parse_channel)
    language = read.optional("language", _parse_language)
    attributes = read.optional("attributes", _parse_attributes)
    journey = read.optional("journey", _parse_journey)
    trial = read.optional("trial", _parse_trial)
    errors += _unknown_fields(data, FIELDS)
    values = {"unit": unit, "service": service, "channel": channel, **(attributes or {})}
    errors += _missing_fields((needs or {}).get(type_ or ""), values, errors)
    if errors or not (source_id and type_ and phone and occurred_at and unit and service):
        raise EventError(errors)
    return ServiceEvent(
        source=source,
        source_id=source_id,
        type=type_,
        phone=phone,
        occurred_at=occurred_at,
        unit=unit,
        service=service,
        channel=channel,
        language=language,
        attributes=attributes or {},
        journey_id=journey[0] if journey else None,
        journey_step=journey[1] if journey else None,
        trial=bool(trial),
    )


@dataclass
class _Reader:
    """Reads fields of one object, turning each parser's _Invalid into FieldErrors."""

    data: Mapping[object, object]
    errors: list[FieldError]
    prefix: str = ""

    def required(self, key: str, parse: Callable[[object], T]) -> T | None:
        if self.data.get(key) is None:
            self.errors.append(FieldError(self.prefix + key, "required"))
            return None
        return self._parse(key, parse)

    def optional(self, key: str, parse: Callable[[object], T]) -> T | None:
        if self.data.get(key) is None:
            return None
        return self._parse(key, parse)

    def _parse(self, key: str, parse: Callable[[object], T]) -> T | None:
        try:
            return parse(self.data[key])
        except _Invalid as invalid:
            field = self.prefix + key
            self.errors += [
                FieldError(f"{field}.{sub}" if sub else field, message)
                for sub, message in invalid.problems
            ]
            return None


def _missing_fields(
    needs: FlowNeeds | None, values: Mapping[str, object], errors: list[FieldError]
) -> list[FieldError]:
    """A field the flow's texts use that the event lacks; one already reported (a required
    field, a broken attributes object) is not reported again."""
    if needs is None:
        return []
    reported = {error.field.split(".")[0] for error in errors}
    found = []
    for name in missing_fields(needs.fields, values):
        where = name if name in FIELDS else f"attributes.{name}"
        if where.split(".")[0] not in reported:
            message = f"required: flow '{needs.flow_id}' uses {{{name}}} in its texts"
            found.append(FieldError(where, message))
    return found


def _unknown_fields(data: Mapping[object, object], known: Collection[str]) -> list[FieldError]:
    return [FieldError(str(key), f"unknown field '{key}'") for key in data if key not in known]


# --- field parsers: value -> parsed value, or raise _Invalid ----------------------------------


def _parse_text(value: object, max_length: int) -> str:
    if not isinstance(value, str):
        raise _Invalid("expected a string")
    text = value.strip()
    if not text:
        raise _Invalid("must not be empty")
    if len(text) > max_length:
        raise _Invalid(f"too long: at most {max_length} characters")
    return text


def _parse_name(value: object) -> str:
    return _parse_text(value, _MAX_NAME)


def _parse_id(value: object) -> str:
    """A string, or an integer (stringified): source systems often number their records."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _Invalid("expected a string or an integer")
    return _parse_name(value)


def _parse_type(value: object, known_types: Collection[str]) -> str:
    text = _parse_name(value)
    if text not in known_types:
        known = ", ".join(sorted(known_types)) or "none"
        raise _Invalid(f"unknown event type '{text}' (known: {known})")
    return text


def _parse_mobile(value: object, default_region: str) -> str:
    text = _parse_name(value)
    try:
        return parse_phone(text, default_region, mobile_only=True)
    except PhoneError as error:
        raise _Invalid(str(error)) from error


def _parse_time(value: object, now: datetime) -> datetime:
    text = _parse_name(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Invalid(f"not an ISO 8601 time, {_TIME_EXAMPLE}") from None
    if len(text) <= len("2026-11-23"):
        raise _Invalid(f"needs a time of day and a time zone, {_TIME_EXAMPLE}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _Invalid(f"needs a time zone, {_TIME_EXAMPLE}")
    if moment > now + MAX_FUTURE:
        minutes = int(MAX_FUTURE.total_seconds() // 60)
        raise _Invalid(f"in the future: at most {minutes} minutes ahead of our clock is accepted")
    return moment


def _parse_channel(value: object) -> str:
    """Free text (phone, visit, chat, letter, web, ...): reports group by it as given."""
    return _parse_text(value, _MAX_CHANNEL)


def _parse_language(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid("expected a string")
    text = value.strip().lower()
    if text not in LANGUAGES:
        raise _Invalid(f"unknown language '{value}' (known: {', '.join(LANGUAGES)})")
    return text


def _parse_attributes(value: object) -> dict[str, object]:
    if not isinstance(value, Mapping):
        raise _Invalid("expected an object")
    if len(value) > MAX_ATTRIBUTES:
        raise _Invalid(f"too many attributes: at most {MAX_ATTRIBUTES} (got {len(value)})")
    problems: list[tuple[str, str]] = []
    attributes: dict[str, object] = {}
    for key, item in value.items():
        problem = _attribute_problem(key, item)
        if problem:
            problems.append((str(key), problem))
        else:
            attributes[str(key)] = item.strip() if isinstance(item, str) else item
    if problems:
        raise _Invalid(problems=problems)
    return attributes


def _attribute_problem(key: object, value: object) -> str | None:
    if not isinstance(key, str) or not _ATTRIBUTE_NAME.fullmatch(key):
        return "not a valid attribute name: use a-z, 0-9 and _, not starting with a digit"
    if isinstance(value, bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "expected a finite number"
    if isinstance(value, str):
        too_long = len(value.strip()) > _MAX_ATTRIBUTE_TEXT
        return f"too long: at most {_MAX_ATTRIBUTE_TEXT} characters" if too_long else None
    return "expected a string, a number or true/false"


def _parse_trial(value: object) -> bool:
    """JSON true or false; in a file the words true and false (a CSV cell has no type)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Invalid("expected true or false")


def _parse_journey(value: object) -> tuple[str, str]:
    """`{"id": "apnea-123", "step": 2}` -> ("apnea-123", "2"); both keys are required."""
    if not isinstance(value, Mapping):
        raise _Invalid("expected an object")
    errors: list[FieldError] = []
    read = _Reader(value, errors)
    journey_id = read.required("id", _parse_name)
    step = read.required("step", _parse_id)
    errors += _unknown_fields(value, _JOURNEY_FIELDS)
    if errors or not (journey_id and step):
        raise _Invalid(problems=[(e.field, e.message) for e in errors])
    return journey_id, step
