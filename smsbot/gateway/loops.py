"""One pattern for the gateway's background jobs: run a job again and again until told to stop.

    await every(1.0, timers.fire_due, stopping, name="timers")

A job returns how much work it did. After a run that did some, it runs again at once (a backlog
drains at full speed); after a run with nothing to do it waits `seconds`, or less when `wake` is
set (new work was announced) or `stopping` is set. A run that raises is logged as one line,
`<name>_failed`, and the job goes on after the wait: one bad run never ends a background job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from smsbot.logs import get_logger

__all__ = ["Job", "every"]

log = get_logger("smsbot.gateway.loops")

Job = Callable[[], Awaitable[object]]  # returns how much it did: anything truthy runs it again


async def every(
    seconds: float,
    job: Job,
    stopping: asyncio.Event,
    *,
    name: str,
    wake: asyncio.Event | None = None,
) -> None:
    """Run `job` until `stopping` is set; return soon after it is (a run under way ends first)."""
    while not stopping.is_set():
        if not await _run_once(job, name):
            await _pause(seconds, stopping, wake)


async def _run_once(job: Job, name: str) -> bool:
    """Whether the run did work; a failed run did none."""
    try:
        return bool(await job())
    except Exception:
        log.exception(f"{name}_failed", job=name)
        return False


async def _pause(seconds: float, stopping: asyncio.Event, wake: asyncio.Event | None) -> None:
    """Wait `seconds`, or until `stopping` (or `wake`, cleared first) is set."""
    events = [stopping] if wake is None else [wake, stopping]
    if wake is not None:
        wake.clear()
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
