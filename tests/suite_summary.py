"""One line per part of the fault and bad-input suite, with what it actually tried.

Tests count as they go, and at the end of the session the lines are printed under a header
"fault and bad-input suite" and written to tests/artefacts/suite-summary.txt (gitignored), so
the totals can be quoted in the README:

    from tests.suite_summary import tally
    tally("crash", "kills")                  # +1
    tally("crash", "replies", 300)           # +300
    seen("contract", "operations", "POST /v1/events")   # counts distinct values

A line reads `part: <n> <label>, <n> <label>, ...`, labels in the order first counted.
`summary(part, text)` (also a fixture) adds free text after the counts. Only parts that
counted something are printed: a run of one file prints that file's lines only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = ["SUITE", "Suite", "seen", "summary", "tally"]

HEADER = "fault and bad-input suite"
ARTEFACT = Path(__file__).resolve().parent / "artefacts" / "suite-summary.txt"
# Parts in the order the README lists them; any other part follows, in the order first seen.
ORDER = ("crash", "provider faults", "duplicates", "bad input", "contract", "security")


def _number(n: int) -> str:
    """10000 -> '10 000' (a space between thousands, as the README writes them)."""
    return f"{n:,}".replace(",", " ")


@dataclass
class _Part:
    counts: Counter[str] = field(default_factory=Counter)
    distinct: dict[str, set[str]] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)  # first-counted order, counts and distinct
    notes: list[str] = field(default_factory=list)

    def label(self, name: str) -> None:
        if name not in self.labels:
            self.labels.append(name)

    def line(self) -> str:
        items = [
            _number(len(self.distinct[name]) if name in self.distinct else self.counts[name])
            + f" {name}"
            for name in self.labels
        ]
        return ", ".join(items + self.notes)


@dataclass
class Suite:
    parts: dict[str, _Part] = field(default_factory=dict)

    def _part(self, part: str) -> _Part:
        return self.parts.setdefault(part, _Part())

    def tally(self, part: str, label: str, n: int = 1) -> None:
        entry = self._part(part)
        entry.label(label)
        entry.counts[label] += n

    def seen(self, part: str, label: str, value: str) -> None:
        entry = self._part(part)
        entry.label(label)
        entry.distinct.setdefault(label, set()).add(value)

    def summary(self, part: str, text: str) -> None:
        self._part(part).notes.append(text)

    def lines(self) -> list[str]:
        names = sorted(self.parts, key=lambda p: ORDER.index(p) if p in ORDER else len(ORDER))
        return [f"{name}: {self.parts[name].line()}" for name in names]


SUITE = Suite()
tally = SUITE.tally
seen = SUITE.seen
summary = SUITE.summary


@pytest.fixture(name="summary")
def summary_fixture() -> Callable[[str, str], None]:
    """`summary("crash", "25 kills, ...")`: free text for a part's line."""
    return SUITE.summary


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = SUITE.lines()
    if not lines:
        return
    terminalreporter.write_sep("=", HEADER)
    for line in lines:
        terminalreporter.write_line(line)
    ARTEFACT.parent.mkdir(exist_ok=True)
    ARTEFACT.write_text(f"{HEADER}\n" + "".join(f"{line}\n" for line in lines), encoding="utf-8")
