"""Group commit: concurrent writes share one COMMIT, each durable when its block returns."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from smsbot.storage.sqlite.db import Database, DatabaseError, open_database
from tests.storage.killkit import committed_ids, lost_after_sigkill


async def _open(tmp_path: Path) -> Database:
    db = await open_database(tmp_path / "batch.db")
    await db.conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
    return db


async def test_concurrent_writes_share_commits_and_are_committed_on_return(
    tmp_path: Path,
) -> None:
    db = await _open(tmp_path)
    seen_on_return: dict[int, bool] = {}

    async def write(n: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t (id, v) VALUES (?, ?)", (n, f"row {n}"))
        seen_on_return[n] = n in committed_ids(db.path)

    before = db.commits
    await asyncio.gather(*(write(n) for n in range(200)))
    await db.close()
    assert all(seen_on_return.values()) and len(seen_on_return) == 200
    assert db.commits - before < 200 / 4, f"{db.commits - before} commits for 200 writes"


async def test_a_failing_block_loses_only_its_own_writes(tmp_path: Path) -> None:
    db = await _open(tmp_path)

    async def write(n: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t (id, v) VALUES (?, ?)", (n, "kept"))
            if n % 3 == 0:
                raise ValueError(f"block {n} changed its mind")

    results = await asyncio.gather(*(write(n) for n in range(30)), return_exceptions=True)
    await db.close()
    failed = {n for n, r in enumerate(results) if isinstance(r, ValueError)}
    assert failed == set(range(0, 30, 3))
    assert committed_ids(db.path) == set(range(30)) - failed


async def test_a_block_that_aborts_the_transaction_fails_its_whole_batch(tmp_path: Path) -> None:
    db = await _open(tmp_path)
    gate = asyncio.Event()

    async def write(n: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t (id, v) VALUES (?, ?)", (n, "batch"))
            if n == 5:
                await gate.wait()
                await conn.execute("ROLLBACK")  # as SQLite itself does on a full disk
                raise OSError("disk full")

    async def writers() -> list[object]:
        tasks = [asyncio.create_task(write(n)) for n in range(10)]
        await asyncio.sleep(0.05)
        gate.set()
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    results = await writers()
    async with db.transaction() as conn:  # the next batch works again
        await conn.execute("INSERT INTO t (id, v) VALUES (100, 'after')")
    await db.close()
    assert isinstance(results[5], OSError)
    lost = {n for n, r in enumerate(results) if isinstance(r, DatabaseError)}
    assert lost, "the blocks sharing the aborted transaction must hear of it"
    kept = {n for n, r in enumerate(results) if r is None}
    assert committed_ids(db.path) == kept | {100}


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from smsbot.storage.sqlite.db import open_database

    async def main(path):
        db = await open_database(path)
        await db.conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")

        async def writer(first):
            for n in range(first, 10_000_000, 64):
                async with db.transaction() as conn:
                    await conn.execute("INSERT INTO t (id, v) VALUES (?, 'x')", (n,))
                print(n, flush=True)  # the acknowledgement

        await asyncio.gather(*(writer(first) for first in range(64)))

    asyncio.run(main(sys.argv[1]))
    """
)


@pytest.mark.parametrize("acks", [50, 400])
def test_every_acknowledged_write_survives_sigkill(tmp_path: Path, acks: int) -> None:
    missing = lost_after_sigkill(CHILD, tmp_path / "killed.db", acks)
    assert not missing, f"{len(missing)} acknowledged write(s) lost: {sorted(missing)[:10]}"
