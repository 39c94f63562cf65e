"""The sender task: takes due messages from the outbox and hands them to the transport.

A reply written by a webhook's unit as being sent is handed here directly (`hand`) and
started as soon as a slot is free, with no claim. The outbox is scanned (`claim_due`) for what
was queued instead (new surveys, retries, a message behind another to the same number, what
a crash left): when woken (`wake`), after a send while something waits behind, and every
`idle_poll_seconds`. Results are recorded in batches (`Batched`).

Paced to the provider's rate, at most one message in flight per phone (so each person gets
their messages in order), retried with backoff when a retry can help, refused by a loop guard
when the same text keeps going to the same number.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smsbot.gateway.batching import Batched
from smsbot.gateway.circuit import CircuitSettings, ProviderCircuit, about_the_provider
from smsbot.gateway.loops import every
from smsbot.gateway.pacing import Pacer
from smsbot.logs import get_logger
from smsbot.metrics import Metrics
from smsbot.ports import Clock
from smsbot.providers.base import SendError, SendResult, Transport
from smsbot.storage.ports import Handover, HeldOpening, Outgoing, Store, Tx

__all__ = ["Sender", "SenderSettings"]

log = get_logger("smsbot.gateway.sender")

# What else a message's final failure ends, in the same unit of work (an opening that never
# went ends its conversation, so its first question can never be claimed in between).
FinalFailure = Callable[[Tx, Outgoing, str], Awaitable[None]]
MaxAge = Callable[[str], timedelta | None]  # a flow's max_age (None: no such flow, no limit)


@dataclass(frozen=True)
class SenderSettings:
    rate_per_second: float = 30.0
    window_margin_seconds: float = 0.015
    max_attempts: int = 5
    backoff_seconds: float = 2.0
    max_backoff_seconds: float = 300.0
    concurrency: int = 4
    loop_guard_count: int = 3
    loop_guard_window: timedelta = timedelta(minutes=10)
    uncertain_grace: timedelta = timedelta(minutes=5)
    idle_poll_seconds: float = 0.5
    circuit: CircuitSettings = field(default_factory=CircuitSettings)


class Sender:
    def __init__(
        self,
        store: Store,
        transport: Transport,
        settings: SenderSettings,
        *,
        clock: Clock,
        metrics: Metrics,
        on_final_failure: FinalFailure,
        max_age: MaxAge = lambda flow_id: None,
    ) -> None:
        self.store = store
        self.transport = transport
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self.on_final_failure = on_final_failure
        self.max_age = max_age
        self.circuit = ProviderCircuit(settings.circuit)
        self.wake = asyncio.Event()
        self._pacer = Pacer(settings.rate_per_second, settings.window_margin_seconds)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._direct: deque[Outgoing] = deque()
        self._results = Batched(store)
        self._behind = 0  # messages queued behind another to the same number since a scan
        self._stopping = asyncio.Event()
        self._reserved = 0  # slots reserved by units under way for their reply

    async def run(self, stopping: asyncio.Event) -> None:
        """Send until `stopping` is set, then let what is in flight finish."""
        self._stopping = stopping  # once set, nothing handed over starts any more
        poll = self.settings.idle_poll_seconds
        await every(poll, self.send_due, stopping, name="sender", wake=self.wake)
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self._put_back()

    # --- the hand-over ------------------------------------------------------------------

    def reserve(self) -> bool:
        """A slot for a reply to be written as being sent and handed here, if one is free
        now and the provider is up (then `release` it once the unit is done, and `hand` over
        what it wrote). Only a free slot: a message caught `sending` by a crash waits out the
        uncertain grace, so none may wait long in that state before it is sent."""
        busy = len(self._in_flight) + len(self._direct) + self._reserved
        if not self._sending_now() or busy >= self.settings.concurrency:
            return False
        self._reserved += 1
        return True

    def release(self) -> None:
        self._reserved -= 1

    def hand(self, handover: Handover) -> None:
        """A durable unit's messages: send those written as being sent; scan for the rest."""
        self._direct.extend(handover.sending)
        self._start_direct()
        if handover.queued:
            self._behind += handover.queued
            self.wake.set()

    def _start_direct(self) -> None:
        """Start handed-over replies while slots are free and the provider is up."""
        while self._direct and self._free_slots() > 0 and self._sending_now():
            self._start(self._direct.popleft())

    def _sending_now(self) -> bool:
        return not self._stopping.is_set() and not self.circuit.is_open

    def _start(self, message: Outgoing) -> None:
        task = asyncio.create_task(self._send_one(message))
        self._in_flight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._start_direct()

    async def _put_back(self) -> None:
        """Stopping: replies handed over but never started go back to the queue."""
        left = list(self._direct)
        self._direct.clear()
        if not left:
            return
        now = self.clock.now()

        async def put_back(tx: Tx) -> None:
            for message in left:
                await tx.outbox.hold(message.id, "not sent before the gateway stopped", now)

        await self.store.unit(put_back)

    async def send_due(self) -> int:
        """Claim what is due (as many as there are free slots) and start sending it; while
        the provider is down, only a probe now and then."""
        now = self.clock.now()
        allowed = self.circuit.allowance(now)
        if allowed == 0:
            return 0
        free = self._free_slots()
        if free == 0:
            await self._wait_for_slot()
            return 1
        if allowed is not None:  # a probe: what has waited too long goes first
            await self.cancel_stale_openings()
        limit = min(free, allowed or free)
        # handed-over replies first (also as the probe while the provider is down)
        left = 0 if self._stopping.is_set() else len(self._direct)
        handed = [self._direct.popleft() for _ in range(min(limit, left))]
        claimed = handed or await self._claim(now, limit)
        if allowed is not None and claimed:
            self.circuit.probing()
        for message in claimed:
            self._start(message)
        return len(claimed)

    async def _claim(self, now: datetime, limit: int) -> list[Outgoing]:
        claimed = await self.store.unit(lambda tx: tx.outbox.claim_due(now, limit))
        if not claimed and not self._in_flight:
            self._behind = 0  # nothing of ours in flight holds a number back
        return claimed

    def _free_slots(self) -> int:
        return self.settings.concurrency - len(self._in_flight)

    async def _wait_for_slot(self) -> None:
        await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)

    async def _send_one(self, message: Outgoing) -> None:
        if await self._loop_guard_hit(message):
            return
        await self._pacer.wait()  # last, so nothing of ours sits between pacing and the wire
        started = time.monotonic()
        try:
            result = await self.transport.send(message)
        except SendError as error:
            await self._failed(message, error)
            return
        except Exception as error:  # a bug or an unexpected SDK error: retry, log loudly
            log.exception("send_crashed", message_id=message.id)
            await self._failed(message, SendError(repr(error), retryable=True, code="internal"))
            return
        await self._sent(message, result, time.monotonic() - started)

    async def _loop_guard_hit(self, message: Outgoing) -> bool:
        since = self.clock.now() - self.settings.loop_guard_window
        # a read, not a unit of writes: one message in flight per number, so nothing else can
        # send this text to this number meanwhile; only a refusal writes
        repeats = await self.store.read_unit(lambda tx: tx.outbox.recent_same_text(message, since))
        if repeats < self.settings.loop_guard_count:
            return False
        now = self.clock.now()
        await self.store.unit(lambda tx: tx.outbox.mark_refused(message.id, "loop_guard", now))
        log.warning(
            "send_refused_loop_guard",
            message_id=message.id,
            conversation_id=message.conversation_id,
            phone=message.phone,
            repeats=repeats,
        )
        self.metrics.messages_out.labels(status="refused").inc()
        return True

    async def cancel_stale_openings(self) -> int:
        """Survey openings held longer than their flow's max_age are not sent hours late:
        each is cancelled with its reason, and its conversation ends as undeliverable."""
        now = self.clock.now()
        async with self.store.read() as tx:
            held = await tx.outbox.held_openings()
        stale = [h for h in held if self._too_old(h.flow_id, h.queued_at, now)]
        for opening in stale:
            limit = self.max_age(opening.flow_id)
            reason = f"too_old: held past the flow's max_age ({limit}) while the provider was down"
            if await self.store.unit(self._cancel(opening, reason, now)):
                log.warning(
                    "sms_cancelled_too_old",
                    message_id=opening.message_id,
                    conversation_id=opening.conversation_id,
                    flow=opening.flow_id,
                    queued_at=opening.queued_at.isoformat(),
                )
        return len(stale)

    def _cancel(
        self, opening: HeldOpening, reason: str, now: datetime
    ) -> Callable[[Tx], Awaitable[bool]]:
        async def cancel(tx: Tx) -> bool:
            cancelled = await tx.outbox.cancel(opening.message_id, reason, now)
            if cancelled:
                await self.on_final_failure(tx, _opening(opening), "too_old")
            return cancelled

        return cancel

    def _too_old(self, flow_id: str, queued_at: datetime, now: datetime) -> bool:
        limit = self.max_age(flow_id)
        return limit is not None and now - queued_at > limit

    async def _sent(self, message: Outgoing, result: SendResult, seconds: float) -> None:
        self._provider_answered()
        now = self.clock.now()
        await self._results.run(
            lambda tx: tx.outbox.mark_sent(
                message.id, result.provider_ref, now, price=result.price, currency=result.currency
            )
        )
        if self._behind:  # a message queued behind this one to its number may go now
            self.wake.set()
        self.metrics.messages_out.labels(status="sent").inc()
        self.metrics.send_seconds.observe(seconds)
        log.info(
            "sms_sent",
            message_id=message.id,
            conversation_id=message.conversation_id,
            phone=message.phone,
            purpose=message.purpose,
            segments=message.segments,
            encoding=message.encoding,
            provider_ref=result.provider_ref,
            attempt=message.attempts,
        )

    async def _failed(self, message: Outgoing, error: SendError) -> None:
        now = self.clock.now()
        provider = about_the_provider(error)
        down = self._provider_failed(error) if provider else self._provider_answered()
        if down and not error.maybe_sent:
            await self._hold(message, error)
            return
        # while the provider is down no message fails for it; the message's own errors do
        spent = message.attempts >= self.settings.max_attempts
        final = not down and ((not error.retryable and not provider) or spent)

        async def record(tx: Tx) -> None:
            if final:
                await tx.outbox.mark_failed(message.id, f"{error.code}: {error}", now)
                await self.on_final_failure(tx, message, error.code)
            elif error.maybe_sent:
                due = now + self.settings.uncertain_grace
                await tx.outbox.mark_uncertain(message.id, error.code, due, now)
            else:
                due = now + timedelta(seconds=self._backoff(message.attempts))
                await tx.outbox.mark_retry(message.id, error.code, due, now)

        await self._results.run(record)
        # uncertain: it may have gone; it waits for a receipt before it is sent again
        outcome = "failed" if final else "uncertain" if error.maybe_sent else "retry"
        self.metrics.messages_out.labels(status="failed" if final else "retry").inc()
        log.warning(
            f"sms_send_{outcome}",
            message_id=message.id,
            conversation_id=message.conversation_id,
            phone=message.phone,
            code=error.code,
            reason=str(error),
            attempt=message.attempts,
        )

    def _provider_answered(self) -> bool:
        """The provider answered; False (it is not down)."""
        down = self.circuit.answered(self.clock.now())
        self.metrics.provider_up.set(1)
        if down is not None:
            log.warning("sms_provider_recovered", down_seconds=round(down.total_seconds()))
            self.wake.set()  # drain what was held, in the outbox's order
        return False

    def _provider_failed(self, error: SendError) -> bool:
        """Count a provider failure; True when the provider is down (the circuit open)."""
        now = self.clock.now()
        if self.circuit.failed(now):
            self.metrics.provider_up.set(0)
            log.error(
                "sms_provider_down",
                code=error.code,
                reason=str(error),
                failures=self.circuit.failures,
                next_probe=_iso(self.circuit.next_probe),
                hint="no attempts are spent while it is down; one message probes it now and then",
            )
        elif self.circuit.is_open:
            log.info(
                "sms_provider_probe_failed",
                code=error.code,
                next_probe=_iso(self.circuit.next_probe),
            )
        return self.circuit.is_open

    async def _hold(self, message: Outgoing, error: SendError) -> None:
        now = self.clock.now()
        await self._results.run(lambda tx: tx.outbox.hold(message.id, error.code, now))
        self.metrics.messages_out.labels(status="held").inc()

    def _backoff(self, attempts: int) -> float:
        delay = self.settings.backoff_seconds * 2 ** max(attempts - 1, 0)
        return float(min(delay, self.settings.max_backoff_seconds))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _opening(opening: HeldOpening) -> Outgoing:
    """The cancelled opening as the final-failure handler reads it (purpose and conversation)."""
    return Outgoing(opening.message_id, opening.conversation_id, "", "", "opening", "", 0, 0)
