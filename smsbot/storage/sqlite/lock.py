"""One gateway per database file: an exclusive lock held for the life of `smsbot serve`.

Two gateways on one SQLite file would both send the outbox, and the second, at its start, takes
the first one's sends under way for sends cut off by a crash and sends them again. So `serve`
holds an exclusive `flock` on `<database>.lock` (a file beside the database) until it exits; the
kernel releases it when the process ends in any way, kill -9 included, so it never goes stale.
The file says who holds it. Other commands (report, export, chat, events import, ...) do not
take it: SQLite's own locking lets them share the database with a running gateway.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["DatabaseInUse", "DatabaseLock", "lock_database", "lock_path"]


class DatabaseInUse(Exception):
    """Another process holds the database's lock; `holder` is what it wrote there ("" if
    nothing yet)."""

    def __init__(self, database: Path, holder: str) -> None:
        super().__init__(f"{database} is in use ({holder or 'by another process'})")
        self.database = database
        self.holder = holder


@dataclass
class DatabaseLock:
    path: Path
    handle: IO[str]

    def release(self) -> None:
        """Let go of the lock (the file stays; the next gateway takes it over)."""
        if not self.handle.closed:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def lock_database(database: Path, holder: str) -> DatabaseLock:
    """Take the database's lock for this process, writing `holder` (e.g. "pid 12, port 8080")
    into the lock file; raises DatabaseInUse naming the process that has it."""
    path = lock_path(database)
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        other = handle.read().strip()
        handle.close()
        raise DatabaseInUse(database, other) from None
    handle.seek(0)
    handle.truncate()
    handle.write(holder + "\n")
    handle.flush()
    os.fsync(handle.fileno())
    return DatabaseLock(path, handle)
