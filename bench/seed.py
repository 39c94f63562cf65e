"""Seeding a database before its gateway starts: templates by the real service, then clones."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench import templates
from bench.clone import clone
from bench.lab import PSEUDONYM_KEY
from smsbot.config import Config
from smsbot.privacy.pseudonyms import Pseudonymizer

TEMPLATES_WAITING = 20
# Phone numbers (+4670NNNNNNN): the history's people, and those waiting on top of it, apart.
PHONES_TEMPLATES, PHONES_CLONES = 2_000_000, 3_000_000
PHONES_WAITING_TEMPLATES, PHONES_WAITING_CLONES = 2_500_000, 5_000_000
HISTORY_DAYS = 180


def _respondent() -> Any:
    return Pseudonymizer(PSEUDONYM_KEY.encode()).respondent


def _scalar(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


async def active(config: Config, db: Path, total: int, *, delivered: bool) -> dict[str, Any]:
    """`total` conversations waiting for the answer to their first question (beside any
    history the database holds)."""
    started = time.monotonic()
    made = await templates.waiting(
        config, TEMPLATES_WAITING, PHONES_WAITING_TEMPLATES, delivered=delivered
    )
    copies = total - len(made)
    await asyncio.to_thread(clone, db, made, copies, PHONES_WAITING_CLONES, _respondent())
    return {
        "seeded_conversations": _scalar(
            db, "SELECT COUNT(*) FROM conversations WHERE status = 'active'"
        ),
        "seed_seconds": round(time.monotonic() - started, 1),
    }


async def backlog(config: Config, db: Path, messages: int) -> dict[str, Any]:
    """Conversations just started, their opening and first question still queued: two
    messages each, `messages` in all."""
    seeded = await active(config, db, messages // 2, delivered=False)
    sql = "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'queued'"
    return {**seeded, "queued_messages": _scalar(db, sql)}


async def history(config: Config, db: Path, answers: int) -> dict[str, Any]:
    """Whole conversations over the last HISTORY_DAYS days, cloned until about `answers`
    answers."""
    started = time.monotonic()
    number = 200 if answers >= 500_000 else 30
    made = await templates.history(config, number, PHONES_TEMPLATES, HISTORY_DAYS)
    made_in = time.monotonic() - started
    have = _scalar(db, "SELECT COUNT(*) FROM answers")
    copies = max(0, math.ceil((answers - have) / (have / len(made))))
    await asyncio.to_thread(clone, db, made, copies, PHONES_CLONES, _respondent())
    return {
        "answers": _scalar(db, "SELECT COUNT(*) FROM answers"),
        "conversations": _scalar(db, "SELECT COUNT(*) FROM conversations"),
        "messages": _scalar(db, "SELECT COUNT(*) FROM messages"),
        "events": _scalar(db, "SELECT COUNT(*) FROM events"),
        "feedback": _scalar(db, "SELECT COUNT(*) FROM feedback"),
        "templates": len(made),
        "templates_seconds": round(made_in, 1),
        "seed_seconds": round(time.monotonic() - started, 1),
    }
