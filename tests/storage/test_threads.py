"""Group commit in the writer thread: units share COMMITs, each durable when its await returns."""

from __future__ import annotations

import asyncio
import sqlite3
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from smsbot.storage.sqlite.threads import DatabaseError, Readers, Writer, stream
from tests.storage.killkit import committed_ids, lost_after_sigkill


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    return conn


def _writer(path: Path) -> Writer:
    writer = Writer(lambda: _connect(path), name=path.name)
    writer.start()
    return writer


def _insert(n: int, v: str = "row") -> Callable[[sqlite3.Connection], int]:
    def work(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t (id, v) VALUES (?, ?)", (n, v))
        return n

    return work


async def test_concurrent_units_share_commits_and_are_committed_on_return(tmp_path: Path) -> None:
    path = tmp_path / "batch.db"
    writer = _writer(path)
    seen_on_return: dict[int, bool] = {}

    async def write(n: int) -> None:
        assert await writer.run(_insert(n)) == n
        seen_on_return[n] = n in committed_ids(path)

    await asyncio.gather(*(write(n) for n in range(200)))
    await writer.close()
    assert all(seen_on_return.values()) and len(seen_on_return) == 200
    assert writer.commits < 200 / 4, f"{writer.commits} commits for 200 units"


async def test_a_failing_unit_loses_only_its_own_writes(tmp_path: Path) -> None:
    path = tmp_path / "batch.db"
    writer = _writer(path)

    def work(n: int) -> Callable[[sqlite3.Connection], None]:
        def unit(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO t (id, v) VALUES (?, 'kept')", (n,))
            if n % 3 == 0:
                raise ValueError(f"unit {n} changed its mind")

        return unit

    results = await asyncio.gather(
        *(writer.run(work(n)) for n in range(30)), return_exceptions=True
    )
    await writer.close()
    failed = {n for n, r in enumerate(results) if isinstance(r, ValueError)}
    assert failed == set(range(0, 30, 3))
    assert committed_ids(path) == set(range(30)) - failed


async def test_a_unit_that_aborts_the_transaction_fails_its_whole_batch(tmp_path: Path) -> None:
    path = tmp_path / "batch.db"
    writer = _writer(path)

    def abort(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t (id, v) VALUES (5, 'batch')")
        conn.execute("ROLLBACK")  # as SQLite itself does on a full disk
        raise OSError("disk full")

    def slow(conn: sqlite3.Connection) -> None:
        import time

        time.sleep(0.05)  # holds the writer so the others queue into one batch

    blocker = asyncio.ensure_future(writer.run(slow))
    await asyncio.sleep(0.01)
    works: list[Callable[[sqlite3.Connection], object]] = [_insert(n) for n in range(5)]
    works += [abort, *(_insert(n) for n in range(6, 10))]
    results = await asyncio.gather(*(writer.run(w) for w in works), return_exceptions=True)
    await blocker
    assert await writer.run(_insert(100)) == 100  # the next batch works
    await writer.close()
    assert isinstance(results[5], OSError)
    lost = {n for n, r in enumerate(results) if isinstance(r, DatabaseError)}
    assert lost == set(range(10)) - {5}
    assert committed_ids(path) == {100}


async def test_readers_see_committed_rows_and_stream_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "read.db"
    writer = _writer(path)
    for n in range(2500):
        await writer.run(_insert(n))
    readers = Readers(lambda: _connect(path), name="read")
    count = await readers.run(lambda conn: conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    chunks = [
        len(c)
        async for c in stream(
            lambda: _connect(path), lambda conn: iter(conn.execute("SELECT id FROM t")), chunk=1000
        )
    ]
    await readers.close()
    await writer.close()
    assert count == 2500
    assert chunks == [1000, 1000, 500]


CHILD = textwrap.dedent(
    """
    import asyncio, sqlite3, sys
    from smsbot.storage.sqlite.threads import Writer

    def connect():
        conn = sqlite3.connect(sys.argv[1], isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
        return conn

    async def main():
        writer = Writer(connect, name="killed")
        writer.start()

        async def one(first):
            for n in range(first, 10_000_000, 64):
                insert = "INSERT INTO t VALUES (?, 'x')"
                await writer.run(lambda conn, n=n: conn.execute(insert, (n,)))
                print(n, flush=True)  # the acknowledgement

        await asyncio.gather(*(one(first) for first in range(64)))

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("acks", [50, 400])
def test_every_acknowledged_unit_survives_sigkill(tmp_path: Path, acks: int) -> None:
    missing = lost_after_sigkill(CHILD, tmp_path / "killed.db", acks)
    assert not missing, f"{len(missing)} acknowledged unit(s) lost: {sorted(missing)[:10]}"
