"""Upgrades from every earlier schema version, with data in every table, keep every row.

For each version the code has ever written, a database is made by that version's migrations
(the old code's schema, applied as the old code applied it) and given a row in every table,
with foreign keys that hold. Opening it with today's code must migrate it to the current
version with every row and every value kept, except the columns a migration adds. A database
newer than the code is refused (tests/cli/test_startup.py checks the message at start-up).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from smsbot.storage.sqlite.db import DatabaseOpenError, _statements, open_database
from smsbot.storage.sqlite.schema import MIGRATIONS
from tests.suite_summary import tally

CURRENT = len(MIGRATIONS)
SPECIAL = {("messages", "direction"): "out"}  # the schema's one CHECK


def old_database(path: Path, version: int) -> None:
    """A database as the code of schema `version` left it, with a row in every table."""
    db = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:version], start=1):
        db.execute("BEGIN")
        for statement in _statements(script):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    db.execute("PRAGMA foreign_keys = ON")
    for table in _by_dependency(db):
        _insert_a_row(db, table)
    db.close()


def _tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [name for (name,) in rows if not name.startswith("sqlite_")]


def _by_dependency(db: sqlite3.Connection) -> list[str]:
    """Tables, each after the tables its foreign keys point to."""
    pending, done = _tables(db), list[str]()
    while pending:
        for table in pending:
            parents = {row[2] for row in db.execute(f"PRAGMA foreign_key_list({table})")}
            if parents <= set(done) | {table}:
                done.append(table)
                pending.remove(table)
                break
        else:
            raise AssertionError(f"a cycle among {pending}")
    return done


def _insert_a_row(db: sqlite3.Connection, table: str) -> None:
    references = {
        row[3]: (row[2], row[4]) for row in db.execute(f"PRAGMA foreign_key_list({table})")
    }
    values: dict[str, Any] = {}
    for _, column, kind, _, _, _ in db.execute(f"PRAGMA table_info({table})"):
        if column in references:
            parent, key = references[column]
            values[column] = db.execute(f"SELECT {key} FROM {parent}").fetchone()[0]
        else:
            values[column] = SPECIAL.get((table, column), _value(column, kind.upper()))
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(values.values()))


def _value(column: str, kind: str) -> Any:
    if "INT" in kind:
        return 1
    if "REAL" in kind:
        return 1.5
    if column.endswith("_at"):
        return "2026-03-01T10:00:00.000+00:00"
    if column == "phone":
        return "+46701234567"
    return f"{column}-1"


def _contents(path: Path) -> dict[str, list[dict[str, Any]]]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return {t: [dict(r) for r in db.execute(f"SELECT * FROM {t}")] for t in _tables(db)}
    finally:
        db.close()


@pytest.mark.parametrize("version", range(1, CURRENT), ids=lambda v: f"from-v{v}")
async def test_an_upgrade_from_each_earlier_version_keeps_every_row(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / f"v{version}.db"
    old_database(path, version)
    before = _contents(path)

    db = await open_database(path)
    assert await db.schema_version() == CURRENT
    await db.close()

    after = _contents(path)
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert check.execute("PRAGMA foreign_key_check").fetchall() == []
    check.close()
    for table, rows in before.items():
        # a row in every table (aggregate tables also hold what their triggers counted)
        assert len(after[table]) == len(rows) >= 1, table
        kept = [sorted((k, v) for k, v in row.items() if k in rows[0]) for row in after[table]]
        # every value the old code stored, as it stored it
        assert sorted(map(repr, kept)) == sorted(repr(sorted(r.items())) for r in rows), table
    tally("upgrades", "schema versions upgraded with data", 1)
    tally("upgrades", "rows kept", sum(len(rows) for rows in before.values()))
    tally(
        "upgrades",
        "lost",
        sum(len(r) for t, r in before.items()) - sum(len(after[t]) for t in before),
    )


async def test_a_database_newer_than_the_code_is_refused_and_left_as_it_was(
    tmp_path: Path,
) -> None:
    path = tmp_path / "newer.db"
    old_database(path, CURRENT)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {CURRENT + 1}")
    db.close()
    before = _contents(path)
    with pytest.raises(DatabaseOpenError, match=f"has schema {CURRENT + 1}, newer than"):
        await open_database(path)
    assert _contents(path) == before
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone() == (CURRENT + 1,)
    db.close()
