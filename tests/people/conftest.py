"""A real SQLite store for the people tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsbot.storage.ports import Store
from smsbot.storage.sqlite.db import Database, open_database
from smsbot.storage.sqlite.tx import SqliteStore


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    opened = await open_database(tmp_path / "smsbot.db")
    yield opened
    await opened.close()


@pytest.fixture
def store(db: Database) -> Store:
    return SqliteStore(db)
