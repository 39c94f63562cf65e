"""When a reply asks for a language, and when a detected language switches (engine.language)."""

from __future__ import annotations

import pytest

from smsbot.engine.language import (
    SWITCH_MIN_CONFIDENCE,
    Detected,
    detected_switch,
    requested,
    words,
)

FLOW = ("sv", "fi", "en")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("på svenska", "sv"),
        ("På svenska, tack!", "sv"),
        ("PÅ SVENSKA", "sv"),
        ("svenska tack", "sv"),
        ("ruotsiksi", "sv"),
        ("suomeksi", "fi"),
        ("Suomeksi kiitos", "fi"),
        ("suomeksi, kiitos!", "fi"),
        ("på finska", "fi"),
        ("In English please", "en"),
        ("in english", "en"),
        ("English, thanks", "en"),
        ("englanniksi", "en"),
        ("på engelska", "en"),
    ],
)
def test_a_request_for_a_language(text: str, language: str) -> None:
    assert requested(text) == language


@pytest.mark.parametrize(
    "text", ["5", "ja", "Jag talar svenska hemma men", "svenska är svårt", "kiitos", "", "tack"]
)
def test_a_reply_that_only_mentions_a_language_asks_for_none(text: str) -> None:
    assert requested(text) is None


def test_words_are_those_with_a_letter() -> None:
    assert words("3 lång kö !") == ["lång", "kö"]


@pytest.mark.parametrize(
    ("text", "detected", "current", "switch"),
    [
        ("En ymmärrä ruotsia", Detected("fi", SWITCH_MIN_CONFIDENCE), "sv", "fi"),
        ("En ymmärrä ruotsia", Detected("fi", SWITCH_MIN_CONFIDENCE - 0.01), "sv", None),
        ("En ymmärrä", Detected("fi", 1.0), "sv", None),
        ("4 en ymmärrä", Detected("fi", 1.0), "sv", None),  # the digit is no word
        ("En ymmärrä ruotsia", Detected("fi", 1.0), "fi", None),
        ("Ich verstehe nicht", Detected("de", 1.0), "sv", None),
        ("Jag förstår inte", None, "fi", None),
    ],
)
def test_a_detected_switch(
    text: str, detected: Detected | None, current: str, switch: str | None
) -> None:
    assert detected_switch(text, detected, current, FLOW) == switch
