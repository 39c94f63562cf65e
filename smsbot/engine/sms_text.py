"""What a text costs as SMS: GSM-7 or UCS-2, and how many segments (3GPP TS 23.038 / 23.040).

A text that fits the GSM 03.38 default alphabet is sent in GSM-7: 160 septets in one SMS, 153 per
part when concatenated (the user data header takes the rest). The extension table's characters
(€ [ ] { } | ^ ~ \\ and form feed) are an escape septet plus one, so they cost two and a part
never splits the pair. Any other character turns the whole text into UCS-2: 70 UTF-16 code units
in one SMS, 67 per part, and a part never splits a surrogate pair (an emoji costs two).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Encoding", "SmsCost", "is_gsm7", "measure"]

# The GSM 03.38 default alphabet (basic table), one septet each.
_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: an escape septet plus one, so two septets each.
_EXTENDED = frozenset("^{}\\[~]|€\f")
_GSM7 = _BASIC | _EXTENDED


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


_SINGLE = {Encoding.GSM7: 160, Encoding.UCS2: 70}  # units in a lone SMS
_PART = {Encoding.GSM7: 153, Encoding.UCS2: 67}  # units in each part of a concatenated SMS


@dataclass(frozen=True)
class SmsCost:
    encoding: Encoding
    units: int  # septets (GSM-7, extension characters count 2) or UTF-16 code units (UCS-2)
    segments: int  # SMS billed; an empty text is one
    offending: str  # the distinct characters that forced UCS-2, in order of first appearance


def is_gsm7(text: str) -> bool:
    """True if every character is in the GSM 03.38 basic or extension table."""
    return all(ch in _GSM7 for ch in text)


def measure(text: str) -> SmsCost:
    offending = "".join(dict.fromkeys(ch for ch in text if ch not in _GSM7))
    if offending:
        encoding, widths = Encoding.UCS2, [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    else:
        encoding, widths = Encoding.GSM7, [2 if ch in _EXTENDED else 1 for ch in text]
    return SmsCost(encoding, sum(widths), _segments(widths, encoding), offending)


def _segments(widths: list[int], encoding: Encoding) -> int:
    """Pack characters greedily into parts; an escape pair or a surrogate pair never splits."""
    if sum(widths) <= _SINGLE[encoding]:
        return 1
    limit = _PART[encoding]
    parts, used = 1, 0
    for width in widths:
        if used + width > limit:
            parts, used = parts + 1, 0
        used += width
    return parts
