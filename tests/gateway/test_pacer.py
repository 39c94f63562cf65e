"""The sender's pacing against a provider that counts requests per sliding second."""

from __future__ import annotations

import random
import threading
import time

import pytest

from smsbot.gateway.pacing import Pacer, WireGate


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def read(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def most_in_any_second(moments: list[float]) -> int:
    ordered, best, low = sorted(moments), 0, 0
    for high, moment in enumerate(ordered):
        while moment - ordered[low] >= 1.0:
            low += 1
        best = max(best, high - low + 1)
    return best


async def starts(pacer: Pacer, clock: FakeTime, count: int, work: float = 0.0) -> list[float]:
    moments = []
    for _ in range(count):
        await pacer.wait()
        moments.append(clock.now)
        clock.now += work  # time spent between two waits (claiming, handing over)
    return moments


@pytest.mark.parametrize("rate", [30.0, 10.0, 1.0])
async def test_requests_that_arrive_unevenly_never_exceed_the_rate_in_any_second(
    rate: float,
) -> None:
    clock = FakeTime()
    pacer = Pacer(rate, 0.015, now=clock.read, sleep=clock.sleep)
    sent = await starts(pacer, clock, int(rate * 60))
    jitter = random.Random(7)
    arrivals = [moment + jitter.uniform(0.0, 0.014) for moment in sent]
    assert most_in_any_second(arrivals) <= int(rate)
    achieved = (len(sent) - 1) / (sent[-1] - sent[0])
    assert rate * 0.98 <= achieved <= rate, achieved


async def test_without_a_margin_uneven_arrivals_overflow_the_window() -> None:
    clock = FakeTime()
    pacer = Pacer(30.0, 0.0, now=clock.read, sleep=clock.sleep)
    sent = await starts(pacer, clock, 1800)
    jitter = random.Random(7)
    arrivals = [moment + jitter.uniform(0.0, 0.014) for moment in sent]
    assert most_in_any_second(arrivals) > 30  # why the margin exists


async def test_after_a_pause_the_pacer_does_not_burst_to_catch_up() -> None:
    clock = FakeTime()
    pacer = Pacer(30.0, 0.015, now=clock.read, sleep=clock.sleep)
    first = await starts(pacer, clock, 45)
    clock.now += 10.0  # nothing to send for ten seconds
    second = await starts(pacer, clock, 45)
    assert most_in_any_second(first + second) <= 30
    assert second[1] - second[0] == pytest.approx(1 / 30)


def test_the_wire_gate_spaces_calls_from_several_threads() -> None:
    gate = WireGate(200.0, 0.01)
    passed: list[float] = []

    def worker() -> None:
        for _ in range(60):
            gate()
            passed.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 240
    # A thread may be descheduled between passing the gate and noting the time, so a call can
    # be noted in a later second than it passed: at most one such per thread in any window.
    assert most_in_any_second(passed) <= 200 + len(threads)
    assert max(passed) - min(passed) >= 239 / 200 * 0.98
