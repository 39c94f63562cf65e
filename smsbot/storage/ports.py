"""What smsbot needs from storage, in the domain's words: the one storage boundary.

Callers never see SQL, a connection or a driver. They open a unit of work on the `Store`
and talk to one small repository per area through the `Tx` it yields:

    async with store.write() as tx:          # a unit of writes (group commit)
        await tx.conversations.record_opt_out(respondent, now)
    # here the unit's writes are durable: answering 2xx now is safe

    async with store.read() as tx:           # reads, no writes
        rows = await tx.results.counts(filters)

`write()` returns from its block only after the unit's writes are durable (the group commit
shares one COMMIT between the units waiting at that moment); a block that raises leaves
nothing behind. Each area's Protocol below is defined by the code that uses it, in its words.

Adapters implement these: `smsbot.storage.sqlite` today, a PostgreSQL one beside it later.
Only the composition root (`smsbot.bootstrap`) knows which adapter runs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

__all__ = [
    "Conversations",
    "Exports",
    "FeedbackReview",
    "Inbound",
    "Outbox",
    "Results",
    "Retention",
    "ServiceEvents",
    "StorageUnavailable",
    "Store",
    "Timers",
    "Tx",
]


class StorageUnavailable(Exception):
    """Storage cannot take writes now: the disk is full, the file is read-only, an I/O error,
    or another program holds the lock. Nothing of the unit was kept; the same work may be
    tried again later (HTTP answers 503 with Retry-After, so callers do)."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(f"storage unavailable ({cause}): {detail}")
        self.cause = cause  # disk_full, read_only, io_error, locked, cannot_open
        self.detail = detail


# --- gateway: conversations, outbox, inbound messages and receipts, service events, timers -


class Conversations(Protocol):
    """Conversations, their state and answers, opt-outs and flow versions."""


class Outbox(Protocol):
    """Messages waiting to be sent, being sent, and what became of them."""


class Inbound(Protocol):
    """Inbound parts and receipts, as providers delivered them (idempotent on their refs)."""


class ServiceEvents(Protocol):
    """Service events received, decided and scheduled."""


class Timers(Protocol):
    """Reminders and expiries that fall due."""


# --- results and exports ---------------------------------------------------------------


class Results(Protocol):
    """Figures per group for reports and the dashboard."""


class Exports(Protocol):
    """Answers and feedback as rows, in chunks, for exports."""


# --- feedback, retention, pseudonym key, simulator ---------------------------------------


class FeedbackReview(Protocol):
    """Free-text feedback, its tags and their history."""


class Retention(Protocol):
    """What is past its retention, and removing it."""


# --- the unit of work ---------------------------------------------------------------------


class Tx(Protocol):
    """One unit of work's view of storage: a repository per area."""

    def after_commit(self, effect: Callable[[], None]) -> None:
        """Run `effect` once the unit's writes are durable, and never if they are not: a log
        line that says something happened, a metric, a wake-up of the sender."""
        ...

    # gateway
    @property
    def conversations(self) -> Conversations: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def inbound(self) -> Inbound: ...
    @property
    def service_events(self) -> ServiceEvents: ...
    @property
    def timers(self) -> Timers: ...

    # results and exports
    @property
    def results(self) -> Results: ...
    @property
    def exports(self) -> Exports: ...

    # feedback, retention, pseudonym key, simulator
    @property
    def feedback(self) -> FeedbackReview: ...
    @property
    def retention(self) -> Retention: ...


class Store(Protocol):
    """The storage an smsbot process runs on."""

    def write(self) -> AbstractAsyncContextManager[Tx]:
        """A unit of writes; when its block ends, the writes are durable."""
        ...

    def read(self) -> AbstractAsyncContextManager[Tx]:
        """Reads only."""
        ...

    async def flush(self) -> None:
        """Wait until every write so far is durable."""
        ...

    def write_failure(self) -> str | None:
        """Why writes are failing (a `StorageUnavailable` cause), if one failed in the last
        few seconds and none has succeeded since; None when writes go through."""
        ...

    async def close(self) -> None: ...
