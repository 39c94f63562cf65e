"""Opt-in counts for the benchmark: SQL statements, units of work, transactions and hand-offs.

Off unless SMSBOT_BENCH_COUNTS=1 is in the environment when smsbot starts; off, nothing is
installed and a hand-off costs one test of a module constant. On, every connection smsbot
opens counts its statements through sqlite3's trace callback (BEGIN, SAVEPOINT and COMMIT
included; each SAVEPOINT also as a unit of work, each BEGIN as a physical transaction, which
a group commit shares), and every crossing from the event loop to a database thread (an
aiosqlite call, a writer unit, a read) counts as one hand-off. The gateway shows them on
/metrics.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

__all__ = ["COUNTS", "ENABLED", "Counts", "handoff", "watch", "watch_handoffs"]

ENABLED = os.environ.get("SMSBOT_BENCH_COUNTS", "") not in ("", "0")


class Counts:
    def __init__(self) -> None:
        self.statements = 0
        self.transactions = 0  # BEGINs: physical transactions (a group commit shares one)
        self.units = 0  # SAVEPOINTs: units of work (each write's own, inside a shared BEGIN)
        self.handoffs = 0
        self._lock = threading.Lock()  # the trace callback runs in the database threads

    def statement(self, sql: str) -> None:
        with self._lock:
            self.statements += 1
            head = sql[:9].upper()
            if head.startswith("BEGIN"):
                self.transactions += 1
            elif head == "SAVEPOINT":
                self.units += 1

    def handoff(self) -> None:
        with self._lock:
            self.handoffs += 1


COUNTS = Counts()


def handoff() -> None:
    if ENABLED:
        COUNTS.handoff()


def watch(conn: sqlite3.Connection) -> None:
    """Count this connection's statements (when counting is on)."""
    if ENABLED:
        conn.set_trace_callback(COUNTS.statement)


def watch_handoffs(conn: Any) -> None:
    """Count every call an aiosqlite connection sends to its thread (when counting is on)."""
    if not ENABLED:
        return
    execute = conn._execute

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        COUNTS.handoff()
        return await execute(fn, *args, **kwargs)

    conn._execute = counted
