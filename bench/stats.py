"""Small statistics: percentiles by nearest rank, sustained rates."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of `values` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_ms(values: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of latencies given in seconds, in milliseconds."""
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "max_ms": round(max(values, default=0.0) * 1000, 2),
    }


def sustained_rate(done_times: Sequence[float]) -> float:
    """Completions per second between the 5th and the 95th percentile completion: the rate
    once the load has ramped up and before the last stragglers."""
    if len(done_times) < 20:
        return 0.0
    ordered = sorted(done_times)
    low, high = int(len(ordered) * 0.05), int(len(ordered) * 0.95)
    span = ordered[high] - ordered[low]
    return (high - low) / span if span > 0 else 0.0
