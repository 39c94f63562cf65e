"""The one number formatter: what tables and pages write for each kind of figure."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from smsbot.results import numbers

CASES: list[tuple[Callable[..., str], object, str]] = [
    (numbers.whole, 1234, "1234"),
    (numbers.whole, None, "-"),
    (numbers.count, 1234567, "1 234 567"),
    (numbers.count, None, "-"),
    (numbers.pct, 33.3, "33.3 %"),
    (numbers.pct, 50.0, "50.0 %"),
    (numbers.pct, 100 * 2 / 3, "66.7 %"),
    (numbers.pct, None, "-"),
    (numbers.mean, 3.5, "3.50"),
    (numbers.mean, "x", "-"),
    (numbers.plain, 5.0, "5"),
    (numbers.plain, 3.667, "3.67"),
    (numbers.plain, 6.5, "6.5"),
    (numbers.short, 12.0, "12"),
    (numbers.short, 12.46, "12.5"),
    (numbers.median, 4.0, "4"),
    (numbers.median, 4.5, "4.5"),
    (numbers.median, None, "-"),
    (numbers.signed, 12.5, "+12.5"),
    (numbers.signed, -3.0, "-3.0"),
    (numbers.signed, None, "-"),
    (numbers.correlation, 0.4211, "+0.42"),
    (numbers.correlation, None, "-"),
    (numbers.duration, 45.4, "45s"),
    (numbers.duration, 185, "3m 05s"),
    (numbers.duration, 7620, "2h 07m"),
    (numbers.duration, 100800, "1d 4h"),
    (numbers.duration, None, "-"),
    (numbers.minutes, 290, "5 min"),
    (numbers.minutes, 7620, "2 h 07 min"),
    (numbers.minutes, None, "-"),
    (numbers.money, {"SEK": 12.4, "EUR": None}, "12.40 SEK, - EUR"),
    (numbers.money, {}, "-"),
]


@pytest.mark.parametrize(("write", "value", "expected"), CASES)
def test_a_number_is_written_one_way(
    write: Callable[..., str], value: object, expected: str
) -> None:
    assert write(value) == expected
