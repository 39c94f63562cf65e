"""The benchmark's opt-in counts: statements and hand-offs when on, nothing when off."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsbot.storage.sqlite import counts
from smsbot.storage.sqlite.db import open_database


async def _one_write_and_read(path: Path) -> None:
    db = await open_database(path)
    await db.write(lambda conn: conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
    await db.read(lambda conn: conn.execute("SELECT COUNT(*) FROM t").fetchone())
    await db.close()


@pytest.mark.parametrize("enabled", [True, False])
async def test_counts_only_when_enabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    fresh = counts.Counts()
    monkeypatch.setattr(counts, "ENABLED", enabled)
    monkeypatch.setattr(counts, "COUNTS", fresh)
    await _one_write_and_read(tmp_path / "counted.db")
    if not enabled:
        assert (fresh.statements, fresh.transactions, fresh.units, fresh.handoffs) == (0, 0, 0, 0)
        return
    # the migrations, the write's BEGIN/SAVEPOINT/CREATE/RELEASE/COMMIT, the read's SELECT
    assert fresh.statements > 8
    assert fresh.transactions >= 1  # the write's BEGIN IMMEDIATE (the migrations' too)
    assert fresh.units >= 1  # the write's SAVEPOINT
    assert fresh.handoffs > 4  # aiosqlite calls, the write unit, the read


async def test_a_read_is_one_handoff_and_its_statements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "ENABLED", True)
    monkeypatch.setattr(counts, "COUNTS", counts.Counts())
    db = await open_database(tmp_path / "read.db")
    await db.read(lambda conn: conn.execute("SELECT 1").fetchone())  # opens the reader
    before = (counts.COUNTS.statements, counts.COUNTS.handoffs)
    await db.read(lambda conn: [conn.execute("SELECT 1").fetchone() for _ in range(3)])
    after = (counts.COUNTS.statements, counts.COUNTS.handoffs)
    await db.close()
    assert after[1] - before[1] == 1
    assert after[0] - before[0] >= 3  # the three SELECTs (and the reader's own BEGIN/COMMIT)
