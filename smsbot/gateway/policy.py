"""Whether and when a survey goes out for a service event: opt-out, busy, fatigue, delay,
quiet hours and maximum age.

A trial event (`"trial": true`: someone trying a flow, e.g. the README's quick start at night)
starts at once: delay, quiet hours and maximum age are for real citizens' surveys. Opt-out and
busy still hold (STOP is forever, and one conversation per number at a time). Fatigue does not
apply to a trial: it protects citizens from being surveyed too often, counts only real surveys
(the caller leaves trial conversations out of `History.last_surveyed_at`), and a tester tries
a flow again and again on purpose.

Pure: no I/O, no clock. The caller looks up the person's `History` and passes `now`. All
arithmetic is done in UTC; quiet hours are wall-clock times in a zone (zoneinfo), so a night
across a DST change is as long as it really is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsbot.domain import ServiceEvent
from smsbot.engine.model import Flow

__all__ = [
    "Action",
    "Decision",
    "History",
    "SendingRules",
    "decide",
    "max_age_seconds",
    "next_allowed",
]

Action = Literal["start", "schedule", "skip"]


@dataclass(frozen=True)
class SendingRules:
    """The global rules (config [survey]); a flow's schedule overrides them field by field."""

    timezone: str  # IANA name, e.g. Europe/Stockholm
    quiet_start: str  # "21:00"; quiet hours may wrap midnight
    quiet_end: str  # "08:00"; equal to quiet_start = no quiet hours
    max_age_seconds: int  # a survey due later than this after its event is dropped
    fatigue_days: int  # not surveyed again within this many days; 0 = no limit

    def __post_init__(self) -> None:
        _zone(self.timezone)
        _clock(self.quiet_start)
        _clock(self.quiet_end)


@dataclass(frozen=True)
class History:
    """Facts about the person the caller looked up."""

    opted_out: bool
    active_conversation: bool
    last_surveyed_at: datetime | None


@dataclass(frozen=True)
class Decision:
    """What to do; `reason` is a stable string counted in metrics and reports.

    start: now, trial | skip: opted_out, busy, fatigue, too_old | schedule: delay, quiet_hours.
    `due_at` (UTC) is set for schedule only.
    """

    action: Action
    reason: str
    due_at: datetime | None


def decide(
    event: ServiceEvent, flow: Flow, rules: SendingRules, history: History, now: datetime
) -> Decision:
    """The decision for one event at `now` (aware); the first rule that applies wins."""
    skip = _history_skip(rules, history, now, fatigue=not event.trial)
    if skip is not None:
        return Decision("skip", skip, None)
    if event.trial:
        return Decision("start", "trial", None)
    now = now.astimezone(UTC)
    occurred = event.occurred_at.astimezone(UTC)
    due = max(occurred + timedelta(seconds=flow.schedule.delay_seconds), now)
    allowed = _out_of_quiet_hours(due, flow, rules)
    if allowed - occurred > timedelta(seconds=max_age_seconds(flow, rules)):
        return Decision("skip", "too_old", None)
    if allowed <= now:
        return Decision("start", "now", None)
    return Decision("schedule", "quiet_hours" if allowed != due else "delay", allowed)


def next_allowed(moment: datetime, quiet_start: str, quiet_end: str, tz: ZoneInfo) -> datetime:
    """`moment` if outside quiet hours, else the end of those quiet hours (same tzinfo).

    Quiet hours are local wall-clock times in `tz` and wrap midnight when start > end
    ("21:00"-"08:00"); start == end means none. An end that does not exist that night
    (skipped by a DST change) ends at the change; one that exists twice ends at the first.
    """
    start, end = _clock(quiet_start), _clock(quiet_end)
    local = moment.astimezone(tz)
    wall = local.time().replace(tzinfo=None)
    if not _is_quiet(wall, start, end):
        return moment
    end_day = local.date() + timedelta(days=1 if start > end and wall >= start else 0)
    ends_at = _first_instant(datetime.combine(end_day, end), tz)
    return ends_at.astimezone(moment.tzinfo) if ends_at > moment else moment


# --- helpers -----------------------------------------------------------------------------------


def _history_skip(
    rules: SendingRules, history: History, now: datetime, *, fatigue: bool
) -> str | None:
    if history.opted_out:
        return "opted_out"
    if history.active_conversation:
        return "busy"
    last = history.last_surveyed_at
    if fatigue and last is not None and now - last < timedelta(days=rules.fatigue_days):
        return "fatigue"
    return None


def _out_of_quiet_hours(due: datetime, flow: Flow, rules: SendingRules) -> datetime:
    schedule = flow.schedule
    return next_allowed(
        due,
        schedule.quiet_start or rules.quiet_start,
        schedule.quiet_end or rules.quiet_end,
        _zone(schedule.timezone or rules.timezone),
    )


def max_age_seconds(flow: Flow, rules: SendingRules) -> int:
    """How old a survey may be when it is due: the flow's max_age, else the configured one."""
    if flow.schedule.max_age_seconds is not None:
        return flow.schedule.max_age_seconds
    return rules.max_age_seconds


def _is_quiet(wall: time, start: time, end: time) -> bool:
    if start < end:
        return start <= wall < end
    if start > end:
        return wall >= start or wall < end
    return False


def _first_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) whose local time in `tz` is `wall` or, in a DST gap, after it."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first <= second:  # an ordinary time (equal) or one that exists twice (fall back)
        return first
    # In a gap fold=1 maps before the change and fold=0 after it: find the change itself.
    before, after = int(second.timestamp()), int(first.timestamp())
    offset_after = first.astimezone(tz).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def _clock(text: str) -> time:
    """'21:00' -> time(21, 0); raises ValueError naming the bad value."""
    try:
        parsed = time.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"not a time of day (HH:MM): {text!r}") from None
    if parsed.tzinfo is not None:
        raise ValueError(f"a time of day without a zone (HH:MM): {text!r}")
    return parsed


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone: {name!r}") from error
