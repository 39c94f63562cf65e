"""Which of the flow's languages a reply is written in: lingua, limited to sv, fi and en.

lingua (PyPI lingua-language-detector) is made for short texts. Its detector is expensive to
build (models for each language: some 0.7 s and tens of MB), so one is built per process and per
set of languages, on first use, with only the languages asked for. The verdict goes to the
engine as a value (smsbot.engine.language.Detected), which decides whether it switches.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from smsbot.engine.language import Detected

__all__ = ["SUPPORTED", "TAG_MIN_CONFIDENCE", "detect", "detector", "tagging_language"]

_LINGUA = {"sv": Language.SWEDISH, "fi": Language.FINNISH, "en": Language.ENGLISH}
SUPPORTED = tuple(_LINGUA)  # the languages the project's flows are written in
# Tag rules follow the reply's language from this confidence on (the most confident wrong
# guess measured was 0.70: tests/feedback/test_language_accuracy.py); below it, the
# conversation's language. A wrong language here costs less than a wrong switch: a rule missed.
TAG_MIN_CONFIDENCE = 0.75


@cache
def detector(languages: frozenset[str]) -> LanguageDetector | None:
    """The detector for these languages (those of SUPPORTED), built once per process; None
    when fewer than two of them remain (nothing to choose between)."""
    wanted = [_LINGUA[code] for code in sorted(languages) if code in _LINGUA]
    if len(wanted) < 2:
        return None
    return LanguageDetectorBuilder.from_languages(*wanted).with_preloaded_language_models().build()


def tagging_language(
    conversation_language: str, reply_language: str | None, confidence: float | None
) -> str:
    """The language whose tag rules read a reply: the reply's own when the detector was sure
    enough (a Finnish comment in a Swedish conversation), else the conversation's."""
    if reply_language is not None and (confidence or 0.0) >= TAG_MIN_CONFIDENCE:
        return reply_language
    return conversation_language


def detect(text: str, languages: Iterable[str]) -> Detected | None:
    """The likeliest of `languages` for `text`, with lingua's confidence (relative to the other
    languages); None for a reply with no letters ("5") or when there is nothing to choose."""
    if not any(c.isalpha() for c in text):
        return None
    found = detector(frozenset(languages))
    if found is None:
        return None
    values = found.compute_language_confidence_values(text)
    if not values or values[0].value <= 0.0:
        return None
    best = values[0]
    return Detected(best.language.iso_code_639_1.name.lower(), best.value)
