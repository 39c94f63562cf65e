"""What kill -9 leaves of acknowledged writes: a child process writes and prints each id once
its write is acknowledged; it is killed the instant after the last one read."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path


def committed_ids(path: Path) -> set[int]:
    """What another connection sees: only committed rows (of table t)."""
    with sqlite3.connect(path) as other:
        return {row[0] for row in other.execute("SELECT id FROM t")}


def lost_after_sigkill(child_code: str, path: Path, acks: int) -> list[int]:
    """Run `child_code` on `path`, read `acks` acknowledged ids, SIGKILL it: the ids lost."""
    child = subprocess.Popen(
        [sys.executable, "-c", child_code, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    acknowledged = {int(child.stdout.readline()) for _ in range(acks)}
    child.kill()  # SIGKILL, the instant after the last acknowledgement was read
    child.wait(10)
    child.stdout.close()
    return sorted(acknowledged - committed_ids(path))
