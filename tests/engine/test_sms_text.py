"""SMS cost: encoding, units and segments per 3GPP TS 23.038 / 23.040, as tables."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsbot.engine.sms_text import Encoding, SmsCost, is_gsm7, measure

BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENDED = "^{}\\[~]|€\f"

G, U = Encoding.GSM7, Encoding.UCS2

# text, encoding, units, segments, offending
CASES: list[tuple[str, Encoding, int, int, str]] = [
    # Swedish and Finnish fit GSM-7
    ("Hej! Hur nöjd är du med besöket på vårdcentralen?", G, 49, 1, ""),
    ("Kiitos käynnistä! Vastaa 1-5.", G, 29, 1, ""),
    ("åäöÅÄÖ", G, 6, 1, ""),
    ("Ü é ñ ß Æ ø £ $ § @ _ ¿ ¡ à", G, 27, 1, ""),
    ("Svara JA eller NEJ.\nMvh, Akuten", G, 31, 1, ""),
    ("", G, 0, 1, ""),
    # the extension table costs two septets
    ("€", G, 2, 1, ""),
    ("a€", G, 3, 1, ""),
    ("[1-5] {ok} ~ | ^ \\", G, 26, 1, ""),
    ("\f", G, 2, 1, ""),
    # anything else forces UCS-2, and is named
    ("ça va", U, 5, 1, "ç"),
    ("Ça va", G, 5, 1, ""),  # Ç is in the basic table, ç is not
    ("Don’t", U, 5, 1, "’"),
    ("Tack – hej", U, 10, 1, "–"),
    ("Vänta…", U, 6, 1, "…"),
    ("“quote”", U, 7, 1, "“”"),
    ("Bra 😀", U, 6, 1, "😀"),
    ("á í ó ú ê ã œ á", U, 15, 1, "áíóúêãœ"),
    ("Don’t … “quote” ’…", U, 18, 1, "’…“”"),
    ("€ and ç", U, 7, 1, "ç"),  # in UCS-2 the € is one unit like any other
    ("👍🏽", U, 4, 1, "👍🏽"),  # an emoji and its skin tone modifier: two characters, 4 units
    # one segment up to 160 / 70 units, then 153 / 67 per part
    ("x" * 160, G, 160, 1, ""),
    ("x" * 161, G, 161, 2, ""),
    ("x" * 153 * 2, G, 306, 2, ""),
    ("x" * (153 * 2 + 1), G, 307, 3, ""),
    ("x" * 153 * 3, G, 459, 3, ""),
    ("€" * 80, G, 160, 1, ""),
    ("€" * 81, G, 162, 2, ""),
    ("x" * 159 + "€", G, 161, 2, ""),
    ("ç" * 70, U, 70, 1, "ç"),
    ("ç" * 71, U, 71, 2, "ç"),
    ("ç" * 67 * 2, U, 134, 2, "ç"),
    ("ç" * (67 * 2 + 1), U, 135, 3, "ç"),
    ("😀" * 35, U, 70, 1, "😀"),
    ("😀" * 36, U, 72, 2, "😀"),
]


@pytest.mark.parametrize(("text", "encoding", "units", "segments", "offending"), CASES)
def test_measure(text: str, encoding: Encoding, units: int, segments: int, offending: str) -> None:
    assert measure(text) == SmsCost(encoding, units, segments, offending)
    assert is_gsm7(text) is (encoding is Encoding.GSM7)


# an escape pair or a surrogate pair never straddles a part boundary
SPLITS: list[tuple[str, int]] = [
    ("x" * 152 + "€" + "x" * 10, 2),  # the € moves whole into part 2
    ("x" * 152 + "€" * 77, 3),  # 306 septets, yet the first part holds only 152
    ("x" * 153 + "€" * 76, 2),
    ("€" * 77 + "x" * 151, 2),  # 154 + 151: the 77th € starts part 2, which it fills
    ("€" * 77 + "x" * 152, 3),
    ("ç" * 66 + "😀" * 34, 3),  # 134 units, yet the first part holds only 66
    ("ç" * 67 + "😀" * 33, 2),
    ("😀" * 34 + "ç" * 67, 3),  # 68 + 67: the 34th emoji starts part 2, the last ç part 3
]


@pytest.mark.parametrize(("text", "segments"), SPLITS)
def test_pairs_never_split_across_parts(text: str, segments: int) -> None:
    assert measure(text).segments == segments


def test_the_whole_default_alphabet_is_gsm7() -> None:
    assert is_gsm7(BASIC + EXTENDED)
    cost = measure(BASIC + EXTENDED)
    assert (cost.encoding, cost.units) == (G, len(BASIC) + 2 * len(EXTENDED))
    assert len(set(BASIC)) == 127  # 128 positions, one of them the escape to the extension table


@pytest.mark.parametrize("char", ["\x1b", "\t", "`", "ç", "ÿ", "¢", "\u00a0", "ё", "\u200b"])
def test_characters_outside_the_alphabet(char: str) -> None:
    assert not is_gsm7(char)
    assert measure("ok " + char).offending == char


def test_encoding_is_a_string() -> None:
    assert f"{Encoding.GSM7}/{Encoding.UCS2}" == "GSM-7/UCS-2"


@given(st.text(max_size=400))
def test_any_text_is_costed_consistently(text: str) -> None:
    cost = measure(text)
    gsm = cost.encoding is Encoding.GSM7
    assert gsm is is_gsm7(text) is (cost.offending == "")
    assert set(cost.offending) == {ch for ch in text if not is_gsm7(ch)}
    assert len(cost.offending) == len(set(cost.offending))
    if not gsm:
        assert cost.units == len(text.encode("utf-16-le")) // 2
    single, part = (160, 153) if gsm else (70, 67)
    if cost.units <= single:
        assert cost.segments == 1
    else:  # at least the plain division, at most one more part per unit of slack
        assert math.ceil(cost.units / part) <= cost.segments <= math.ceil(cost.units / (part - 1))
