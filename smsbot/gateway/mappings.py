"""Events from a platform's own webhooks: a declarative mapping from its JSON to a service event.

A contact-centre or case platform (Genesys Cloud, Zendesk, ...) posts its own JSON when a call
ends or a ticket is solved. A source (`[sources.<name>] mapping = "mappings/zendesk.yaml"`)
names a mapping file that says which payloads are events (`when`) and where each field of
the event comes from (`event`):

    format: 1
    platform: Zendesk
    signature: zendesk              # optional: check the platform's own signature too
    when:                           # every condition must hold, else the payload is ignored
      status: {equals: solved}
    event:
      id: {path: ticket_id}         # a dotted path into the payload
      type: {value: ticket_solved}  # a constant
      phone: {path: requester.phone}
      occurred_at: {path: solved_at}
      unit: {path: group, table: {"Kundtjänst Nord": north}, default: other}
      service: {value: customer-service}
      attributes:
        brand: {path: brand}

A rule takes `path` or `value`; with `path`, `table` turns the platform's value into ours and
`default` stands in when the path is absent or not in the table. `strip_prefix` drops a prefix
("tel:"); `format: epoch_ms` or `epoch_s` reads a number as a moment. The mapped event is then
checked like any posted event (`service_events.parse_event`), so a refusal names the event's
field and the payload's path it came from.

Pure: no I/O but reading the file (`load_mapping`), no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from smsbot.engine.definition import DataPath
from smsbot.flows.files import Finding, line_of, read_yaml_file
from smsbot.gateway.service_events import FIELDS
from smsbot.suggest import did_you_mean

__all__ = [
    "EVENT_FIELDS",
    "Condition",
    "Ignored",
    "Mapped",
    "PlatformMapping",
    "Rule",
    "apply_mapping",
    "load_mapping",
]

FORMAT = 1
SIGNATURES = ("zendesk",)
FORMATS = ("epoch_ms", "epoch_s")
# The event's fields a mapping fills: those of a posted event, the journey as two plain fields.
EVENT_FIELDS = (
    *(name for name in FIELDS if name not in ("journey", "trial", "attributes")),
    "journey_id",
    "journey_step",
    "attributes",
)
REQUIRED = ("id", "type", "phone", "occurred_at", "unit", "service")
_TOP = ("format", "platform", "description", "signature", "when", "event")
_RULE = ("path", "value", "table", "default", "strip_prefix", "format")
_TESTS = ("equals", "in", "matches")
_PATH = re.compile(r"[A-Za-z0-9_$@-]+(?:\.[A-Za-z0-9_$@-]+)*")
_MAX_TABLE = 10_000


@dataclass(frozen=True)
class Rule:
    """Where one field of the event comes from."""

    path: tuple[str, ...] | None = None
    value: str | None = None
    table: Mapping[str, str] | None = None
    default: str | None = None
    strip_prefix: str | None = None
    format: str | None = None

    @property
    def source(self) -> str:
        return ".".join(self.path) if self.path else "a constant"


@dataclass(frozen=True)
class Condition:
    """One test a payload must pass to be an event: a path equal to, in, or matching."""

    path: tuple[str, ...]
    equals: str | None = None
    one_of: tuple[str, ...] | None = None
    matches: re.Pattern[str] | None = None

    def holds(self, payload: object) -> bool:
        found = _text(_at(payload, self.path))
        if found is None:
            return False
        if self.equals is not None:
            return found == self.equals
        if self.one_of is not None:
            return found in self.one_of
        return self.matches is not None and self.matches.fullmatch(found) is not None

    def __str__(self) -> str:
        where = ".".join(self.path)
        if self.equals is not None:
            return f"{where} is {self.equals!r}"
        if self.one_of is not None:
            return f"{where} is one of {', '.join(self.one_of)}"
        return f"{where} matches {self.matches.pattern if self.matches else ''!r}"


@dataclass(frozen=True)
class PlatformMapping:
    """A platform's mapping, as loaded from its file."""

    file: str
    platform: str
    fields: Mapping[str, Rule]
    attributes: Mapping[str, Rule] = field(default_factory=dict)
    when: tuple[Condition, ...] = ()
    signature: str | None = None


@dataclass(frozen=True)
class Mapped:
    """The event as our `POST /v1/events` would take it, and where each field came from."""

    event: dict[str, object]
    sources: dict[str, str]  # event field -> the payload path (or "a constant")
    misses: dict[str, str] = field(default_factory=dict)  # field -> a value its table lacks


@dataclass(frozen=True)
class Ignored:
    """The payload is not an event this mapping takes (another topic, another status)."""

    reason: str


# --- applying --------------------------------------------------------------------------------


def apply_mapping(mapping: PlatformMapping, payload: object) -> Mapped | Ignored:
    """The event a payload maps to, or why it is ignored. Missing or odd values are left out of
    the event (or kept as found) so that the event's own check names them."""
    for condition in mapping.when:
        if not condition.holds(payload):
            return Ignored(f"not an event of {mapping.file}: it needs {condition}")
    event: dict[str, object] = {}
    sources: dict[str, str] = {}
    misses: dict[str, str] = {}
    for name, rule in mapping.fields.items():
        value = _value(rule, payload)
        sources[name] = rule.source
        if value is not None:
            event[name] = value
        elif (missed := _missed(rule, payload)) is not None:
            misses[name] = missed
    attributes = {name: _value(rule, payload) for name, rule in mapping.attributes.items()}
    kept = {name: value for name, value in attributes.items() if value is not None}
    if kept:
        event["attributes"] = kept
    journey = {k: event.pop(f"journey_{k}") for k in ("id", "step") if f"journey_{k}" in event}
    if journey:
        event["journey"] = journey
    return Mapped(event, sources, misses)


def _missed(rule: Rule, payload: object) -> str | None:
    """The platform's value a table has no row for (and no default), if that is why a field
    came out empty."""
    if rule.table is None or rule.path is None:
        return None
    return _text(_at(payload, rule.path))


def _value(rule: Rule, payload: object) -> object:
    if rule.path is None:
        return rule.value
    found = _at(payload, rule.path)
    if isinstance(found, str) and rule.strip_prefix and found.startswith(rule.strip_prefix):
        found = found[len(rule.strip_prefix) :]
    if rule.format is not None:
        found = _moment(found, rule.format)
    if rule.table is not None:
        text = _text(found)
        return rule.table.get(text, rule.default) if text is not None else rule.default
    return rule.default if found is None else found


def _moment(found: object, form: str) -> object:
    """An epoch number as ISO 8601 text; anything else is kept for the event check to name."""
    if isinstance(found, bool) or not isinstance(found, int | float):
        return found
    seconds = found / 1000 if form == "epoch_ms" else found
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return found


def _at(payload: object, path: Sequence[str]) -> object:
    here = payload
    for key in path:
        if isinstance(here, Mapping):
            here = here.get(key)
        elif isinstance(here, list) and key.isdigit() and int(key) < len(here):
            here = here[int(key)]
        else:
            return None
    return here


def _text(value: object) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, Mapping | list):
        return None
    return str(value)


# --- loading ---------------------------------------------------------------------------------


def load_mapping(path: Path) -> tuple[PlatformMapping | None, list[Finding]]:
    """The mapping in a file, and its problems as `file:line: what is wrong` (None on any)."""
    read = read_yaml_file(
        path, "a mapping file is a mapping: 'format: 1', 'platform:' and 'event:'"
    )
    if isinstance(read, Finding):
        return None, [read]
    check = _Checker(str(path), read.lines)
    mapping = check.file(read.data)
    findings = [*read.findings, *sorted(check.findings, key=lambda f: f.line)]
    return (None if findings else mapping), findings


class _Checker:
    """Plain data -> a mapping, noting each problem at its line."""

    def __init__(self, name: str, lines: Mapping[DataPath, int]) -> None:
        self.name, self.lines = name, lines
        self.findings: list[Finding] = []

    def problem(self, path: DataPath, message: str) -> None:
        self.findings.append(Finding(self.name, line_of(self.lines, path), message))

    def keys(self, data: Mapping[str, object], known: Sequence[str], path: DataPath) -> None:
        for key in data:
            if key not in known:
                where = ".".join(str(p) for p in path)
                inside = f" in {where}" if where else ""
                hint = did_you_mean(key, known)
                self.problem((*path, key), f"unknown key '{key}'{inside}{hint}")

    def file(self, data: object) -> PlatformMapping | None:
        if not isinstance(data, Mapping):
            self.problem((), "a mapping file is a mapping: 'format: 1', 'platform:' and 'event:'")
            return None
        self.keys(data, _TOP, ())
        if data.get("format") != FORMAT:
            self.problem(("format",), f"format must be {FORMAT} (got {data.get('format')!r})")
        platform = data.get("platform")
        if not isinstance(platform, str) or not platform.strip():
            self.problem(("platform",), "platform: the platform's name is required (text)")
        signature = data.get("signature")
        if signature is not None and signature not in SIGNATURES:
            self.problem(("signature",), f"signature must be one of {', '.join(SIGNATURES)}")
        when = self.conditions(data.get("when"))
        fields, attributes = self.event(data.get("event"))
        return PlatformMapping(
            self.name,
            str(platform or ""),
            fields,
            attributes,
            when,
            str(signature) if signature else None,
        )

    def conditions(self, value: object) -> tuple[Condition, ...]:
        if value is None:
            return ()
        if not isinstance(value, Mapping):
            self.problem(("when",), "when: expected paths, each with equals, in or matches")
            return ()
        found = [self.condition(str(key), test) for key, test in value.items()]
        return tuple(c for c in found if c is not None)

    def condition(self, key: str, test: object) -> Condition | None:
        path = self.path_of(key, ("when", key))
        if not isinstance(test, Mapping) or len(test) != 1 or next(iter(test)) not in _TESTS:
            self.problem(("when", key), f"when '{key}': give one of equals, in or matches")
            return None
        (kind, wanted), where = next(iter(test.items())), ("when", key)
        if path is None:
            return None
        if kind == "equals" and _is_scalar(wanted):
            return Condition(path, equals=str(wanted))
        if kind == "in" and isinstance(wanted, list) and all(map(_is_scalar, wanted)):
            return Condition(path, one_of=tuple(str(w) for w in wanted))
        if kind == "matches" and isinstance(wanted, str):
            try:
                return Condition(path, matches=re.compile(wanted))
            except re.error as error:
                self.problem((*where, kind), f"when '{key}': not a regular expression: {error}")
                return None
        self.problem((*where, kind), f"when '{key}': {kind} needs {_NEEDS[kind]}")
        return None

    def event(self, value: object) -> tuple[dict[str, Rule], dict[str, Rule]]:
        if not isinstance(value, Mapping):
            self.problem(("event",), "event: required, the event's fields and their sources")
            return {}, {}
        self.keys(value, EVENT_FIELDS, ("event",))
        for name in REQUIRED:
            if name not in value:
                self.problem(("event",), f"event: '{name}' is required (path or value)")
        fields = {
            str(name): rule
            for name, data in value.items()
            if name in EVENT_FIELDS and name != "attributes"
            if (rule := self.rule(data, ("event", str(name)))) is not None
        }
        return fields, self.attributes(value.get("attributes"))

    def attributes(self, value: object) -> dict[str, Rule]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.problem(("event", "attributes"), "attributes: expected names, each a rule")
            return {}
        where = ("event", "attributes")
        rules = {str(name): self.rule(data, (*where, str(name))) for name, data in value.items()}
        return {name: rule for name, rule in rules.items() if rule is not None}

    def rule(self, data: object, where: DataPath) -> Rule | None:
        label = ".".join(str(p) for p in where[1:])
        if not isinstance(data, Mapping):
            self.problem(where, f"{label}: expected {{path: ...}} or {{value: ...}}")
            return None
        self.keys(data, _RULE, where)
        if ("path" in data) == ("value" in data):
            self.problem(where, f"{label}: give either path or value")
            return None
        if "value" in data:
            return self.constant(data, where, label)
        path = self.path_of(data["path"], (*where, "path"))
        table = self.table(data.get("table"), (*where, "table"), label)
        form = data.get("format")
        if form is not None and form not in FORMATS:
            self.problem((*where, "format"), f"{label}: format must be one of {', '.join(FORMATS)}")
        default, prefix = data.get("default"), data.get("strip_prefix")
        if path is None or (default is not None and not _is_scalar(default)):
            return None
        return Rule(
            path,
            table=table,
            default=None if default is None else str(default),
            strip_prefix=str(prefix) if prefix else None,
            format=str(form) if form in FORMATS else None,
        )

    def constant(self, data: Mapping[str, object], where: DataPath, label: str) -> Rule | None:
        extra = [k for k in data if k != "value" and k in _RULE]
        if extra:
            self.problem((*where, extra[0]), f"{label}: a value takes no {extra[0]}")
        if not _is_scalar(data["value"]):
            self.problem((*where, "value"), f"{label}: value must be text or a number")
            return None
        return Rule(value=str(data["value"]))

    def table(self, value: object, where: DataPath, label: str) -> dict[str, str] | None:
        if value is None:
            return None
        if not isinstance(value, Mapping) or not all(map(_is_scalar, value.values())):
            self.problem(where, f"{label}: table maps the platform's values to ours (text)")
            return None
        if len(value) > _MAX_TABLE:
            self.problem(where, f"{label}: a table holds at most {_MAX_TABLE} rows")
        return {str(k): str(v) for k, v in value.items()}

    def path_of(self, value: object, where: DataPath) -> tuple[str, ...] | None:
        if isinstance(value, str) and _PATH.fullmatch(value):
            return tuple(value.split("."))
        self.problem(where, f"{value!r} is not a dotted path such as detail.eventBody.ani")
        return None


_NEEDS = {"equals": "one value", "in": "a list of values", "matches": "a regular expression"}


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)
