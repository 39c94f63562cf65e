"""CSV that a spreadsheet shows as text and never runs: the one writer for every CSV we write.

OWASP's advice on CSV injection: a cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return can be taken for a formula by Excel, LibreOffice or Google Sheets
(`=HYPERLINK(...)` in a citizen's free text would become a live link that can send the row's
other cells away). Such a text cell is written with a single quote (') in front, which the
spreadsheet shows as text. Only text (str) is changed: an int or float we write as a number
stays a number (-3, -25.0), since it is our figure and not a formula, and a spreadsheet can
still compute with it. JSON Lines exports do not use this: they keep the raw value.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

__all__ = ["FORMULA_STARTS", "SafeWriter", "cell", "writer"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def cell(value: object) -> object:
    """`value` as it may go into a CSV cell: text that could start a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


class SafeWriter:
    """`csv.writer` whose rows pass through `cell` first."""

    def __init__(self, out: TextIO, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([cell(value) for value in row])


def writer(out: TextIO, **options: Any) -> SafeWriter:
    """A CSV writer on `out` (options as for `csv.writer`) that neutralises formulas."""
    return SafeWriter(out, **options)
