"""The small interfaces the service needs; adapters implement them."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "IdMaker", "SystemClock", "random_id"]


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdMaker(Protocol):
    def __call__(self) -> str: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def random_id() -> str:
    """A conversation id: 16 hex characters, unguessable."""
    return secrets.token_hex(8)
