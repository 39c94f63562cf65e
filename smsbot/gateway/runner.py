"""The running gateway: the service plus its background tasks (sender, timers) and lifecycle."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiohttp import web

from smsbot.config import Config, parse_duration
from smsbot.domain import DeliveryReceipt, InboundSms
from smsbot.engine import runtime
from smsbot.feedback.language import detector
from smsbot.feedback.review import suggest_new
from smsbot.feedback.taxonomy import Taxonomy
from smsbot.flows.catalog import FlowCatalog
from smsbot.gateway.circuit import CircuitSettings
from smsbot.gateway.inbound import Inbound
from smsbot.gateway.intake import Intake
from smsbot.gateway.loops import every
from smsbot.gateway.mailer import Mailer, MailSettings
from smsbot.gateway.parts import Parts
from smsbot.gateway.policy import SendingRules, max_age_seconds
from smsbot.gateway.sender import Sender, SenderSettings
from smsbot.gateway.timers import Timers
from smsbot.gateway.webhooks import DeliveryWorker, WebhookSettings
from smsbot.logs import get_logger
from smsbot.metrics import Metrics
from smsbot.people import audit
from smsbot.people.accounts import SessionTimes, forget_stale_sessions
from smsbot.phones import parse_phone
from smsbot.ports import Clock
from smsbot.privacy.retention import PurgeTask, parse_retention
from smsbot.providers.base import Transport
from smsbot.storage.ports import Outgoing, Tx

__all__ = ["GATEWAY", "Gateway", "sender_settings", "sending_rules", "webhook_settings"]

log = get_logger("smsbot.gateway.runner")

TAG_SUGGESTION_SECONDS = 60.0  # new feedback gets its suggested tags within a minute
MAIL_SECONDS = 30.0  # an instant e-mail goes within half a minute


def sending_rules(config: Config) -> SendingRules:
    survey = config.survey
    return SendingRules(
        timezone=survey.timezone,
        quiet_start=survey.quiet_start,
        quiet_end=survey.quiet_end,
        max_age_seconds=parse_duration(survey.max_age),
        fatigue_days=survey.fatigue_days,
    )


def sender_settings(config: Config) -> SenderSettings:
    sending = config.sending
    return SenderSettings(
        rate_per_second=sending.rate_per_second,
        window_margin_seconds=sending.window_margin_ms / 1000,
        max_attempts=sending.max_attempts,
        backoff_seconds=sending.backoff_seconds,
        concurrency=sending.threads,
        loop_guard_count=sending.loop_guard_count,
        loop_guard_window=timedelta(seconds=parse_duration(sending.loop_guard_window)),
        uncertain_grace=timedelta(seconds=parse_duration(sending.uncertain_grace)),
        circuit=CircuitSettings(
            opens_after=sending.provider_down_after,
            first_probe=timedelta(seconds=parse_duration(sending.probe_first)),
            max_probe=timedelta(seconds=parse_duration(sending.probe_max)),
        ),
    )


def webhook_settings(config: Config) -> WebhookSettings:
    webhooks = config.webhooks
    return WebhookSettings(
        timeout_seconds=parse_duration(webhooks.timeout),
        retry_after=tuple(parse_duration(wait) for wait in webhooks.retry_after),
    )


@dataclass
class Gateway:
    parts: Parts
    transport: Transport
    metrics: Metrics = field(default_factory=Metrics)
    simulated: bool = False
    timer_poll_seconds: float = 1.0
    taxonomy: Taxonomy | None = None

    def __post_init__(self) -> None:
        surveys = self.parts.surveys
        self.sender = Sender(
            self.parts.store,
            self.transport,
            sender_settings(self.config),
            clock=surveys.clock,
            metrics=self.metrics,
            on_final_failure=self._final_failure,
            max_age=self._max_age,
        )
        wake = self.sender.wake.set
        self.intake = Intake(
            surveys,
            sending_rules(self.config),
            self.metrics,
            sender_number=self.config.vonage.from_number,
            notify=wake,
        )
        self.inbound = Inbound(surveys, self.metrics, notify=wake, sender=self.sender)
        self.timers = Timers(surveys, self.intake, poll_seconds=self.timer_poll_seconds)
        self.webhook_settings = webhook_settings(self.config)
        self.webhooks = DeliveryWorker(self.parts.store, surveys.clock, self.webhook_settings)
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def config(self) -> Config:
        return self.parts.config

    @property
    def catalog(self) -> FlowCatalog:
        return self.parts.catalog

    @property
    def clock(self) -> Clock:
        return self.parts.surveys.clock

    def known_event_types(self) -> set[str]:
        return {t for flow in self.parts.catalog.flows() for t in flow.triggers}

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Make the outbox safe after a crash, then start the periodic jobs."""
        grace = timedelta(seconds=parse_duration(self.config.sending.uncertain_grace))
        async with self.parts.store.write() as tx:
            recovered = await tx.outbox.recover_after_crash(self.clock.now(), grace)
        if recovered:
            log.warning("outbox_uncertain_after_restart", messages=recovered)
        # the reply-language detector takes ~0.5 s to build: before the first reply, not in it
        languages = {frozenset(flow.languages) for flow in self.parts.catalog.flows()}
        await asyncio.to_thread(lambda: [detector(langs) for langs in languages])
        self._tasks = [
            asyncio.create_task(job, name=name) for name, job in self._periodic_jobs().items()
        ]

    async def stop(self) -> None:
        """Stop taking work, let what is in flight finish, close the transport and database."""
        self._stopping.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.webhooks.close()
        await self.transport.close()
        await self.parts.close()

    def _periodic_jobs(self) -> dict[str, Coroutine[Any, Any, None]]:
        """Every background job of a running gateway, by task name; all end on `_stopping`."""
        stopping = self._stopping
        retention = parse_retention(self.config.privacy.retention)
        purger = PurgeTask(self.parts.store, retention, self.clock)
        jobs = {
            "sender": self.sender.run(stopping),
            "timers": every(
                self.timers.poll_seconds, self.timers.fire_due, stopping, name="timers"
            ),
            "webhooks": every(
                self.webhook_settings.poll_seconds,
                self.webhooks.deliver_due,
                stopping,
                name="webhooks",
            ),
            "purge": every(
                purger.every_seconds, lambda: self._purge(purger), stopping, name="purge"
            ),
        }
        if self.config.email.smtp_host:
            mailer = Mailer(self.parts.store, self.clock, MailSettings.of(self.config))
            jobs["mail"] = every(MAIL_SECONDS, mailer.send_due, stopping, name="mail")
        if self.taxonomy is not None:
            jobs["tags"] = every(
                TAG_SUGGESTION_SECONDS, self._suggest_tags, stopping, name="tag_suggestion"
            )
        return jobs

    async def _purge(self, purger: PurgeTask) -> None:
        """Purge what is past retention (a purge that removed numbers goes in the audit log),
        and sessions past their timeouts."""
        await forget_stale_sessions(self.parts.store, self.clock.now(), SessionTimes())
        counts = await purger.run_once()
        if counts is not None and counts.total:
            await audit.record(
                self.parts.store, "purge", at=self.clock.now(), who="gateway (retention)",
                remote="gateway", target="phone numbers", detail=dict(counts.as_dict()),
            )  # fmt: skip

    async def _suggest_tags(self) -> None:
        """New feedback gets tags suggested by the taxonomy's rules."""
        assert self.taxonomy is not None
        added = await suggest_new(self.parts.store, self.taxonomy, now=self.clock.now())
        if added:
            log.info("tags_suggested", count=added)

    # --- health and metrics ---------------------------------------------------------------

    async def readiness(self) -> dict[str, bool]:
        try:
            async with self.parts.store.read() as tx:
                database = await tx.conversations.reachable()
        except Exception:
            database = False
        writes = self.parts.store.write_failure() is None  # not ready while writes fail
        return {"database": database, "writes": writes, "transport": self.transport is not None}

    async def render_metrics(self) -> bytes:
        async with self.parts.store.read() as tx:
            counts = await tx.conversations.count_by_status()
            queued = await tx.outbox.count_queued()
        for status in runtime.Status:
            self.metrics.conversations.labels(state=status.value).set(counts.get(status.value, 0))
        self.metrics.queue_depth.set(queued)
        return self.metrics.render()

    # --- the simulator --------------------------------------------------------------------

    def simulated_sms(self, data: object) -> InboundSms:
        if not isinstance(data, Mapping):
            raise ValueError("expected a JSON object with from, to and text")
        sender, text = data.get("from"), data.get("text")
        if not isinstance(sender, str) or not isinstance(text, str):
            raise ValueError("'from' and 'text' must be strings")
        to = data.get("to") or self.config.vonage.from_number
        phone = parse_phone(sender, self.config.survey.default_region)
        return InboundSms(phone, str(to), text, f"sim-in-{secrets.token_hex(8)}")

    async def sent_to(self, phone: str) -> list[dict[str, object]]:
        number = parse_phone(phone, self.config.survey.default_region, mobile_only=False)
        async with self.parts.store.read() as tx:
            return await tx.outbox.sent_to(number)

    async def simulated_receipt(self, receipt: DeliveryReceipt) -> None:
        await self.inbound.receipt(receipt)

    # --- failures -------------------------------------------------------------------------

    def _max_age(self, flow_id: str) -> timedelta | None:
        flow = self.parts.catalog.get(flow_id)
        if flow is None:
            return None
        return timedelta(seconds=max_age_seconds(flow, sending_rules(self.config)))

    async def _final_failure(self, tx: Tx, message: Outgoing, code: str) -> None:
        """A first message that could not be sent at all: the conversation is undeliverable
        (in the unit that failed the message, so nothing of it goes out in between)."""
        conversation_id = message.conversation_id
        if message.purpose != "opening" or conversation_id is None:
            return
        if await self.parts.surveys.undeliverable_in(tx, conversation_id):
            tx.after_commit(
                lambda: log.warning(
                    "conversation_undeliverable", conversation_id=conversation_id, code=code
                )
            )


GATEWAY = web.AppKey("gateway", Gateway)  # how HTTP handlers and pages reach the gateway
