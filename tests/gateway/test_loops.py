"""The one pattern for background jobs (smsbot.gateway.loops.every)."""

from __future__ import annotations

import asyncio
import time

import structlog

from smsbot.gateway.loops import every


async def test_a_failing_run_is_logged_as_one_line_and_the_job_goes_on() -> None:
    stopping = asyncio.Event()
    runs: list[int] = []

    async def job() -> int:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError(f"bad run {len(runs)}")
        stopping.set()
        return 0

    with structlog.testing.capture_logs() as logs:
        await asyncio.wait_for(every(0.01, job, stopping, name="sample"), 5)
    assert runs == [0, 1, 2]
    failures = [entry for entry in logs if entry["event"] == "sample_failed"]
    assert len(failures) == 2
    assert all(f["log_level"] == "error" and f["job"] == "sample" for f in failures)
    assert all(f["exc_info"] is True for f in failures)
    assert len(logs) == 2  # nothing else is logged


async def test_a_run_that_did_work_runs_again_at_once_an_idle_one_waits() -> None:
    stopping = asyncio.Event()
    backlog = [3, 2, 1, 0]
    waited: list[float] = []
    last = time.monotonic()

    async def job() -> int:
        nonlocal last
        now = time.monotonic()
        waited.append(now - last)
        last = now
        if not backlog:
            stopping.set()
            return 0
        return backlog.pop(0)

    await asyncio.wait_for(every(0.2, job, stopping, name="drain"), 5)
    assert len(waited) == 5
    assert max(waited[1:4]) < 0.1  # after 3, 2 and 1 done: again at once
    assert waited[4] >= 0.19  # after an idle run (0 done): the whole interval


async def test_stop_is_prompt_even_in_a_long_wait() -> None:
    stopping = asyncio.Event()
    runs = 0

    async def job() -> None:
        nonlocal runs
        runs += 1

    task = asyncio.create_task(every(3600, job, stopping, name="hourly"))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    stopping.set()
    await asyncio.wait_for(task, 1)
    assert time.monotonic() - started < 0.5
    assert runs == 1  # ran at once on start, then waited


async def test_wake_cuts_the_wait_short() -> None:
    stopping, wake = asyncio.Event(), asyncio.Event()
    runs = 0

    async def job() -> int:
        nonlocal runs
        runs += 1
        return 0

    task = asyncio.create_task(every(3600, job, stopping, name="woken", wake=wake))
    await asyncio.sleep(0.05)
    assert runs == 1
    wake.set()
    await asyncio.sleep(0.05)
    assert runs == 2 and not wake.is_set()  # woken, and the wake was taken
    stopping.set()
    await asyncio.wait_for(task, 1)


async def test_a_job_never_runs_once_stopping_is_set() -> None:
    stopping = asyncio.Event()
    stopping.set()

    async def job() -> None:
        raise AssertionError("ran after stop")

    await asyncio.wait_for(every(0.01, job, stopping, name="never"), 1)
