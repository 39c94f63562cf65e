"""Frozen value types of a flow definition, as the engine runs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smsbot.engine.expr import Expr

__all__ = [
    "CONSENT_QUESTION",
    "FORMAT_VERSION",
    "LANGUAGES",
    "MEANINGS",
    "SCALE_PRESETS",
    "Flow",
    "FollowUpRule",
    "Kind",
    "Option",
    "Question",
    "Schedule",
    "Text",
    "id_in_words",
]

FORMAT_VERSION = 1
LANGUAGES = ("sv", "fi", "en")

# preset name -> (min, max); the preset also names the metric reports compute.
SCALE_PRESETS: Mapping[str, tuple[int, int]] = {"csat": (1, 5), "ces": (1, 7), "nps": (0, 10)}


class Kind(StrEnum):
    SCALE = "scale"
    YESNO = "yesno"
    CHOICE = "choice"
    TEXT = "text"
    INFO = "info"


# What a yes/no question may declare it means to reports (`means:`). resolution: "yes" means the
# person's matter was resolved (first-contact resolution); the drivers report splits by it.
MEANINGS = ("resolution",)


def id_in_words(item_id: str) -> str:
    """An id as a reader can take it when there is no label: "web_first" -> "Web first"."""
    return item_id.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Text:
    """One text in every language the flow speaks."""

    by_lang: Mapping[str, str]

    def get(self, lang: str, default_lang: str) -> str:
        if lang in self.by_lang:
            return self.by_lang[lang]
        return self.by_lang.get(default_lang, next(iter(self.by_lang.values()), ""))


@dataclass(frozen=True)
class Option:
    """A numbered option of a choice question; replied to by number or by word."""

    id: str
    label: Text
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    avoidable: bool = False  # `avoidable: true`: this answer points at avoidable demand

    def words_for(self, lang: str, default_lang: str) -> tuple[str, ...]:
        """The option's label plus its extra words, in the given language."""
        label = self.label.get(lang, default_lang)
        return (label, *self.words.get(lang, ()))


@dataclass(frozen=True)
class Question:
    id: str
    kind: Kind
    text: Text
    retry: Text | None = None
    retries: int = 1
    optional: bool = False
    when: Expr | None = None
    when_source: str | None = None
    min: int | None = None
    max: int | None = None
    min_label: Text | None = None
    max_label: Text | None = None
    preset: str | None = None
    options: tuple[Option, ...] = ()
    label: Text | None = None  # a short name for report pages, per language
    means: str | None = None  # one of MEANINGS: what the answer means to reports

    @property
    def expects_reply(self) -> bool:
        return self.kind is not Kind.INFO

    def name(self, lang: str, default_lang: str) -> str:
        """What report pages call the question: its label in `lang` (else in `default_lang`),
        or without a label its id in words ("web_first" -> "Web first"; a preset's own name,
        such as "ces", in capitals)."""
        if self.label is not None:
            return self.label.get(lang, default_lang)
        if self.id == self.preset:
            return self.id.upper()
        return id_in_words(self.id)


@dataclass(frozen=True)
class Schedule:
    """When a survey may go out after its event (used by the gateway)."""

    delay_seconds: int = 0
    quiet_start: str | None = None  # "21:00"
    quiet_end: str | None = None  # "08:00"
    timezone: str | None = None  # IANA name; None = the gateway's default
    max_age_seconds: int | None = None  # drop a survey whose event is older than this


# The id of the yes/no question `follow_up: consent:` adds at the end of the questions.
CONSENT_QUESTION = "callback_consent"


@dataclass(frozen=True)
class FollowUpRule:
    """`follow_up: rules:` one condition over the answers that opens a case, due in a time."""

    id: str
    when: Expr
    when_source: str
    due_seconds: int = 0  # a plain duration ("4h"), or
    due_working_days: int = 0  # "2 working days": weekends skipped in the flow's time zone


@dataclass(frozen=True)
class Flow:
    id: str
    version: str  # content hash of the definition: a changed file is a new version
    title: Text
    languages: tuple[str, ...]
    triggers: tuple[str, ...]
    expires_after_seconds: int
    opening: Text
    closing: Text
    questions: tuple[Question, ...]
    schedule: Schedule = field(default_factory=Schedule)
    fields: tuple[str, ...] = ()  # extra event attributes the texts may use
    source: Mapping[str, object] = field(default_factory=dict)  # the definition as plain data
    example: Mapping[str, str] = field(default_factory=dict)  # event values to try it with
    # `avoidable_when`: a condition over the answers that marks a contact as avoidable demand
    avoidable_when: Expr | None = None
    avoidable_when_source: str | None = None
    follow_up: tuple[FollowUpRule, ...] = ()  # the first rule that holds opens a case
    consent_question: str | None = None  # CONSENT_QUESTION when the flow asks for consent

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def resolution(self) -> Question | None:
        """The yes/no question the flow declares `means: resolution`, if any (never guessed)."""
        return next((q for q in self.questions if q.means == "resolution"), None)

    @property
    def marks_avoidable(self) -> bool:
        """Whether the flow marks avoidable demand (an `avoidable` option or `avoidable_when`)."""
        return self.avoidable_when is not None or any(
            o.avoidable for q in self.questions for o in q.options
        )

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def index_of(self, question_id: str) -> int:
        for i, q in enumerate(self.questions):
            if q.id == question_id:
                return i
        raise KeyError(question_id)
