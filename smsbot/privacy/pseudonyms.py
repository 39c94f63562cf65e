"""Pseudonymous respondent ids: a keyed hash of the E.164 number."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from smsbot.storage.ports import Store

__all__ = ["Pseudonymizer", "load_or_create_key"]


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def respondent(self, phone: str) -> str:
        """HMAC-SHA-256 of the number: the same person, the same id; not reversible."""
        return hmac.new(self._key, phone.encode(), hashlib.sha256).hexdigest()


async def load_or_create_key(store: Store, configured: str | None) -> tuple[bytes, bool]:
    """The configured key, or one generated once and kept in the database (returns created?)."""
    if configured:
        return configured.encode(), False
    async with store.read() as tx:
        kept = await tx.keys.pseudonym_key()
    if kept is not None:
        return kept.encode(), False
    key = secrets.token_hex(32)
    async with store.write() as tx:
        await tx.keys.keep_pseudonym_key(key)
    return key.encode(), True
