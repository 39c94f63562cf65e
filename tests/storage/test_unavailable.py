"""The store's promises when writes fail: StorageUnavailable with its cause, effects only
after a commit, and a write failure remembered until a write succeeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsbot.storage.ports import StorageUnavailable
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore


async def test_effects_run_after_the_commit_and_never_for_a_failed_unit(tmp_path: Path) -> None:
    store = SqliteStore(await open_database(tmp_path / "db.sqlite"))
    ran: list[str] = []
    try:
        async with store.write() as tx:
            tx.after_commit(lambda: ran.append("kept"))
            assert ran == []  # not before the commit
        assert ran == ["kept"]
        with pytest.raises(ValueError):
            async with store.write() as tx:
                tx.after_commit(lambda: ran.append("lost"))
                raise ValueError("the unit fails")
        assert ran == ["kept"]
        async with store.read() as tx:
            tx.after_commit(lambda: ran.append("read"))
        assert ran == ["kept", "read"]  # a read has nothing to commit; the effect still runs
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("pragma", "cause"),
    [("PRAGMA query_only = ON", "read_only"), ("PRAGMA max_page_count = 1", "disk_full")],
)
async def test_a_write_storage_cannot_take_is_unavailable_until_one_succeeds(
    tmp_path: Path, pragma: str, cause: str
) -> None:
    db = await open_database(tmp_path / "db.sqlite")
    store = SqliteStore(db)
    try:
        await db.conn.execute(pragma)
        with pytest.raises(StorageUnavailable) as raised:
            async with db.transaction() as conn:
                await conn.execute("CREATE TABLE big (x)")
                await conn.execute("INSERT INTO big SELECT zeroblob(100000)")
        assert raised.value.cause == cause and str(tmp_path) in raised.value.detail
        assert store.write_failure() == cause
        await db.conn.execute("PRAGMA query_only = OFF")
        await db.conn.execute("PRAGMA max_page_count = 1073741823")
        async with store.write():
            pass
        assert store.write_failure() is None
    finally:
        await store.close()


async def test_a_wrong_statement_is_a_bug_not_unavailable_storage(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "db.sqlite")
    try:
        with pytest.raises(Exception) as raised:
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO no_such_table VALUES (1)")
        assert not isinstance(raised.value, StorageUnavailable)
        assert db.write_failure() is None
    finally:
        await db.close()
