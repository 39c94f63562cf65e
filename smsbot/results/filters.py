"""Report filters as people write them: dates, flags and attributes from a query string or
the command line, into a `ReportFilter` (smsbot.storage.figures, where the filter is defined
because it crosses the storage boundary)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from smsbot.storage.figures import GROUP_BY, NAME, ReportFilter, ReportFilterError

__all__ = [
    "GROUP_BY",
    "ReportFilter",
    "ReportFilterError",
    "parse_attribute",
    "parse_flag",
    "parse_moment",
]


def parse_moment(text: str, tz: tzinfo = UTC, *, end: bool = False) -> datetime:
    """A date (2026-11-01) or a date and time (2026-11-01T08:00, with or without offset).

    Without an offset the time is in `tz`. A bare date is that day's start, or with `end` the
    next day's start, so `until=2026-11-30` includes the whole 30th (until is exclusive).
    """
    cleaned = text.strip()
    try:
        if len(cleaned) == 10:
            day = date.fromisoformat(cleaned)
            start = datetime(day.year, day.month, day.day, tzinfo=tz)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ReportFilterError(
            f"expected a date (2026-11-01) or a time (2026-11-01T08:00), got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def parse_flag(name: str, text: str) -> bool:
    """ "true" or "false" (any case) -> bool; a query parameter such as include_trials."""
    word = text.strip().lower()
    if word not in ("true", "false"):
        raise ReportFilterError(f"{name}: expected true or false, got {text!r}")
    return word == "true"


def parse_attribute(text: str) -> tuple[str, str]:
    """ "age_group=65+" -> ("age_group", "65+")."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not NAME.fullmatch(name):
        raise ReportFilterError(f"expected an attribute as name=value, got {text!r}")
    return name, value.strip()
