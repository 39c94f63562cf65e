"""From plain data (as YAML gives it) to a checked, frozen Flow, with every problem located.

Problems carry a path into the data, such as ("questions", 2, "max"); the file reader turns
paths into line numbers. A flow with any error is not built.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsbot.engine import expr
from smsbot.engine.model import (
    FORMAT_VERSION,
    LANGUAGES,
    SCALE_PRESETS,
    Flow,
    Kind,
    Option,
    Question,
    Schedule,
    Text,
)
from smsbot.engine.sms_text import Encoding, measure

__all__ = ["Problem", "build_flow", "flow_from_source", "parse_duration"]

Path = tuple[str | int, ...]
RESERVED = ("unit", "service", "channel", "language")
_FLOW_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ITEM_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_PLACEHOLDER_WIDTH = 20
_MAX_COMBINATIONS = 20_000

_FLOW_KEYS = (
    "format", "id", "title", "languages", "triggers", "expires_after", "fields", "schedule",
    "opening", "closing", "questions",
)  # fmt: skip
_QUESTION_KEYS = {
    Kind.SCALE: ("preset", "min", "max", "labels"),
    Kind.CHOICE: ("options",),
    Kind.YESNO: (),
    Kind.TEXT: (),
    Kind.INFO: (),
}
_COMMON_KEYS = ("id", "type", "text", "when")
_REPLY_KEYS = ("retry", "retries", "optional")
_STOP_WORDS = ("stop", "stopp", "sluta", "lopeta")
_FREE_WORDS = {
    "sv": ("gratis", "kostnadsfri", "kostar inget", "kostar ingenting"),
    "fi": ("maksu", "ilmai"),
    "en": ("free",),
}
_DEFAULT_RETRY = {
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
        "sv": "Svara med en av siffrorna 1-{count}.",
        "fi": "Vastaa jollakin numeroista 1-{count}.",
        "en": "Please reply with one of the numbers 1-{count}.",
    },
    Kind.TEXT: {
        "sv": "Skriv gärna några ord.",
        "fi": "Kirjoita muutama sana.",
        "en": "Please write a few words.",
    },
}


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str
    severity: Literal["error", "warning"] = "error"


def parse_duration(text: object) -> int | None:
    """'30m', '48h', '7d' -> seconds; None if it is not a duration."""
    match = _DURATION.match(str(text).strip()) if isinstance(text, str | int) else None
    if match is None:
        return None
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def version_of(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def build_flow(data: object) -> tuple[Flow | None, list[Problem]]:
    """Check and build a flow; every problem (errors and warnings) is returned."""
    builder = _Builder()
    flow = builder.flow(data)
    if flow is not None:
        builder.lint(flow)
    errors = [p for p in builder.problems if p.severity == "error"]
    return (None if errors else flow), builder.problems


def flow_from_source(data: object) -> Flow:
    """Rebuild a stored flow version; raises ValueError if it does not check."""
    flow, problems = build_flow(data)
    if flow is None:
        raise ValueError("; ".join(p.message for p in problems if p.severity == "error"))
    return flow


class _Builder:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = LANGUAGES
        self.fields: tuple[str, ...] = ()
        self.all_ids: set[str] = set()  # every question id in the file, asked earlier or later

    def error(self, path: Path, message: str) -> None:
        self.problems.append(Problem(path, message))

    def warn(self, path: Path, message: str) -> None:
        self.problems.append(Problem(path, message, "warning"))

    # --- shapes ---------------------------------------------------------------------------

    def mapping(self, value: object, path: Path, keys: Sequence[str]) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            self.error(path, f"expected a mapping of keys ({', '.join(keys[:4])}, ...)")
            return {}
        for key in value:
            if key not in keys:
                hint = get_close_matches(str(key), keys, n=1)
                suffix = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.error((*path, str(key)), f"unknown key '{key}'{suffix}")
        return {str(k): v for k, v in value.items()}

    def required(self, data: Mapping[str, object], key: str, path: Path) -> object:
        if key not in data or data[key] is None:
            self.error(path, f"missing '{key}'")
            return None
        return data[key]

    def string_list(self, value: object, path: Path, what: str) -> tuple[str, ...]:
        if value is None:
            return ()  # already reported as missing
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.error(path, f"expected a list of {what}")
            return ()
        return tuple(value)

    def duration(self, value: object, path: Path) -> int | None:
        if value is None:
            return None  # already reported as missing
        seconds = parse_duration(value)
        if seconds is None or seconds <= 0:
            self.error(path, f"expected a duration such as 30m, 48h or 7d, got {value!r}")
        return seconds

    # --- the flow -------------------------------------------------------------------------

    def flow(self, data: object) -> Flow | None:
        top = self.mapping(data, (), _FLOW_KEYS)
        if not top:
            return None
        listed = top.get("questions")
        if isinstance(listed, list):
            self.all_ids = {str(q.get("id")) for q in listed if isinstance(q, Mapping)}
        self.check_format(top)
        flow_id = self.flow_id(top)
        self.languages = self.flow_languages(top)
        self.fields = self.string_list(top.get("fields", []), ("fields",), "attribute names")
        triggers = self.string_list(
            self.required(top, "triggers", ()), ("triggers",), "event types"
        )
        expires = self.duration(self.required(top, "expires_after", ()), ("expires_after",))
        questions = self.questions(self.required(top, "questions", ()))
        title = self.text(top.get("title", flow_id), ("title",), None)
        opening = self.text(self.required(top, "opening", ()), ("opening",), None)
        closing = self.text(self.required(top, "closing", ()), ("closing",), None)
        schedule = self.schedule(top.get("schedule", {}))
        parts = (flow_id, triggers, expires, questions, title, opening, closing, schedule)
        if any(p is None for p in parts) or not questions or not triggers:
            return None
        assert flow_id and expires and title and opening and closing and schedule
        return Flow(
            id=flow_id,
            version=version_of(data),
            title=title,
            languages=self.languages,
            triggers=triggers,
            expires_after_seconds=expires,
            opening=opening,
            closing=closing,
            questions=questions,
            schedule=schedule,
            fields=self.fields,
            source=dict(top),
        )

    def check_format(self, top: Mapping[str, object]) -> None:
        value = self.required(top, "format", ())
        if value is not None and value != FORMAT_VERSION:
            self.error(("format",), f"unknown format {value!r}: this smsbot reads format 1")

    def flow_id(self, top: Mapping[str, object]) -> str | None:
        value = self.required(top, "id", ())
        if value is None:
            return None
        if not isinstance(value, str) or not _FLOW_ID.match(value):
            self.error(("id",), f"flow id {value!r}: use lower case letters, digits, - and _")
            return None
        return value

    def flow_languages(self, top: Mapping[str, object]) -> tuple[str, ...]:
        value = self.required(top, "languages", ())
        languages = self.string_list(value, ("languages",), "languages (sv, fi, en)")
        for index, lang in enumerate(languages):
            if lang not in LANGUAGES:
                self.error(("languages", index), f"unsupported language '{lang}' (use sv, fi, en)")
        if len(set(languages)) != len(languages):
            self.error(("languages",), "a language is listed twice")
        valid = tuple(dict.fromkeys(lang for lang in languages if lang in LANGUAGES))
        return valid or LANGUAGES

    def schedule(self, value: object) -> Schedule | None:
        if value in ({}, None):
            return Schedule()
        keys = ("delay", "quiet_hours", "timezone", "max_age")
        data = self.mapping(value, ("schedule",), keys)
        delay = self.duration(data["delay"], ("schedule", "delay")) if "delay" in data else 0
        age = data.get("max_age")
        max_age = self.duration(age, ("schedule", "max_age")) if age is not None else None
        start, end = self.quiet_hours(data.get("quiet_hours"))
        zone = self.timezone(data.get("timezone"))
        return Schedule(delay or 0, start, end, zone, max_age)

    def quiet_hours(self, value: object) -> tuple[str | None, str | None]:
        if value is None:
            return None, None
        data = self.mapping(value, ("schedule", "quiet_hours"), ("start", "end"))
        times = []
        for key in ("start", "end"):
            text = str(data.get(key, ""))
            if not _CLOCK.match(text):
                path = ("schedule", "quiet_hours", key)
                self.error(path, f"expected a time of day as HH:MM, got {data.get(key)!r}")
            times.append(text)
        return times[0], times[1]

    def timezone(self, value: object) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            self.error(("schedule", "timezone"), f"unknown time zone {value!r}")
            return None
        return str(value)

    # --- texts ----------------------------------------------------------------------------

    def text(self, value: object, path: Path, question: Mapping[str, object] | None) -> Text | None:
        if value is None:
            return None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            texts = dict.fromkeys(self.languages, str(value))
        elif isinstance(value, Mapping):
            texts = self.text_mapping(value, path)
        else:
            self.error(path, "expected a text, or a text per language ({sv: ..., fi: ...})")
            return None
        for lang, text in texts.items():
            self.check_placeholders(text, (*path, lang) if isinstance(value, Mapping) else path)
        return Text(texts)

    def text_mapping(self, value: Mapping[object, object], path: Path) -> dict[str, str]:
        texts: dict[str, str] = {}
        for lang, text in value.items():
            if lang not in LANGUAGES:
                self.error((*path, str(lang)), f"unsupported language '{lang}' (use sv, fi, en)")
            elif lang not in self.languages:
                self.error((*path, str(lang)), f"'{lang}' is not one of the flow's languages")
            elif not isinstance(text, str) or not text.strip():
                self.error((*path, str(lang)), f"the '{lang}' text is empty")
            else:
                texts[str(lang)] = text
        for lang in self.languages:
            if lang not in value:
                self.error(path, f"missing the '{lang}' text")
        return texts

    def check_placeholders(self, text: str, path: Path) -> None:
        allowed = {*RESERVED[:3], *self.fields, "min", "max", "min_label", "max_label", "count"}
        for name in _PLACEHOLDER.findall(text):
            if name not in allowed:
                self.error(path, f"unknown placeholder {{{name}}}")

    # --- questions ------------------------------------------------------------------------

    def questions(self, value: object) -> tuple[Question, ...] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            self.error(("questions",), "expected a list of one or more questions")
            return None
        built: list[Question] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            question = self.question(item, ("questions", index), built)
            if question is None:
                continue
            if question.id in seen:
                self.error(("questions", index, "id"), f"duplicate question id '{question.id}'")
            seen[question.id] = index
            built.append(question)
        return tuple(built) if len(built) == len(value) else None

    def question(self, item: object, path: Path, earlier: list[Question]) -> Question | None:
        kind = self.kind(item, path)
        if kind is None:
            return None
        reply_keys = _REPLY_KEYS if kind is not Kind.INFO else ()
        data = self.mapping(item, path, (*_COMMON_KEYS, *reply_keys, *_QUESTION_KEYS[kind]))
        qid = self.item_id(self.required(data, "id", path), (*path, "id"), "question")
        if qid is None:
            return None
        return _QuestionBuilder(self, data, path, qid, kind).build(earlier)

    def kind(self, item: object, path: Path) -> Kind | None:
        if not isinstance(item, Mapping):
            self.error(path, "expected a question (a mapping with id, type and text)")
            return None
        value = item.get("type")
        if value is None:
            self.error(path, "missing 'type' (scale, yesno, choice, text or info)")
            return None
        try:
            return Kind(str(value))
        except ValueError:
            self.error(
                (*path, "type"), f"unknown type '{value}' (scale, yesno, choice, text, info)"
            )
            return None

    def item_id(self, value: object, path: Path, what: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _ITEM_ID.match(value):
            self.error(path, f"{what} id {value!r}: use lower case letters, digits and _")
            return None
        return value

    # --- warnings that need the whole flow ------------------------------------------------

    def lint(self, flow: Flow) -> None:
        for lang in flow.languages:
            self.lint_opening(flow.opening.by_lang.get(lang, ""), lang)
        for path, name, text, values in _texts(flow):
            self.lint_cost(path, name, text, values)

    def lint_opening(self, text: str, lang: str) -> None:
        lowered = text.casefold()
        if not any(word in lowered for word in _FREE_WORDS[lang]):
            self.warn(("opening", lang), f"opening ('{lang}') does not say answering is free")
        if not any(re.search(rf"\b{word}\b", lowered) for word in _STOP_WORDS):
            self.warn(("opening", lang), f"opening ('{lang}') does not say how to stop")

    def lint_cost(self, path: Path, name: str, text: str, values: Mapping[str, str]) -> None:
        filled = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), "x" * _PLACEHOLDER_WIDTH), text)
        cost = measure(filled)
        assumed = " (assuming 20 characters for each placeholder)" if _has_event_field(text) else ""
        if cost.encoding is Encoding.UCS2:
            chars = "".join(f"'{c}'" for c in cost.offending)
            self.warn(path, f"{name}: needs UCS-2 because of {chars} (70 characters per SMS)")
        if cost.segments > 1:
            message = f"{name}: {cost.segments} SMS segments ({cost.encoding.value}, "
            self.warn(path, f"{message}{len(filled)} characters){assumed}")


class _QuestionBuilder:
    """One question's checks; kept apart so each stays short."""

    def __init__(
        self, b: _Builder, data: Mapping[str, object], path: Path, qid: str, kind: Kind
    ) -> None:
        self.b, self.data, self.path, self.qid, self.kind = b, data, path, qid, kind

    def at(self, *keys: str | int) -> Path:
        return (*self.path, *keys)

    def build(self, earlier: list[Question]) -> Question | None:
        text = self.b.text(
            self.b.required(self.data, "text", self.path), self.at("text"), self.data
        )
        bounds = self.bounds() if self.kind is Kind.SCALE else (None, None, None)
        options = self.options() if self.kind is Kind.CHOICE else ()
        labels = self.labels() if self.kind is Kind.SCALE else (None, None)
        retries = self.retries()
        when, when_source = self.condition(earlier)
        if text is None or options is None or retries is None or when is False:
            return None
        lo, hi, preset = bounds
        if self.kind is Kind.SCALE and (lo is None or hi is None):
            return None
        return Question(
            id=self.qid,
            kind=self.kind,
            text=text,
            retry=self.retry(len(options), lo, hi),
            retries=retries,
            optional=self.optional(),
            when=when or None,
            when_source=when_source,
            min=lo,
            max=hi,
            min_label=labels[0],
            max_label=labels[1],
            preset=preset,
            options=options,
        )

    def bounds(self) -> tuple[int | None, int | None, str | None]:
        preset = self.data.get("preset")
        if preset is not None:
            if preset not in SCALE_PRESETS:
                names = ", ".join(SCALE_PRESETS)
                self.b.error(self.at("preset"), f"unknown preset '{preset}' ({names})")
                return None, None, None
            preset_lo, preset_hi = SCALE_PRESETS[str(preset)]
            lo, hi = self.whole("min", preset_lo), self.whole("max", preset_hi)
        else:
            lo, hi = self.whole("min", None), self.whole("max", None)
            if lo is None or hi is None:
                self.b.error(self.path, "a scale needs a preset (csat, ces, nps) or min and max")
                return None, None, None
        if lo is not None and hi is not None and hi <= lo:
            self.b.error(self.at("max"), f"max ({hi}) must be greater than min ({lo})")
            return None, None, None
        return lo, hi, str(preset) if preset is not None else None

    def whole(self, key: str, default: int | None) -> int | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            self.b.error(self.at(key), f"{key} must be a whole number from 0 to 100, got {value!r}")
            return None
        return value

    def labels(self) -> tuple[Text | None, Text | None]:
        value = self.data.get("labels")
        if value is None:
            return None, None
        data = self.b.mapping(value, self.at("labels"), ("min", "max"))
        lo = self.b.text(data.get("min"), self.at("labels", "min"), None)
        hi = self.b.text(data.get("max"), self.at("labels", "max"), None)
        return lo, hi

    def options(self) -> tuple[Option, ...] | None:
        value = self.data.get("options")
        if not isinstance(value, list) or len(value) < 2:
            self.b.error(self.at("options"), "a choice needs a list of two or more options")
            return None
        built: list[Option] = []
        for index, item in enumerate(value):
            option = self.option(item, self.at("options", index))
            if option is not None and option.id in {o.id for o in built}:
                self.b.error(self.at("options", index, "id"), f"duplicate option id '{option.id}'")
            elif option is not None:
                built.append(option)
        return tuple(built) if len(built) == len(value) else None

    def option(self, item: object, path: Path) -> Option | None:
        data = self.b.mapping(item, path, ("id", "label", "words"))
        if not data:
            return None
        oid = self.b.item_id(self.b.required(data, "id", path), (*path, "id"), "option")
        label = self.b.text(self.b.required(data, "label", path), (*path, "label"), None)
        words = self.words(data.get("words", {}), (*path, "words"))
        if oid is None or label is None:
            return None
        return Option(oid, label, words)

    def words(self, value: object, path: Path) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, Mapping):
            self.b.error(path, "expected words per language ({sv: [...], fi: [...]})")
            return {}
        words: dict[str, tuple[str, ...]] = {}
        for lang, items in value.items():
            if lang not in self.b.languages:
                self.b.error((*path, str(lang)), f"'{lang}' is not one of the flow's languages")
                continue
            words[str(lang)] = self.b.string_list(items, (*path, str(lang)), "words")
        return words

    def retries(self) -> int | None:
        value = self.data.get("retries", 1)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3:
            self.b.error(self.at("retries"), f"retries must be 0, 1, 2 or 3, got {value!r}")
            return None
        return value

    def optional(self) -> bool:
        value = self.data.get("optional", False)
        if not isinstance(value, bool):
            self.b.error(self.at("optional"), f"optional must be true or false, got {value!r}")
            return False
        return value

    def retry(self, count: int, lo: int | None, hi: int | None) -> Text | None:
        if self.kind is Kind.INFO:
            return None
        given = self.data.get("retry")
        if given is not None:
            return self.b.text(given, self.at("retry"), self.data)
        defaults = _DEFAULT_RETRY[self.kind]
        filled = {
            lang: defaults[lang].replace("{count}", str(count)).replace("{min}", str(lo))
            .replace("{max}", str(hi))
            for lang in self.b.languages
        }  # fmt: skip
        return Text(filled)

    def condition(
        self, earlier: list[Question]
    ) -> tuple[expr.Expr | Literal[False] | None, str | None]:
        source = self.data.get("when")
        if source is None:
            return None, None
        if not isinstance(source, str | bool | int):
            self.b.error(self.at("when"), "expected a condition such as: ces <= 3 or solved == no")
            return False, None
        try:
            parsed = expr.parse(str(source))
        except expr.ExprError as error:
            self.b.error(self.at("when"), f"condition: {error.message} (column {error.offset + 1})")
            return False, str(source)
        ok = _ConditionCheck(self.b, self.at("when"), self.qid, earlier).check(parsed)
        return (parsed if ok else False), str(source)


class _ConditionCheck:
    def __init__(self, b: _Builder, path: Path, qid: str, earlier: list[Question]) -> None:
        self.b, self.path, self.qid = b, path, qid
        self.earlier = {q.id: q for q in earlier}

    def check(self, parsed: expr.Expr) -> bool:
        names_ok = all(self.name_ok(name) for name in sorted(parsed.names()))
        values_ok = all(self.values_ok(c) for c in parsed.comparisons())
        if names_ok and values_ok:
            self.reachable(parsed)
        return names_ok and values_ok

    def name_ok(self, name: str) -> bool:
        if name in RESERVED:
            return True
        if name == self.qid:
            self.b.error(self.path, f"condition names '{name}', the question itself")
            return False
        if name not in self.earlier:
            later = "which is asked later" if name in self.b.all_ids else "no such question"
            self.b.error(self.path, f"condition names '{name}', {later}")
            return False
        if self.earlier[name].kind is Kind.INFO:
            self.b.error(self.path, f"condition names '{name}', an info message with no answer")
            return False
        return True

    def values_ok(self, comparison: expr.Comparison) -> bool:
        question = self.earlier.get(comparison.name)
        if question is None:
            return True
        allowed = _possible_values(question)
        if allowed is None:
            return True
        wrong = [v for v in comparison.values if v not in allowed]
        if not wrong:
            return True
        shown = ", ".join(str(v) for v in allowed)
        self.b.error(self.path, f"'{comparison.name}' is never {wrong[0]!r} (it is one of {shown})")
        return False

    def reachable(self, parsed: expr.Expr) -> None:
        names = [n for n in sorted(parsed.names()) if n not in RESERVED]
        if len(names) != len(parsed.names()):
            return  # event fields can be anything
        domains = [[*(_possible_values(self.earlier[n]) or ["some text"]), None] for n in names]
        total = 1
        for domain in domains:
            total *= len(domain)
        if total > _MAX_COMBINATIONS:
            return
        for combo in itertools.product(*domains):
            env = {n: v for n, v in zip(names, combo, strict=True) if v is not None}
            if parsed.evaluate(env):
                return
        self.b.error(
            self.path, f"question '{self.qid}' is never asked: its condition is never true"
        )


def _possible_values(question: Question) -> list[int | str] | None:
    if question.kind is Kind.SCALE and question.min is not None and question.max is not None:
        return list(range(question.min, question.max + 1))
    if question.kind is Kind.YESNO:
        return ["yes", "no"]
    if question.kind is Kind.CHOICE:
        return [o.id for o in question.options]
    return None


def _has_event_field(text: str) -> bool:
    return any(
        n not in ("min", "max", "min_label", "max_label") for n in _PLACEHOLDER.findall(text)
    )


def _texts(flow: Flow) -> list[tuple[Path, str, str, dict[str, str]]]:
    """Every text of the flow, per language: (path, name for messages, text, known values)."""
    found: list[tuple[Path, str, str, dict[str, str]]] = []
    for lang in flow.languages:
        for key, text in (("opening", flow.opening), ("closing", flow.closing)):
            found.append(((key, lang), f"{key} ('{lang}')", text.by_lang.get(lang, ""), {}))
        for index, q in enumerate(flow.questions):
            values = _scale_values(q, lang, flow.default_language)
            for key, text_ in (("text", q.text), ("retry", q.retry)):
                if text_ is not None and lang in text_.by_lang:
                    name = f"question '{q.id}' {key} ('{lang}')"
                    found.append(
                        (("questions", index, key, lang), name, text_.by_lang[lang], values)
                    )
    return found


def _scale_values(question: Question, lang: str, default: str) -> dict[str, str]:
    values = {"min": str(question.min), "max": str(question.max)}
    for name, label in (("min_label", question.min_label), ("max_label", question.max_label)):
        if label is not None:
            values[name] = label.get(lang, default)
    return values
