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

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from smsbot.domain import DeliveryReceipt, IgnoredInbound, InboundPart, ServiceEvent
from smsbot.engine.model import Flow
from smsbot.engine.runtime import Outcome, Send, State

__all__ = [
    "PRIORITIES",
    "PRIORITY_NEW",
    "PRIORITY_REPLY",
    "Conversation",
    "Conversations",
    "DueTimer",
    "Exports",
    "FeedbackReview",
    "Inbound",
    "NewConversation",
    "Outbox",
    "Outgoing",
    "ReceiptTarget",
    "Results",
    "Retention",
    "ServiceEvents",
    "StorageUnavailable",
    "Store",
    "StoredEvent",
    "StoredPart",
    "Timers",
    "Tx",
    "message_id_from_client_ref",
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

PRIORITY_REPLY = 0  # a citizen mid-conversation waits for this one
PRIORITY_NEW = 1  # the first messages of a new survey
PRIORITIES = (PRIORITY_REPLY, PRIORITY_NEW)  # every priority: the sender claims only these


@dataclass(frozen=True)
class NewConversation:
    id: str
    phone: str
    respondent: str
    sender: str = ""
    unit: str | None = None
    service: str | None = None
    channel: str | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)
    journey_id: str | None = None
    journey_step: str | None = None
    event_id: int | None = None
    trial: bool = False


@dataclass(frozen=True)
class Conversation:
    id: str
    phone: str | None
    respondent: str | None
    sender: str
    state: State
    unit: str | None
    service: str | None


@dataclass(frozen=True)
class Outgoing:
    id: int
    conversation_id: str | None
    phone: str
    body: str
    purpose: str
    encoding: str
    segments: int
    attempts: int  # when claimed: the attempt now being made (1 for the first)

    @property
    def client_ref(self) -> str:
        """Our reference for the provider: the same on every attempt at this message."""
        return f"smsbot-{self.id}"


def message_id_from_client_ref(client_ref: str | None) -> int | None:
    """The outbox message an `Outgoing.client_ref` names; None for any other reference."""
    if client_ref and client_ref.startswith("smsbot-") and client_ref[7:].isdigit():
        return int(client_ref[7:])
    return None


@dataclass(frozen=True)
class ReceiptTarget:
    """The outbound message a receipt is about."""

    id: int
    conversation_id: str | None
    purpose: str


@dataclass(frozen=True)
class StoredPart:
    """What one part of a long SMS came to: a duplicate, stored (more to come) or whole."""

    outcome: str  # duplicate | stored | whole
    text: str = ""  # whole: the message's text
    whole_ref: str = ""  # whole: its provider reference, concat:<the provider's id of part 1>
    abandoned: int = 0  # parts of an older incomplete message given up for this one


@dataclass(frozen=True)
class StoredEvent:
    id: int
    event: ServiceEvent
    flow_id: str


@dataclass(frozen=True)
class DueTimer:
    id: int
    conversation_id: str
    kind: str
    step: int


class Conversations(Protocol):
    """Conversations, their state and answers, opt-outs and flow versions."""

    async def save_flow_version(self, flow: Flow, now: datetime) -> None:
        """Keep the flow's definition under its version (once)."""
        ...

    async def flow_definition(self, flow_id: str, version: str) -> object | None:
        """The source a stored flow version was built from; None if it was never stored."""
        ...

    async def create(self, new: NewConversation, state: State, now: datetime) -> None: ...

    async def find_active(self, phone: str, sender: str) -> Conversation | None:
        """The person's active conversation on this sender number, else on any of ours."""
        ...

    async def get(self, conversation_id: str) -> Conversation | None: ...

    async def apply_outcome(
        self,
        conversation: Conversation,
        outcome: Outcome,
        *,
        now: datetime,
        message_id: int | None = None,
        priority: int = PRIORITY_REPLY,
        due_at: datetime | None = None,
    ) -> None:
        """Store the new state and everything the engine said happened (messages are queued
        at `priority`, due at `due_at` or now; answers point at the inbound `message_id`)."""
        ...

    async def schedule_reminder(self, conversation_id: str, step: int, due_at: datetime) -> None:
        """A reminder, unless the conversation ever had one (at most one reminder)."""
        ...

    async def cancel_queued(self, conversation_id: str, now: datetime) -> int:
        """A conversation ended early: what it still had queued is not sent. Returns how many."""
        ...

    async def record_opt_out(self, respondent: str, now: datetime) -> None: ...

    async def is_opted_out(self, respondent: str) -> bool: ...

    async def last_surveyed_at(self, respondent: str) -> datetime | None:
        """When the person's last real survey started (trials do not count towards fatigue)."""
        ...

    async def count_by_status(self) -> dict[str, int]:
        """How many conversations there are in each status (for the metrics)."""
        ...

    async def reachable(self) -> bool:
        """Whether storage answers at all (for the readiness check)."""
        ...


class Outbox(Protocol):
    """Messages waiting to be sent, being sent, and what became of them."""

    async def queue(
        self,
        *,
        conversation_id: str | None,
        phone: str,
        send: Send,
        step: int,
        priority: int,
        due_at: datetime,
        now: datetime,
    ) -> int:
        """Queue one message (`priority` is one of PRIORITIES); returns its id."""
        ...

    async def queued_for_phone(self, phone: str) -> list[Outgoing]: ...

    async def claim_due(self, now: datetime, limit: int) -> list[Outgoing]:
        """Due messages, replies first, at most one per phone at a time (order per person
        kept). They are marked `sending`; the caller's unit commits before the provider is
        called."""
        ...

    async def mark_sent(
        self,
        message_id: int,
        provider_ref: str | None,
        now: datetime,
        *,
        price: float | None = None,
        currency: str | None = None,
    ) -> None: ...

    async def mark_retry(
        self, message_id: int, reason: str, due_at: datetime, now: datetime
    ) -> None: ...

    async def mark_uncertain(
        self, message_id: int, reason: str, due_at: datetime, now: datetime
    ) -> None:
        """The provider may have taken it: a receipt settles it, else it goes again at `due_at`."""
        ...

    async def mark_failed(self, message_id: int, reason: str, now: datetime) -> None: ...

    async def mark_refused(self, message_id: int, reason: str, now: datetime) -> None: ...

    async def recent_same_text(self, message: Outgoing, since: datetime) -> int:
        """How many times this text went to this number since `since` (the loop guard)."""
        ...

    async def recover_after_crash(self, now: datetime, grace: timedelta) -> int:
        """Messages caught `sending` by a crash wait `grace` for a receipt, then go again;
        those already uncertain get the whole grace again. Returns how many were caught."""
        ...

    async def count_queued(self) -> int: ...

    async def sent_to(self, phone: str) -> list[dict[str, object]]:
        """What went out to the number (sent or delivered), oldest first (the simulator)."""
        ...


class Inbound(Protocol):
    """Inbound parts and receipts, as providers delivered them (idempotent on their refs)."""

    async def add_reply(
        self,
        *,
        phone: str,
        body: str,
        provider_ref: str | None,
        conversation_id: str | None,
        now: datetime,
    ) -> int | None:
        """Store a received SMS; None when this provider reference was stored before."""
        ...

    async def add_ignored(
        self, message: IgnoredInbound, conversation_id: str | None, now: datetime
    ) -> bool:
        """Keep an inbound message we cannot use, with why; False for a repeat."""
        ...

    async def store_part(self, part: InboundPart, now: datetime) -> StoredPart:
        """Keep one part of a long SMS; close its message when this part completes it."""
        ...

    async def apply_receipt(
        self, receipt: DeliveryReceipt, message_id: int | None, now: datetime
    ) -> tuple[bool, ReceiptTarget | None]:
        """Record a receipt once; returns (new?, the message it is about, if known)."""
        ...


class ServiceEvents(Protocol):
    """Service events received, decided and scheduled."""

    async def answer_for(self, source: str, source_id: str) -> dict[str, object] | None:
        """What the source was answered when it sent this event before; None if it is new."""
        ...

    async def record(
        self,
        event: ServiceEvent,
        *,
        respondent: str,
        flow_id: str | None,
        decision: str,
        reason: str,
        conversation_id: str | None,
        due_at: datetime | None,
        answer: dict[str, object],
        now: datetime,
    ) -> int: ...

    async def due_scheduled(self, now: datetime, limit: int) -> list[StoredEvent]: ...

    async def settle(
        self,
        event_id: int,
        *,
        decision: str,
        reason: str,
        conversation_id: str | None,
        due_at: datetime | None,
    ) -> None:
        """A scheduled event's final decision (its stored answer stays what the source was told)."""
        ...


class Timers(Protocol):
    """Reminders and expiries that fall due."""

    async def due(self, now: datetime, limit: int) -> list[DueTimer]: ...

    async def mark_done(self, timer_id: int, now: datetime) -> None: ...


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
