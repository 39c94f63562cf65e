"""The feedback inbox as the page shows it: filters from a query, rows from feedback items.

Pure: no database, no aiohttp. `inbox.py` reads the request and the database, this module turns
what it read into plain values for the template (`inbox.html`), and back: the filters a form
sent, the URL to return to after a change, the note that says what changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from smsbot.engine.model import Flow, id_in_words
from smsbot.feedback.language import tagging_language
from smsbot.feedback.taxonomy import POLARITIES, Polarity, Taxonomy
from smsbot.storage.ports import FeedbackItem, TagState
from smsbot.webui.render import LANGUAGE_NAMES as ALL_NAMES

__all__ = [
    "ACTIONS",
    "DEFAULT_LANGUAGE",
    "LANGUAGE_NAMES",
    "PAGE_SIZE",
    "PATH",
    "Action",
    "Done",
    "Filters",
    "Option",
    "OptionGroup",
    "Row",
    "TagView",
    "add_options",
    "anchor",
    "done_note",
    "parse_done",
    "parse_filters",
    "return_url",
    "row",
    "summary",
]

PATH = "/ui/feedback"
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES: Mapping[str, str] = {code: ALL_NAMES[code] for code in ("en", "sv", "fi")}
PAGE_SIZE = 50
MAX_PAGE = 100_000
Action = Literal["confirm", "remove", "add"]
ACTIONS: tuple[Action, ...] = ("confirm", "remove", "add")
_TRUE = frozenset({"1", "on", "true", "yes"})
_GROUP_TEXT: Mapping[Polarity, str] = {
    "strength": "Strengths",
    "improvement": "Improvements",
    "neutral": "Neutral themes",
}


# --- filters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the list shows: one unit, one tag, only feedback nobody has decided on; a page.

    `lang`: the language tag labels are shown in.
    """

    unit: str | None = None
    tag: str | None = None
    untagged: bool = False
    page: int = 1
    lang: str = DEFAULT_LANGUAGE

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    @property
    def active(self) -> bool:
        return self.unit is not None or self.tag is not None or self.untagged

    def params(self) -> dict[str, str]:
        """The query parameters that say these filters (defaults left out)."""
        found = {"unit": self.unit or "", "tag": self.tag or ""}
        params = {key: value for key, value in found.items() if value}
        if self.untagged:
            params["untagged"] = "1"
        if self.page > 1:
            params["page"] = str(self.page)
        if self.lang != DEFAULT_LANGUAGE:
            params["lang"] = self.lang
        return params

    def url(self, *, page: int | None = None) -> str:
        """The inbox URL for these filters (on another `page` when given)."""
        chosen = self if page is None else replace(self, page=page)
        return PATH + chosen.query()

    def query(self) -> str:
        """`?unit=..&page=2`, or "" for the defaults: what a change's form carries back."""
        query = urlencode(self.params())
        return f"?{query}" if query else ""


def parse_filters(query: Mapping[str, str], taxonomy: Taxonomy) -> tuple[Filters, list[str]]:
    """Filters from a query string; what could not be used is left out and said in the list.

    A hand-edited URL with a tag that does not exist shows everything with a message, rather
    than an error page.
    """
    problems: list[str] = []
    tag_id = _text(query.get("tag"))
    if tag_id is not None and tag_id not in taxonomy.ids:
        problems += taxonomy.unknown([tag_id])
        tag_id = None
    page = _page(query.get("page"), problems)
    untagged = (query.get("untagged") or "").strip().lower() in _TRUE
    lang = _language(query.get("lang"), problems)
    return Filters(_text(query.get("unit")), tag_id, untagged, page, lang), problems


def _language(value: str | None, problems: list[str]) -> str:
    text = (value or "").strip().lower()
    if not text or text in LANGUAGE_NAMES:
        return text or DEFAULT_LANGUAGE
    known = ", ".join(LANGUAGE_NAMES)
    problems.append(f"lang {text[:20]!r}: expected one of {known}; showing {DEFAULT_LANGUAGE}")
    return DEFAULT_LANGUAGE


def _text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text[:200] or None


def _page(value: str | None, problems: list[str]) -> int:
    text = (value or "").strip()
    if not text:
        return 1
    if text.isdigit() and 1 <= int(text) <= MAX_PAGE:
        return int(text)
    problems.append(f"page {text[:20]!r}: expected a whole number from 1; showing page 1")
    return 1


# --- rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagView:
    id: str
    label: str
    polarity: Polarity
    by: str
    at: str
    known: bool


@dataclass(frozen=True)
class Row:
    """One feedback item for the page: never a phone number (feedback items have none)."""

    id: int
    anchor: str
    text: str
    flow: str
    question: str
    flow_shown: str  # the flow's title and the question's label, in the page's language
    question_shown: str
    unit: str
    service: str
    language: str  # the conversation's
    text_language: str  # the reply's, as tag rules read it (the detector's, if it was sure)
    language_shown: str  # "sv", or "sv; the reply fi (99 %)" when the reply was in another
    created_at: str  # ISO, for <time datetime>
    created_shown: str  # local time, for people
    suggested: tuple[TagView, ...]
    confirmed: tuple[TagView, ...]
    rejected: tuple[TagView, ...]
    add_groups: tuple[OptionGroup, ...]


@dataclass(frozen=True)
class Option:
    id: str
    label: str


@dataclass(frozen=True)
class OptionGroup:
    label: str
    options: tuple[Option, ...]


def anchor(feedback_id: int) -> str:
    return f"f-{feedback_id}"


def row(
    item: FeedbackItem,
    taxonomy: Taxonomy,
    language: str,
    timezone: str,
    flows: Mapping[str, Flow] | None = None,
) -> Row:
    """The view of one item: tags by state, in taxonomy order, labelled in `language`; its flow
    and question by their title and label in `language` (from `flows`, the ones loaded), else
    by their ids in words."""
    by_state: dict[str, list[TagView]] = {"suggested": [], "confirmed": [], "rejected": []}
    for state in item.tags:
        views = by_state.get(state.state)
        if views is not None:
            views.append(_tag_view(taxonomy, state, language))
    order = {tag_id: n for n, tag_id in enumerate(taxonomy.ids)}
    ordered = {
        key: tuple(sorted(views, key=lambda v: (order.get(v.id, len(order)), v.id)))
        for key, views in by_state.items()
    }
    confirmed = {v.id for v in ordered["confirmed"]}
    flow_title, question_name = _flow_words(item, (flows or {}).get(item.flow), language)
    return Row(
        id=item.id,
        anchor=anchor(item.id),
        text=item.text,
        flow=item.flow,
        question=item.question,
        flow_shown=flow_title,
        question_shown=question_name,
        unit=item.unit or "–",
        service=item.service or "–",
        language=item.language,
        text_language=tagging_language(
            item.language, item.reply_language, item.language_confidence
        ),
        language_shown=_language_shown(item),
        created_at=item.created_at,
        created_shown=_local(item.created_at, timezone),
        suggested=ordered["suggested"],
        confirmed=ordered["confirmed"],
        rejected=ordered["rejected"],
        add_groups=add_options(taxonomy, language, leave_out=confirmed),
    )


def _language_shown(item: FeedbackItem) -> str:
    """The conversation's language, and the reply's when the detector saw another one."""
    reply, sure = item.reply_language, item.language_confidence
    if reply is None or reply == item.language or sure is None:
        return item.language
    return f"{item.language}; the reply {reply} ({sure:.0%})"


def _flow_words(item: FeedbackItem, flow: Flow | None, language: str) -> tuple[str, str]:
    if flow is None:
        return item.flow, id_in_words(item.question)
    title = flow.title.get(language, flow.default_language)
    try:
        return title, flow.question(item.question).name(language, flow.default_language)
    except KeyError:  # a question of an older version of the flow
        return title, id_in_words(item.question)


def _tag_view(taxonomy: Taxonomy, state: TagState, language: str) -> TagView:
    known = taxonomy.get(state.tag)
    polarity: Polarity = known.polarity if known else "neutral"
    label = known.label(language) if known else state.tag
    return TagView(state.tag, label, polarity, state.changed_by, state.changed_at, bool(known))


def add_options(
    taxonomy: Taxonomy, language: str, *, leave_out: frozenset[str] | set[str] = frozenset()
) -> tuple[OptionGroup, ...]:
    """The tags one can add, grouped by polarity, labelled in `language`, sorted by label."""
    groups = []
    for polarity in POLARITIES:
        options = sorted(
            (
                Option(t.id, t.label(language))
                for t in taxonomy.tags
                if t.polarity == polarity and t.id not in leave_out
            ),
            key=lambda o: o.label.casefold(),
        )
        if options:
            groups.append(OptionGroup(_GROUP_TEXT[polarity], tuple(options)))
    return tuple(groups)


def _local(stamp: str, timezone: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp)
        return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    except (ValueError, KeyError):
        return stamp


# --- after a change ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """What a change did, carried in the URL after the redirect: `done=12.confirm.waiting`."""

    feedback_id: int
    action: Action
    tag: str

    def param(self) -> str:
        return f"{self.feedback_id}.{self.action}.{self.tag}"


_DONE = re.compile(r"(\d{1,12})\.(confirm|remove|add)\.([a-z][a-z0-9-]{0,60})")


def parse_done(value: str | None, taxonomy: Taxonomy) -> Done | None:
    match = _DONE.fullmatch(value or "")
    if match is None or match[3] not in taxonomy.ids:
        return None
    action = next(a for a in ACTIONS if a == match[2])
    return Done(int(match[1]), action, match[3])


def return_url(filters: Filters, done: Done) -> str:
    """Back to the same filtered page, at the changed item, saying what changed."""
    params = {**filters.params(), "done": done.param()}
    return f"{PATH}?{urlencode(params)}#{anchor(done.feedback_id)}"


_DONE_TEXT: Mapping[Action, str] = {
    "confirm": "Confirmed",
    "remove": "Removed",
    "add": "Added",
}


def done_note(done: Done, taxonomy: Taxonomy, language: str, shown: Sequence[Row]) -> str:
    """One sentence for the status line, noting when the item left the filtered list."""
    known = taxonomy.get(done.tag)
    label = known.label(language) if known else done.tag
    text = f"{_DONE_TEXT[done.action]} “{label}” on feedback #{done.feedback_id}."
    if all(r.id != done.feedback_id for r in shown):
        text += " It no longer matches the filters, so it is not in this list."
    return text


def summary(filters: Filters, shown: int) -> str:
    """The list's heading: which items of the filtered list this page shows."""
    if shown == 0:
        return "No feedback matches these filters." if filters.active else "No feedback yet."
    first = filters.offset + 1
    what = "Feedback matching the filters" if filters.active else "Feedback"
    return f"{what}, {first}–{filters.offset + shown}"
