"""`Store.unit`: a whole unit of work (the service's code and its repositories) crosses to the
database thread once, is durable when it returns, and loses only itself when it fails."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smsbot.storage.ports import Tx
from smsbot.storage.sqlite import counts
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.inline import UnitSuspended
from smsbot.storage.sqlite.tx import SqliteStore

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def _opted_out(path: Path) -> list[str]:
    with sqlite3.connect(path) as other:  # committed: seen from another connection
        return [row[0] for row in other.execute("SELECT respondent FROM opt_outs")]


async def test_a_unit_is_one_handoff_and_durable_when_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "ENABLED", True)
    monkeypatch.setattr(counts, "COUNTS", counts.Counts())
    path = tmp_path / "unit.db"
    store = SqliteStore(await open_database(path))
    loop_thread = threading.current_thread()
    seen: list[object] = []

    async def opt_out(tx: Tx) -> bool:
        seen.append(threading.current_thread())
        before = await tx.conversations.is_opted_out("r1")
        await tx.conversations.record_opt_out("r1", NOW)
        await tx.conversations.record_opt_out("r2", NOW)
        tx.after_commit(lambda: seen.append("after commit"))
        return before

    assert await store.unit(opt_out) is False
    start = (counts.COUNTS.handoffs, counts.COUNTS.statements)
    assert await store.unit(opt_out) is True
    handoffs = counts.COUNTS.handoffs - start[0]
    statements = counts.COUNTS.statements - start[1]
    assert sorted(_opted_out(path)) == ["r1", "r2"]
    await store.close()
    assert seen[0] is not loop_thread  # the unit ran in the database thread
    assert seen[1] == "after commit"
    assert seen[2] is not loop_thread
    # the unit itself, then the batch's BEGIN and COMMIT (one batch: nothing else queued)
    assert handoffs == 3
    assert statements == 5 + 2  # SAVEPOINT, SELECT, 2 INSERTs, RELEASE; BEGIN, COMMIT


async def test_a_failing_unit_keeps_nothing_and_its_neighbours_everything(tmp_path: Path) -> None:
    path = tmp_path / "fails.db"
    store = SqliteStore(await open_database(path))

    async def fails(tx: Tx) -> None:
        await tx.conversations.record_opt_out("lost", NOW)
        raise ValueError("the unit's own error")

    async def keeps(tx: Tx) -> None:
        await tx.conversations.record_opt_out("kept", NOW)

    results = await asyncio.gather(store.unit(fails), store.unit(keeps), return_exceptions=True)
    await store.close()
    assert isinstance(results[0], ValueError)
    assert results[1] is None
    assert _opted_out(path) == ["kept"]


async def test_a_unit_that_awaits_something_else_is_refused_and_kept_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "suspends.db"
    store = SqliteStore(await open_database(path))

    async def waits(tx: Tx) -> None:
        await tx.conversations.record_opt_out("lost", NOW)
        await asyncio.sleep(0)  # not a database call: the unit cannot run in one go

    with pytest.raises(UnitSuspended, match="only its Tx"):
        await store.unit(waits)
    await store.unit(lambda tx: tx.conversations.record_opt_out("next", NOW))
    await store.close()
    assert _opted_out(path) == ["next"]


async def test_a_read_unit_is_one_handoff_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "ENABLED", True)
    monkeypatch.setattr(counts, "COUNTS", counts.Counts())
    store = SqliteStore(await open_database(tmp_path / "read.db"))
    await store.unit(lambda tx: tx.conversations.record_opt_out("r1", NOW))

    async def both(tx: Tx) -> tuple[bool, bool]:
        return await tx.conversations.is_opted_out("r1"), await tx.conversations.is_opted_out("r2")

    start = (counts.COUNTS.handoffs, counts.COUNTS.statements)
    found = await store.read_unit(both)
    handoffs = counts.COUNTS.handoffs - start[0]
    statements = counts.COUNTS.statements - start[1]
    await store.close()
    assert found == (True, False)
    assert (handoffs, statements) == (1, 2)  # the two SELECTs, no transaction of its own
