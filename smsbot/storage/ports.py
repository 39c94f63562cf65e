"""What smsbot needs from storage, in the domain's words: the one storage boundary.

Callers never see SQL, a connection or a driver. They hand a *unit of work* to the `Store`:
a plain synchronous function of a `Tx`, which runs where the data is (for SQLite: in the
database thread, inside the group commit) and comes back once:

    decision = await store.write(lambda tx: intake.decide(tx, event))

`write` returns only after the unit's writes are durable (2xx-after-commit rests on this);
a unit that raises leaves nothing behind. `read` runs on a snapshot and never waits for
writers. `stream` yields a long read in chunks, in constant memory (exports).

A `Tx` offers one small repository per area, each a Protocol below, named for what it holds.
Adapters implement them: `smsbot.storage.sqlite` today, a PostgreSQL one beside it. Only the
composition root (`smsbot.bootstrap`) knows which adapter runs.

Areas (each section below is owned by the code that uses it; add yours in the same style):
conversations and flow versions, the outbox, inbound messages and receipts, service events,
timers, results, exports, feedback and tags, retention, web sessions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Protocol, TypeVar

__all__ = ["Store", "Tx"]

T = TypeVar("T")


class Tx(Protocol):
    """One unit of work's view of storage: a repository per area (see the sections below)."""


class Store(Protocol):
    async def write(self, work: Callable[[Tx], T]) -> T:
        """Run `work` as one unit of writes; returns once they are durable."""
        ...

    async def read(self, work: Callable[[Tx], T]) -> T:
        """Run `work` on one consistent snapshot, without waiting for writers."""
        ...

    def stream(
        self, rows: Callable[[Tx], Iterator[T]], *, chunk: int = 1000
    ) -> AsyncIterator[list[T]]:
        """A long read in chunks of rows."""
        ...

    async def close(self) -> None: ...
