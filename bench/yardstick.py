"""The necessary-work phase, and the figures every app is read by beside it.

The necessary-work app (bench.necessary) gets the webhooks smsbot was sent at full speed
(recorded by the driver), replayed with the same driver and 64 in flight, like the ceiling.
Each pass gets fresh message ids (re-signed, so that the signature check still passes and every
inbound message is new), and the messages the receipts are about are in its database before
it starts, so that every receipt updates a row.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

import aiohttp

from bench.citizens import SECRET
from bench.history import History
from bench.lab import Lab
from bench.load import INBOUND, STATUS, Driver, Job, Provider, replay
from bench.procs import CpuWatch
from smsbot.providers.vonage.webhooks import sign_sms_params

if TYPE_CHECKING:  # bench.phases imports this module
    from bench.phases import Sizes


def fresh_jobs(jobs: list[Job], passes: int) -> list[Job]:
    """The webhooks `passes` times, each pass with its own message ids, signed now."""
    now = int(time.time())
    out = []
    for n in range(passes):
        for job in jobs:
            params = dict(parse_qsl(job.body.decode(), keep_blank_values=True))
            for key in ("sig", "timestamp", "nonce"):
                params.pop(key, None)
            params["messageId"] = f"{params['messageId']}-p{n}"
            body = urlencode(sign_sms_params(params, SECRET, "sha256", timestamp=now)).encode()
            out.append(Job(job.kind, job.path, body, job.content_type))
    return out


def seed_receipt_targets(db: Path, jobs: list[Job]) -> int:
    """An outgoing message for every receipt among `jobs`, as sent (one transaction)."""
    refs = [dict(parse_qsl(job.body.decode()))["messageId"] for job in jobs if job.path == STATUS]
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime())
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO messages (direction, phone, body, status, provider_ref, created_at,"
            " updated_at) VALUES ('out', '+46700000000', 'seeded', 'sent', ?, ?, ?)",
            [(ref, now, now) for ref in refs],
        )
    return len(refs)


async def sent_figures(provider: Provider, started: float, seconds: float) -> dict[str, Any]:
    """SMS the fake provider accepted since its reset, and their rate over the phase (from
    `started` until the last one was accepted, or `seconds` if later)."""
    stats = await provider.stats()
    times = [float(t) for t in stats["accepted_times"]]
    span = max(seconds, (max(times) - started) if times else 0.0)
    return {
        "sms_sent": len(times),
        "sms_per_s": round(len(times) / span, 1) if span else 0.0,
        "sms_throttled": stats["throttled"],
    }


def rates(figures: dict[str, Any]) -> dict[str, Any]:
    """Inbound webhooks and receipts answered 2xx, a second, over the phase."""
    answers, seconds = figures["answers"], figures["seconds"]
    inbound = sum(n for k, n in answers.items() if k.startswith("inbound 2"))
    receipts = sum(n for k, n in answers.items() if k.startswith("status 2"))
    return {
        "inbound_answered": inbound,
        "receipts_answered": receipts,
        "inbound_per_s": round(inbound / seconds, 1) if seconds else 0.0,
        "receipts_per_s": round(receipts / seconds, 1) if seconds else 0.0,
    }


def cpu_per_webhook(figures: dict[str, Any], key: str = "gateway_cpu_s") -> float:
    hooks = figures["webhooks"]
    return round(1000 * figures[key] / hooks, 3) if hooks else 0.0


async def _counts(http: aiohttp.ClientSession, url: str) -> dict[str, int]:
    async with http.get(f"{url}/counts") as response:
        return dict(await response.json())


async def _all_sent(http: aiohttp.ClientSession, url: str, limit_s: float) -> dict[str, int]:
    """Wait until every answered inbound webhook's SMS is sent and its result recorded."""
    deadline = time.monotonic() + limit_s
    counts = await _counts(http, url)
    while time.monotonic() < deadline:
        done = counts["sent"] + counts["failed"] >= counts["inbound"]
        if done and not counts["in_flight"] and not counts["results_waiting"]:
            break
        await asyncio.sleep(0.01)
        counts = await _counts(http, url)
    return counts


async def necessary_phase(
    lab: Lab, http: aiohttp.ClientSession, jobs: list[Job], sizes: Sizes, history: History
) -> dict[str, Any]:
    """The recorded webhooks (fresh ids, `ceiling_requests` at least) against the app."""
    passes = max(1, -(-sizes.ceiling_requests // max(len(jobs), 1)))
    work = fresh_jobs([j for j in jobs if j.path in (INBOUND, STATUS)], passes)
    db = lab.tmp / "necessary.db"
    history.copy_to(db)
    seeded = seed_receipt_targets(db, work)
    provider = Provider(http, lab.control_url)
    await provider.reset(None)
    child = await lab.start_necessary(db)
    try:
        cpu, watch = child.cpu_seconds(), CpuWatch(child, lab.provider)
        started = time.monotonic()
        result = await replay(Driver(http, lab.url, sizes.concurrency), work, 120.0)
        counts = await _all_sent(http, lab.url, 60.0)
        seconds = time.monotonic() - started
        figures = result.figures()
        figures["app_cpu_s"] = round(child.cpu_seconds() - cpu, 2)
        figures.update(watch.figures(), **rates(figures))
        figures.update(await sent_figures(provider, result.tally.first, result.seconds))
        figures["seconds_until_all_sent"] = round(seconds, 2)
        figures["peak_rss_mb"] = round(child.peak_rss_mb(), 1)
    finally:
        child.stop()
        lab.drop(db)
    for key in ("conversations", "completed", "conversations_per_s", "events"):
        figures.pop(key, None)
    figures["cpu_ms_per_webhook"] = cpu_per_webhook(figures, "app_cpu_s")
    return {"passes": passes, "receipt_targets_seeded": seeded, "app": counts, **figures}
