"""The retention repositories of the SQLite store (see smsbot.storage.ports)."""

from __future__ import annotations

from smsbot.storage.sqlite.repository import Repository


class SqliteRetention(Repository):
    """The `Retention` port (smsbot.storage.ports) on SQLite."""
