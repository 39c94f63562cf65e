"""The reply's language: when a conversation switches to another of the flow's languages.

Pure. The detector itself (lingua, smsbot.feedback.language) runs before the engine is called,
and its verdict comes in as a `Detected` value: the engine stays a function of its inputs, the
case files state the verdict as data, and no detector is built to test a conversation.

Two ways to switch, at most once per conversation:
- the citizen asks: "på svenska", "suomeksi", "in English" (and close variants), the whole reply;
- the citizen clearly writes in another of the flow's languages: a detected language with a
  confidence of at least SWITCH_MIN_CONFIDENCE, in a reply of at least SWITCH_MIN_WORDS words.
  Wrong switches are worse than none: a less certain or shorter reply never switches.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "SWITCH_MIN_CONFIDENCE",
    "SWITCH_MIN_WORDS",
    "Detected",
    "detected_switch",
    "requested",
    "words",
]

SWITCH_MIN_CONFIDENCE = 0.95  # measured: tests/feedback/test_language_accuracy.py
SWITCH_MIN_WORDS = 3

# The whole reply (lower case, diacritics kept, punctuation and politeness words dropped).
_REQUESTS: dict[str, tuple[str, ...]] = {
    "sv": (
        "på svenska",
        "svenska",
        "pa svenska",
        "på svenska istället",
        "kan vi ta det på svenska",
        "kan du skriva på svenska",
        "skriv på svenska",
        "ruotsiksi",
        "in swedish",
        "swedish",
    ),
    "fi": (
        "suomeksi",
        "suomi",
        "suomeksi kiitos",
        "voitko kirjoittaa suomeksi",
        "kirjoita suomeksi",
        "saanko suomeksi",
        "på finska",
        "finska",
        "pa finska",
        "in finnish",
        "finnish",
    ),
    "en": (
        "in english",
        "english",
        "english please",
        "can you write in english",
        "på engelska",
        "engelska",
        "pa engelska",
        "englanniksi",
        "englanti",
    ),
}
_POLITE = frozenset({"please", "tack", "kiitos", "thanks", "thank", "you", "pls", "plz"})


@dataclass(frozen=True)
class Detected:
    """The detector's verdict on one reply: the likeliest of the flow's languages."""

    language: str
    confidence: float  # 0..1, lingua's relative confidence among the flow's languages


def words(text: str) -> list[str]:
    """The words of a reply that hold a letter ("3 lång kö" has two)."""
    return [w for w in text.split() if any(c.isalpha() for c in w)]


def _plain(text: str) -> str:
    kept = "".join(c if c.isalnum() or c.isspace() else " " for c in text)
    folded = unicodedata.normalize("NFC", kept.casefold())
    return " ".join(w for w in folded.split() if w not in _POLITE)


_BY_PHRASE = {phrase: lang for lang, phrases in _REQUESTS.items() for phrase in phrases}


def requested(text: str) -> str | None:
    """The language a reply asks for ("På svenska, tack!" -> "sv"); None if it asks for none."""
    return _BY_PHRASE.get(_plain(text))


def detected_switch(
    text: str, detected: Detected | None, current: str, languages: Sequence[str]
) -> str | None:
    """The language a reply is clearly written in, if it is another of the flow's `languages`
    than `current`; None when unsure (too short, not confident enough) or the same language."""
    if detected is None or detected.language == current or detected.language not in languages:
        return None
    if detected.confidence < SWITCH_MIN_CONFIDENCE or len(words(text)) < SWITCH_MIN_WORDS:
        return None
    return detected.language
