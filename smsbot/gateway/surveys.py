"""The survey service: load, run the engine, save and queue messages, in one transaction each.

Every public method is one unit of work: when it returns, what it did is committed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smsbot.engine import replies, runtime
from smsbot.engine.model import Flow
from smsbot.engine.runtime import Detected, Send
from smsbot.feedback import language
from smsbot.flows.catalog import FlowCatalog
from smsbot.gateway import deliveries
from smsbot.gateway.cases import open_case
from smsbot.ports import Clock, IdMaker
from smsbot.privacy.pseudonyms import Pseudonymizer
from smsbot.storage.ports import (
    PRIORITY_NEW,
    PRIORITY_REPLY,
    Conversation,
    NewConversation,
    Store,
    Tx,
)

__all__ = [
    "Detect",
    "Keywords",
    "ReceiveResult",
    "ServiceTexts",
    "StartRequest",
    "StartResult",
    "Surveys",
]


Detect = Callable[[str, Sequence[str]], Detected | None]
"""The language of a reply among the flow's languages (smsbot.feedback.language.detect)."""


@dataclass(frozen=True)
class Keywords:
    stop: tuple[str, ...] = ("STOP", "STOPP", "SLUTA", "LOPETA")
    help: tuple[str, ...] = ("HELP", "HJÄLP", "APUA")


@dataclass(frozen=True)
class ServiceTexts:
    """Texts the service itself sends, per language."""

    help: Mapping[str, str]
    stopped: Mapping[str, str]
    unknown: Mapping[str, str]


@dataclass(frozen=True)
class StartRequest:
    flow: Flow
    phone: str  # E.164
    language: str | None = None
    sender: str = ""
    unit: str | None = None
    service: str | None = None
    channel: str | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)
    journey_id: str | None = None
    journey_step: str | None = None
    event_id: int | None = None
    due_at: datetime | None = None  # when the first SMS may go out; None = now
    trial: bool = False  # trying a flow (chat, the simulator, a trial event): not in results

    def fields(self) -> dict[str, str]:
        """The values texts and conditions may use: unit, service, channel, attributes."""
        values = {k: str(v) for k, v in self.attributes.items()}
        for name in ("unit", "service", "channel"):
            value = getattr(self, name)
            if value is not None:
                values[name] = value
        return values


@dataclass(frozen=True)
class StartResult:
    conversation_id: str | None
    reason: str  # started | opted_out | busy


@dataclass(frozen=True)
class ReceiveResult:
    # answered | retry | completed | skipped | language | duplicate | opted_out | help | unknown
    outcome: str
    conversation_id: str | None = None


class Surveys:
    def __init__(
        self,
        store: Store,
        catalog: FlowCatalog,
        pseudonyms: Pseudonymizer,
        *,
        clock: Clock,
        new_id: IdMaker,
        keywords: Keywords,
        texts: ServiceTexts,
        answer_unknown: bool = False,
        default_language: str = "sv",
        reminder_after: timedelta | None = None,
        detect: Detect = language.detect,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.pseudonyms = pseudonyms
        self.clock = clock
        self.new_id = new_id
        self.keywords = keywords
        self.texts = texts
        self.answer_unknown = answer_unknown
        self.default_language = default_language
        self.reminder_after = reminder_after
        self.detect = detect

    # --- starting -----------------------------------------------------------------------

    async def start(self, request: StartRequest) -> StartResult:
        return await self.store.unit(lambda tx: self.start_in(tx, request))

    async def start_in(self, tx: Tx, request: StartRequest) -> StartResult:
        """Start a survey inside the caller's transaction (the event intake batches them)."""
        now = self.clock.now()
        respondent = self.pseudonyms.respondent(request.phone)
        if await tx.conversations.is_opted_out(respondent):
            return StartResult(None, "opted_out")
        if await tx.conversations.find_active(request.phone, request.sender) is not None:
            return StartResult(None, "busy")
        outcome = runtime.start(
            request.flow, language=request.language, fields=request.fields(), now=now
        )
        conversation = NewConversation(
            id=self.new_id(),
            phone=request.phone,
            respondent=respondent,
            sender=request.sender,
            unit=request.unit,
            service=request.service,
            channel=request.channel,
            attributes=request.attributes,
            journey_id=request.journey_id,
            journey_step=request.journey_step,
            event_id=request.event_id,
            trial=request.trial,
        )
        await tx.conversations.save_flow_version(request.flow, now)
        await tx.conversations.create(conversation, outcome.state, now)
        stored = _as_stored(conversation, outcome.state)
        await tx.conversations.apply_outcome(
            stored, outcome, now=now, priority=PRIORITY_NEW, due_at=request.due_at
        )
        await self._maybe_remind(tx, conversation.id, outcome.state, request.due_at or now)
        return StartResult(conversation.id, "started")

    # --- replies ------------------------------------------------------------------------

    async def receive(
        self, phone: str, text: str, *, sender: str = "", provider_ref: str | None = None
    ) -> ReceiveResult:
        """Take one inbound SMS (already reassembled); a repeated provider_ref does nothing."""
        return await self.store.unit(
            lambda tx: self.receive_in(tx, phone, text, sender=sender, provider_ref=provider_ref)
        )

    async def receive_in(
        self,
        tx: Tx,
        phone: str,
        text: str,
        *,
        sender: str = "",
        provider_ref: str | None = None,
    ) -> ReceiveResult:
        """`receive` inside the caller's transaction (a long SMS's last part; `smsbot chat`)."""
        now = self.clock.now()
        conversation = await tx.conversations.find_active(phone, sender)
        conversation_id = conversation.id if conversation else None
        message_id = await tx.inbound.add_reply(
            phone=phone,
            body=text,
            provider_ref=provider_ref,
            conversation_id=conversation_id,
            now=now,
        )
        if message_id is None:
            return ReceiveResult("duplicate", conversation_id)
        return await self._dispatch(tx, phone, text, conversation, message_id, now)

    async def _dispatch(
        self,
        tx: Tx,
        phone: str,
        text: str,
        conversation: Conversation | None,
        message_id: int,
        now: datetime,
    ) -> ReceiveResult:
        if replies.match_keyword(text, self.keywords.stop):
            return await self._stop(tx, phone, conversation, now)
        if replies.match_keyword(text, self.keywords.help):
            await self._help(tx, phone, conversation, now)
            return ReceiveResult("help", conversation.id if conversation else None)
        if conversation is None:
            if self.answer_unknown:
                await self._reply(tx, phone, None, self.texts.unknown, "unknown", now)
            return ReceiveResult("unknown")
        return await self._answer(tx, conversation, text, message_id, now)

    async def _answer(
        self,
        tx: Tx,
        conversation: Conversation,
        text: str,
        message_id: int,
        now: datetime,
    ) -> ReceiveResult:
        state = conversation.state
        flow = await self.catalog.resolve(tx, state.flow_id, state.flow_version)
        # The verdict is computed here and passed in: the engine stays pure, and decides.
        detected = self.detect(text, flow.languages)
        outcome = runtime.receive(flow, state, text, now, detected)
        await tx.conversations.apply_outcome(conversation, outcome, now=now, message_id=message_id)
        await open_case(tx, flow, conversation, outcome, now)
        await deliveries.after_outcome(tx, conversation, outcome, now)  # webhooks, same unit
        await self._maybe_remind(tx, conversation.id, outcome.state, now)
        return ReceiveResult(_describe(outcome), conversation.id)

    async def _maybe_remind(
        self, tx: Tx, conversation_id: str, state: runtime.State, now: datetime
    ) -> None:
        """At most one reminder per conversation, if configured and before it expires."""
        if self.reminder_after is None or not state.active or state.expires_at is None:
            return
        due = now + self.reminder_after
        if due < state.expires_at:
            await tx.conversations.schedule_reminder(conversation_id, state.step, due)

    async def _stop(
        self,
        tx: Tx,
        phone: str,
        conversation: Conversation | None,
        now: datetime,
    ) -> ReceiveResult:
        respondent = self.pseudonyms.respondent(phone)
        if conversation is None and await tx.conversations.is_opted_out(respondent):
            return ReceiveResult("opted_out")  # confirmed the first time; never texted again
        await tx.conversations.record_opt_out(respondent, now)
        if conversation is not None:
            outcome = runtime.opt_out(conversation.state)
            await tx.conversations.cancel_queued(conversation.id, now)
            await tx.conversations.apply_outcome(conversation, outcome, now=now)
        await self._reply(tx, phone, conversation, self.texts.stopped, "stopped", now)
        return ReceiveResult("opted_out", conversation.id if conversation else None)

    async def _help(
        self,
        tx: Tx,
        phone: str,
        conversation: Conversation | None,
        now: datetime,
    ) -> None:
        """The help text, then the question waiting for an answer (if any), both in the
        conversation's language; the conversation does not move."""
        await self._reply(tx, phone, conversation, self.texts.help, "help", now)
        if conversation is None:
            return
        state = conversation.state
        flow = await self.catalog.resolve(tx, state.flow_id, state.flow_version)
        question = runtime.pending(flow, state)
        if question is not None:
            await self._queue_reply(tx, phone, conversation, question, now)

    async def _reply(
        self,
        tx: Tx,
        phone: str,
        conversation: Conversation | None,
        texts: Mapping[str, str],
        purpose: str,
        now: datetime,
    ) -> None:
        language = conversation.state.language if conversation else self.default_language
        text = texts.get(language) or texts.get(self.default_language, "")
        await self._queue_reply(tx, phone, conversation, Send(text, purpose), now)

    async def _queue_reply(
        self,
        tx: Tx,
        phone: str,
        conversation: Conversation | None,
        send: Send,
        now: datetime,
    ) -> None:
        await tx.outbox.queue(
            conversation_id=conversation.id if conversation else None,
            phone=phone,
            send=send,
            step=conversation.state.step if conversation else 0,
            priority=PRIORITY_REPLY,
            due_at=now,
            now=now,
        )

    # --- delivery -----------------------------------------------------------------------

    async def undeliverable_in(self, tx: Tx, conversation_id: str) -> bool:
        """The first message never reached the person: end the conversation, send nothing more."""
        conversation = await tx.conversations.get(conversation_id)
        if conversation is None or not conversation.state.active:
            return False
        now = self.clock.now()
        await tx.conversations.cancel_queued(conversation_id, now)
        outcome = runtime.undeliverable(conversation.state)
        await tx.conversations.apply_outcome(conversation, outcome, now=now)
        return True

    # --- timers -------------------------------------------------------------------------

    async def expire(self, conversation_id: str, step: int) -> bool:
        """An expiry timer fired: end the conversation if it has not moved on since."""
        return await self._timer(conversation_id, step, runtime.expire)

    async def remind(self, conversation_id: str, step: int) -> bool:
        """A reminder timer fired: ask the current question again if still unanswered."""
        return await self._timer(conversation_id, step, runtime.remind)

    async def _timer(
        self,
        conversation_id: str,
        step: int,
        action: Callable[[Flow, runtime.State, datetime], runtime.Outcome],
    ) -> bool:
        async def fire(tx: Tx) -> bool:
            conversation = await tx.conversations.get(conversation_id)
            if conversation is None or conversation.state.step != step:
                return False
            state = conversation.state
            now = self.clock.now()
            flow = await self.catalog.resolve(tx, state.flow_id, state.flow_version)
            outcome = action(flow, state, now)
            await tx.conversations.apply_outcome(conversation, outcome, now=now)
            await open_case(tx, flow, conversation, outcome, now)
            return bool(outcome.events)

        return await self.store.unit(fire)


def _as_stored(new: NewConversation, state: runtime.State) -> Conversation:
    return Conversation(
        id=new.id,
        phone=new.phone,
        respondent=new.respondent,
        sender=new.sender,
        state=state,
        unit=new.unit,
        service=new.service,
    )


def _describe(outcome: runtime.Outcome) -> str:
    events = outcome.events
    if any(isinstance(e, runtime.Finished) for e in events):
        return "completed"
    if any(isinstance(e, runtime.AnswerRecorded) for e in events):
        return "answered"
    if any(isinstance(e, runtime.LanguageSwitched) for e in events):
        return "language"  # the question asked again in the language the citizen wrote in
    if any(isinstance(e, runtime.QuestionSkipped) for e in events):
        return "skipped"
    if any(isinstance(e, runtime.ReplyIgnored) for e in events):
        return "ignored"
    return "retry"
