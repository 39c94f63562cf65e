"""What a text costs as SMS: GSM-7 or UCS-2, and how many segments (3GPP TS 23.038 / 23.040)."""

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

_SINGLE = {"GSM-7": 160, "UCS-2": 70}
_PART = {"GSM-7": 153, "UCS-2": 67}


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SmsCost:
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    offending: str  # the characters that forced UCS-2, in order of first appearance


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXTENDED for ch in text)


def measure(text: str) -> SmsCost:
    offending = "".join(
        dict.fromkeys(ch for ch in text if ch not in _BASIC and ch not in _EXTENDED)
    )
    if not offending:
        widths = [2 if ch in _EXTENDED else 1 for ch in text]
        return SmsCost(Encoding.GSM7, sum(widths), _segments(widths, Encoding.GSM7), "")
    widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SmsCost(Encoding.UCS2, sum(widths), _segments(widths, Encoding.UCS2), offending)


def _segments(widths: list[int], encoding: Encoding) -> int:
    """Pack characters greedily into parts; an escape pair or a surrogate pair never splits."""
    if sum(widths) <= _SINGLE[encoding.value]:
        return 1
    limit = _PART[encoding.value]
    parts, used = 1, 0
    for width in widths:
        if used + width > limit:
            parts, used = parts + 1, 0
        used += width
    return parts
