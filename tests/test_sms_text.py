"""SMS cost: encoding and segments per GSM 03.38, as tables."""

from __future__ import annotations

import pytest

from smsbot.engine.sms_text import Encoding, measure

CASES = [
    ("Hej! Hur nöjd är du med besöket på vårdcentralen?", Encoding.GSM7, 1, ""),
    ("Kiitos käynnistä! Vastaa 1-5. Ääkköset: åäöÅÄÖ", Encoding.GSM7, 1, ""),
    ("Ü é ñ ß Æ ø £ $ § @ _", Encoding.GSM7, 1, ""),
    ("x" * 160, Encoding.GSM7, 1, ""),
    ("x" * 161, Encoding.GSM7, 2, ""),
    ("x" * 306, Encoding.GSM7, 2, ""),
    ("x" * 307, Encoding.GSM7, 3, ""),
    ("€" * 80, Encoding.GSM7, 1, ""),
    ("€" * 81, Encoding.GSM7, 2, ""),
    ("ça va", Encoding.UCS2, 1, "ç"),
    ("Tack – hej", Encoding.UCS2, 1, "–"),
    ("Don’t … “quote”", Encoding.UCS2, 1, "’…“”"),
    ("Bra 😀", Encoding.UCS2, 1, "😀"),
    ("ç" * 70, Encoding.UCS2, 1, "ç"),
    ("ç" * 71, Encoding.UCS2, 2, "ç"),
    ("😀" * 35, Encoding.UCS2, 1, "😀"),
    ("😀" * 36, Encoding.UCS2, 2, "😀"),
    ("", Encoding.GSM7, 1, ""),
]


@pytest.mark.parametrize(("text", "encoding", "segments", "offending"), CASES)
def test_measure(text: str, encoding: Encoding, segments: int, offending: str) -> None:
    cost = measure(text)
    assert (cost.encoding, cost.segments) == (encoding, segments)
    if offending:
        assert cost.offending == offending


def test_units_count_escapes_and_surrogates() -> None:
    assert measure("a€").units == 3
    assert measure("a😀").units == 3


def test_an_escape_pair_never_splits_across_parts() -> None:
    text = "x" * 152 + "€" + "x" * 10  # the € would straddle the 153rd septet
    assert measure(text).segments == 2
    assert measure("x" * 152 + "€" * 77).segments == 3
