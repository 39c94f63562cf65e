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

from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

__all__ = [
    "Conversations",
    "Exports",
    "FeedbackFilter",
    "FeedbackItem",
    "FeedbackReview",
    "FeedbackText",
    "Inbound",
    "Outbox",
    "PseudonymKeys",
    "PurgeCounts",
    "PurgeCutoffs",
    "Results",
    "Retention",
    "ServiceEvents",
    "Store",
    "TagState",
    "TagTotal",
    "Timers",
    "TrialChat",
    "Trials",
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
    """Figures per group for reports and the dashboard."""


class Exports(Protocol):
    """Answers and feedback as rows, in chunks, for exports."""


# --- feedback, retention, pseudonym key, simulator ---------------------------------------


@dataclass(frozen=True)
class TagState:
    """A tag on one feedback item: suggested (by the rules), confirmed or rejected (by people)."""

    tag: str
    state: str  # suggested | confirmed | rejected
    changed_by: str
    changed_at: str


@dataclass(frozen=True)
class FeedbackItem:
    """One free-text answer as reviewers see it: no phone number here (feedback has none)."""

    id: int
    flow: str
    question: str
    unit: str | None
    service: str | None
    language: str
    text: str
    created_at: str
    tags: tuple[TagState, ...] = ()

    def tags_in(self, *states: str) -> list[str]:
        return [t.tag for t in self.tags if t.state in states]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "flow": self.flow,
            "question": self.question,
            "unit": self.unit,
            "service": self.service,
            "language": self.language,
            "text": self.text,
            "created_at": self.created_at,
            "tags": [
                {"tag": t.tag, "state": t.state, "by": t.changed_by, "at": t.changed_at}
                for t in self.tags
            ],
        }


@dataclass(frozen=True)
class FeedbackFilter:
    """Which feedback to list, newest first.

    untagged: only feedback no person has decided on yet (no confirmed and no rejected tag;
    rule suggestions alone do not count). tag: feedback with that tag suggested or confirmed.
    """

    untagged: bool = False
    unit: str | None = None
    tag: str | None = None
    limit: int = 50
    offset: int = 0


class FeedbackText(NamedTuple):
    """What the rules read of a feedback item."""

    id: int
    language: str
    text: str


class TagTotal(NamedTuple):
    """How many feedback items of a unit have a tag confirmed, and only suggested."""

    unit: str | None
    tag: str
    confirmed: int
    suggested: int


class FeedbackReview(Protocol):
    """Free-text feedback, its tags and their history (`tag_changes`: who, what, when)."""

    async def find(self, wanted: FeedbackFilter) -> list[FeedbackItem]:
        """Feedback, newest first, with every tag (rejected ones too)."""
        ...

    async def get(self, feedback_id: int) -> FeedbackItem | None: ...

    async def units(self) -> list[str]:
        """The units that have feedback, sorted."""
        ...

    async def tag_states(self, feedback_id: int) -> dict[str, str] | None:
        """Tag -> state of one item; None when there is no such item."""
        ...

    async def set_tag(
        self, feedback_id: int, tag: str, state: str, *, by: str, at: datetime
    ) -> None:
        """Give the item this tag in this state (added, or changed from another state)."""
        ...

    async def add_suggestion(self, feedback_id: int, tag: str, *, by: str, at: datetime) -> bool:
        """Suggest the tag unless the item has it in any state; True when it was added."""
        ...

    async def record_change(
        self, feedback_id: int, tag: str, action: str, *, by: str, at: datetime
    ) -> None:
        """One row of the tags' history (action: suggest | confirm | add | remove)."""
        ...

    async def without_tags(self, after_id: int, limit: int) -> list[FeedbackText]:
        """Feedback after this id that has no tag in any state, by id."""
        ...

    async def last_id(self) -> int:
        """The id of the newest feedback (0: none)."""
        ...

    async def rules_seen_through(self, rules_digest: str) -> int:
        """The last feedback id the rules with this digest saw (0: none, or other rules)."""
        ...

    async def save_rules_seen(self, rules_digest: str, feedback_id: int) -> None: ...

    async def tag_totals(self, unit: str | None) -> list[TagTotal]:
        """Per unit and tag, items with it confirmed and suggested (`unit` None: every unit)."""
        ...

    async def examples(self, tag: str, unit: str | None, limit: int) -> tuple[str, ...]:
        """Texts with the tag confirmed or suggested: confirmed first, then newest first."""
        ...


@dataclass(frozen=True)
class PurgeCounts:
    """Rows changed per table (messages: of conversations; unknown_messages: without one)."""

    conversations: int = 0
    messages: int = 0
    unknown_messages: int = 0
    events: int = 0
    inbound_parts: int = 0

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class PurgeCutoffs:
    """What a purge removes: numbers of what ended (or was received) before `ended_before`,
    parts of a long SMS still missing others received before `parts_before`, and every part
    received before `closed_parts_before`."""

    ended_before: datetime
    parts_before: datetime
    closed_parts_before: datetime


class Retention(Protocol):
    """What is past its retention, and removing it so that no byte on disk keeps it."""

    async def secure_delete(self) -> bool:
        """Make sure deleted content is overwritten; False when it was not (now it is)."""
        ...

    async def clear_numbers(self, cutoffs: PurgeCutoffs) -> PurgeCounts:
        """Clear the numbers (and our message bodies) past the cutoffs; rows changed."""
        ...

    async def scrub(self, *, vacuum: bool) -> bool:
        """Outside any unit of writes: leave no cleared content in the log or free space.
        False when a reader kept the log from being emptied (the next purge retries)."""
        ...


class PseudonymKeys(Protocol):
    """The key of the pseudonymous respondent ids, when the database keeps it."""

    async def pseudonym_key(self) -> str | None: ...

    async def keep_pseudonym_key(self, key: str) -> None: ...


class TrialChat(NamedTuple):
    """A simulator trial's chat so far: its messages (oldest first) and conversation status."""

    messages: list[dict[str, object]]
    status: str | None


class Trials(Protocol):
    """Trial conversations on fictitious numbers, as the web simulator shows them."""

    async def chat(self, phone: str, conversation_id: str) -> TrialChat:
        """The messages to and from `phone` since the conversation began, and its status."""
        ...

    async def sending_to(self, phone: str) -> bool:
        """Whether a message to `phone` is still queued or being sent."""
        ...


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
    @property
    def keys(self) -> PseudonymKeys: ...
    @property
    def trials(self) -> Trials: ...


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
