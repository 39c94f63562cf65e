"""Journeys as values: what a journey type is (smsbot.flows.journeys reads it from
`journeys.yaml`), what the store is asked about one, and the rows it gives back.

A journey is one person's path through a care chain (a referral, a sleep study, the device
fitting, a follow-up), across units and organisations. Service events carry it as
`journey: {id, step}`; the id is pseudonymous (the system that posts the events makes it) and
is never shown. A journey *type* is known by the start of its ids (`id_prefix`: "apnea-" for
"apnea-7f3a91"), and its steps, in order, by the `journey.step` value events send for them.
Each step names the flow whose surveys count for it and the scale question that is its
satisfaction. Pure values: no SQL, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["JourneyCounts", "JourneyQuery", "JourneyStep", "JourneyType", "words_in"]


def words_in(words: Mapping[str, str], lang: str, fallback: str) -> str:
    """Text in `lang`, else English, else the first language given, else `fallback`."""
    return words.get(lang) or words.get("en") or next(iter(words.values()), "") or fallback


@dataclass(frozen=True)
class JourneyStep:
    """One step: the `journey.step` value events send for it, its flow, and the scale question
    that is its satisfaction (None: the flow's csat-preset scale, else its first scale)."""

    id: str
    flow: str
    question: str | None = None
    title: Mapping[str, str] = field(default_factory=dict)  # per language

    def name(self, lang: str = "en") -> str:
        return words_in(self.title, lang, self.id)


@dataclass(frozen=True)
class JourneyType:
    """A kind of journey: its id, its title per language, how its journey ids start, and its
    steps in order."""

    id: str
    id_prefix: str
    steps: tuple[JourneyStep, ...]
    title: Mapping[str, str] = field(default_factory=dict)

    def name(self, lang: str = "en") -> str:
        return words_in(self.title, lang, self.id)


@dataclass(frozen=True)
class JourneyQuery:
    """What the store counts for one journey type: journeys whose id starts with `id_prefix`;
    per step (by position), the surveys of `flow` that events sent with `journey.step` = `step`,
    and the understood answers to `question` (None: no satisfaction for that step)."""

    id_prefix: str
    steps: tuple[tuple[str, str, str | None], ...]  # (journey.step, flow id, question id)


@dataclass(frozen=True)
class JourneyCounts:
    """The rows for one journey type, in the report filter's scope.

    journeys   distinct journey ids with a survey at any of the steps
    reached    per step position: distinct journey ids with a survey at that step
    surveys    per (step position, unit): (surveys sent, surveys with at least one reply)
    scores     per (step position, unit): understood answers to the step's question, by value
    """

    journeys: int
    reached: Mapping[int, int]
    surveys: Mapping[tuple[int, str | None], tuple[int, int]]
    scores: Mapping[tuple[int, str | None], Counter[int]]
