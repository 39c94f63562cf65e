"""The conversation phases: full speed, paced, the ceiling, and memory at scale."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench import profile, seed
from bench.citizens import load_script, make_citizens
from bench.history import History
from bench.lab import Lab, count, db_bytes
from bench.load import Conversations, Driver, Job, Provider, replay
from bench.procs import Child, CpuWatch
from bench.yardstick import cpu_per_webhook, rates, sent_figures


@dataclass(frozen=True)
class Sizes:
    """How big each phase is: full (`make bench`) or quick (BENCH_QUICK=1)."""

    quick: bool
    conversations: int  # the full-speed load
    paced_conversations: int  # the load offered at `paced_rate` webhooks a second
    paced_rate: float
    scale_active: int  # active conversations seeded for the memory scale point
    scale_load: int  # conversations run through the flow on top of them
    answers: int  # stored answers for export and report
    backlog: int  # messages queued for the outbound phase
    concurrency: int = 64  # requests in flight at most
    send_rate: float = 30.0
    ceiling_requests: int = 10_000  # the recorded webhooks are replayed until this many

    @property
    def load_limit_s(self) -> float:
        return 60.0 if self.quick else 300.0


FULL = Sizes(False, 1000, 300, 500.0, 100_000, 500, 1_000_000, 10_000)
QUICK = Sizes(True, 120, 50, 500.0, 10_000, 40, 100_000, 600, ceiling_requests=4000)

# Phone numbers (+4670NNNNNNN) per load, so that no two loads share a citizen.
PHONES_LOAD, PHONES_PACED, PHONES_SCALE_LOAD = 1_000_000, 1_200_000, 1_400_000

# The gateway's sending under conversation load: the provider's limit must not be the limit.
FAST_SENDING = {"SMSBOT_SENDING__RATE_PER_SECOND": "2000", "SMSBOT_SENDING__THREADS": "10"}
# SQL statements and database hand-offs, on /metrics (smsbot.storage.sqlite.counts)
COUNTING = {"SMSBOT_BENCH_COUNTS": "1"}


async def bench_counts(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """The gateway's smsbot_bench_* counts from /metrics (empty if it does not count)."""
    async with http.get(f"{url}/metrics") as response:
        text = await response.text()
    found = {}
    for line in text.splitlines():
        if line.startswith("smsbot_bench_"):
            name, _, value = line.partition(" ")
            found[name.removeprefix("smsbot_bench_")] = float(value)
    return found


def per_webhook(before: dict[str, float], after: dict[str, float], webhooks: int) -> dict[str, Any]:
    """Statements and hand-offs per webhook answered (events and sends included)."""
    if not webhooks or not after:
        return {}
    return {
        f"{name}_per_webhook": round((after[name] - before.get(name, 0.0)) / webhooks, 2)
        for name in after
    }


def cpu_figures(child: Child, cpu_before: float, seconds: float) -> dict[str, Any]:
    cpu = child.cpu_seconds() - cpu_before
    return {
        "gateway_cpu_s": round(cpu, 2),
        "gateway_cpu_pct": round(100 * cpu / seconds, 1) if seconds else 0.0,
    }


def log_counts(log: Path) -> dict[str, int]:
    """Lines of the gateway's log that mean trouble (or retries), by event."""
    text = log.read_text(errors="replace") if log.exists() else ""
    names = ("request_failed", "webhook_refused", "sms_send_retry", "sms_send_failed")
    return {name: text.count(f'"event": "{name}"') for name in names}


async def start_gateway(lab: Lab, name: str, env: dict[str, str]) -> tuple[Child, float]:
    """The gateway, ready, and done with what it does once at start (the first purge, which
    reads the history and then runs hourly): the seconds until then."""
    started = time.monotonic()
    child = await lab.start_gateway(name, env)
    await first_purge_done(child)
    return child, round(time.monotonic() - started, 2)


async def first_purge_done(child: Child, limit_s: float = 600.0) -> None:
    deadline = time.monotonic() + limit_s
    while not re.search(r'"event": ?"purged"', child.log.read_text(errors="replace")):
        if not child.alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{child.name}: no first purge within {limit_s:.0f}s: {child.log}")
        await asyncio.sleep(0.1)


@dataclass(frozen=True)
class Run:
    first_phone: int
    number: int
    rate: float | None = None
    record: bool = False


async def conversations(
    lab: Lab, child: Child, http: aiohttp.ClientSession, sizes: Sizes, run: Run
) -> tuple[dict[str, Any], list[Job]]:
    """Citizens through the flow against a running gateway; its figures and the webhooks."""
    provider = Provider(http, lab.control_url)
    await provider.reset(None)
    driver = Driver(http, lab.url, sizes.concurrency, run.rate)
    driver.record = run.record
    citizens = make_citizens(run.first_phone, run.number, seed=run.first_phone)
    before = await bench_counts(http, lab.url)
    cpu, watch = child.cpu_seconds(), CpuWatch(child, lab.provider)
    result = await Conversations(driver, provider, load_script(lab.flows), citizens).run(
        sizes.load_limit_s
    )
    figures = result.figures()
    figures.update(cpu_figures(child, cpu, result.seconds), **watch.figures())
    figures.update(
        rates(figures), **await sent_figures(provider, result.tally.first, result.seconds)
    )
    figures["cpu_ms_per_webhook"] = cpu_per_webhook(figures)
    figures.update(per_webhook(before, await bench_counts(http, lab.url), figures["webhooks"]))
    if run.rate:
        figures["offered_per_s"] = run.rate
    return figures, driver.recorded


# --- 1. conversations at full speed, then paced --------------------------------------------


async def load_phase(
    lab: Lab, http: aiohttp.ClientSession, sizes: Sizes, history: History
) -> tuple[dict[str, Any], list[Job]]:
    db = lab.tmp / "load.db"
    history.copy_to(db)
    before = Stored.of(db)
    env = lab.gateway_env(db, **FAST_SENDING, **COUNTING)
    child, startup = await start_gateway(lab, "gateway-load", env)
    raw = lab.tmp / "profile-gateway.txt"
    try:
        profiler = profile.start(child, raw) if os.environ.get("BENCH_PROFILE") else None
        full = Run(PHONES_LOAD, sizes.conversations, record=True)
        saturated, jobs = await conversations(lab, child, http, sizes, full)
        profile.stop(profiler)
        paced_run = Run(PHONES_PACED, sizes.paced_conversations, rate=sizes.paced_rate)
        paced, _ = await conversations(lab, child, http, sizes, paced_run)
        peak = child.peak_rss_mb()
    finally:
        status = child.stop()
    figures = {"saturated": saturated, "paced": paced, "peak_rss_mb": round(peak, 1)}
    figures.update(startup_s=startup, gateway_exit_status=status, log=log_counts(child.log))
    figures.update(database_figures(db, before))
    if raw.exists():
        figures["profile"] = profile.summary(raw)
        shutil.copy(raw, Path(__file__).parent / "profile-gateway.txt")
    lab.drop(db)
    return figures, jobs


@dataclass(frozen=True)
class Stored:
    """What a database held before a load: its size and its last row ids."""

    db_bytes: int
    conversation: int  # rowid
    message: int
    answer: int

    @classmethod
    def of(cls, db: Path) -> Stored:
        last = count(
            db,
            "SELECT (SELECT COALESCE(MAX(rowid), 0) FROM conversations),"
            " (SELECT COALESCE(MAX(id), 0) FROM messages),"
            " (SELECT COALESCE(MAX(id), 0) FROM answers)",
        )[0]
        return cls(db_bytes(db), *(int(n) for n in last))


def database_figures(db: Path, before: Stored) -> dict[str, Any]:
    """What the load added to the database (the history it started with left out)."""
    size = db_bytes(db) - before.db_bytes
    new = f"FROM conversations WHERE rowid > {before.conversation}"
    conversations = int(count(db, f"SELECT COUNT(*) {new}")[0][0])
    per_1000 = size / 1e6 / conversations * 1000 if conversations else 0.0
    out = (
        f"SELECT status, COUNT(*) FROM messages WHERE id > {before.message}"
        " AND direction = 'out' GROUP BY 1"
    )
    answers = f"SELECT COUNT(*) FROM answers WHERE id > {before.answer}"
    return {
        "db_bytes_added": size,
        "db_conversations": conversations,
        "db_mb_per_1000_conversations": round(per_1000, 2),
        "conversations_by_status": dict(count(db, f"SELECT status, COUNT(*) {new} GROUP BY 1")),
        "out_messages_by_status": dict(count(db, out)),
        "answers": int(count(db, answers)[0][0]),
    }


# --- 2. the ceiling ----------------------------------------------------------------------------


async def ceiling_phase(
    lab: Lab, http: aiohttp.ClientSession, jobs: list[Job], sizes: Sizes
) -> dict[str, Any]:
    """The recorded webhooks against the bare app, replayed until `ceiling_requests`."""
    passes = max(1, -(-sizes.ceiling_requests // max(len(jobs), 1)))
    child = await lab.start_ceiling()
    try:
        cpu, watch = child.cpu_seconds(), CpuWatch(child, lab.provider)
        result = await replay(Driver(http, lab.url, sizes.concurrency), jobs * passes, 120.0)
        figures = result.figures()
        figures.update(cpu_figures(child, cpu, result.seconds), **watch.figures())
        figures["peak_rss_mb"] = round(child.peak_rss_mb(), 1)
    finally:
        child.stop()
    for key in ("conversations", "completed", "conversations_per_s", "events"):
        figures.pop(key, None)
    figures["cpu_ms_per_webhook"] = cpu_per_webhook(figures)
    return {"passes": passes, **figures}


# --- 3. memory at scale: many active conversations in the database ---------------------------


async def scale_phase(
    lab: Lab, http: aiohttp.ClientSession, sizes: Sizes, history: History
) -> dict[str, Any]:
    db = lab.tmp / "scale.db"
    history.copy_to(db)
    env = lab.gateway_env(db, **FAST_SENDING)
    seeded = await seed.active(lab.config(env), db, sizes.scale_active, delivered=True)
    child, startup = await start_gateway(lab, "gateway-scale", env)
    try:
        idle = child.peak_rss_mb()
        run = Run(PHONES_SCALE_LOAD, sizes.scale_load)
        load, _ = await conversations(lab, child, http, sizes, run)
        peak = child.peak_rss_mb()
    finally:
        status = child.stop()
    figures = {
        "active_conversations": sizes.scale_active,
        **seeded,
        "startup_s": startup,
        "rss_after_start_mb": round(idle, 1),
        "peak_rss_mb": round(peak, 1),
        "load": load,
        "gateway_exit_status": status,
        "db_bytes": db_bytes(db),
    }
    lab.drop(db)
    return figures
