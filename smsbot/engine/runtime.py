"""The survey runtime: (flow, state, input, now) -> (new state, events).

Pure: no I/O, no clock, no ids. The caller stores the new state and acts on the events
(sends the messages, stores the answers) in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from smsbot.engine import language as lang_rules
from smsbot.engine import replies
from smsbot.engine.language import Detected
from smsbot.engine.model import Flow, Kind, Question

__all__ = [
    "RESERVED_FIELDS",
    "AnswerRecorded",
    "Detected",
    "Event",
    "FeedbackGiven",
    "Finished",
    "LanguageSwitched",
    "Outcome",
    "QuestionSkipped",
    "ReplyIgnored",
    "ReplyNotUnderstood",
    "Send",
    "State",
    "Status",
    "expire",
    "fields_used",
    "missing_fields",
    "opt_out",
    "pending",
    "receive",
    "remind",
    "render",
    "start",
    "undeliverable",
]

RESERVED_FIELDS = ("unit", "service", "channel", "language")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_SCALE_VALUES = ("min", "max", "min_label", "max_label")  # filled from the question itself
_FEEDBACK_MIN_WORDS = 2  # a reply not understood but this wordy is kept as feedback


class Status(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"
    UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True)
class State:
    """Where one conversation stands. Serialisable with `to_dict` / `from_dict`."""

    flow_id: str
    flow_version: str
    language: str
    fields: Mapping[str, str]
    status: Status = Status.ACTIVE
    current: str | None = None  # the question awaiting a reply
    retries_used: int = 0
    answers: Mapping[str, int | str] = field(default_factory=dict)
    step: int = 0  # grows whenever the conversation moves; timers carry it
    expires_at: datetime | None = None
    language_switched: bool = False  # the language changed once: it never changes again

    def to_dict(self) -> dict[str, object]:
        return {
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "language": self.language,
            "fields": dict(self.fields),
            "status": self.status.value,
            "current": self.current,
            "retries_used": self.retries_used,
            "answers": dict(self.answers),
            "step": self.step,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "language_switched": self.language_switched,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> State:
        expires = data.get("expires_at")
        return cls(
            flow_id=str(data["flow_id"]),
            flow_version=str(data["flow_version"]),
            language=str(data["language"]),
            fields=dict(data["fields"]),  # type: ignore[call-overload]
            status=Status(str(data["status"])),
            current=None if data.get("current") is None else str(data["current"]),
            retries_used=int(data.get("retries_used", 0)),  # type: ignore[call-overload]
            answers=dict(data.get("answers", {})),  # type: ignore[call-overload]
            step=int(data.get("step", 0)),  # type: ignore[call-overload]
            expires_at=datetime.fromisoformat(str(expires)) if expires else None,
            language_switched=bool(data.get("language_switched", False)),
        )

    @property
    def active(self) -> bool:
        return self.status is Status.ACTIVE


# --- events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """A message to send to the citizen."""

    text: str
    purpose: str  # opening | question | info | retry | reminder | repeat | closing
    question_id: str | None = None


@dataclass(frozen=True)
class AnswerRecorded:
    question_id: str
    kind: Kind
    value: int | str
    raw: str
    comment: str | None = None


@dataclass(frozen=True)
class ReplyNotUnderstood:
    question_id: str
    kind: Kind
    raw: str
    problem: str
    will_retry: bool


@dataclass(frozen=True)
class FeedbackGiven:
    """Free text worth tagging: a text answer, a comment after a value, or a wordy odd reply.
    `language` and `confidence`: the detector's verdict on the reply (None when none ran)."""

    question_id: str
    text: str
    language: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class LanguageSwitched:
    """The rest of the conversation is in `to_language` (at most once per conversation):
    the citizen asked for it (`asked`) or clearly wrote in it (`detected`)."""

    question_id: str
    from_language: str
    to_language: str
    reason: str  # asked | detected


@dataclass(frozen=True)
class QuestionSkipped:
    question_id: str
    reason: str  # skip_reply | retries_exhausted


@dataclass(frozen=True)
class ReplyIgnored:
    raw: str
    reason: str  # not_active


@dataclass(frozen=True)
class Finished:
    status: Status


Event = (
    Send
    | AnswerRecorded
    | ReplyNotUnderstood
    | FeedbackGiven
    | LanguageSwitched
    | QuestionSkipped
    | ReplyIgnored
    | Finished
)


@dataclass(frozen=True)
class Outcome:
    state: State
    events: tuple[Event, ...]

    def sends(self) -> tuple[Send, ...]:
        return tuple(e for e in self.events if isinstance(e, Send))


# --- entry points ------------------------------------------------------------------------


def start(flow: Flow, *, language: str | None, fields: Mapping[str, str], now: datetime) -> Outcome:
    """Open a conversation: the opening message, then the first question that applies."""
    lang = language if language in flow.languages else flow.default_language
    state = State(flow.id, flow.version, lang, dict(fields))
    events: list[Event] = [Send(render(flow, state, flow.opening.by_lang, None), "opening")]
    return _advance(flow, state, 0, now, events)


def receive(
    flow: Flow, state: State, text: str, now: datetime, detected: Detected | None = None
) -> Outcome:
    """Take the citizen's reply to the current question. `detected`: the reply's language as
    the caller's detector saw it (smsbot.engine.language says when it switches the language)."""
    if not state.active or state.current is None:
        return Outcome(state, (ReplyIgnored(text, "not_active"),))
    question = flow.question(state.current)
    asked = lang_rules.requested(text)
    if asked is not None:
        return _language_request(flow, state, question, text, asked, now)
    if question.optional and replies.is_skip(text):
        skipped = QuestionSkipped(question.id, "skip_reply")
        return _advance(flow, state, flow.index_of(question.id) + 1, now, [skipped])
    reply = _Reply(text, detected)
    parsed = _parse(flow, state, question, text)
    if _number_word_in_another_language(question, text, detected, state):
        parsed = replies.Parsed(None, problem="unreadable")
    target = None
    if not state.language_switched:
        target = lang_rules.detected_switch(text, detected, state.language, flow.languages)
    if parsed.ok and parsed.value is not None:
        events: list[Event] = []
        if target is not None:
            state, events = _switched(state, question, target, "detected")
        return _accept(flow, state, question, reply, parsed, now, events)
    if target is not None:
        return _ask_again(flow, state, question, reply, target, "detected", now)
    return _not_understood(flow, state, question, reply, parsed.problem or "unreadable", now)


def expire(flow: Flow, state: State, now: datetime) -> Outcome:
    """No reply in time: the conversation ends without a message."""
    if not state.active:
        return Outcome(state, ())
    ended = replace(state, status=Status.EXPIRED, current=None, step=state.step + 1)
    return Outcome(ended, (Finished(Status.EXPIRED),))


def remind(flow: Flow, state: State, now: datetime) -> Outcome:
    """Send the current question once more (a reminder); the wait starts again."""
    if not state.active or state.current is None:
        return Outcome(state, ())
    question = flow.question(state.current)
    text = render(flow, state, question.text.by_lang, question)
    moved = replace(state, step=state.step + 1, expires_at=now + _wait(flow))
    return Outcome(moved, (Send(text, "reminder", question.id),))


def pending(flow: Flow, state: State) -> Send | None:
    """The question waiting for an answer, as it was asked (sent again after the help text);
    None when no question waits. The state does not move: the answer still goes to it."""
    if not state.active or state.current is None:
        return None
    question = flow.question(state.current)
    return Send(render(flow, state, question.text.by_lang, question), "repeat", question.id)


def opt_out(state: State) -> Outcome:
    """The citizen said STOP: the conversation ends; the caller confirms and records it."""
    if not state.active:
        return Outcome(state, ())
    ended = replace(state, status=Status.OPTED_OUT, current=None, step=state.step + 1)
    return Outcome(ended, (Finished(Status.OPTED_OUT),))


def undeliverable(state: State) -> Outcome:
    """The first message never reached the person: the conversation ends."""
    if not state.active:
        return Outcome(state, ())
    ended = replace(state, status=Status.UNDELIVERABLE, current=None, step=state.step + 1)
    return Outcome(ended, (Finished(Status.UNDELIVERABLE),))


def render(flow: Flow, state: State, by_lang: Mapping[str, str], question: Question | None) -> str:
    """A text in the conversation's language with its {placeholders} filled in."""
    template = by_lang.get(state.language) or by_lang.get(flow.default_language, "")
    values = _placeholder_values(flow, state, question)
    filled = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)
    return re.sub(r"[ \t]{2,}", " ", filled).strip()


def fields_used(flow: Flow) -> tuple[str, ...]:
    """The event fields ({unit}, {service}, {channel}, attributes named in `fields`) that any
    text of the flow uses, in any language, in order of first use. A conversation started
    without one of them would be sent a text with a hole in it ("Hej från !")."""
    used: dict[str, None] = {}
    for text, question in _every_text(flow):
        scale = question is not None and question.kind is Kind.SCALE
        for name in _PLACEHOLDER.findall(text):
            if not (scale and name in _SCALE_VALUES):
                used[name] = None
    return tuple(used)


def missing_fields(used: Iterable[str], values: Mapping[str, object]) -> tuple[str, ...]:
    """Those of the fields `used` (see `fields_used`) that `values` lacks or leaves blank."""
    return tuple(name for name in used if not str(values.get(name) or "").strip())


# --- internals ---------------------------------------------------------------------------


def _every_text(flow: Flow) -> list[tuple[str, Question | None]]:
    texts: list[tuple[str, Question | None]] = []
    for fixed in (flow.opening, flow.closing):
        texts += [(text, None) for text in fixed.by_lang.values()]
    for question in flow.questions:
        for sent in (question.text, question.retry):
            if sent is not None:
                texts += [(text, question) for text in sent.by_lang.values()]
    return texts


def _wait(flow: Flow) -> timedelta:
    return timedelta(seconds=flow.expires_after_seconds)


def _parse(flow: Flow, state: State, question: Question, text: str) -> replies.Parsed:
    if question.kind is Kind.SCALE:
        assert question.min is not None and question.max is not None
        return replies.parse_scale(text, question.min, question.max)
    if question.kind is Kind.YESNO:
        return replies.parse_yesno(text)
    if question.kind is Kind.CHOICE:
        options = [
            (o.id, o.words_for(state.language, flow.default_language)) for o in question.options
        ]
        return replies.parse_choice(text, options)
    return replies.parse_text(text)


@dataclass(frozen=True)
class _Reply:
    """The reply as received, and the detector's verdict on its language."""

    raw: str
    detected: Detected | None

    def feedback(self, question_id: str, text: str) -> FeedbackGiven:
        verdict = self.detected
        if verdict is None:
            return FeedbackGiven(question_id, text)
        return FeedbackGiven(question_id, text, verdict.language, round(verdict.confidence, 3))


def _number_word_in_another_language(
    question: Question, text: str, detected: Detected | None, state: State
) -> bool:
    """A scale value read from a word, in a reply clearly in another language, is no answer:
    the Finnish "En ymmärrä" (I don't understand) is not the Swedish "en" (one)."""
    return (
        question.kind is Kind.SCALE
        and detected is not None
        and detected.language != state.language
        and detected.confidence >= lang_rules.SWITCH_MIN_CONFIDENCE
        and not any(c.isdigit() for c in text)
    )


def _may_switch(flow: Flow, state: State, language: str) -> bool:
    return not state.language_switched and language != state.language and language in flow.languages


def _switched(
    state: State, question: Question, language: str, reason: str
) -> tuple[State, list[Event]]:
    """The state in `language` (switched for good), and the event that notes it."""
    switch = LanguageSwitched(question.id, state.language, language, reason)
    return replace(state, language=language, language_switched=True), [switch]


def _language_request(
    flow: Flow, state: State, question: Question, raw: str, language: str, now: datetime
) -> Outcome:
    """ "på svenska", "suomeksi", "in English": the question again in that language; a request
    the conversation cannot follow (the same language, one not in the flow, a second switch)
    is a reply not understood, and not feedback."""
    reply = _Reply(raw, None)
    if _may_switch(flow, state, language):
        return _ask_again(flow, state, question, reply, language, "asked", now)
    return _not_understood(flow, state, question, reply, "language_request", now)


def _ask_again(
    flow: Flow,
    state: State,
    question: Question,
    reply: _Reply,
    language: str,
    reason: str,
    now: datetime,
) -> Outcome:
    """Switch the language and ask the current question again in it; no retry is used up.
    A detected switch keeps a wordy reply as feedback (a Finnish sentence may say something)."""
    switched, events = _switched(state, question, language, reason)
    if reason == "detected" and len(reply.raw.split()) >= _FEEDBACK_MIN_WORDS:
        events.append(reply.feedback(question.id, reply.raw.strip()))
    events.append(
        Send(render(flow, switched, question.text.by_lang, question), "question", question.id)
    )
    asked = replace(switched, step=state.step + 1, expires_at=now + _wait(flow))
    return Outcome(asked, tuple(events))


def _accept(
    flow: Flow,
    state: State,
    question: Question,
    reply: _Reply,
    parsed: replies.Parsed,
    now: datetime,
    events: list[Event],
) -> Outcome:
    value = parsed.value
    assert value is not None
    events.append(AnswerRecorded(question.id, question.kind, value, reply.raw, parsed.comment))
    if question.kind is Kind.TEXT:
        events.append(reply.feedback(question.id, str(value)))
    elif parsed.comment:
        events.append(reply.feedback(question.id, parsed.comment))
    answered = replace(state, answers={**state.answers, question.id: value})
    return _advance(flow, answered, flow.index_of(question.id) + 1, now, events)


def _not_understood(
    flow: Flow, state: State, question: Question, reply: _Reply, problem: str, now: datetime
) -> Outcome:
    will_retry = state.retries_used < question.retries
    raw = reply.raw
    events: list[Event] = [ReplyNotUnderstood(question.id, question.kind, raw, problem, will_retry)]
    if problem == "unreadable" and len(raw.split()) >= _FEEDBACK_MIN_WORDS:
        events.append(reply.feedback(question.id, raw.strip()))
    if will_retry:
        retry = question.retry.by_lang if question.retry else question.text.by_lang
        events.append(Send(render(flow, state, retry, question), "retry", question.id))
        retried = replace(
            state,
            retries_used=state.retries_used + 1,
            step=state.step + 1,
            expires_at=now + _wait(flow),
        )
        return Outcome(retried, tuple(events))
    events.append(QuestionSkipped(question.id, "retries_exhausted"))
    return _advance(flow, state, flow.index_of(question.id) + 1, now, events)


def _advance(flow: Flow, state: State, index: int, now: datetime, events: list[Event]) -> Outcome:
    """Ask the next question that applies from `index` on; info messages go out on the way."""
    for question in flow.questions[index:]:
        if not _applies(question, state):
            continue
        text = render(flow, state, question.text.by_lang, question)
        if question.kind is Kind.INFO:
            events.append(Send(text, "info", question.id))
            continue
        events.append(Send(text, "question", question.id))
        asked = replace(
            state,
            current=question.id,
            retries_used=0,
            step=state.step + 1,
            expires_at=now + _wait(flow),
        )
        return Outcome(asked, tuple(events))
    events.append(Send(render(flow, state, flow.closing.by_lang, None), "closing"))
    events.append(Finished(Status.COMPLETED))
    done = replace(
        state, status=Status.COMPLETED, current=None, step=state.step + 1, expires_at=None
    )
    return Outcome(done, tuple(events))


def _applies(question: Question, state: State) -> bool:
    if question.when is None:
        return True
    env: dict[str, object] = {k: state.fields[k] for k in RESERVED_FIELDS if k in state.fields}
    env["language"] = state.language
    env.update(state.answers)
    return question.when.evaluate(env)


def _placeholder_values(flow: Flow, state: State, question: Question | None) -> dict[str, str]:
    values = {k: str(v) for k, v in state.fields.items()}
    if question is not None and question.kind is Kind.SCALE:
        values["min"] = str(question.min)
        values["max"] = str(question.max)
        for name, label in (("min_label", question.min_label), ("max_label", question.max_label)):
            if label is not None:
                values[name] = label.get(state.language, flow.default_language)
    return values
