"""A whole unit of work in the database's thread, in one go.

The repositories speak aiosqlite: `await conn.execute(...)`, `async with conn.execute(...) as
cur`, `await cur.fetchone()`. On the event loop each of those is a hand-off to aiosqlite's
thread. `InlineConnection` offers the same calls on the plain `sqlite3.Connection` of the
thread the unit already runs in: each statement runs at once, and its await never suspends.
So the async code of a unit (the service's and the repositories') runs to its end inside one
synchronous call, `run_now`, in the database thread: one hand-off for the whole unit.

A unit that awaits anything else (a network call, a sleep, a lock) would suspend: `run_now`
refuses it with `UnitSuspended`, and the unit's writes are rolled back with it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Generator
from typing import Any, TypeVar

__all__ = ["InlineConnection", "InlineCursor", "UnitSuspended", "run_now"]

T = TypeVar("T")


class UnitSuspended(RuntimeError):
    """A unit of work waited for something outside the database; it cannot run in one go."""


def run_now(unit: Awaitable[T]) -> T:
    """Run an awaitable that never suspends to its end, in the calling thread."""
    steps = unit.__await__()
    try:
        next(steps)
    except StopIteration as done:
        value: T = done.value
        return value
    steps.close()
    raise UnitSuspended(
        "a unit of work awaited something other than its database calls; a unit may use only"
        " its Tx (do the rest before or after it)"
    )


class InlineCursor:
    """aiosqlite's cursor calls, answered at once from a plain cursor."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._rows()

    async def _rows(self) -> AsyncIterator[Any]:
        for row in self._cursor:
            yield row


class _Executed:
    """What `execute` returns: awaitable (the cursor) and an async context manager (closes it)."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: InlineCursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, InlineCursor]:
        return self._ready().__await__()

    async def _ready(self) -> InlineCursor:
        return self._cursor

    async def __aenter__(self) -> InlineCursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()


class InlineConnection:
    """aiosqlite's connection calls that the repositories use, on a plain connection, at once.

    Transactions are not its business: the unit runs inside the group commit's savepoint."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Any = ()) -> _Executed:
        return _Executed(InlineCursor(self._conn.execute(sql, parameters)))

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction
