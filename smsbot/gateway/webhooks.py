"""The delivery worker: POSTs the webhook outbox, signed as Standard Webhooks specifies.

Each due delivery is POSTed with `webhook-id` (fixed when it was queued: the same on every
attempt, so a receiver can drop repeats), `webhook-timestamp` and `webhook-signature` (the
`standardwebhooks` library, with the subscription's secret). Every attempt is recorded: its
HTTP status or the error, when, and how long it took.

- 2xx: delivered, never again (unless an admin replays it).
- 410 Gone: the receiver wants no more; the subscription is disabled and its queue cancelled.
- anything else, a refused connection or a timeout: tried again after the next wait of
  `RETRY_AFTER` (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over 27 h 35 min),
  then failed.

A gateway killed mid-POST sends the delivery again after it restarts, under the same id: a
receiver may see an id twice, never one event under two ids, and nothing is lost.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from standardwebhooks.webhooks import Webhook

from smsbot.logs import get_logger
from smsbot.ports import Clock
from smsbot.storage.ports import Store
from smsbot.storage.webhooks import Attempt, Delivery

__all__ = ["RETRY_AFTER", "DeliveryWorker", "WebhookSettings", "signed_headers"]

log = get_logger("smsbot.gateway.webhooks")

RETRY_AFTER: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)  # seconds


@dataclass(frozen=True)
class WebhookSettings:
    timeout_seconds: float = 10.0  # a receiver slower than this is tried again later
    batch: int = 20  # deliveries POSTed at once
    poll_seconds: float = 1.0
    retry_after: tuple[float, ...] = RETRY_AFTER


def signed_headers(delivery: Delivery, now: datetime) -> dict[str, str]:
    signature = Webhook(delivery.secret).sign(delivery.webhook_id, now, delivery.payload)
    return {
        "content-type": "application/json",
        "user-agent": "smsbot-webhooks",
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


class DeliveryWorker:
    """Run `deliver_due` in the gateway's loop (`every`); `close` when the gateway stops."""

    def __init__(self, store: Store, clock: Clock, settings: WebhookSettings) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None

    async def deliver_due(self) -> int:
        """POST each due delivery once (at once, up to `batch`); how many were tried."""
        async with self.store.read() as tx:
            due = await tx.webhooks.due(self.clock.now(), self.settings.batch)
        await asyncio.gather(*(self._deliver(delivery) for delivery in due))
        return len(due)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _deliver(self, delivery: Delivery) -> None:
        attempt = await self._post(delivery)
        gone = attempt.status_code == 410
        next_due = None if gone else self._next_due(delivery, attempt.at)
        async with self.store.write() as tx:
            await tx.webhooks.record_attempt(attempt, next_due)
            if gone:
                await tx.webhooks.disable(delivery.subscription_id, "410 Gone", attempt.at)
        _log(delivery, attempt, next_due, gone)

    def _next_due(self, delivery: Delivery, now: datetime) -> datetime | None:
        """When to try again after a failed attempt (None: retries spent)."""
        waits = self.settings.retry_after
        done = delivery.attempts + 1
        return now + timedelta(seconds=waits[done - 1]) if done <= len(waits) else None

    async def _post(self, delivery: Delivery) -> Attempt:
        now = self.clock.now()
        started = time.monotonic()
        status: int | None = None
        try:
            status = await self._send(delivery, now)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except TimeoutError:
            error = f"no answer within {self.settings.timeout_seconds:g} s"
        except aiohttp.ClientError as failure:
            error = f"{type(failure).__name__}: {failure}"[:300]
        milliseconds = round((time.monotonic() - started) * 1000)
        return Attempt(delivery.id, now, status, error, milliseconds)

    async def _send(self, delivery: Delivery, now: datetime) -> int:
        session = self._session_for()
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        headers = signed_headers(delivery, now)
        async with session.post(
            delivery.url,
            data=delivery.payload.encode(),
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
        ) as response:
            await response.read()
            return response.status

    def _session_for(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session


def _log(delivery: Delivery, attempt: Attempt, next_due: datetime | None, gone: bool) -> None:
    fields = {
        "webhook_id": delivery.webhook_id,
        "subscription_id": delivery.subscription_id,
        "event_type": delivery.event_type,
        "attempt": delivery.attempts + 1,
        "status_code": attempt.status_code,
        "milliseconds": attempt.milliseconds,
    }
    if attempt.error is None:
        log.info("webhook_delivered", **fields)
    elif gone:
        log.warning("webhook_subscription_gone", **fields)
    elif next_due is None:
        log.warning("webhook_failed", error=attempt.error, **fields)
    else:
        retry_at = next_due.astimezone(UTC).isoformat(timespec="seconds")
        log.info("webhook_retry", error=attempt.error, retry_at=retry_at, **fields)
