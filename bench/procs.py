"""Processes the benchmark starts: the gateway, the ceiling app, the fake provider.

Each is a child process started here and stopped here by its own pid (SIGTERM, then SIGKILL
after a time-out); its memory is read from /proc/PID/status and its CPU from /proc/PID/stat.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Child:
    """One child process, its output going to `log`."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def status_kb(self, key: str) -> int:
        """A `kB` line of /proc/PID/status (VmHWM: peak resident memory, VmRSS: now)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def peak_rss_mb(self) -> float:
        return self.status_kb("VmHWM") / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process (all its threads) so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then SIGKILL if it has not ended within `timeout`; the exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        return int(self.popen.returncode)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the benchmark's process ends, however it ends
    (Linux prctl PR_SET_PDEATHSIG), so that no gateway or fake outlives a killed run."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)


def spawn(name: str, args: list[str], env: dict[str, str], log: Path) -> Child:
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [sys.executable, *args],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    return Child(name, popen, log)


def base_env() -> dict[str, str]:
    """This environment without any SMSBOT_ variable (the benchmark sets its own)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}


async def wait_http(child: Child, url: str, *, seconds: float = 30.0) -> None:
    """Wait until `url` answers 200; fail early if the process died."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if not child.alive():
                raise RuntimeError(f"{child.name} exited ({child.popen.returncode}): {child.log}")
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{child.name} not ready at {url} within {seconds:.0f}s: {child.log}")


def machine_cpu_s() -> tuple[float, float]:
    """CPU seconds since boot, all cores: busy (user, nice, system, irq, softirq), and stolen
    (the hypervisor ran another machine while this one wanted to run)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    fields += [0] * (8 - len(fields))
    busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
    return busy / _TICKS, fields[7] / _TICKS


def self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuWatch:
    """CPU during a measurement: the machine's, the benchmark's own processes' (this driver
    and the children given), so what anything else took meanwhile, and what the hypervisor
    stole. On a shared machine, other jobs and steal skew every figure: the results say how
    much (in % of one core)."""

    def __init__(self, *children: Child) -> None:
        self.children = children
        self.started = time.monotonic()
        self.machine, self.stolen = machine_cpu_s()
        self.ours = self._ours()

    def _ours(self) -> float:
        return self_cpu_s() + sum(c.cpu_seconds() for c in self.children if c.alive())

    def figures(self) -> dict[str, float]:
        seconds = time.monotonic() - self.started
        machine, stolen = machine_cpu_s()
        others = max(0.0, machine - self.machine - (self._ours() - self.ours))
        return {
            "machine_busy_pct": round(100 * (machine - self.machine) / seconds, 1),
            "other_processes_cpu_pct": round(100 * others / seconds, 1),
            "cpu_steal_pct": round(100 * (stolen - self.stolen) / seconds, 1),
        }
