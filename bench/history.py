"""The history every measured gateway runs on: months of ended surveys, as production has them.

A statement that reads the whole history costs nothing on an empty database and seconds on a
large one; so every phase (load and latency, memory at scale, sending, export and report)
starts from a copy of one database of `answers` answers (1 000 000 in a full run) over
seed.HISTORY_DAYS, across the bench's units and services: ended conversations with their
messages, answers, feedback and tags, timers done, and events.

It is made once by `seed.history` (the real service makes templates and suggests their tags,
`bench.clone` copies them), then left as a gateway that ran all along would have left it:
numbers purged after retention, the tag rules' pass up to date, the WAL checkpointed into the
file. It is kept in var/bench/ (or $BENCH_CACHE), named by its size and a hash of the schema
and of the code and flow that seed it: a run after a schema change makes a new one (and
removes the old one). Delete the folder to make it again.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import seed
from bench.procs import ROOT
from smsbot.config import Config
from smsbot.feedback.review import seen_all
from smsbot.feedback.taxonomy import load_taxonomy
from smsbot.privacy.retention import parse_retention, purge
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.schema import MIGRATIONS
from smsbot.storage.sqlite.tx import SqliteStore

# What the template is made of (with the schema and `_settle` below): a change to any of
# these makes a new one.
_MADE_FROM = (
    "bench/citizens.py",
    "bench/clone.py",
    "bench/seed.py",
    "bench/templates.py",
    "flows/contact-centre.yaml",
    "flows/tags.yaml",
)


def cache_dir() -> Path:
    return Path(os.environ.get("BENCH_CACHE") or ROOT / "var" / "bench")


def cache_key(answers: int) -> str:
    """A hash of the schema, the seeding code and flow, and the size."""
    digest = hashlib.sha256(str(answers).encode())
    for script in MIGRATIONS:
        digest.update(script.encode())
    for name in _MADE_FROM:
        digest.update((ROOT / name).read_bytes())
    digest.update(inspect.getsource(_settle).encode())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class History:
    path: Path
    figures: dict[str, Any]  # how large it is, how it was made, and whether it was cached

    def copy_to(self, db: Path) -> None:
        """A fresh copy for one phase (its gateway writes to it)."""
        shutil.copyfile(self.path, db)

    def summary(self) -> str:
        f = self.figures
        return (
            f"{f['answers']:,} answers, {f['conversations']:,} conversations,"
            f" {f['messages']:,} messages over {f['days']} days,"
            f" {f['units']} units, {f['services']} services"
        )


async def prepare(config_for: Callable[[Path], Config], answers: int) -> History:
    """The template of `answers` answers: from the cache, else made now (minutes)."""
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"history-{answers}-{cache_key(answers)}.db"
    facts = path.with_suffix(".json")
    if path.exists() and facts.exists():
        return History(path, {**json.loads(facts.read_text()), "cached": True})
    for old in directory.glob(f"history-{answers}-*"):  # for another schema, or cut off
        old.unlink()
    part = directory / f"{path.stem}.part.db"
    started = time.monotonic()
    seeded = await seed.history(config_for(part), part, answers)
    await _settle(config_for(part), part)
    figures = {**seeded, **spread(part), "build_seconds": round(time.monotonic() - started, 1)}
    figures["db_bytes"] = part.stat().st_size
    os.replace(part, path)
    for leftover in (Path(f"{part}-wal"), Path(f"{part}-shm")):
        leftover.unlink(missing_ok=True)
    facts.write_text(json.dumps(figures, indent=2) + "\n")
    return History(path, {**figures, "cached": False})


async def _settle(config: Config, db_path: Path) -> None:
    """What a gateway running all along would have done: numbers purged after retention
    (then VACUUM), the tag rules' pass up to date (the clones carry their templates'
    suggestions); the WAL checkpointed into the file."""
    store = SqliteStore(await open_database(db_path))
    try:
        retention = parse_retention(config.privacy.retention)
        await purge(store, retention_seconds=retention, now=datetime.now(UTC))
        taxonomy = load_taxonomy(Path(config.flows.dir) / "tags.yaml")
        await seen_all(store, taxonomy)
    finally:
        await store.close()


def spread(db: Path) -> dict[str, Any]:
    """How large the history is and what it spans."""
    with sqlite3.connect(db) as conn:
        first, last, units, services = conn.execute(
            "SELECT MIN(created_at), MAX(created_at), COUNT(DISTINCT unit),"
            " COUNT(DISTINCT service) FROM conversations"
        ).fetchone()
        counted = {
            table: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("answers", "conversations", "messages", "events", "feedback", "timers")
        }
    days = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).days if first else 0
    return {**counted, "days": days, "units": units, "services": services, "first": first}
