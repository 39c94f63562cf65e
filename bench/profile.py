"""BENCH_PROFILE=1: py-spy samples the gateway during the full-speed load (if py-spy is
installed: `.venv/bin/pip install py-spy`). The raw stacks go to bench/profile-gateway.txt
(flamegraph.pl or speedscope read them) and a summary into the results."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.procs import Child


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


def start(target: Child, out: Path) -> subprocess.Popen[bytes] | None:
    tool = py_spy()
    if tool is None:
        return None
    args = [tool, "record", "--pid", str(target.pid), "--rate", "250", "--threads", "--gil"]
    args += ["--format", "raw", "--output", str(out), "--nonblocking"]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(profiler: subprocess.Popen[bytes] | None) -> None:
    if profiler is None:
        return
    profiler.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
    try:
        profiler.wait(30)
    except subprocess.TimeoutExpired:
        profiler.kill()
        profiler.wait(10)


def summary(raw: Path, top: int = 25) -> dict[str, Any]:
    """Where the gateway's Python time goes (samples holding the GIL), as shares of all
    samples: per thread, per package on the stack, per smsbot function on the stack
    (inclusive), and per function on top of the stack (self)."""
    if not raw.exists():
        return {}
    threads: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, text = line.rpartition(" ")
        frames, samples = stack.split(";"), int(text)
        threads[frames[0].partition(": ")[2] or frames[0]] += samples
        packages.update(dict.fromkeys({_package(f) for f in frames[1:]}, samples))
        ours.update(dict.fromkeys({_short(f) for f in frames[1:] if " (smsbot/" in f}, samples))
        self_time[_short(frames[-1])] += samples
    total = sum(threads.values()) or 1
    return {
        "samples": total,
        "threads_pct": _shares(threads, total, top),
        "packages_pct": _shares(packages, total, top),
        "smsbot_inclusive_pct": _shares(ours, total, top),
        "self_pct": _shares(self_time, total, top),
    }


def _shares(counts: Counter[str], total: int, top: int) -> dict[str, float]:
    return {key: round(100 * n / total, 1) for key, n in counts.most_common(top)}


def _short(frame: str) -> str:
    """'fn (path/to/module.py:12)' -> 'fn (module.py)'."""
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.split(':')[0]).name})" if where else name


def _package(frame: str) -> str:
    """The package a frame's code is in ('aiohttp', 'asyncio', 'smsbot.storage'); py-spy
    names files by their path from the package root ('aiohttp/web_protocol.py:577')."""
    parts = frame.partition(" (")[2].split(":")[0].split("/")
    if parts[0] == "smsbot" and len(parts) > 1:
        return "smsbot." + parts[1].removesuffix(".py")
    return parts[0].removesuffix(".py")
