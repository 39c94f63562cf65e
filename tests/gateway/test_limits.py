"""Limits per event source, as a table: what each request takes, and what it is answered."""

from __future__ import annotations

import pytest

from smsbot.gateway.limits import Limit, SourceLimits, retry_after

# (rate, burst, [(at second, events) ...], [expected wait for each, 0 = passes])
CASES = [
    ("a full bucket passes its burst", 1.0, 5, [(0, 5)], [0]),
    ("beyond the burst waits for the rate", 2.0, 5, [(0, 5), (0, 1)], [0, 0.5]),
    ("a refused request takes nothing", 1.0, 2, [(0, 2), (0, 2), (2, 2)], [0, 2.0, 0]),
    ("the bucket refills at the rate", 10.0, 10, [(0, 10), (0.5, 5), (0.5, 1)], [0, 0, 0.1]),
    ("never more than the burst", 100.0, 3, [(0, 3), (60, 4)], [0, 0]),
    ("a batch larger than the burst costs the burst", 1.0, 3, [(0, 50)], [0]),
]


@pytest.mark.parametrize(
    ("rate", "burst", "requests", "waits"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_source_is_held_to_its_rate_and_burst(
    rate: float, burst: int, requests: list[tuple[float, int]], waits: list[float]
) -> None:
    now = [0.0]
    limits = SourceLimits({"crm": Limit(rate, burst)}, clock=lambda: now[0])
    answered = []
    for at, events in requests:
        now[0] = at
        answered.append(limits.take("crm", events))
    assert answered == pytest.approx(waits)


def test_each_source_has_its_own_bucket_and_unknown_ones_are_not_limited() -> None:
    limits = SourceLimits({"crm": Limit(1, 1), "web": Limit(1, 1)}, clock=lambda: 0.0)
    assert limits.take("crm", 1) == 0 and limits.take("crm", 1) > 0
    assert limits.take("web", 1) == 0
    assert limits.take("elsewhere", 10**6) == 0


def test_refusals_are_logged_at_most_once_a_second_with_their_count() -> None:
    now = [0.0]
    limits = SourceLimits({"crm": Limit(1, 1)}, clock=lambda: now[0])
    limits.take("crm", 1)
    seen = []
    for at in (0.0, 0.1, 0.5, 1.2):
        now[0] = at
        limits.take("crm", 1)
        seen.append(limits.refusals_to_log("crm"))
    assert seen == [1, 0, 0, 2]


@pytest.mark.parametrize(("seconds", "header"), [(0.01, "1"), (1.0, "1"), (1.01, "2"), (9.5, "10")])
def test_retry_after_is_whole_seconds_rounded_up(seconds: float, header: str) -> None:
    assert retry_after(seconds) == header
