"""Service events in: decide whether and when to ask, start or schedule the survey, remember.

A batch is one transaction: when `submit` returns, every event in it and every first SMS it
caused are committed. A repeated (source, id) gets the answer it got the first time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from smsbot.domain import ServiceEvent
from smsbot.engine.model import Flow
from smsbot.engine.runtime import fields_used, missing_fields
from smsbot.gateway.policy import Decision, History, SendingRules, decide
from smsbot.gateway.surveys import StartRequest, Surveys
from smsbot.logs import get_logger
from smsbot.metrics import Metrics
from smsbot.storage.ports import StoredEvent, Tx

__all__ = ["Intake"]

log = get_logger("smsbot.gateway.intake")


class Intake:
    def __init__(
        self,
        surveys: Surveys,
        rules: SendingRules,
        metrics: Metrics,
        *,
        sender_number: str,
        notify: Callable[[], None] = lambda: None,
    ) -> None:
        self.surveys = surveys
        self.rules = rules
        self.metrics = metrics
        self.sender_number = sender_number
        self.notify = notify

    async def submit(self, events: Sequence[ServiceEvent]) -> list[dict[str, object]]:
        """Decide on each event; returns one answer per event, in order."""

        async def decide_each(tx: Tx) -> list[dict[str, object]]:
            return [await self._one(tx, event) for event in events]

        answers = await self.surveys.store.unit(decide_each)
        self.notify()
        return answers

    async def _one(self, tx: Tx, event: ServiceEvent) -> dict[str, object]:
        known = await tx.service_events.answer_for(event.source, event.source_id)
        if known is not None:
            tx.after_commit(lambda: self._log_repeated(event))
            return {**known, "repeated": True}
        flow = self.surveys.catalog.for_trigger(event.type)
        assert flow is not None, "event types are validated against the flows before this"
        now = self.surveys.clock.now()
        decision = decide(event, flow, self.rules, await self._history(tx, event), now)
        conversation_id = None
        if decision.action == "start":
            decision, conversation_id = await self._start(tx, event, flow, None)
        answer = _answer(event, decision, conversation_id)
        await tx.service_events.record(
            event,
            respondent=self.surveys.pseudonyms.respondent(event.phone),
            flow_id=flow.id,
            decision=str(answer["decision"]),
            reason=decision.reason,
            conversation_id=conversation_id,
            due_at=decision.due_at if decision.action == "schedule" else None,
            answer=answer,
            now=now,
        )
        tx.after_commit(lambda: self._log(event, flow, answer))  # never before it is stored
        return answer

    def _log_repeated(self, event: ServiceEvent) -> None:
        self.metrics.events.labels(decision="repeated", reason="same_id").inc()
        log.info("event_repeated", source=event.source, event_id=event.source_id, **_trial(event))

    async def _history(self, tx: Tx, event: ServiceEvent) -> History:
        respondent = self.surveys.pseudonyms.respondent(event.phone)
        return History(
            opted_out=await tx.conversations.is_opted_out(respondent),
            active_conversation=await tx.conversations.find_active(event.phone, self.sender_number)
            is not None,
            last_surveyed_at=await tx.conversations.last_surveyed_at(respondent),
        )

    async def _start(
        self, tx: Tx, event: ServiceEvent, flow: Flow, event_id: int | None
    ) -> tuple[Decision, str | None]:
        request = StartRequest(
            flow=flow,
            phone=event.phone,
            language=event.language,
            sender=self.sender_number,
            unit=event.unit,
            service=event.service,
            channel=event.channel,
            attributes=event.attributes,
            journey_id=event.journey_id,
            journey_step=event.journey_step,
            event_id=event_id,
            trial=event.trial,
        )
        started = await self.surveys.start_in(tx, request)
        if started.conversation_id is None:
            return Decision("skip", started.reason, None), None
        return Decision("start", "trial" if event.trial else "now", None), started.conversation_id

    async def start_scheduled(self, limit: int = 100) -> int:
        """Start the surveys whose time has come (delays, quiet hours); decide again first."""

        async def start_each(tx: Tx) -> list[StoredEvent]:
            now = self.surveys.clock.now()
            due = await tx.service_events.due_scheduled(now, limit)
            for stored in due:
                await self._start_due(tx, stored, now)
            return due

        due = await self.surveys.store.unit(start_each)
        if due:
            self.notify()
        return len(due)

    async def _start_due(self, tx: Tx, stored: StoredEvent, now: datetime) -> None:
        flow = self.surveys.catalog.get(stored.flow_id)
        decision: Decision
        conversation_id = None
        if flow is None:
            decision = Decision("skip", "flow_removed", None)
        elif _lacks_fields(flow, stored.event):  # the flow changed since: never a hole in a text
            decision = Decision("skip", "missing_field", None)
        else:
            history = await self._history(tx, stored.event)
            decision = decide(stored.event, flow, self.rules, history, now)
            if decision.action == "start":
                decision, conversation_id = await self._start(tx, stored.event, flow, stored.id)
        action = {"start": "started", "schedule": "scheduled", "skip": "skipped"}[decision.action]
        await tx.service_events.settle(
            stored.id,
            decision=action,
            reason=decision.reason,
            conversation_id=conversation_id,
            due_at=decision.due_at if decision.action == "schedule" else None,
        )
        tx.after_commit(lambda: self._log_due(stored, action, decision.reason, conversation_id))

    def _log_due(
        self, stored: StoredEvent, action: str, reason: str, conversation_id: str | None
    ) -> None:
        self.metrics.events.labels(decision=action, reason=reason).inc()
        log.info(
            "scheduled_survey_" + action,
            source=stored.event.source,
            event_id=stored.event.source_id,
            conversation_id=conversation_id,
            reason=reason,
            phone=stored.event.phone,
        )

    def _log(self, event: ServiceEvent, flow: Flow, answer: dict[str, object]) -> None:
        decision = str(answer["decision"])
        reason = str(answer["reason"])
        self.metrics.events.labels(decision=decision, reason=reason).inc()
        log.info(
            "event_" + decision,
            source=event.source,
            event_id=event.source_id,
            event_type=event.type,
            flow=flow.id,
            reason=reason,
            conversation_id=answer.get("conversation_id"),
            phone=event.phone,
            **_trial(event),
        )


def _lacks_fields(flow: Flow, event: ServiceEvent) -> bool:
    values = {"unit": event.unit, "service": event.service, "channel": event.channel}
    return bool(missing_fields(fields_used(flow), {**values, **event.attributes}))


def _answer(
    event: ServiceEvent, decision: Decision, conversation_id: str | None
) -> dict[str, object]:
    action = {"start": "started", "schedule": "scheduled", "skip": "skipped"}[decision.action]
    answer: dict[str, object] = {
        "id": event.source_id,
        "decision": action,
        "reason": decision.reason,
    }
    if conversation_id is not None:
        answer["conversation_id"] = conversation_id
    if decision.action == "schedule" and decision.due_at is not None:
        answer["due_at"] = _utc_text(decision.due_at)
    return answer | _trial(event)


def _utc_text(moment: datetime) -> str:
    """A moment in an answer: UTC, ISO 8601 with milliseconds (as storage writes them)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _trial(event: ServiceEvent) -> dict[str, object]:
    """`trial: True` for a trial event's answer and log lines; nothing for a real one."""
    return {"trial": True} if event.trial else {}
