"""The whole benchmark, phase after phase, each timed and reported as it ends.

Every gateway, the export and the report run on a copy of one history (bench.history): a
million answers over months in a full run, a hundred thousand in a quick one.

The outbound phase (minutes, at 30 SMS a second) runs while export and report are timed over
the stored answers, unless BENCH_SERIAL=1: the gateway then needs a tenth of a core, the
export and the report one core, and the machine has two.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import signal
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from bench import phases, reporting
from bench.figures import headline, table, targets
from bench.history import History
from bench.history import prepare as prepare_history
from bench.lab import Lab, close_lab, filesystem, open_lab
from bench.outbound import outbound_phase
from bench.yardstick import necessary_phase
from smsbot.logs import configure_logging

T = TypeVar("T")


def say(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


async def step(name: str, work: Awaitable[T]) -> T:
    say(f"{name} ...")
    started = time.monotonic()
    result = await work
    say(f"{name}: done in {time.monotonic() - started:.1f}s")
    return result


async def run(*, quick: bool, keep: bool, out: Path) -> dict[str, Any]:
    configure_logging("json", "warning", stream=sys.stderr)  # the seeding's own service logs
    sizes = phases.QUICK if quick else phases.FULL
    serial = os.environ.get("BENCH_SERIAL", "") not in ("", "0")
    started = time.monotonic()
    task = asyncio.current_task()
    if task is not None:  # SIGTERM: stop like Ctrl-C, every child stopped on the way out
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    lab = await open_lab(keep=keep)
    say(f"{'quick' if quick else 'full'} run in {lab.tmp} ({filesystem(lab.tmp)})")
    results: dict[str, Any] = {"mode": "quick" if quick else "full"}
    results["setup"] = _setup(sizes, lab.tmp, serial)
    try:
        history = await step("history", _history(lab, sizes))
        results["history"] = {**history.figures, "template": str(history.path)}
        connector = aiohttp.TCPConnector(limit=sizes.concurrency + 8)
        async with aiohttp.ClientSession(connector=connector) as http:
            results.update(await _phases(lab, http, sizes, history, serial))
    finally:
        close_lab(lab, keep)
    return _finish(results, out, time.monotonic() - started)


async def _history(lab: Lab, sizes: phases.Sizes) -> History:
    """The history under every phase: from the cache, or made now (minutes)."""
    made = await prepare_history(lambda db: lab.config(lab.gateway_env(db)), sizes.answers)
    how = "cached" if made.figures["cached"] else f"made in {made.figures['build_seconds']:.0f}s"
    say(f"history: {made.summary()} ({how}: {made.path})")
    return made


async def _phases(
    lab: Lab, http: aiohttp.ClientSession, sizes: phases.Sizes, history: History, serial: bool
) -> dict[str, Any]:
    done: dict[str, Any] = {}
    load = phases.load_phase(lab, http, sizes, history)
    done["load"], jobs = await step("conversation load", load)
    done["ceiling"] = await step("ceiling", phases.ceiling_phase(lab, http, jobs, sizes))
    necessary = necessary_phase(lab, http, jobs, sizes, history)
    done["necessary"] = await step("necessary work", necessary)
    done["scale"] = await step("memory at scale", phases.scale_phase(lab, http, sizes, history))
    done["report"] = reporting.prepare(lab, history)
    outbound = outbound_phase(lab, http, sizes, history)
    sending = asyncio.create_task(step("outbound at 30/s", outbound))
    if serial:
        await sending
    try:
        done["report"].update(await step("export and report", reporting.measure(lab, sizes)))
    finally:
        done["outbound"] = await sending
    done["outbound"]["beside_export_and_report"] = not serial
    lab.drop(reporting.report_db(lab))
    return done


def _finish(results: dict[str, Any], out: Path, seconds: float) -> dict[str, Any]:
    figures = headline(results)
    goals = targets(figures)
    results = {**figures, "targets": [g.__dict__ for g in goals], **results}
    results["total_seconds"] = round(seconds, 1)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(figures, goals))
    size = f"{figures['history_answers']:,} answers over {figures['history_days']} days"
    print(f"\n{results['mode']} run on a history of {size}: {seconds:.0f} s; figures in {out}")
    return results


def _setup(sizes: phases.Sizes, tmp: Path, serial: bool) -> dict[str, Any]:
    return {
        **sizes.__dict__,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "filesystem": filesystem(tmp),
        "transport": "vonage-sms: the real SDK over TLS to tests/fakevonage.py, own process",
        "durability": "WAL, synchronous=FULL (as shipped); webhooks signed sha256 and verified",
        "necessary_work": "bench/necessary.py on a copy of the history: signature check, one"
        " group-committed unit per webhook, 200 after COMMIT, SMS by aiohttp, results batched;"
        " smsbot's recorded webhooks replayed (fresh ids), 64 in flight",
        "outbound_beside_export_and_report": not serial,
    }
