"""A consistent copy of a live SQLite database, by SQLite's online backup API.

The copy is one snapshot: SQLite copies every page inside one read transaction, which in WAL
mode never blocks the gateway's writers. Whatever was committed before the copy began is in
it (a 2xx was answered only after its commit), nothing later is. The copy is made beside the
target under a temporary name, checked, made durable, and only then given the target's name,
so a backup that was cut short never looks like a whole one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BackupError", "BackupMade", "backup_database"]


class BackupError(Exception):
    """The backup could not be made: one line naming the file and the reason."""


@dataclass(frozen=True)
class BackupMade:
    path: Path
    bytes: int
    schema_version: int


def backup_database(source: Path, target: Path) -> BackupMade:
    """Copy the database at `source` to `target` (a new file, readable by its owner only)."""
    target = target.absolute()
    if target.exists():
        raise BackupError(f"{target} exists: a backup never overwrites; choose a new name")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    try:
        version = _copy(source, partial)
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)  # the new name is durable too
    except (OSError, sqlite3.Error) as error:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise BackupError(f"cannot back up {source} to {target}: {error}") from None
    return BackupMade(target, target.stat().st_size, version)


def _copy(source: Path, partial: Path) -> int:
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)  # it holds phone numbers
    os.close(fd)
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        origin.backup(copy)  # every page in one step: one snapshot
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        problems = copy.execute("PRAGMA quick_check").fetchall()
        if problems != [("ok",)]:
            raise BackupError(f"the copy of {source} failed its check: {problems[0][0]}")
        return int(copy.execute("PRAGMA user_version").fetchone()[0])
    finally:
        copy.close()
        origin.close()


def _fsync(path: Path) -> None:
    """Make a file's contents, or a folder's names, durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
