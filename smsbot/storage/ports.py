"""What smsbot needs from storage, in the domain's words: the one storage boundary.

Callers never see SQL, a connection or a driver. They open a unit of work on the `Store`
and talk to one small repository per area through the `Tx` it yields:

    async with store.write() as tx:          # a unit of writes (group commit)
        await tx.conversations.record_opt_out(respondent, now)
    # here the unit's writes are durable: answering 2xx now is safe

    async with store.read() as tx:           # reads, no writes
        rows = await tx.results.counts(filters)

    async def opt_out(tx: Tx) -> None:       # a hot path's unit, handed over whole
        await tx.conversations.record_opt_out(respondent, now)
    await store.unit(opt_out)                # durable here too

`write()` returns from its block only after the unit's writes are durable (the group commit
shares one COMMIT between the units waiting at that moment); a block that raises leaves
nothing behind. Each area's Protocol below is defined by the code that uses it, in its words.

Adapters implement these: `smsbot.storage.sqlite` today, a PostgreSQL one beside it later.
Only the composition root (`smsbot.bootstrap`) knows which adapter runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar

from smsbot.domain import (
    DeliveryReceipt,
    IgnoredInbound,
    InboundPart,
    Outgoing,
    ServiceEvent,
    message_id_from_client_ref,
)
from smsbot.engine.model import Flow
from smsbot.engine.runtime import Outcome, Send, State
from smsbot.storage.accounts import ApiToken, AuditEntry, AuditQuery, Person, StoredSession
from smsbot.storage.cases import Case, CaseAnswer, CaseFigures, CaseNote, CaseQuery, NewCase
from smsbot.storage.figures import (
    AnswerProfile,
    Cell,
    ConversationCounts,
    CrossQuestions,
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
from smsbot.storage.journeys import JourneyCounts, JourneyQuery
from smsbot.storage.webhooks import Attempt, Delivery, MailNotice, NewSubscription, Subscription

__all__ = [
    "PRIORITIES",
    "PRIORITY_NEW",
    "PRIORITY_REPLY",
    "AuditLog",
    "Cases",
    "Conversation",
    "Conversations",
    "DatabaseOpenError",
    "DueTimer",
    "Exports",
    "FeedbackFilter",
    "FeedbackItem",
    "FeedbackReview",
    "FeedbackText",
    "Handover",
    "HeldOpening",
    "Inbound",
    "Journeys",
    "NewConversation",
    "Outbox",
    "Outgoing",
    "People",
    "PseudonymKeys",
    "PurgeCounts",
    "PurgeCutoffs",
    "ReceiptTarget",
    "Results",
    "Retention",
    "ServiceEvents",
    "StorageUnavailable",
    "Store",
    "StoredEvent",
    "StoredPart",
    "TagState",
    "TagTotal",
    "Timers",
    "TrialChat",
    "Trials",
    "Tx",
    "Webhooks",
    "message_id_from_client_ref",
]


T = TypeVar("T")


class DatabaseOpenError(Exception):
    """The database cannot be opened or made ready: one line naming it and the reason."""


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


@dataclass(frozen=True)
class HeldOpening:
    message_id: int
    conversation_id: str
    flow_id: str
    queued_at: datetime


@dataclass(frozen=True)
class Handover:
    """A unit's outgoing messages for the sender: to send now, and how many were queued."""

    sending: tuple[Outgoing, ...] = ()
    queued: int = 0


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

    def send_directly(self) -> None:
        """From now on in this unit, a reply due now to a number with no other message
        waiting or in flight is written as being sent (its first attempt), not queued: the
        caller hands it to the sender once the unit is durable, with no claim. A crash before
        it went leaves it `sending`, so the restart's recovery settles it (`uncertain`)."""
        ...

    def handover(self) -> Handover:
        """What this unit wrote for the sender: the messages written as being sent (see
        `send_directly`), in order, and how many it queued instead."""
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

    async def hold(self, message_id: int, reason: str, now: datetime) -> None:
        """The provider is down: back to the queue where it was, its attempt given back."""
        ...

    async def held_openings(self) -> list[HeldOpening]:
        """The survey openings waiting to be sent, with their flow and when they were queued."""
        ...

    async def cancel(self, message_id: int, reason: str, now: datetime) -> bool:
        """Cancel a message still waiting; False if it is no longer waiting."""
        ...

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

    async def rebuild_aggregates(self) -> dict[str, int]:
        """Fill the store's aggregates of the results again from the stored rows (in a write
        unit); the rows each now holds, by name. The store keeps them up to date by itself:
        this is for a store that was changed behind its back, or to check."""
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

    async def crosstab(
        self, f: ReportFilter, asked: CrossQuestions
    ) -> dict[Key, dict[str | None, Counter[object]]]:
        """Per value of `asked.by` (a question's latest understood answer as text, a column's or
        attribute's value; None without one): the understood answers to `asked.question` per
        value (a scale's whole number, else text)."""
        ...

    async def answer_profiles(
        self, f: ReportFilter, flow_id: str, question_ids: Sequence[str]
    ) -> list[AnswerProfile]:
        """The surveys of `flow_id` per group, UTC day and combination of their latest
        understood answers to `question_ids` (values in that order)."""
        ...

    async def satisfaction_per_hour(
        self, f: ReportFilter, flow_id: str, question_id: str
    ) -> list[HourSums]: ...


class Journeys(Protocol):
    """Figures for the journey report (smsbot.results.journeys): one journey type's surveys,
    replies, journeys reached and satisfaction answers per step and unit, in a filter's scope."""

    async def journey_counts(self, f: ReportFilter, query: JourneyQuery) -> JourneyCounts: ...


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
    language: str  # the conversation's language when it came
    text: str
    created_at: str
    tags: tuple[TagState, ...] = ()
    reply_language: str | None = None  # the language detector's verdict on the reply, if any
    language_confidence: float | None = None  # and how sure it was, 0..1

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
            "reply_language": self.reply_language,
            "language_confidence": self.language_confidence,
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
    """What the rules read of a feedback item: the conversation's language, and the reply's
    (the detector's verdict and confidence; None when it gave none)."""

    id: int
    language: str
    text: str
    reply_language: str | None = None
    language_confidence: float | None = None


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
    cases: int = 0  # follow-up cases closed past retention that kept a consented number

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


# --- people, sessions, API tokens, the audit log (issue 15) ------------------------------------


class People(Protocol):
    """Staff accounts, their roles and units, their browser sessions and API tokens."""

    async def add(
        self, name: str, email: str, roles: frozenset[str], units: frozenset[str], now: datetime
    ) -> Person:
        """A new active person; ValueError when the e-mail is taken."""
        ...

    async def get(self, person_id: int) -> Person | None: ...

    async def by_email(self, email: str) -> Person | None:
        """The person with this e-mail (compared without case)."""
        ...

    async def by_sub(self, sub: str) -> Person | None: ...

    async def all(self) -> list[Person]: ...

    async def any_active_admin(self) -> bool: ...

    async def set_active(self, person_id: int, active: bool) -> None: ...

    async def set_roles(
        self, person_id: int, roles: frozenset[str], units: frozenset[str]
    ) -> None: ...

    async def link_sub(self, person_id: int, sub: str) -> None: ...

    async def set_password(self, person_id: int, password_hash: str | None) -> None: ...

    async def password_hash(self, person_id: int) -> str | None: ...

    # sessions
    async def add_session(self, session: StoredSession) -> None: ...

    async def session(self, key: str) -> StoredSession | None: ...

    async def touch_session(self, key: str, now: datetime) -> None: ...

    async def drop_session(self, key: str) -> None: ...

    async def drop_sessions_of(self, person_id: int) -> int:
        """Ends every session of the person (sign-out everywhere, disabling): how many."""
        ...

    async def drop_stale_sessions(self, seen_before: datetime, created_before: datetime) -> int:
        """Removes sessions idle since `seen_before` or made before `created_before`."""
        ...

    # API tokens
    async def add_token(
        self, person_id: int, name: str, digest: str, now: datetime, expires_at: datetime
    ) -> ApiToken: ...

    async def token(self, digest: str) -> ApiToken | None: ...

    async def tokens(self, person_id: int | None) -> list[ApiToken]: ...

    async def revoke_token(self, token_id: int) -> bool: ...


class AuditLog(Protocol):
    """The append-only audit log, each entry chained to the one before by a hash."""

    async def last_hash(self) -> str: ...

    async def append(self, entry: AuditEntry) -> None:
        """Keep the entry as given (its `hash` already chained by smsbot.people.audit)."""
        ...

    async def find(self, query: AuditQuery) -> list[AuditEntry]: ...

    async def chain(self) -> list[AuditEntry]:
        """Every entry, oldest first, for `smsbot audit verify`."""
        ...


# --- results out: webhook subscriptions and their delivery outbox ---------------------------


class Webhooks(Protocol):
    """Subscriptions (an admin's), and the deliveries written with the change they tell of."""

    async def subscribe(self, new: NewSubscription, now: datetime) -> int: ...

    async def subscriptions(self) -> list[Subscription]:
        """Every subscription, active or not, oldest first."""
        ...

    async def subscription(self, subscription_id: int) -> Subscription | None: ...

    async def remove(self, subscription_id: int, now: datetime) -> bool:
        """Disable it and cancel what it still had to deliver; False when there is none."""
        ...

    async def disable(self, subscription_id: int, reason: str, now: datetime) -> None:
        """Stop delivering to it (the receiver said 410 Gone); its pending ones are cancelled."""
        ...

    async def subscribers(self, event_type: str, unit: str | None) -> list[Subscription]:
        """The active subscriptions that want this event type from this unit."""
        ...

    async def queue(
        self,
        *,
        webhook_id: str,
        subscription_id: int,
        event_type: str,
        unit: str | None,
        payload: str,
        now: datetime,
    ) -> int: ...

    async def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries due by `now` to active subscriptions, oldest due first."""
        ...

    async def record_attempt(self, attempt: Attempt, next_due: datetime | None) -> None:
        """Keep the attempt; the delivery is delivered (2xx), pending again at `next_due`, or
        failed (no `next_due`: its retries are spent)."""
        ...

    async def deliveries(
        self, *, subscription_id: int | None = None, status: str | None = None, limit: int = 50
    ) -> list[Delivery]:
        """The newest deliveries first."""
        ...

    async def attempts(self, delivery_id: int) -> list[Attempt]: ...

    async def replay(self, delivery_id: int, now: datetime) -> bool:
        """Deliver it again, with the same webhook-id, from now; False when there is none or
        its subscription is disabled."""
        ...

    # e-mail to units
    async def notify(self, notice: MailNotice) -> None:
        """Queue a line for the unit's next e-mail, in the caller's unit of writes."""
        ...

    async def waiting_notices(self, before: datetime) -> list[MailNotice]:
        """Notices not yet e-mailed, made before `before`, oldest first."""
        ...

    async def mark_notices(self, ids: Sequence[int], status: str, now: datetime) -> None:
        """`sent`, or `no_address` (the unit has no contact address)."""
        ...


# --- the unit of work ---------------------------------------------------------------------


# --- follow-up cases (issue 16) -----------------------------------------------------------------


class Cases(Protocol):
    """Follow-up cases of a unit: opened by the gateway, handled by people (smsbot.webui.cases)."""

    async def open(self, new: NewCase) -> Case | None:
        """Open the conversation's case; None if it already has one (nothing changed)."""
        ...

    async def get(self, case_id: int) -> Case | None: ...

    async def find(self, query: CaseQuery) -> list[Case]:
        """Cases, the soonest due first (closed ones last)."""
        ...

    async def take(self, case_id: int, who: str, person_id: int | None, now: datetime) -> bool:
        """Mark the case taken by `who`; False if it is closed (or missing)."""
        ...

    async def note(
        self, case_id: int, who: str, person_id: int | None, text: str, *, call: bool, now: datetime
    ) -> bool:
        """Add a note; `call`: it records a call attempt (the first one is the first contact)."""
        ...

    async def close(
        self, case_id: int, outcome: str, who: str, person_id: int | None, now: datetime
    ) -> bool:
        """Close with one of OUTCOMES; False if it is already closed (or missing)."""
        ...

    async def notes(self, case_id: int) -> list[CaseNote]: ...

    async def answers(self, case_id: int) -> list[CaseAnswer]:
        """The understood answers of the conversation that opened the case."""
        ...

    async def figures(
        self, since: datetime, until: datetime, flow: str | None = None
    ) -> list[CaseFigures]:
        """Per unit: cases opened in [since, until) (of one flow), how they were handled."""
        ...


class Tx(Protocol):
    """One unit of work's view of storage: a repository per area."""

    def after_commit(self, effect: Callable[[], None]) -> None:
        """Run `effect` once the unit's writes are durable (at the end of a read unit), never
        if they are not: a log line that says something happened, a metric, a wake-up."""
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
    @property
    def journeys(self) -> Journeys: ...

    # feedback, retention, pseudonym key, simulator
    @property
    def feedback(self) -> FeedbackReview: ...
    @property
    def retention(self) -> Retention: ...
    @property
    def keys(self) -> PseudonymKeys: ...
    @property
    def trials(self) -> Trials: ...

    # people and the audit log
    @property
    def people(self) -> People: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def cases(self) -> Cases: ...

    # results out
    @property
    def webhooks(self) -> Webhooks: ...


class Store(Protocol):
    """The storage an smsbot process runs on."""

    def write(self) -> AbstractAsyncContextManager[Tx]:
        """A unit of writes; when its block ends, the writes are durable."""
        ...

    def read(self) -> AbstractAsyncContextManager[Tx]:
        """Reads only."""
        ...

    async def unit(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        """`work` as one unit of writes, like `async with write() as tx: return await
        work(tx)`, handed to the database whole: `work` uses only its `tx` (no other awaits),
        so the adapter may run all of it at once where the data is (SQLite: in the writer's
        thread, one hand-off; a server database: one round trip or pipeline). Returns once
        the unit's writes are durable, after its `after_commit` effects."""
        ...

    async def read_unit(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        """`work` as reads only, handed to the database whole like `unit` (no other awaits);
        like `read()`, it may see writes a moment before their COMMIT."""
        ...

    async def flush(self) -> None:
        """Wait until every write so far is durable."""
        ...

    def write_failure(self) -> str | None:
        """Why writes are failing (a `StorageUnavailable` cause), if one failed in the last
        few seconds and none has succeeded since; None when writes go through."""
        ...

    async def close(self) -> None: ...
