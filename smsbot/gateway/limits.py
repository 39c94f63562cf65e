"""Limits per event source: a token bucket each, so one source cannot take the write path.

Each source may post `rate_per_second` events a second on average, and up to `burst` at once.
An event costs one token (a batch of n costs n, at most `burst`, so the largest batch a source
may send can always pass once its bucket is full). Webhooks from the provider are not counted
here: with every source held to its rate, the events cannot crowd them out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

__all__ = ["Limit", "SourceLimits", "retry_after"]


@dataclass(frozen=True)
class Limit:
    rate_per_second: float
    burst: int


@dataclass
class _Bucket:
    tokens: float
    at: float


class SourceLimits:
    def __init__(
        self, limits: Mapping[str, Limit], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = dict(limits)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._refused: dict[str, int] = {}
        self._logged_at: dict[str, float] = {}

    def take(self, source: str, events: int) -> float:
        """Take `events` from the source's bucket: 0.0 if they may pass, else the seconds to
        wait before they could (nothing is taken then)."""
        limit = self.limits.get(source)
        if limit is None:
            return 0.0
        cost = min(events, limit.burst)
        bucket = self._refilled(source, limit)
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        self._refused[source] = self._refused.get(source, 0) + 1
        return (cost - bucket.tokens) / limit.rate_per_second

    def empty(self, source: str) -> float:
        """Before reading a request: 0.0 if the source has a token left, else the seconds until
        it has one (counted as a refusal). Cheap, so a flood is refused before it is parsed."""
        limit = self.limits.get(source)
        if limit is None:
            return 0.0
        bucket = self._refilled(source, limit)
        if bucket.tokens >= 1:
            return 0.0
        self._refused[source] = self._refused.get(source, 0) + 1
        return (1 - bucket.tokens) / limit.rate_per_second

    def refusals_to_log(self, source: str, every: float = 1.0) -> int:
        """How many requests were refused since the last log line for the source, if a line
        is due (at most one a second per source, so a flood does not flood the logs); else 0."""
        now = self.clock()
        if now - self._logged_at.get(source, -math.inf) < every:
            return 0
        self._logged_at[source] = now
        return self._refused.pop(source, 0)

    def _refilled(self, source: str, limit: Limit) -> _Bucket:
        now = self.clock()
        bucket = self._buckets.setdefault(source, _Bucket(float(limit.burst), now))
        elapsed = max(0.0, now - bucket.at)
        bucket.tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.rate_per_second)
        bucket.at = now
        return bucket


def retry_after(seconds: float) -> str:
    """The Retry-After header's value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
