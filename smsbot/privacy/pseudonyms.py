"""Pseudonymous respondent ids: a keyed hash of the E.164 number."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import aiosqlite

__all__ = ["Pseudonymizer", "load_or_create_key"]

_META_KEY = "pseudonym_key"


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def respondent(self, phone: str) -> str:
        """HMAC-SHA-256 of the number: the same person, the same id; not reversible."""
        return hmac.new(self._key, phone.encode(), hashlib.sha256).hexdigest()


async def load_or_create_key(
    conn: aiosqlite.Connection, configured: str | None
) -> tuple[bytes, bool]:
    """The configured key, or one generated once and kept in the database (returns created?)."""
    if configured:
        return configured.encode(), False
    async with conn.execute("SELECT value FROM meta WHERE key = ?", (_META_KEY,)) as cur:
        row = await cur.fetchone()
    if row is not None:
        return str(row[0]).encode(), False
    key = secrets.token_hex(32)
    await conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (_META_KEY, key))
    await conn.commit()
    return key.encode(), True
