"""The results repositories of the SQLite store (see smsbot.storage.ports)."""

from __future__ import annotations

from smsbot.storage.sqlite.repository import Repository


class SqliteResults(Repository):
    """The `Results` port (smsbot.storage.ports) on SQLite."""


class SqliteExports(Repository):
    """The `Exports` port (smsbot.storage.ports) on SQLite."""
