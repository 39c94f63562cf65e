"""The store a one-off command works on (report, export): the database at a path, opened
without the gateway's other parts, closed when the block ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore

__all__ = ["opened_store"]


@asynccontextmanager
async def opened_store(path: Path | str) -> AsyncIterator[Store]:
    """The store on the database at `path` (DatabaseOpenError when it cannot be opened)."""
    store = SqliteStore(await open_database(path))
    try:
        yield store
    finally:
        await store.close()
