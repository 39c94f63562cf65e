"""The backup the configuration's store offers (SQLite: its online backup API)."""

from __future__ import annotations

from pathlib import Path

from smsbot.config import Config, StartupError
from smsbot.storage.sqlite.backup import BackupError, BackupMade, backup_database

__all__ = ["BackupError", "BackupMade", "backup"]


def backup(config: Config, target: Path) -> BackupMade:
    source = Path(config.database.path)
    if str(source) == ":memory:":
        raise StartupError("an in-memory database cannot be backed up")
    return backup_database(source, target)
