"""The database connection: WAL, durable commits, migrations, one writer at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from smsbot.storage.schema import MIGRATIONS

__all__ = ["Database", "from_ts", "open_database", "ts"]


def ts(moment: datetime) -> str:
    """A UTC timestamp as stored: ISO 8601, milliseconds, sortable as text."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def from_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Database:
    """One aiosqlite connection. Writes go through `transaction()`, serialised by a lock."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT; when the block returns, its writes are durable."""
        async with self._write_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            await self.conn.commit()

    async def schema_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        await self.conn.close()


async def open_database(path: Path | str) -> Database:
    """Open (creating if needed) and migrate the database at `path`."""
    db_path = Path(path)
    if str(db_path) != ":memory:":
        db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(db_path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    for pragma in (
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = FULL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA busy_timeout = 5000",
        "PRAGMA secure_delete = ON",
    ):
        await conn.execute(pragma)
    db = Database(conn, db_path)
    await _migrate(db)
    return db


async def _migrate(db: Database) -> None:
    current = await db.schema_version()
    if current > len(MIGRATIONS):
        raise RuntimeError(
            f"{db.path}: database schema {current} is newer than this smsbot ({len(MIGRATIONS)})"
        )
    for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
        async with db.transaction() as conn:
            for statement in _statements(script):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {number}")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (the schema has no semicolons inside strings)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
