"""The sender task: takes due messages from the outbox and hands them to the transport.

Paced to the provider's rate, at most one message in flight per phone (so each person gets
their messages in order), retried with backoff when a retry can help, refused by a loop guard
when the same text keeps going to the same number.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from smsbot.gateway.loops import every
from smsbot.gateway.pacing import Pacer
from smsbot.logs import get_logger
from smsbot.metrics import Metrics
from smsbot.ports import Clock
from smsbot.providers.base import SendError, SendResult, Transport
from smsbot.storage.ports import Outgoing, Store

__all__ = ["Sender", "SenderSettings"]

log = get_logger("smsbot.gateway.sender")

FinalFailure = Callable[[Outgoing, str], Awaitable[None]]


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
    ) -> None:
        self.store = store
        self.transport = transport
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        self.on_final_failure = on_final_failure
        self.wake = asyncio.Event()
        self._pacer = Pacer(settings.rate_per_second, settings.window_margin_seconds)
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Send until `stopping` is set, then let what is in flight finish."""
        poll = self.settings.idle_poll_seconds
        await every(poll, self.send_due, stopping, name="sender", wake=self.wake)
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def send_due(self) -> int:
        """Claim what is due (as many as there are free slots) and start sending it."""
        free = self._free_slots()
        if free == 0:
            await self._wait_for_slot()
            return 1
        async with self.store.write() as tx:
            claimed = await tx.outbox.claim_due(self.clock.now(), free)
        for message in claimed:
            task = asyncio.create_task(self._send_one(message))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(claimed)

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
        async with self.store.write() as tx:
            repeats = await tx.outbox.recent_same_text(message, since)
            if repeats < self.settings.loop_guard_count:
                return False
            await tx.outbox.mark_refused(message.id, "loop_guard", self.clock.now())
        log.warning(
            "send_refused_loop_guard",
            message_id=message.id,
            conversation_id=message.conversation_id,
            phone=message.phone,
            repeats=repeats,
        )
        self.metrics.messages_out.labels(status="refused").inc()
        return True

    async def _sent(self, message: Outgoing, result: SendResult, seconds: float) -> None:
        async with self.store.write() as tx:
            await tx.outbox.mark_sent(
                message.id,
                result.provider_ref,
                self.clock.now(),
                price=result.price,
                currency=result.currency,
            )
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
        final = not error.retryable or message.attempts >= self.settings.max_attempts
        async with self.store.write() as tx:
            if final:
                await tx.outbox.mark_failed(message.id, f"{error.code}: {error}", now)
            elif error.maybe_sent:
                due = now + self.settings.uncertain_grace
                await tx.outbox.mark_uncertain(message.id, error.code, due, now)
            else:
                due = now + timedelta(seconds=self._backoff(message.attempts))
                await tx.outbox.mark_retry(message.id, error.code, due, now)
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
        if final:
            await self.on_final_failure(message, error.code)

    def _backoff(self, attempts: int) -> float:
        delay = self.settings.backoff_seconds * 2 ** max(attempts - 1, 0)
        return float(min(delay, self.settings.max_backoff_seconds))
