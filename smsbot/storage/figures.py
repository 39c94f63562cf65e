"""What crosses the storage boundary for results: the report filter in, rows per group out.

Pure values (no SQL, no I/O): `smsbot.results` builds figures from them, and a store's
`Results` and `Exports` repositories (smsbot.storage.ports) take and give them. A group key is
the value of the filter's `group_by` (None without one); a question cell is keyed by (group
key, flow id, question id).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = [
    "BANDS",
    "GROUPINGS",
    "GROUP_BY",
    "NAME",
    "AnswerProfile",
    "Cell",
    "ConversationCounts",
    "CrossQuestions",
    "DriverQuestions",
    "EventCounts",
    "ExportScope",
    "FirstReplies",
    "HourCounts",
    "HourSums",
    "Key",
    "Moments",
    "ReportFilter",
    "ReportFilterError",
    "SmsCost",
    "iso",
]

GROUPINGS = ("unit", "service", "channel", "flow", "language")  # group_by on a column
GROUP_BY = (*GROUPINGS, "attributes.<name>")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

# Wait bands for the drivers report: (label, upper bound in seconds, inclusive; None = no bound).
BANDS: tuple[tuple[str, float | None], ...] = (
    ("0-60s", 60),
    ("1-3min", 180),
    ("3-5min", 300),
    ("5-10min", 600),
    (">10min", None),
)

Key = str | None  # a group's key
Cell = tuple[str | None, str, str]  # group key, flow id, question id


class ReportFilterError(ValueError):
    """A filter that cannot be used (unknown group_by, bad attribute name, since >= until, a
    flow, unit or service that nothing has)."""


# --- the filter ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilter:
    flow: str | None = None
    since: datetime | None = None  # naive = UTC
    until: datetime | None = None
    unit: str | None = None
    service: str | None = None
    channel: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    group_by: str | None = None
    include_trials: bool = False  # trials are left out of every figure unless asked for

    def __post_init__(self) -> None:
        if self.group_by is not None and self.group_by not in GROUPINGS:
            name = self.group_by.removeprefix("attributes.")
            if not self.group_by.startswith("attributes.") or not NAME.fullmatch(name):
                raise ReportFilterError(
                    f"group_by: expected one of {', '.join(GROUP_BY)}, got {self.group_by!r}"
                )
        for name in self.attributes:
            if not NAME.fullmatch(name):
                raise ReportFilterError(f"attribute name {name!r}: expected letters, digits, _")
        since, until = _utc(self.since), _utc(self.until)
        if since is not None and until is not None and since >= until:
            raise ReportFilterError("since must be before until")

    def to_dict(self) -> dict[str, object]:
        return {
            "flow": self.flow,
            "since": iso(self.since),
            "until": iso(self.until),
            "unit": self.unit,
            "service": self.service,
            "channel": self.channel,
            "attributes": dict(self.attributes),
            "group_by": self.group_by,
            "include_trials": self.include_trials,
        }


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """A moment in UTC as stored (ISO 8601, milliseconds); naive means UTC."""
    utc = _utc(moment)
    return None if utc is None else utc.isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class DriverQuestions:
    """What the drivers report explains: a flow's satisfaction (scale) question, the yes/no
    question that says whether the matter was resolved (or none), and a numeric attribute."""

    satisfaction: str
    resolved: str | None
    attribute: str


@dataclass(frozen=True)
class CrossQuestions:
    """What a cross-tabulation reads: the understood answers to `question` of `flow`, split by
    `by`: another question of the flow (`by_question`), else an event column ("unit",
    "service", "channel", "language") or "attributes.<name>"."""

    flow: str
    question: str
    by: str
    by_question: bool


@dataclass(frozen=True)
class ExportScope:
    """Which rows an export holds: a flow, from a moment on, trials or not."""

    flow: str | None = None
    since: datetime | None = None
    include_trials: bool = False


# --- rows per group ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationCounts:
    """Surveys of a group: started (sent), answered at least once, and by how they stand."""

    started: int
    answered: int
    completed: int
    opted_out: int
    undeliverable: int
    expired: int
    active: int


@dataclass(frozen=True)
class EventCounts:
    """Service events of a group, by what was decided."""

    received: int
    started: int
    scheduled: int
    skipped: int


@dataclass(frozen=True)
class FirstReplies:
    """Seconds from a survey's start to its first reply, in a group: n replies, the delays at
    the ranks the median and p90 need (1-based rank -> seconds), and how many came within an
    hour and a day."""

    n: int
    seconds_at: Mapping[int, float]
    within_hour: int
    within_day: int


@dataclass(frozen=True)
class SmsCost:
    """Outbound SMS sent for a group's surveys, in one currency (None: not reported)."""

    currency: str | None
    sms: int
    segments: int
    price: float | None
    unpriced: int


@dataclass(frozen=True)
class HourCounts:
    """Surveys started in one UTC hour ("2026-11-01T08"), answered and completed."""

    hour: str
    sent: int
    answered: int
    completed: int


@dataclass(frozen=True)
class AnswerProfile:
    """Surveys of one flow in a group, started on one UTC day ("2026-11-01"), that gave the
    same latest understood answers to the questions asked about (None: no answer; a scale's
    answer is a number, the others' text), and how many there are."""

    key: Key
    day: str
    values: tuple[object, ...]
    n: int


@dataclass(frozen=True)
class HourSums:
    """Understood answers to a satisfaction question in one UTC hour, and their sum."""

    hour: str
    n: int
    total: float


@dataclass(frozen=True)
class Moments:
    """Per group and wait band: n, the satisfaction total, and sums centred on the group's
    means (two passes, so r stays exact for large or offset values)."""

    n: int
    total: float
    sxy: float
    sxx: float
    syy: float
    flat: bool = False  # every x, or every y, of the group is the same value

    def __add__(self, other: Moments) -> Moments:
        return Moments(
            self.n + other.n,
            self.total + other.total,
            self.sxy + other.sxy,
            self.sxx + other.sxx,
            self.syy + other.syy,
            self.flat or other.flat,
        )

    def pearson(self) -> float | None:
        """r; None with fewer than 3 pairs or no variance in either."""
        if self.n < 3 or self.flat or self.sxx <= 0 or self.syy <= 0:
            return None
        r = self.sxy / math.sqrt(self.sxx * self.syy)
        return round(max(-1.0, min(1.0, r)), 4)
