"""The bench's workplace: a temporary folder on disk, the fake provider, gateway processes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.citizens import API_KEY, OUR_NUMBER, SECRET, flows_without_schedule
from bench.load import TOKEN
from bench.procs import ROOT, Child, base_env, free_port, spawn, wait_http
from smsbot.config import Config, load_config

PSEUDONYM_KEY = "bench-pseudonym-key"


@dataclass
class Lab:
    tmp: Path
    flows: Path
    provider: Child
    provider_host: str
    control_url: str
    ca: str
    port: int
    keep: bool = False  # BENCH_KEEP: databases and logs stay after the run

    def drop(self, db: Path) -> None:
        """A phase's database, once measured (unless kept): each is a copy of the history."""
        if not self.keep:
            for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                path.unlink(missing_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def gateway_env(self, db: Path, **overrides: str) -> dict[str, str]:
        """The gateway's environment: production settings (WAL, synchronous=FULL, signed
        webhooks checked with SHA-256, JSON logs at info) on the vonage-sms transport."""
        env = {
            **base_env(),
            "SMSBOT_CONFIG": str(ROOT / "config.toml"),
            "SMSBOT_DATABASE__PATH": str(db),
            "SMSBOT_FLOWS__DIR": str(self.flows),
            "SMSBOT_SERVER__PORT": str(self.port),
            "SMSBOT_TRANSPORT__KIND": "vonage-sms",
            "SMSBOT_VONAGE__REST_HOST": self.provider_host,
            "SMSBOT_VONAGE__API_KEY": API_KEY,
            "SMSBOT_VONAGE__API_SECRET": "bench-api-secret",
            "SMSBOT_VONAGE__SIGNATURE_SECRET": SECRET,
            "SMSBOT_VONAGE__SIGNATURE_METHOD": "sha256",
            "SMSBOT_VONAGE__FROM_NUMBER": OUR_NUMBER,
            "SMSBOT_PRIVACY__PSEUDONYM_KEY": PSEUDONYM_KEY,
            "SMSBOT_TOKEN_DEMO": TOKEN,
            "SMSBOT_LOGGING__FORMAT": "json",
            "SMSBOT_LOGGING__LEVEL": "info",
            "SMSBOT_SURVEY__QUIET_START": "00:00",
            "SMSBOT_SURVEY__QUIET_END": "00:00",
            "REQUESTS_CA_BUNDLE": self.ca,
        }
        env.update(overrides)
        return env

    def config(self, env: dict[str, str]) -> Config:
        return load_config(ROOT / "config.toml", environ=env)

    async def start_gateway(self, name: str, env: dict[str, str]) -> Child:
        args = ["-c", "from smsbot.cli import main; main()", "serve"]
        child = spawn(name, args, env, self.tmp / f"{name}.log")
        await wait_http(child, f"{self.url}/readyz")
        return child

    async def start_ceiling(self) -> Child:
        child = spawn(
            "ceiling", ["-m", "bench.ceiling", str(self.port)], base_env(), self.tmp / "ceiling.log"
        )
        await wait_http(child, f"{self.url}/readyz")
        return child

    async def start_necessary(self, db: Path) -> Child:
        """The necessary-work app (bench.necessary) on `db`, sending to the fake provider."""
        args = ["-m", "bench.necessary", str(self.port), str(db), self.provider_host, self.ca]
        child = spawn("necessary", args, base_env(), self.tmp / "necessary.log")
        await wait_http(child, f"{self.url}/readyz")
        return child


async def open_lab(*, keep: bool = False) -> Lab:
    tmp = Path(tempfile.mkdtemp(prefix="smsbot-bench-", dir=_disk_tmp()))
    flows = flows_without_schedule(tmp / "flows")
    provider = spawn(
        "provider", ["-m", "bench.provider", str(tmp)], base_env(), tmp / "provider.log"
    )
    ready = tmp / "provider.json"
    deadline = time.monotonic() + 30
    while not ready.exists():
        if not provider.alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the fake provider did not start: {tmp / 'provider.log'}")
        await asyncio.sleep(0.05)
    info = json.loads(ready.read_text())
    control = f"http://127.0.0.1:{info['control']}"
    return Lab(tmp, flows, provider, info["host"], control, info["ca"], free_port(), keep)


def close_lab(lab: Lab, keep: bool) -> None:
    lab.provider.stop()
    if not keep:
        shutil.rmtree(lab.tmp, ignore_errors=True)


def _disk_tmp() -> str:
    """Where the databases go: $BENCH_TMPDIR, else the system's temporary folder. It must be
    a real disk (fsync must cost what it costs in production), not a tmpfs."""
    return os.environ.get("BENCH_TMPDIR") or tempfile.gettempdir()


def filesystem(path: Path) -> str:
    """The type of the filesystem `path` is on (ext4, xfs, tmpfs, overlay, ...)."""
    best, kind = "", "unknown"
    for line in Path("/proc/mounts").read_text().splitlines():
        fields = line.split()
        if len(fields) > 2 and str(path).startswith(fields[1]) and len(fields[1]) > len(best):
            best, kind = fields[1], fields[2]
    return kind


def db_bytes(path: Path) -> int:
    """The database's size on disk: the file and its WAL, if one was left."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def count(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute(sql).fetchall())
