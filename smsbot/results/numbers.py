"""How smsbot writes a number for people: the one formatter of the report tables
(smsbot.results.render), the dashboard (smsbot.results.dashboard) and the web pages' charts.

A figure that is missing (None, or not a number) is written `NONE`. A suppressed figure is
the caller's business (the table writes `—`, the pages `TOO_FEW`).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "NONE",
    "TOO_FEW",
    "correlation",
    "count",
    "duration",
    "mean",
    "median",
    "minutes",
    "money",
    "pct",
    "plain",
    "short",
    "signed",
    "whole",
]

NONE = "-"
TOO_FEW = "too few answers"  # a suppressed figure on a page


def whole(value: object) -> str:
    """A count as it is: 1234."""
    return NONE if value is None else str(value)


def count(value: object) -> str:
    """A count for reading, thousands apart: 1 234."""
    return f"{value:,}".replace(",", " ") if isinstance(value, int) else NONE


def pct(value: object) -> str:
    """A percentage, one decimal: 33.3 %."""
    return f"{value:.1f} %" if isinstance(value, int | float) else NONE


def mean(value: object) -> str:
    """A mean: two decimals."""
    return f"{value:.2f}" if isinstance(value, int | float) else NONE


def plain(value: float) -> str:
    """Up to two decimals, without trailing zeros: 5, 3.67, 6.5."""
    return mean(value).rstrip("0").rstrip(".")


def short(value: float) -> str:
    """One decimal, none when it is 0: 12, 12.5 (chart labels, ticks and coordinates)."""
    return f"{value:.1f}".removesuffix(".0")


def median(value: object) -> str:
    """A median of whole answers: whole, or .5 between two of them."""
    if not isinstance(value, int | float):
        return NONE
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def signed(value: object) -> str:
    """A score that can be below zero (NPS), one decimal with its sign: +12.5, -3.0."""
    return f"{value:+.1f}" if isinstance(value, int | float) else NONE


def correlation(value: object) -> str:
    """Pearson r, two decimals with its sign: +0.42."""
    return f"{value:+.2f}" if isinstance(value, int | float) else NONE


def duration(seconds: object) -> str:
    """A delay in a table: 45s, 3m 05s, 2h 07m, 1d 4h."""
    if not isinstance(seconds, int | float):
        return NONE
    whole_seconds = round(seconds)
    days, rest = divmod(whole_seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def minutes(seconds: object) -> str:
    """A delay on a page, to the minute: 5 min, 2 h 07 min."""
    if not isinstance(seconds, int | float):
        return NONE
    total = round(seconds / 60)
    if total < 60:
        return f"{total} min"
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest:02d} min"


def money(prices: object) -> str:
    """Amounts per currency, two decimals: 12.40 SEK, 1.05 EUR."""
    if not isinstance(prices, Mapping) or not prices:
        return NONE
    return ", ".join(
        f"{value:.2f} {currency}" if isinstance(value, int | float) else f"- {currency}"
        for currency, value in prices.items()
    )
