"""How well the language detector does on short replies, and how often it would switch wrongly.

Two sets: an independent one written for this (tests/feedback/data/short_replies.yaml: 70 short
replies per language), and the texts of the project's flows and test flows, each labelled by
the language key it stands under. A wrong switch is a reply that, in a conversation in its own
language, the engine would switch to another (detected language wrong, confident, long enough).
The figures are printed (`pytest -s`) and stated in the README (designers' section).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from smsbot.engine.language import SWITCH_MIN_CONFIDENCE, detected_switch, words
from smsbot.feedback.language import SUPPORTED, detect, detector

ROOT = Path(__file__).parents[2]
REPLIES = Path(__file__).parent / "data" / "short_replies.yaml"
FLOW_FILES = sorted([*ROOT.glob("flows/*.yaml"), *ROOT.glob("tests/**/cases/flows/*.yaml")])


@dataclass(frozen=True)
class Figures:
    language: str
    replies: int
    right: int
    long_enough: int  # replies of SWITCH_MIN_WORDS words or more
    would_switch: int  # of those, the ones that would switch a conversation in another language
    wrong_switches: int  # replies that would switch a conversation in their own language away

    def line(self, name: str) -> str:
        return (
            f"{name:12} {self.language}: {self.right}/{self.replies} right"
            f" ({self.right / self.replies:.0%}); {self.would_switch}/{self.long_enough} of"
            f" 3+ words would switch; {self.wrong_switches} wrong switches"
        )


def measure(language: str, texts: list[str]) -> Figures:
    right = long_enough = would_switch = wrong = 0
    for text in texts:
        found = detect(text, SUPPORTED)
        right += found is not None and found.language == language
        long_enough += len(words(text)) >= 3
        others = [lang for lang in SUPPORTED if lang != language]
        would_switch += detected_switch(text, found, others[0], SUPPORTED) == language
        wrong += detected_switch(text, found, language, SUPPORTED) is not None
    return Figures(language, len(texts), right, long_enough, would_switch, wrong)


def independent() -> dict[str, list[str]]:
    data: dict[str, list[str]] = yaml.safe_load(REPLIES.read_text(encoding="utf-8"))
    return data


def _texts(node: object) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SUPPORTED and isinstance(value, str):
                yield key, value
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def from_flows() -> dict[str, list[str]]:
    found: dict[str, set[str]] = {lang: set() for lang in SUPPORTED}
    for path in FLOW_FILES:
        for lang, text in _texts(yaml.safe_load(path.read_text(encoding="utf-8"))):
            found[lang].add(text)
    return {lang: sorted(texts) for lang, texts in found.items()}


def test_the_independent_set_has_60_short_replies_per_language_or_more() -> None:
    data = independent()
    assert set(data) == set(SUPPORTED)
    for texts in data.values():
        assert len(texts) >= 60
        assert len(set(texts)) == len(texts)
        assert all(1 <= len(words(t)) <= 10 for t in texts)


@pytest.mark.parametrize("language", SUPPORTED)
def test_on_the_independent_set_no_reply_would_switch_wrongly(language: str) -> None:
    figures = measure(language, independent()[language])
    print("\n" + figures.line("independent"))
    assert figures.wrong_switches == 0
    assert figures.right / figures.replies >= 0.95
    assert figures.would_switch / figures.long_enough >= 0.5  # it does switch, too


@pytest.mark.parametrize("language", SUPPORTED)
def test_on_the_flows_texts_no_text_would_switch_wrongly(language: str) -> None:
    texts = from_flows()[language]
    figures = measure(language, texts)
    print("\n" + figures.line("flows"))
    assert len(texts) >= 50
    assert figures.wrong_switches == 0
    assert figures.right / figures.replies >= 0.95


def test_a_wrong_guess_is_never_near_the_switch_threshold() -> None:
    """The margin: the most confident wrong guess on both sets stays well below it."""
    wrong = [
        found.confidence
        for data in (independent(), from_flows())
        for language, texts in data.items()
        for text in texts
        if (found := detect(text, SUPPORTED)) is not None and found.language != language
    ]
    print(f"\nmost confident wrong guess: {max(wrong, default=0):.2f}")
    assert max(wrong, default=0) < SWITCH_MIN_CONFIDENCE - 0.2


def test_the_detector_is_built_once_per_set_of_languages() -> None:
    assert detector(frozenset(SUPPORTED)) is detector(frozenset(SUPPORTED))
    assert detector(frozenset({"sv"})) is None  # nothing to choose between


def test_only_the_flows_languages_are_candidates() -> None:
    found = detect("The waiting time was far too long", ["sv", "fi"])
    assert found is not None and found.language in ("sv", "fi")
    assert detect("The waiting time was far too long", ["sv", "fi", "en"]) is not None


@pytest.mark.parametrize("text", ["5", "", "  ", "10!", ":)"])
def test_a_reply_without_letters_has_no_language(text: str) -> None:
    assert detect(text, SUPPORTED) is None
