"""The SQLite adapter of the storage ports: a `Tx` over one connection, and the `Store`."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

from smsbot.storage.ports import Tx
from smsbot.storage.sqlite.db import Database

__all__ = ["SqliteStore", "SqliteTx"]

T = TypeVar("T")


class SqliteTx:
    """Every repository of the ports, on the connection of one unit of work.

    Add an area's repository as an attribute made from `conn` (cheap: made per unit).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn


class SqliteStore:
    """The `Store` port on one SQLite file."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def write(self, work: Callable[[Tx], T]) -> T:
        return await self.db.write(lambda conn: work(SqliteTx(conn)))

    async def read(self, work: Callable[[Tx], T]) -> T:
        return await self.db.read(lambda conn: work(SqliteTx(conn)))

    def stream(
        self, rows: Callable[[Tx], Iterator[T]], *, chunk: int = 1000
    ) -> AsyncIterator[list[T]]:
        return self.db.stream(lambda conn: rows(SqliteTx(conn)), chunk=chunk)

    async def close(self) -> None:
        await self.db.close()
