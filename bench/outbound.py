"""Outbound: a backlog of queued messages sent at the provider's rate limit."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import aiohttp

from bench import seed
from bench.history import History
from bench.lab import Lab
from bench.load import Provider
from bench.phases import Sizes, cpu_figures, log_counts, start_gateway
from bench.procs import CpuWatch
from bench.stats import percentile


async def outbound_phase(
    lab: Lab, http: aiohttp.ClientSession, sizes: Sizes, history: History
) -> dict[str, Any]:
    """The gateway at `send_rate` (threads as shipped) against a fake that throttles beyond
    the same rate in any sliding second; until the backlog is sent (bounded in time). The
    backlog is queued on top of the history (each claim of the sender must find it there)."""
    db = lab.tmp / "outbound.db"
    history.copy_to(db)
    env = lab.gateway_env(db, SMSBOT_SENDING__RATE_PER_SECOND=f"{sizes.send_rate:g}")
    seeded = await seed.backlog(lab.config(env), db, sizes.backlog)
    provider = Provider(http, lab.control_url)
    await provider.reset(sizes.send_rate)
    child, startup = await start_gateway(lab, "gateway-outbound", env)
    try:
        cpu, started, watch = child.cpu_seconds(), time.monotonic(), CpuWatch(child, lab.provider)
        limit = sizes.backlog / sizes.send_rate * 1.5 + 30
        stats = await _until_sent(provider, sizes.backlog, limit)
        cpu_use = {**cpu_figures(child, cpu, time.monotonic() - started), **watch.figures()}
        peak = child.peak_rss_mb()
    finally:
        status = child.stop()
    figures = {**seeded, **send_figures(stats, sizes), **cpu_use, "startup_s": startup}
    figures.update(peak_rss_mb=round(peak, 1), gateway_exit_status=status)
    figures["log"] = log_counts(child.log)
    lab.drop(db)
    return figures


async def _until_sent(provider: Provider, backlog: int, limit_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + limit_s
    stats = await provider.stats()
    while stats["accepted"] < backlog and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        stats = await provider.stats()
    return stats


def send_figures(stats: dict[str, Any], sizes: Sizes) -> dict[str, Any]:
    times = sorted(stats["accepted_times"])
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span else 0.0
    arrivals = sorted(stats["request_times"])
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(arrivals)]
    return {
        "backlog": sizes.backlog,
        "rate_limit_per_s": sizes.send_rate,
        "sent": stats["accepted"],
        "provider_requests": stats["requests"],
        "throttled": stats["throttled"],
        "send_seconds": round(span, 2),
        "send_rate_per_s": round(rate, 3),
        "send_rate_error_pct": round(100 * abs(rate - sizes.send_rate) / sizes.send_rate, 2),
        "max_accepted_in_any_second": max_in_window(times),
        "max_requests_in_any_second": max_in_window(arrivals),
        "request_gap_ms": {f"p{p}": round(percentile(gaps, p), 1) for p in (1, 10, 50, 90, 99)},
    }


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any sliding second (what the provider's limit counts)."""
    best, low = 0, 0
    for high, moment in enumerate(times):
        while moment - times[low] >= window:
            low += 1
        best = max(best, high - low + 1)
    return best
