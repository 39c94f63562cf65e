"""From plain data (as YAML gives it) to a checked, frozen Flow, with every problem located.

`build_flow` checks everything and collects every problem, each with a path into the data such
as ("questions", 2, "max"); the file reader (smsbot.flows.files) turns paths into line numbers.
A flow with any error is not built. Warnings about a built flow (texts that cost more than one
SMS, an opening that does not say answering is free) come from `lint_flow`, which `build_flow`
runs too. Pure: no I/O, no YAML.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsbot.engine import expr
from smsbot.engine.durations import parse_duration
from smsbot.engine.model import (
    CONSENT_QUESTION,
    FORMAT_VERSION,
    LANGUAGES,
    MEANINGS,
    SCALE_PRESETS,
    Flow,
    FollowUpRule,
    Kind,
    Option,
    Question,
    Schedule,
    Text,
)
from smsbot.engine.sms_text import Encoding, SmsCost, measure

__all__ = [
    "RESERVED_FIELDS",
    "DataPath",
    "Problem",
    "SentText",
    "build_flow",
    "flow_from_source",
    "lint_flow",
    "sent_texts",
    "version_of",
]

DataPath = tuple[str | int, ...]
Severity = Literal["error", "warning"]

RESERVED_FIELDS = ("unit", "service", "channel", "language")  # event values conditions may use
_EVENT_PLACEHOLDERS = ("unit", "service", "channel")
_SCALE_PLACEHOLDERS = ("min", "max", "min_label", "max_label")
_FLOW_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ITEM_ID = re.compile(r"[a-z][a-z0-9_]*")
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_PLACEHOLDER_WIDTH = 20  # characters assumed for an event value when counting SMS segments
_MAX_COMBINATIONS = 20_000  # beyond this many answer combinations, reachability is not checked
_MAX_SCALE_WIDTH = 10
_LABEL_CHARACTERS = 40  # a longer label is a warning: charts and tables read badly
_ORDERING = ("<", "<=", ">", ">=")

_FLOW_KEYS = (
    "format", "id", "title", "languages", "triggers", "expires_after", "fields", "schedule",
    "example", "opening", "closing", "questions", "avoidable_when", "follow_up",
)  # fmt: skip
_FOLLOW_UP_KEYS = ("rules", "consent")
_RULE_KEYS = ("id", "when", "due")
_WORKING_DAYS = re.compile(r"(\d+)\s+working\s+days?")
_CONSENT_LABEL = {"sv": "Samtycke till samtal", "fi": "Lupa soittaa", "en": "Consent to a call"}
_SCHEDULE_KEYS = ("delay", "quiet_hours", "timezone", "max_age")
_COMMON_KEYS = ("id", "type", "text", "label", "when")
_REPLY_KEYS = ("retry", "retries", "optional")
_KIND_KEYS: Mapping[Kind, tuple[str, ...]] = {
    Kind.SCALE: (*_REPLY_KEYS, "preset", "min", "max", "labels"),
    Kind.YESNO: (*_REPLY_KEYS, "means"),
    Kind.CHOICE: (*_REPLY_KEYS, "options"),
    Kind.TEXT: _REPLY_KEYS,
    Kind.INFO: (),
}
_ARTICLE = {Kind.INFO: "an"}

_STOP_WORDS = ("stop", "stopp", "sluta", "lopeta")
_FREE_WORDS: Mapping[str, tuple[str, ...]] = {
    "sv": ("gratis", "kostnadsfri", "kostar inget", "kostar ingenting"),
    "fi": ("maksu", "ilmai"),
    "en": ("free",),
}

# Built-in retry texts, all GSM-7 (a '–' would make every retry a 70-character UCS-2 SMS).
_DEFAULT_RETRY: Mapping[Kind, Mapping[str, str]] = {
    Kind.SCALE: {
        "sv": "Svara med en siffra från {min} till {max}.",
        "fi": "Vastaa numerolla {min}-{max}.",
        "en": "Please reply with a number from {min} to {max}.",
    },
    Kind.YESNO: {
        "sv": "Svara ja eller nej.",
        "fi": "Vastaa kyllä tai ei.",
        "en": "Please reply yes or no.",
    },
    Kind.CHOICE: {
        "sv": "Svara med en av siffrorna {numbers}.",
        "fi": "Vastaa jollakin numeroista {numbers}.",
        "en": "Please reply with one of the numbers {numbers}.",
    },
    Kind.TEXT: {
        "sv": "Skriv gärna några ord.",
        "fi": "Kirjoita muutama sana.",
        "en": "Please write a few words.",
    },
}
_OR = {"sv": "eller", "fi": "tai", "en": "or"}
_SKIP_HINT = {
    "sv": "Svara - för att hoppa över.",
    "fi": "Vastaa - jos haluat ohittaa.",
    "en": "Reply - to skip.",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a look) in a flow definition, at a path into its data."""

    path: DataPath
    message: str
    severity: Severity = "error"


def version_of(data: object) -> str:
    """The content hash that names a flow version: 12 hex digits of sha256 of canonical JSON."""
    canonical = json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def build_flow(data: object) -> tuple[Flow | None, list[Problem]]:
    """Check and build a flow. Every problem is returned; the flow is None if any is an error."""
    checker = _Checker()
    flow = checker.flow(data)
    if flow is None:
        return None, checker.problems
    return flow, [*checker.problems, *lint_flow(flow)]


def flow_from_source(data: object) -> Flow:
    """Rebuild a stored flow version; raises ValueError if it does not check."""
    flow, problems = build_flow(data)
    if flow is None:
        errors = [f"{_where(p.path)}{p.message}" for p in problems if p.severity == "error"]
        raise ValueError("; ".join(errors))
    return flow


def lint_flow(flow: Flow) -> list[Problem]:
    """Warnings about a built flow: the opening's promises and what each text costs as SMS."""
    found: list[Problem] = []
    for lang in flow.languages:
        found += _lint_opening(flow.opening.by_lang.get(lang, ""), lang)
    for sent in sent_texts(flow):
        found += _lint_cost(sent)
    return found


def _where(path: DataPath) -> str:
    if not path:
        return ""
    shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return f"{shown.lstrip('.')}: "


# --- the flow ---------------------------------------------------------------------------------


class _Checker:
    """Collects problems while building; each method checks one key and stays short."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = LANGUAGES
        self.languages_known = False  # False: the flow's languages are broken; skip text checks
        self.fields: tuple[str, ...] = ()

    def error(self, path: DataPath, message: str) -> None:
        self.problems.append(Problem(path, message))

    def warn(self, path: DataPath, message: str) -> None:
        self.problems.append(Problem(path, message, "warning"))

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def flow(self, data: object) -> Flow | None:
        if not isinstance(data, Mapping):
            self.error((), "a flow must be a mapping of keys (format, id, title, ...)")
            return None
        top = self.keys(data, (), _FLOW_KEYS)
        self.check_format(top)
        flow_id = self.flow_id(top)
        self.languages, self.languages_known = self.flow_languages(top)
        self.fields = self.field_names(top.get("fields"))
        triggers = self.triggers(self.required(top, "triggers", ()))
        expires = self.expires_after(top)
        given_title = top.get("title")
        title = self.text(flow_id if given_title is None else given_title, ("title",))
        opening = self.text(self.required(top, "opening", ()), ("opening",))
        closing = self.text(self.required(top, "closing", ()), ("closing",))
        schedule = self.schedule(top.get("schedule"))
        example = self.example(top.get("example"))
        built = _Questions(self)
        questions = built.build(self.required(top, "questions", ()))
        avoidable_when, avoidable_source = self.avoidable_when(top.get("avoidable_when"), built)
        rules, consent = _FollowUp(self, built).build(top.get("follow_up"))
        if self.has_errors:
            return None
        assert flow_id and expires and title and opening and closing and questions
        return Flow(
            id=flow_id,
            version=version_of(data),
            title=title,
            languages=self.languages,
            triggers=triggers,
            expires_after_seconds=expires,
            opening=opening,
            closing=closing,
            questions=(*questions, consent) if consent else questions,
            schedule=schedule,
            fields=self.fields,
            source=top,
            example=example,
            avoidable_when=avoidable_when,
            avoidable_when_source=avoidable_source,
            follow_up=rules,
            consent_question=consent.id if consent else None,
        )

    def avoidable_when(
        self, source: object, questions: _Questions
    ) -> tuple[expr.Expr | None, str | None]:
        """The flow-level condition over the answers that marks a contact as avoidable demand:
        it may name any question with an answer (no event field: reports read answers)."""
        path: DataPath = ("avoidable_when",)
        if source is None:
            return None, None
        if not isinstance(source, str):
            example = 'avoidable_when: "web_first == yes"'
            self.error(path, f"expected a condition in quotes, such as {example}")
            return None, None
        try:
            parsed = expr.parse(source)
        except expr.ExprError as error:
            self.error(path, f"condition: {error.message} (column {error.offset + 1})")
            return None, source
        for name in sorted(parsed.names()):
            if name in RESERVED_FIELDS and name not in questions.positions:
                self.error(path, f"condition names '{name}', an event field: name answers only")
        never = "avoidable_when is never true: no contact would count as avoidable"
        checker = _ConditionChecker(self, questions, path, "", len(questions.positions), never)
        checker.check(parsed)
        return parsed, source

    # --- shapes ---

    def keys(
        self, value: Mapping[object, object], path: DataPath, known: Sequence[str]
    ) -> dict[str, object]:
        """The mapping with string keys; every key that is not known is reported."""
        for key in value:
            if key not in known:
                self.error((*path, str(key)), _unknown_key(str(key), known))
        return {str(k): v for k, v in value.items()}

    def mapping(self, value: object, path: DataPath, known: Sequence[str]) -> dict[str, object]:
        if not isinstance(value, Mapping):
            self.error(path, f"expected a mapping with {', '.join(known)}, got {_show(value)}")
            return {}
        return self.keys(value, path, known)

    def required(self, data: Mapping[str, object], key: str, path: DataPath) -> object:
        value = data.get(key)
        if value is None:
            self.error(path if key not in data else (*path, key), f"missing '{key}'")
        return value

    def string_list(self, value: object, path: DataPath, what: str) -> tuple[str, ...] | None:
        """A list of non-empty strings (a single string is a list of one); None if it is not."""
        if value is None:
            return None  # reported as missing by the caller
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(path, f"expected a list of {what}, got {_show(value)}")
            return None
        return tuple(value)

    # --- flow keys ---

    def check_format(self, top: Mapping[str, object]) -> None:
        value = self.required(top, "format", ())
        if value is not None and (value != FORMAT_VERSION or isinstance(value, bool)):
            self.error(("format",), f"unknown format {value!r}: this smsbot reads format 1")

    def flow_id(self, top: Mapping[str, object]) -> str | None:
        value = self.required(top, "id", ())
        if value is None:
            return None
        if not isinstance(value, str) or not _FLOW_ID.fullmatch(value):
            self.error(("id",), f"flow id {value!r}: use lower case letters, digits, - and _")
            return None
        return value

    def flow_languages(self, top: Mapping[str, object]) -> tuple[tuple[str, ...], bool]:
        """The flow's languages, and whether they are known well enough to check texts by."""
        value = self.required(top, "languages", ())
        listed = self.string_list(value, ("languages",), "languages (sv, fi, en)")
        if listed == ():
            self.error(("languages",), "expected a list of languages (sv, fi, en), got []")
        if not listed:
            return LANGUAGES, False
        for index, lang in enumerate(listed):
            if lang not in LANGUAGES:
                self.error(("languages", index), f"unsupported language '{lang}' (use sv, fi, en)")
            elif lang in listed[:index]:
                self.error(("languages", index), f"'{lang}' is listed twice")
        valid = tuple(dict.fromkeys(lang for lang in listed if lang in LANGUAGES))
        return (valid or LANGUAGES), valid == listed

    def field_names(self, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        names = self.string_list(value, ("fields",), "attribute names") or ()
        for index, name in enumerate(names):
            if not _FIELD_NAME.fullmatch(name):
                self.error(("fields", index), f"field {name!r}: use lower case letters, digits, _")
        return names

    def triggers(self, value: object) -> tuple[str, ...]:
        listed = self.string_list(value, ("triggers",), "event types")
        if listed == ():
            self.error(("triggers",), "expected a list of event types, got []")
        return listed or ()

    def expires_after(self, top: Mapping[str, object]) -> int | None:
        value = self.required(top, "expires_after", ())
        return None if value is None else self.duration(value, ("expires_after",))

    def duration(self, value: object, path: DataPath, *, zero_ok: bool = False) -> int | None:
        if zero_ok and value == 0 and not isinstance(value, bool):
            return 0
        try:
            seconds = parse_duration(value) if isinstance(value, str) else -1
        except ValueError:
            seconds = -1
        if seconds < 0 or (seconds == 0 and not zero_ok):
            self.error(path, f"expected a duration such as 30m, 48h or 7d, got {_show(value)}")
            return None
        return seconds

    # --- schedule ---

    def schedule(self, value: object) -> Schedule:
        if value is None:
            return Schedule()
        data = self.mapping(value, ("schedule",), _SCHEDULE_KEYS)
        delay = self.duration(data.get("delay", 0), ("schedule", "delay"), zero_ok=True)
        has_age = "max_age" in data
        max_age = self.duration(data["max_age"], ("schedule", "max_age")) if has_age else None
        start, end = self.quiet_hours(data.get("quiet_hours"))
        zone = self.timezone(data.get("timezone"))
        return Schedule(delay or 0, start, end, zone, max_age)

    def quiet_hours(self, value: object) -> tuple[str | None, str | None]:
        if value is None:
            return None, None
        path: DataPath = ("schedule", "quiet_hours")
        data = self.mapping(value, path, ("start", "end"))
        if not data:
            return None, None
        start = self.clock(self.required(data, "start", path), (*path, "start"))
        end = self.clock(self.required(data, "end", path), (*path, "end"))
        return start, end

    def clock(self, value: object, path: DataPath) -> str | None:
        if value is None:
            return None
        if isinstance(value, str) and _CLOCK.fullmatch(value.strip()):
            return value.strip()
        hint = ""
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            # YAML 1.1 reads an unquoted 21:00 as the base-60 number 1260
            hint = f' (put it in quotes: "{value // 60:02d}:{value % 60:02d}")'
        self.error(path, f"expected a time of day as HH:MM, got {_show(value)}{hint}")
        return None

    def timezone(self, value: object) -> str | None:
        if value is None:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.error(
                ("schedule", "timezone"), f"unknown time zone {value!r} (e.g. Europe/Helsinki)"
            )
            return None
        return value

    # --- example event values ---

    def example(self, value: object) -> dict[str, str]:
        """Event values to try the flow with: unit, service, channel and the flow's fields."""
        if value is None:
            return {}
        known = (*_EVENT_PLACEHOLDERS, *self.fields)
        data = self.mapping(value, ("example",), known)
        found = {}
        for name, item in data.items():
            if name not in known:
                continue  # reported by mapping()
            text = self.example_value(item, ("example", name), name)
            if text is not None:
                found[name] = text
        return found

    def example_value(self, value: object, path: DataPath, name: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(path, f"'{name}': expected a text or a number, got {_show(value)}")
            return None
        return self.one_text(value, path, f"'{name}'")

    # --- texts ---

    def text(
        self, value: object, path: DataPath, *, scale: bool = False, sent: bool = True
    ) -> Text | None:
        """A text in every language of the flow; None (reported) if it cannot be built.

        `sent`: False for a text only report pages show (a label), which has no placeholders."""
        if value is None:
            return None  # reported as missing by the caller, or optional
        if isinstance(value, Mapping):
            texts = self.per_language(value, path)
            located = {(*path, lang): text for lang, text in texts.items()}
        else:
            one = self.one_text(value, path, "the text")
            texts = dict.fromkeys(self.languages, one) if one is not None else {}
            located = {path: one} if one is not None else {}
        for where, text in located.items():
            if sent:
                self.placeholders(text, where, scale)
            else:
                self.no_placeholders(text, where)
        return Text(texts) if texts else None

    def no_placeholders(self, text: str, path: DataPath) -> None:
        for name in dict.fromkeys(_PLACEHOLDER.findall(text)):
            message = f"a label is shown on report pages, not sent: it cannot use {{{name}}}"
            self.error(path, message)

    def per_language(self, value: Mapping[object, object], path: DataPath) -> dict[str, str]:
        texts: dict[str, str] = {}
        for key, item in value.items():
            lang = str(key)
            if lang not in LANGUAGES:
                self.error((*path, lang), f"unsupported language '{lang}' (use sv, fi, en)")
            elif lang not in self.languages and self.languages_known:
                shown = ", ".join(self.languages)
                self.error((*path, lang), f"'{lang}' is not one of the flow's languages ({shown})")
            elif (text := self.one_text(item, (*path, lang), f"the '{lang}' text")) is not None:
                texts[lang] = text
        if self.languages_known:
            for lang in self.languages:
                if lang not in value:
                    self.error(path, f"missing the '{lang}' text")
        return texts

    def one_text(self, value: object, path: DataPath, what: str) -> str | None:
        if isinstance(value, bool):
            self.error(path, f"{what} reads as yes/no ({value}): put it in quotes")
            return None
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            self.error(path, f"{what} must be a text or a text per language, got {_show(value)}")
            return None
        if not value.strip():
            self.error(path, f"{what} is empty")
            return None
        return value

    def placeholders(self, text: str, path: DataPath, scale: bool) -> None:
        allowed = [*_EVENT_PLACEHOLDERS, *self.fields, *(_SCALE_PLACEHOLDERS if scale else ())]
        for name in dict.fromkeys(_PLACEHOLDER.findall(text)):
            if name in allowed:
                continue
            if name in _SCALE_PLACEHOLDERS:
                hint = " (only scale questions have it)"
            elif name in RESERVED_FIELDS:
                hint = ""
            else:
                hint = " (add it to 'fields' if the event has it)"
            close = get_close_matches(name, allowed, n=1)
            hint = f" (did you mean {{{close[0]}}}?)" if close else hint
            self.error(path, f"unknown placeholder {{{name}}}{hint}")

    def item_id(self, value: object, path: DataPath, what: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _ITEM_ID.fullmatch(value):
            hint = " (put it in quotes)" if isinstance(value, bool) else ""
            message = f"{what} id {_show(value)}: use lower case letters, digits and _{hint}"
            self.error(path, message)
            return None
        return value


# --- questions --------------------------------------------------------------------------------


class _Questions:
    """The list of questions: each one, duplicate ids, and what conditions may refer to."""

    def __init__(self, checker: _Checker) -> None:
        self.c = checker
        self.positions: dict[str, int] = {}  # id -> index of its first question in the data
        self.built: dict[str, Question] = {}
        self.meanings: dict[str, str] = {}  # meaning -> the id of the question that declares it

    def build(self, value: object) -> tuple[Question, ...]:
        if value is None:
            return ()  # reported as missing
        if not isinstance(value, list) or not value:
            self.c.error(
                ("questions",), f"expected a list of one or more questions, got {_show(value)}"
            )
            return ()
        for index, item in enumerate(value):
            qid = item.get("id") if isinstance(item, Mapping) else None
            if isinstance(qid, str):
                self.positions.setdefault(qid, index)
        questions = []
        for index, item in enumerate(value):
            question = _QuestionChecker(self.c, self, index).build(item)
            if question is not None:
                questions.append(question)
        return tuple(questions)

    def claim(self, meaning: str, qid: str, path: DataPath) -> str | None:
        """The meaning for question `qid`, unless an earlier question has it (reported)."""
        first = self.meanings.setdefault(meaning, qid)
        if first != qid:
            message = f"question '{first}' already means {meaning}: only one question can"
            self.c.error(path, message)
            return None
        return meaning

    def add(self, question: Question, index: int) -> None:
        if question.id in self.built or self.positions.get(question.id, index) < index:
            self.c.error(("questions", index, "id"), f"duplicate question id '{question.id}'")
            return
        self.built[question.id] = question


class _QuestionChecker:
    """One question's checks, kept apart so each stays short."""

    def __init__(self, checker: _Checker, questions: _Questions, index: int) -> None:
        self.c, self.questions, self.index = checker, questions, index
        self.path: DataPath = ("questions", index)
        self.data: dict[str, object] = {}
        self.qid = ""
        self.kind = Kind.INFO

    def at(self, *keys: str | int) -> DataPath:
        return (*self.path, *keys)

    def build(self, item: object) -> Question | None:
        kind = self.check_kind(item)
        if kind is None or not isinstance(item, Mapping):
            return None
        self.kind = kind
        self.data = self.question_keys(item)
        qid = self.c.item_id(self.c.required(self.data, "id", self.path), self.at("id"), "question")
        self.qid = qid or f"#{self.index + 1}"
        question = self.assemble()
        if qid is not None and question is not None:
            self.questions.add(question, self.index)
        return question

    def check_kind(self, item: object) -> Kind | None:
        if not isinstance(item, Mapping):
            self.c.error(self.path, f"expected a question (id, type, text), got {_show(item)}")
            return None
        value = item.get("type")
        if value is None:
            self.c.error(self.path, "missing 'type' (scale, yesno, choice, text or info)")
            return None
        names = [k.value for k in Kind]
        if isinstance(value, str) and value in names:
            return Kind(value)
        close = get_close_matches(str(value), names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else ", ".join(names)
        self.c.error(self.at("type"), f"unknown type {_show(value)} ({hint})")
        return None

    def question_keys(self, item: Mapping[object, object]) -> dict[str, object]:
        known = (*_COMMON_KEYS, *_KIND_KEYS[self.kind])
        for key in item:
            if key in known:
                continue
            article = _ARTICLE.get(self.kind, "a")
            if any(key in keys for keys in _KIND_KEYS.values()):
                message = f"'{key}' does not apply to {article} {self.kind.value} question"
            else:
                message = _unknown_key(str(key), known)
            self.c.error(self.at(str(key)), message)
        return {str(k): v for k, v in item.items()}

    def assemble(self) -> Question | None:
        scale = self.kind is Kind.SCALE
        text = self.c.text(
            self.c.required(self.data, "text", self.path), self.at("text"), scale=scale
        )
        lo, hi, preset = _ScaleChecker(self).bounds() if scale else (None, None, None)
        labels = _ScaleChecker(self).labels() if scale else (None, None)
        options = _OptionsChecker(self).options() if self.kind is Kind.CHOICE else ()
        retries, optional = self.retries(), self.optional()
        retry = self.retry(len(options or ()), lo, hi, optional)
        when, when_source = self.condition()
        label, means = self.label(), self.means()
        if text is None or options is None or (scale and (lo is None or hi is None)):
            return None
        return Question(
            id=self.qid,
            kind=self.kind,
            text=text,
            retry=retry,
            retries=retries,
            optional=optional,
            when=when,
            when_source=when_source,
            min=lo,
            max=hi,
            min_label=labels[0],
            max_label=labels[1],
            preset=preset,
            options=options,
            label=label,
            means=means,
        )

    def label(self) -> Text | None:
        """The short name report pages show, without placeholders; a long one is a warning."""
        label = self.c.text(self.data.get("label"), self.at("label"), sent=False)
        for lang, text in (label.by_lang if label else {}).items():
            if len(text) > _LABEL_CHARACTERS:
                where = self.at("label", lang) if isinstance(self.data["label"], Mapping) else ()
                message = (
                    f"label ('{lang}') is {len(text)} characters:"
                    f" up to {_LABEL_CHARACTERS} keep charts and tables readable"
                )
                self.c.warn(where or self.at("label"), message)
        return label

    def means(self) -> str | None:
        value = self.data.get("means")
        if value is None or self.kind is not Kind.YESNO:
            return None  # another kind's 'means' is reported as not applying
        if not isinstance(value, str) or value not in MEANINGS:
            close = get_close_matches(str(value), MEANINGS, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(MEANINGS)}"
            self.c.error(self.at("means"), f"unknown meaning {_show(value)} ({hint})")
            return None
        return self.questions.claim(value, self.qid, self.at("means"))

    def retries(self) -> int:

        value = self.data.get("retries", 1)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3:
            self.c.error(self.at("retries"), f"retries must be 0, 1, 2 or 3, got {_show(value)}")
            return 1
        return value

    def optional(self) -> bool:
        value = self.data.get("optional", False)
        if not isinstance(value, bool):
            self.c.error(self.at("optional"), f"optional must be true or false, got {_show(value)}")
            return False
        return value

    def retry(self, count: int, lo: int | None, hi: int | None, optional: bool) -> Text | None:
        if self.kind is Kind.INFO:
            return None
        given = self.data.get("retry")
        if given is not None:
            return self.c.text(given, self.at("retry"), scale=self.kind is Kind.SCALE)
        languages = self.c.languages
        return Text(
            {lang: _default_retry(self.kind, lang, count, lo, hi, optional) for lang in languages}
        )

    def condition(self) -> tuple[expr.Expr | None, str | None]:
        source = self.data.get("when")
        if source is None:
            return None, None
        if not isinstance(source, str):
            example = 'when: "ces <= 3 or solved == no"'
            self.c.error(self.at("when"), f"expected a condition in quotes, such as {example}")
            return None, None
        try:
            parsed = expr.parse(source)
        except expr.ExprError as error:
            message = f"condition: {error.message} (column {error.offset + 1})"
            self.c.error(self.at("when"), message)
            return None, source
        checker = _ConditionChecker(self.c, self.questions, self.at("when"), self.qid, self.index)
        checker.check(parsed)
        return parsed, source


def _default_retry(
    kind: Kind, lang: str, count: int, lo: int | None, hi: int | None, optional: bool
) -> str:
    numbers = [str(n) for n in range(1, count + 1)]
    listed = f"{', '.join(numbers[:-1])} {_OR[lang]} {numbers[-1]}" if count > 1 else "1"
    text = (
        _DEFAULT_RETRY[kind][lang]
        .replace("{min}", str(lo))
        .replace("{max}", str(hi))
        .replace("{numbers}", listed)
    )
    return f"{text} {_SKIP_HINT[lang]}" if optional else text


class _ScaleChecker:
    def __init__(self, question: _QuestionChecker) -> None:
        self.q, self.c, self.data = question, question.c, question.data

    def bounds(self) -> tuple[int | None, int | None, str | None]:
        preset = self.data.get("preset")
        if preset is not None:
            return self.preset(preset)
        missing = [key for key in ("min", "max") if self.data.get(key) is None]
        if missing:
            message = (
                f"missing '{missing[0]}': a scale needs a preset (csat, ces, nps) or min and max"
            )
            self.c.error(self.q.path, message)
        lo, hi = self.whole("min"), self.whole("max")
        if lo is None or hi is None:
            return None, None, None
        if hi <= lo:
            self.c.error(self.q.at("max"), f"max ({hi}) must be greater than min ({lo})")
            return None, None, None
        if hi - lo > _MAX_SCALE_WIDTH:
            self.c.warn(
                self.q.at("max"), f"a scale from {lo} to {hi} is wide: 0-10 at most is usual"
            )
        return lo, hi, None

    def preset(self, preset: object) -> tuple[int | None, int | None, str | None]:
        if not isinstance(preset, str) or preset not in SCALE_PRESETS:
            names = ", ".join(f"{n} = {lo}-{hi}" for n, (lo, hi) in SCALE_PRESETS.items())
            self.c.error(self.q.at("preset"), f"unknown preset {_show(preset)} ({names})")
            return None, None, None
        lo, hi = SCALE_PRESETS[preset]
        for key, expected in (("min", lo), ("max", hi)):
            given = self.data.get(key)
            if given is not None and given != expected:
                message = f"preset '{preset}' is {lo}-{hi}; leave out {key} or the preset"
                self.c.error(self.q.at(key), f"{key} ({_show(given)}) does not fit: {message}")
        return lo, hi, preset

    def whole(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            message = f"{key} must be a whole number from 0 to 100, got {_show(value)}"
            self.c.error(self.q.at(key), message)
            return None
        return value

    def labels(self) -> tuple[Text | None, Text | None]:
        value = self.data.get("labels")
        if value is None:
            return None, None
        data = self.c.mapping(value, self.q.at("labels"), ("min", "max"))
        lo = self.c.text(data.get("min"), self.q.at("labels", "min"))
        hi = self.c.text(data.get("max"), self.q.at("labels", "max"))
        return lo, hi


class _OptionsChecker:
    def __init__(self, question: _QuestionChecker) -> None:
        self.q, self.c = question, question.c

    def options(self) -> tuple[Option, ...] | None:
        value = self.q.data.get("options")
        if value is None:
            self.c.error(self.q.path, "missing 'options': a choice needs two or more options")
            return None
        if not isinstance(value, list) or len(value) < 2:
            message = f"a choice needs a list of two or more options, got {_show(value)}"
            self.c.error(self.q.at("options"), message)
            return None
        built: dict[str, Option] = {}
        for index, item in enumerate(value):
            option = self.option(item, self.q.at("options", index))
            if option is not None and option.id in built:
                self.c.error(
                    self.q.at("options", index, "id"), f"duplicate option id '{option.id}'"
                )
            elif option is not None:
                built[option.id] = option
        return tuple(built.values()) if len(built) == len(value) else None

    def option(self, item: object, path: DataPath) -> Option | None:
        if not isinstance(item, Mapping):
            self.c.error(path, f"expected an option (id, label), got {_show(item)}")
            return None
        data = self.c.keys(item, path, ("id", "label", "words", "avoidable"))
        oid = self.c.item_id(self.c.required(data, "id", path), (*path, "id"), "option")
        label = self.c.text(self.c.required(data, "label", path), (*path, "label"))
        words = self.words(data.get("words"), (*path, "words"))
        avoidable = data.get("avoidable", False)
        if not isinstance(avoidable, bool):
            self.c.error((*path, "avoidable"), f"expected true or false, got {_show(avoidable)}")
            avoidable = False
        if oid is None or label is None:
            return None
        return Option(oid, label, words, avoidable)

    def words(self, value: object, path: DataPath) -> dict[str, tuple[str, ...]]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.c.error(path, f"expected words per language ({{sv: [...]}}), got {_show(value)}")
            return {}
        words: dict[str, tuple[str, ...]] = {}
        for key, items in value.items():
            lang = str(key)
            if lang not in self.c.languages:
                self.c.error((*path, lang), f"'{lang}' is not one of the flow's languages")
                continue
            words[lang] = self.c.string_list(items, (*path, lang), "words") or ()
        return words


# --- follow-up -------------------------------------------------------------------------------


class _FollowUp:
    """`follow_up:` rules that open a case, and the consent question asked when one holds."""

    def __init__(self, checker: _Checker, questions: _Questions) -> None:
        self.c, self.questions = checker, questions

    def build(self, value: object) -> tuple[tuple[FollowUpRule, ...], Question | None]:
        if value is None:
            return (), None
        data = self.c.mapping(value, ("follow_up",), _FOLLOW_UP_KEYS)
        rules = self.rules(self.c.required(data, "rules", ("follow_up",)))
        if CONSENT_QUESTION in self.questions.positions:
            message = f"a question may not be called '{CONSENT_QUESTION}': consent uses that id"
            self.c.error(("follow_up", "consent"), message)
        consent = data.get("consent")
        if consent is None or not rules:
            return rules, None
        return rules, self.consent(consent, rules)

    def rules(self, value: object) -> tuple[FollowUpRule, ...]:
        path: DataPath = ("follow_up", "rules")
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            shown = _show(value)
            self.c.error(path, f"expected a list of one or more rules (id, when, due), got {shown}")
            return ()
        rules = [self.rule(item, (*path, index)) for index, item in enumerate(value)]
        seen: set[str] = set()
        for index, rule in enumerate(rules):
            if rule is not None and rule.id in seen:
                self.c.error((*path, index, "id"), f"duplicate rule id '{rule.id}'")
            seen.update([rule.id] if rule else [])
        return tuple(r for r in rules if r is not None)

    def rule(self, item: object, path: DataPath) -> FollowUpRule | None:
        data = self.c.mapping(item, path, _RULE_KEYS)
        if not data:
            return None
        rule_id = self.c.item_id(self.c.required(data, "id", path), (*path, "id"), "rule")
        when, source = self.condition(self.c.required(data, "when", path), (*path, "when"))
        due = self.due(self.c.required(data, "due", path), (*path, "due"))
        if rule_id is None or when is None or source is None or due is None:
            return None
        return FollowUpRule(rule_id, when, source, due_seconds=due[0], due_working_days=due[1])

    def condition(self, source: object, path: DataPath) -> tuple[expr.Expr | None, str | None]:
        if source is None:
            return None, None
        if not isinstance(source, str):
            example = 'when: "ces <= 2 or solved == no"'
            self.c.error(path, f"expected a condition in quotes, such as {example}")
            return None, None
        try:
            parsed = expr.parse(source)
        except expr.ExprError as error:
            self.c.error(path, f"condition: {error.message} (column {error.offset + 1})")
            return None, None
        never = "this rule never holds: no case would ever open"
        index = len(self.questions.positions)
        _ConditionChecker(self.c, self.questions, path, "", index, never).check(parsed)
        return parsed, source

    def due(self, value: object, path: DataPath) -> tuple[int, int] | None:
        """(seconds, working days): "4h" or "2 working days"."""
        if value is None:
            return None
        days = _WORKING_DAYS.fullmatch(value.strip().lower()) if isinstance(value, str) else None
        if days is not None and int(days.group(1)) > 0:
            return 0, int(days.group(1))
        try:
            seconds = parse_duration(value) if isinstance(value, str) else 0
        except ValueError:
            seconds = 0
        if seconds <= 0:
            example = "4h or 2 working days"
            self.c.error(path, f"expected a due time such as {example}, got {_show(value)}")
            return None
        return seconds, 0

    def consent(self, value: object, rules: tuple[FollowUpRule, ...]) -> Question | None:
        """A yes/no question at the end, asked only when a rule holds."""
        text = self.c.text(value, ("follow_up", "consent"))
        if text is None:
            return None
        source = " or ".join(f"({rule.when_source})" for rule in rules)
        languages = self.c.languages
        return Question(
            id=CONSENT_QUESTION,
            kind=Kind.YESNO,
            text=text,
            retry=Text(
                {lang: _default_retry(Kind.YESNO, lang, 0, None, None, False) for lang in languages}
            ),
            when=expr.parse(source),
            when_source=source,
            label=Text({lang: _CONSENT_LABEL[lang] for lang in languages}),
        )


# --- conditions -------------------------------------------------------------------------------


class _ConditionChecker:
    """Names earlier questions only, compares answers with values they can have, can be true."""

    def __init__(
        self,
        checker: _Checker,
        questions: _Questions,
        path: DataPath,
        qid: str,
        index: int,
        never: str | None = None,
    ) -> None:
        self.c, self.questions = checker, questions
        self.path, self.qid, self.index = path, qid, index
        self.never = never or f"question '{qid}' is never asked: its condition is never true"

    def check(self, parsed: expr.Expr) -> None:
        names = sorted(parsed.names())
        if not all([self.name_ok(name) for name in names]):  # every name reported, not only one
            return
        known = {n: self.questions.built[n] for n in names if n in self.questions.built}
        if len(known) + sum(n in RESERVED_FIELDS for n in names) < len(names):
            return  # an earlier question that did not build: its own problems are reported
        comparisons = parsed.comparisons()
        if all([self.values_ok(c, known[c.name]) for c in comparisons if c.name in known]):
            self.reachable(parsed, known, comparisons)

    def name_ok(self, name: str) -> bool:
        # a question named like an event field (`service`) is what the name means, as at runtime
        position = self.questions.positions.get(name)
        if name in RESERVED_FIELDS and position is None:
            return True
        if name == self.qid:
            self.c.error(self.path, f"condition names '{name}', the question itself")
        elif position is None:
            close = get_close_matches(name, [*self.questions.positions, *RESERVED_FIELDS], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.c.error(self.path, f"condition names '{name}', no such question{hint}")
        elif position > self.index:
            self.c.error(self.path, f"condition names '{name}', which is asked later")
        elif name in self.questions.built and self.questions.built[name].kind is Kind.INFO:
            self.c.error(self.path, f"condition names '{name}', an info message with no answer")
        else:
            return True
        return False

    def values_ok(self, comparison: expr.Comparison, question: Question) -> bool:
        message = _value_problem(comparison, question)
        if message is not None:
            self.c.error(self.path, message)
        return message is None

    def reachable(
        self,
        parsed: expr.Expr,
        known: Mapping[str, Question],
        comparisons: Iterable[expr.Comparison],
    ) -> None:
        if len(known) != len(parsed.names()):
            return  # an event field can hold anything: the condition may well be true
        names = sorted(known)
        domains = [_domain(known[name], comparisons) for name in names]
        total = 1
        for domain in domains:
            total *= len(domain)
        if total > _MAX_COMBINATIONS:
            return
        for combination in itertools.product(*domains):
            env = {n: v for n, v in zip(names, combination, strict=True) if v is not None}
            if parsed.evaluate(env):
                return
        self.c.error(self.path, self.never)


def _possible_values(question: Question) -> list[int | str] | None:
    """Every answer a question can have; None for free text."""
    if question.kind is Kind.SCALE and question.min is not None and question.max is not None:
        return list(range(question.min, question.max + 1))
    if question.kind is Kind.YESNO:
        return ["yes", "no"]
    if question.kind is Kind.CHOICE:
        return [o.id for o in question.options]
    return None


def _domain(question: Question, comparisons: Iterable[expr.Comparison]) -> list[object]:
    """The answers to try for a question, None standing for 'not answered'."""
    possible = _possible_values(question)
    if possible is not None:
        return [*possible, None]
    # free text: a sample, and every value the condition compares it with
    compared = [v for c in comparisons if c.name == question.id for v in c.values]
    return ["some text", *dict.fromkeys(compared), None]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value_problem(comparison: expr.Comparison, question: Question) -> str | None:
    name, kind = comparison.name, question.kind
    if kind is Kind.TEXT:
        return None
    if comparison.op in _ORDERING and kind is not Kind.SCALE:
        return (
            f"'{name}' is a {kind.value} answer: compare it with ==, != or in, not {comparison.op}"
        )
    if kind is Kind.SCALE:
        return _scale_value_problem(comparison, question)
    allowed = _possible_values(question) or []
    wrong = [v for v in comparison.values if v not in allowed]
    if not wrong:
        return None
    shown = ", ".join(str(v) for v in allowed)
    return f"'{name}' is never {wrong[0]!r} (it is one of {shown})"


def _scale_value_problem(comparison: expr.Comparison, question: Question) -> str | None:
    lo, hi = question.min, question.max
    assert lo is not None and hi is not None
    span = f"a whole number from {lo} to {hi}"
    for value in comparison.values:
        if not _is_number(value):
            return f"'{comparison.name}' is {span}, never {value!r}"
        if comparison.op not in _ORDERING and value not in range(lo, hi + 1):
            return f"'{comparison.name}' is never {value!r} (it is {span})"
    return None


# --- warnings ---------------------------------------------------------------------------------


def _lint_opening(text: str, lang: str) -> list[Problem]:
    found = []
    lowered = text.casefold()
    if not any(word in lowered for word in _FREE_WORDS[lang]):
        found.append(
            Problem(
                ("opening", lang), f"opening ('{lang}') does not say answering is free", "warning"
            )
        )
    if not any(re.search(rf"\b{word}\b", lowered) for word in _STOP_WORDS):
        found.append(
            Problem(("opening", lang), f"opening ('{lang}') does not say how to stop", "warning")
        )
    return found


@dataclass(frozen=True)
class SentText:
    """One text the flow sends, in one language, as it would be counted."""

    path: DataPath
    lang: str
    name: str  # e.g. "question 'ces' text ('sv')"
    text: str  # as written, with its placeholders
    filled: str  # placeholders filled: scale values known, others as 20 characters
    assumed: tuple[str, ...]  # placeholders counted as 20 characters
    cost: SmsCost


def sent_texts(flow: Flow) -> list[SentText]:
    """Every text sent, per language, with its SMS cost (what the linter warns about)."""
    found = []
    for path, name, text, values in _texts(flow):
        assumed = tuple(n for n in dict.fromkeys(_PLACEHOLDER.findall(text)) if n not in values)
        filled = _fill(text, values)
        lang = str(path[-1])
        found.append(SentText(path, lang, name, text, filled, assumed, measure(filled)))
    return found


def _fill(text: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), "x" * _PLACEHOLDER_WIDTH), text)


def _lint_cost(sent: SentText) -> list[Problem]:
    cost, found = sent.cost, []
    if cost.encoding is Encoding.UCS2:
        chars = ", ".join(f"'{c}'" for c in cost.offending)
        message = f"{sent.name}: needs UCS-2 because of {chars} (70 characters per SMS)"
        found.append(Problem(sent.path, message, "warning"))
    if cost.segments > 1:
        counted = f"{cost.encoding.value}, {len(sent.filled)} characters"
        if sent.assumed:
            shown = ", ".join(f"{{{n}}}" for n in sent.assumed)
            counted += f" with {_PLACEHOLDER_WIDTH} for {shown}"
        message = f"{sent.name}: {cost.segments} SMS segments ({counted})"
        found.append(Problem(sent.path, message, "warning"))
    return found


def _texts(flow: Flow) -> list[tuple[DataPath, str, str, dict[str, str]]]:
    """Every text sent, per language: (path, name for messages, text, known placeholder values)."""
    found: list[tuple[DataPath, str, str, dict[str, str]]] = []
    for lang in flow.languages:
        for key, text in (("opening", flow.opening), ("closing", flow.closing)):
            found.append(((key, lang), f"{key} ('{lang}')", text.by_lang.get(lang, ""), {}))
        for index, question in enumerate(flow.questions):
            values = _scale_values(question, lang, flow.default_language)
            for key, sent in (("text", question.text), ("retry", question.retry)):
                if sent is not None and lang in sent.by_lang:
                    name = f"question '{question.id}' {key} ('{lang}')"
                    path = ("questions", index, key, lang)
                    found.append((path, name, sent.by_lang[lang], values))
    return found


def _scale_values(question: Question, lang: str, default: str) -> dict[str, str]:
    if question.kind is not Kind.SCALE:
        return {}
    values = {"min": str(question.min), "max": str(question.max)}
    for name, label in (("min_label", question.min_label), ("max_label", question.max_label)):
        values[name] = label.get(lang, default) if label is not None else ""
    return values


# --- small helpers ----------------------------------------------------------------------------


def _unknown_key(key: str, known: Sequence[str]) -> str:
    close = get_close_matches(key, known, n=1)
    return f"unknown key '{key}'" + (f" (did you mean '{close[0]}'?)" if close else "")


def _show(value: object) -> str:
    """A value as a message shows it: short, and YAML's yes/no shown as the designer wrote it."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
