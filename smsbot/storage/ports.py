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

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from smsbot.storage.figures import (
    Cell,
    ConversationCounts,
    DriverQuestions,
    EventCounts,
    ExportScope,
    FirstReplies,
    HourCounts,
    HourSums,
    Key,
    Moments,
    ReportFilter,
    SmsCost,
)

__all__ = [
    "Conversations",
    "Exports",
    "FeedbackReview",
    "Inbound",
    "Outbox",
    "Results",
    "Retention",
    "ServiceEvents",
    "Store",
    "Timers",
    "Tx",
]


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
    """Figures per group for reports and the dashboard: each method takes a `ReportFilter`
    and gives rows per group key (see smsbot.storage.figures), aggregated by the store."""

    async def is_known(self, what: str, name: str) -> bool:
        """Whether a survey or a service event has this flow, unit or service (`what`)."""
        ...

    async def known_names(self, what: str) -> set[str]:
        """Every flow, unit or service (`what`) a survey or a service event has."""
        ...

    async def surveyed_names(self, what: str) -> list[str]:
        """The units or services (`what`) surveys were sent for, sorted."""
        ...

    async def conversation_counts(self, f: ReportFilter) -> dict[Key, ConversationCounts]: ...

    async def delivered(self, f: ReportFilter) -> dict[Key, int]:
        """Surveys whose opening message was delivered."""
        ...

    async def event_counts(self, f: ReportFilter) -> dict[Key, EventCounts]:
        """Service events received in the period (by `received_at`), by decision."""
        ...

    async def skipped_by_reason(self, f: ReportFilter) -> dict[Key, dict[str, int]]: ...

    async def answer_counts(self, f: ReportFilter) -> dict[Cell, Counter[object]]:
        """Understood answers per question and value (a scale's whole number, a yes/no or
        choice's text; None for free text)."""
        ...

    async def dropoff(self, f: ReportFilter) -> dict[Cell, tuple[int, int]]:
        """Per question: conversations asked it (a question message out, not cancelled), and
        those of them where it was the last question asked, never answered, and the
        conversation ended unfinished (expired, opted out, undeliverable)."""
        ...

    async def first_replies(self, f: ReportFilter) -> dict[Key, FirstReplies]:
        """Groups with at least one reply only."""
        ...

    async def satisfaction_by_resolved(
        self, f: ReportFilter, asked: DriverQuestions
    ) -> dict[Key, dict[str | None, tuple[int, float]]]:
        """Per resolved answer (the latest understood one, None without): (n, total) of the
        satisfaction answers of `f.flow`."""
        ...

    async def satisfaction_by_band(
        self, f: ReportFilter, asked: DriverQuestions
    ) -> dict[Key, dict[int, Moments]]:
        """Per wait band (index into BANDS) of the numeric attribute: moments of (attribute,
        satisfaction) over the answers of `f.flow`."""
        ...

    async def sms_cost(self, f: ReportFilter) -> dict[Key, list[SmsCost]]:
        """Outbound SMS sent or delivered, per currency."""
        ...

    async def surveys_per_hour(self, f: ReportFilter) -> list[HourCounts]: ...

    async def satisfaction_per_hour(
        self, f: ReportFilter, flow_id: str, question_id: str
    ) -> list[HourSums]: ...


class Exports(Protocol):
    """Answers, feedback and conversations as rows, in chunks, for exports: one long read in
    constant memory. Values in the order of `smsbot.results.export.EXPORTS`; with
    `include_trials` a last value says whether the row is a trial (0 or 1)."""

    def answers(
        self, scope: ExportScope, *, chunk: int
    ) -> AsyncIterator[list[tuple[Any, ...]]]: ...

    def feedback(
        self, scope: ExportScope, *, chunk: int
    ) -> AsyncIterator[list[tuple[Any, ...]]]: ...

    def conversations(
        self, scope: ExportScope, *, chunk: int
    ) -> AsyncIterator[list[tuple[Any, ...]]]: ...


# --- feedback, retention, pseudonym key, simulator ---------------------------------------


class FeedbackReview(Protocol):
    """Free-text feedback, its tags and their history."""


class Retention(Protocol):
    """What is past its retention, and removing it."""


# --- the unit of work ---------------------------------------------------------------------


class Tx(Protocol):
    """One unit of work's view of storage: a repository per area."""

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

    async def close(self) -> None: ...
