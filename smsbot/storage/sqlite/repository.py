"""What every SQLite repository holds: the unit of work's connection, and the database."""

from __future__ import annotations

import aiosqlite

from smsbot.storage.sqlite.db import Database

__all__ = ["Repository"]


class Repository:
    """One area's queries on the connection of one unit of work (see smsbot.storage.ports)."""

    __slots__ = ("conn", "db")

    def __init__(self, conn: aiosqlite.Connection, db: Database) -> None:
        self.conn = conn
        self.db = db
