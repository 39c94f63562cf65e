"""Pseudonymous respondent ids, and their key: configured, or made once and kept in the store."""

from __future__ import annotations

from pathlib import Path

from smsbot.privacy.pseudonyms import Pseudonymizer, load_or_create_key
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.tx import SqliteStore


def test_the_same_number_gives_the_same_id_and_another_key_another() -> None:
    one, other = Pseudonymizer(b"one"), Pseudonymizer(b"other")
    assert one.respondent("+358401234567") == one.respondent("+358401234567")
    assert one.respondent("+358401234567") != one.respondent("+358401234568")
    assert one.respondent("+358401234567") != other.respondent("+358401234567")
    assert "358401234567" not in one.respondent("+358401234567")


async def test_a_configured_key_is_used_and_not_kept(tmp_path: Path) -> None:
    store = SqliteStore(await open_database(tmp_path / "smsbot.db"))
    try:
        assert await load_or_create_key(store, "configured") == (b"configured", False)
        async with store.read() as tx:
            assert await tx.keys.pseudonym_key() is None
    finally:
        await store.close()


async def test_without_one_a_key_is_made_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "smsbot.db"
    store = SqliteStore(await open_database(path))
    try:
        key, created = await load_or_create_key(store, None)
    finally:
        await store.close()
    assert created and len(key) == 64
    reopened = SqliteStore(await open_database(path))
    try:
        assert await load_or_create_key(reopened, "") == (key, False)
    finally:
        await reopened.close()
