"""SQLite storage (aiosqlite): schema, migrations and the queries the service needs."""

from smsbot.storage.sqlite.db import Database, open_database

__all__ = ["Database", "open_database"]
