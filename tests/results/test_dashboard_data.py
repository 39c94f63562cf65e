"""The dashboard's own logic: filters from the query, and strengths and improvements."""

from __future__ import annotations

from datetime import date

import pytest

from smsbot.results.dashboard import (
    GOOD_NPS,
    STRENGTH_POINTS,
    Good,
    Measure,
    good_mean,
    parse_filters,
    profile,
)

ANYTHING = Good(-1000.0, "anything")  # for tests of the relative rule alone


def measure(
    key: str, value: float | None, low: float = 0, high: float = 100, good: Good = ANYTHING
) -> Measure:
    return Measure(key, key, 50, value, value is None, low, high, f"{value}", good)


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"flow": "nope"}, "There is no flow 'nope'"),
        ({"from": "23/11/2026"}, "From: expected a date like 2026-11-01"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "From is after To"),
    ],
)
def test_unusable_filters_are_left_out_and_said(query: dict[str, str], problem: str) -> None:
    filters, problems = parse_filters(query, ["contact"])
    assert len(problems) == 1 and problems[0].startswith(problem)
    assert filters.flow is None and filters.until is None


def test_good_filters_are_kept() -> None:
    query = {"flow": "contact", "from": "2026-11-01", "to": "2026-11-20", "unit": " Syd "}
    filters, problems = parse_filters(query, ["contact"])
    assert not problems
    assert (filters.flow, filters.since, filters.until, filters.unit) == (
        "contact",
        date(2026, 11, 1),
        date(2026, 11, 20),
        "Syd",
    )


def test_strengths_and_improvements_are_measured_in_points_of_each_range() -> None:
    everyone = [
        measure("response", 40.0),
        measure("nps", 10.0, -100, 100),
        measure("ces", 5.0, 1, 7),
        measure("hidden", 50.0),
    ]
    own = [
        measure("response", 40.0 + STRENGTH_POINTS),  # exactly the threshold: a strength
        measure(
            "nps", 10.0 - 2 * STRENGTH_POINTS * 0.9, -100, 100
        ),  # short of it on a 200-point range
        measure("ces", 5.0 - 0.6, 1, 7),  # 0.6 of a 6-point range = 10 points: an improvement
        measure("hidden", None),  # suppressed: never a strength or an improvement
    ]
    found = profile("Syd", own, everyone)
    assert [d.measure.key for d in found.strengths] == ["response"]
    assert [d.measure.key for d in found.improvements] == ["ces"]
    assert found.improvements[0].points == pytest.approx(-10.0)
    assert next(d for d in found.differences if d.measure.key == "hidden").points is None


# (unit's value, all units' value, the measure's range and what is good in it, a strength?)
ABSOLUTE = [
    (-25.0, -40.0, (-100, 100), GOOD_NPS, False),  # 7.5 points above the rest, still negative
    (0.0, -20.0, (-100, 100), GOOD_NPS, False),  # NPS 0 is not above 0
    (12.0, -5.0, (-100, 100), GOOD_NPS, True),
    (4.6, 3.5, (1, 7), good_mean("CES", 1, 7), False),  # easier than the rest, not easy
    (5.2, 4.5, (1, 7), good_mean("CES", 1, 7), True),
    (3.6, 3.0, (1, 5), good_mean("mean", 1, 5), False),  # below two thirds of 1-5
    (3.7, 3.0, (1, 5), good_mean("mean", 1, 5), True),
]


@pytest.mark.parametrize(("own", "everyone", "scale", "good", "strength"), ABSOLUTE)
def test_a_strength_is_good_in_itself_not_only_better_than_the_rest(
    own: float, everyone: float, scale: tuple[float, float], good: Good, strength: bool
) -> None:
    found = profile("Syd", [measure("m", own, *scale, good)], [measure("m", everyone, *scale)])
    assert [d.measure.key for d in found.strengths] == (["m"] if strength else [])
    assert found.differences[0].points is not None and found.differences[0].points >= 3


def test_what_is_good_says_itself() -> None:
    assert (good_mean("CES", 1, 7).level, good_mean("CES", 1, 7).words) == (5.0, "CES 5 or more")
    assert good_mean("mean", 0, 10).words == "a mean of 6.67 or more on 0-10"
    assert GOOD_NPS.words == "NPS above 0"
