"""Reviewing free-text feedback: list it, tag and untag it, let the rules suggest, top themes.

The one layer of use cases for feedback: the JSON API (`smsbot.http.feedback`), the inbox page
(`smsbot.webui.inbox`) and the CLI (`smsbot.cli.feedback`) all call these, so they check the
same things, record the same history and raise the same errors:

- `UnknownTags`: a tag the taxonomy does not have (each problem with a "did you mean");
- `FeedbackNotFound`: no feedback item with that id;
- `ValueError`: no name for who decides.

Rules *suggest* tags; a person confirms (`tag`) or rejects (`untag`) them, and every change is
recorded in the tags' history with who and when. Each function is one unit of work on the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from smsbot.feedback.language import tagging_language
from smsbot.feedback.taxonomy import RULES_BY, Polarity, Taxonomy
from smsbot.storage.ports import FeedbackFilter, FeedbackItem, FeedbackReview, Store

__all__ = [
    "FeedbackNotFound",
    "TagChange",
    "TagCount",
    "Tagged",
    "Theme",
    "UnknownTags",
    "check_tags",
    "feedback_units",
    "get_feedback",
    "list_feedback",
    "seen_all",
    "suggest_new",
    "tag",
    "tag_counts",
    "top_themes",
    "untag",
]

SUGGEST_BATCH = 500


class FeedbackNotFound(LookupError):
    def __init__(self, feedback_id: int) -> None:
        self.feedback_id = feedback_id
        super().__init__(f"no feedback with id {feedback_id}")


class UnknownTags(ValueError):
    """Tags the taxonomy does not have: one problem each, with a hint when one is close."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class TagChange:
    tag: str
    action: str  # suggest | confirm | add | remove


@dataclass(frozen=True)
class Tagged:
    """What a person's decision changed, and the item as it is after it."""

    changes: list[TagChange]
    item: FeedbackItem


def check_tags(taxonomy: Taxonomy, tags: Iterable[str]) -> None:
    """Raise UnknownTags unless every tag is in the taxonomy."""
    problems = taxonomy.unknown(tags)
    if problems:
        raise UnknownTags(problems)


# --- reading ------------------------------------------------------------------------------


async def list_feedback(
    store: Store,
    *,
    untagged: bool = False,
    unit: str | None = None,
    tag: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[FeedbackItem]:
    """Feedback, newest first, with every tag row (rejected ones too, so reviewers see them).

    untagged: only feedback no person has decided on yet (no confirmed and no rejected tag;
    rule suggestions alone do not count). tag: feedback with that tag suggested or confirmed.
    """
    wanted = FeedbackFilter(untagged=untagged, unit=unit, tag=tag, limit=limit, offset=offset)
    async with store.read() as tx:
        return await tx.feedback.find(wanted)


async def feedback_units(store: Store) -> list[str]:
    """The units that have feedback, sorted: the choices of a unit filter."""
    async with store.read() as tx:
        return await tx.feedback.units()


async def get_feedback(store: Store, feedback_id: int) -> FeedbackItem:
    async with store.read() as tx:
        return await _get(tx.feedback, feedback_id)


async def _get(feedback: FeedbackReview, feedback_id: int) -> FeedbackItem:
    item = await feedback.get(feedback_id)
    if item is None:
        raise FeedbackNotFound(feedback_id)
    return item


# --- people's decisions -------------------------------------------------------------------


async def tag(
    store: Store,
    taxonomy: Taxonomy,
    feedback_id: int,
    tags: Iterable[str],
    *,
    who: str,
    now: datetime,
) -> Tagged:
    """Confirm suggested tags or add new ones (state 'confirmed'); returns what changed.

    A tag already confirmed is left as it is.
    """
    return await _decide(store, taxonomy, feedback_id, tags, who, now, _confirming)


async def untag(
    store: Store,
    taxonomy: Taxonomy,
    feedback_id: int,
    tags: Iterable[str],
    *,
    who: str,
    now: datetime,
) -> Tagged:
    """Reject tags (state 'rejected', action 'remove'): rules will not suggest them again."""
    return await _decide(store, taxonomy, feedback_id, tags, who, now, _rejecting)


def _confirming(before: str | None) -> str | None:
    """The action that confirms a tag in state `before` (None: it is confirmed already)."""
    if before == "confirmed":
        return None
    return "confirm" if before == "suggested" else "add"


def _rejecting(before: str | None) -> str | None:
    """The action that rejects a tag in state `before` (None: it is rejected already)."""
    return None if before == "rejected" else "remove"


_STATE_AFTER = {"confirm": "confirmed", "add": "confirmed", "remove": "rejected"}


async def _decide(
    store: Store,
    taxonomy: Taxonomy,
    feedback_id: int,
    tags: Iterable[str],
    who: str,
    now: datetime,
    action_from: Callable[[str | None], str | None],
) -> Tagged:
    """A person's decision on tags of one item: one unit of work, each change in the history."""
    wanted, by = _checked(taxonomy, tags, who)
    async with store.write() as tx:
        states = await _states(tx.feedback, feedback_id)
        changes = []
        for tag_id in wanted:
            action = action_from(states.get(tag_id))
            if action is None:
                continue
            state = _STATE_AFTER[action]
            await tx.feedback.set_tag(feedback_id, tag_id, state, by=by, at=now)
            await tx.feedback.record_change(feedback_id, tag_id, action, by=by, at=now)
            changes.append(TagChange(tag_id, action))
        return Tagged(changes, await _get(tx.feedback, feedback_id))


def _checked(taxonomy: Taxonomy, tags: Iterable[str], who: str) -> tuple[list[str], str]:
    wanted = list(dict.fromkeys(tags))
    check_tags(taxonomy, wanted)
    return wanted, _who(who)


def _who(who: str) -> str:
    name = who.strip()
    if not name:
        raise ValueError("say who makes the change (a name)")
    return name[:100]


async def _states(feedback: FeedbackReview, feedback_id: int) -> dict[str, str]:
    states = await feedback.tag_states(feedback_id)
    if states is None:
        raise FeedbackNotFound(feedback_id)
    return states


# --- the rules' suggestions ---------------------------------------------------------------


async def suggest_new(
    store: Store, taxonomy: Taxonomy, *, now: datetime | None = None, batch: int = SUGGEST_BATCH
) -> int:
    """Suggest tags by rules for feedback that has no tag rows yet; returns the rows added.

    Each feedback is put to the same rules once: the last feedback id they saw is kept (with
    the taxonomy's `rules_digest`), so a pass reads only the feedback that came since the last
    one, never the whole history (the gateway runs a pass every minute). Feedback the rules
    found nothing for stays without rows, so a changed taxonomy (another digest) gets another
    go at all of it. Each suggestion is recorded in the history as action 'suggest' by 'rules'.
    One unit of work.
    """
    at = now or datetime.now(UTC)
    async with store.write() as tx:
        added, last_id = 0, await tx.feedback.rules_seen_through(taxonomy.rules_digest)
        while rows := await tx.feedback.without_tags(last_id, batch):
            for row in rows:
                written_in = tagging_language(
                    row.language, row.reply_language, row.language_confidence
                )
                for tag_id in taxonomy.suggest(row.text, written_in):
                    added += await _suggest_one(tx.feedback, row.id, tag_id, at)
            last_id = rows[-1].id
        await tx.feedback.save_rules_seen(taxonomy.rules_digest, last_id)
    return added


async def _suggest_one(
    feedback: FeedbackReview, feedback_id: int, tag_id: str, at: datetime
) -> int:
    if not await feedback.add_suggestion(feedback_id, tag_id, by=RULES_BY, at=at):
        return 0
    await feedback.record_change(feedback_id, tag_id, "suggest", by=RULES_BY, at=at)
    return 1


async def seen_all(store: Store, taxonomy: Taxonomy) -> None:
    """Record that these rules saw every feedback stored: for a database whose feedback got
    its suggestions where it was made (the benchmark's cloned history)."""
    async with store.write() as tx:
        await tx.feedback.save_rules_seen(taxonomy.rules_digest, await tx.feedback.last_id())


# --- counts and top themes ----------------------------------------------------------------


@dataclass(frozen=True)
class TagCount:
    unit: str | None
    tag: str
    polarity: Polarity
    confirmed: int
    suggested: int

    @property
    def total(self) -> int:
        return self.confirmed + self.suggested


class Theme(NamedTuple):
    """A top theme: tag, how many feedback items have it, up to 2 example quotes."""

    tag: str
    total: int
    examples: tuple[str, ...]


async def tag_counts(
    store: Store, taxonomy: Taxonomy, *, unit: str | None = None
) -> list[TagCount]:
    """Per unit and tag: how many feedback items have it confirmed, and suggested (not rejected).

    Sorted by unit, then most frequent first. Polarity comes from the taxonomy.
    """
    async with store.read() as tx:
        return await _counts(tx.feedback, taxonomy, unit)


async def _counts(feedback: FeedbackReview, taxonomy: Taxonomy, unit: str | None) -> list[TagCount]:
    counts = [
        TagCount(t.unit, t.tag, taxonomy.polarity(t.tag), t.confirmed, t.suggested)
        for t in await feedback.tag_totals(unit)
    ]
    return sorted(counts, key=lambda c: (c.unit or "", -c.total, -c.confirmed, c.tag))


async def top_themes(
    store: Store,
    taxonomy: Taxonomy,
    *,
    unit: str | None,
    n: int = 3,
    examples: int = 2,
) -> dict[str, list[Theme]]:
    """The unit's top `n` strengths and improvements, for the manager's 1-3 of each.

    A tag counts for a feedback item when it is confirmed by a person, or suggested by the rules
    and not rejected: so a unit nobody has reviewed yet still gets a (rougher) picture, and a
    person's rejection always wins. Neutral tags are in neither list. Ties go to the tag with
    more confirmations. Examples: up to `examples` quotes, confirmed ones first, newest first.
    `unit` None: all units together.
    """
    async with store.read() as tx:
        ranked = _ranked(await _counts(tx.feedback, taxonomy, unit))
        result: dict[str, list[Theme]] = {"strengths": [], "improvements": []}
        for key, polarity in (("strengths", "strength"), ("improvements", "improvement")):
            chosen = [(t, total) for t, total in ranked if taxonomy.polarity(t) == polarity][:n]
            for tag_id, count in chosen:
                quotes = await tx.feedback.examples(tag_id, unit, examples)
                result[key].append(Theme(tag_id, count, quotes))
    return result


def _ranked(counts: list[TagCount]) -> list[tuple[str, int]]:
    """Tags with their totals over the units, most first (ties: more confirmations first)."""
    merged: dict[str, list[int]] = {}
    for c in counts:
        total = merged.setdefault(c.tag, [0, 0])
        total[0] += c.total
        total[1] += c.confirmed
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    return [(tag_id, totals[0]) for tag_id, totals in ranked]
