"""Pacing sends for a provider that counts requests per sliding second.

`Spacing` is the pure rule; `Pacer` waits for it on the event loop (the sender), `WireGate`
in a transport's worker thread, right before the request is written: the later the gate,
the less of our own jitter (a database commit, the hand-over to a thread) reaches the
provider's clock.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = ["Pacer", "Spacing", "WireGate"]


class Spacing:
    """Slots evenly 1/rate apart, and no `k` consecutive slots (k = the rate rounded down)
    within less than k / rate seconds plus `margin`.

    With slots exactly 1/rate apart, one request that reaches the provider late followed by
    one on time puts rate + 1 into its second. The margin absorbs that jitter at a small
    cost: 15 ms at 30 a second sends 29.6 a second. After a pause there is no burst to
    catch up: the next slot is never earlier than now.
    """

    def __init__(self, rate: float, margin: float = 0.0) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.interval = 1.0 / rate
        self._span = max(1, math.floor(rate))
        self._min_window = self._span / rate + margin
        self._slots: deque[float] = deque(maxlen=self._span)
        self._next = -math.inf

    def take(self, now: float) -> float:
        """The next free slot, at or after `now`, reserved."""
        slot = max(self._next, now)
        if len(self._slots) == self._span:
            slot = max(slot, self._slots[0] + self._min_window)
        self._slots.append(slot)
        self._next = slot + self.interval
        return slot


class Pacer:
    """`await pacer.wait()` returns at the next slot (the event loop stays free meanwhile)."""

    def __init__(
        self,
        rate: float,
        margin: float = 0.0,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._spacing = Spacing(rate, margin)
        self._now, self._sleep = now, sleep

    async def wait(self) -> None:
        now = self._now()
        slot = self._spacing.take(now)
        if slot > now:
            await self._sleep(slot - now)


class WireGate:
    """`gate()` blocks the calling (worker) thread until the next slot, `await gate.wait()`
    waits for it on the event loop; thread-safe, and both take slots from one spacing."""

    def __init__(self, rate: float, margin: float = 0.0) -> None:
        self._spacing = Spacing(rate, margin)
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = self._spacing.take(now)
        if slot > now:
            time.sleep(slot - now)

    async def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = self._spacing.take(now)
        if slot > now:
            await asyncio.sleep(slot - now)
