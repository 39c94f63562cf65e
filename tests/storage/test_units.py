"""Units of work as plain functions on today's Database: write, read and stream."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from smsbot.storage.sqlite.db import open_database


async def test_write_read_and_stream_units(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "units.db")
    await db.write(lambda conn: conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)"))

    def insert(n: int) -> object:
        return lambda conn: conn.execute("INSERT INTO t VALUES (?)", (n,)).lastrowid

    ids = await asyncio.gather(*(db.write(insert(n)) for n in range(1, 2501)))
    count = await db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    chunks = [
        len(chunk) async for chunk in db.stream(lambda conn: iter(conn.execute("SELECT id FROM t")))
    ]
    await db.close()
    assert sorted(ids) == list(range(1, 2501))
    assert count == 2500
    assert chunks == [1000, 1000, 500]
    with sqlite3.connect(tmp_path / "units.db") as other:  # committed, seen from outside
        assert other.execute("SELECT COUNT(*) FROM t").fetchone() == (2500,)
