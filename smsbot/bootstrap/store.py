"""The store a command works on, opened from the configuration (the CLI's composition root)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from smsbot.config import Config
from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore

__all__ = ["opened_store"]


@asynccontextmanager
async def opened_store(config: Config) -> AsyncIterator[Store]:
    """The configured database as a `Store`, closed when the block ends."""
    store = SqliteStore(await open_database(config.database.path))
    try:
        yield store
    finally:
        await store.close()
