"""What providers tell us: citizens' replies (long ones reassembled), messages we cannot use,
and delivery receipts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from smsbot.domain import DeliveryReceipt, IgnoredInbound, InboundPart, InboundSms
from smsbot.gateway.surveys import ReceiveResult, Surveys
from smsbot.logs import get_logger
from smsbot.metrics import Metrics
from smsbot.storage.ports import Handover, StoredPart, Tx, message_id_from_client_ref

__all__ = ["Inbound"]

log = get_logger("smsbot.gateway.inbound")


class Sending(Protocol):
    """Where a reply's SMS goes once its unit is durable (the sender)."""

    def reserve(self) -> bool: ...
    def release(self) -> None: ...
    def hand(self, handover: Handover) -> None: ...


class Inbound:
    """Each message is one unit of work. With a `sender`, the reply it causes is written as
    being sent in that unit and handed to the sender after the COMMIT (no outbox claim);
    without one, it is queued and `notify` wakes whoever sends."""

    def __init__(
        self,
        surveys: Surveys,
        metrics: Metrics,
        *,
        notify: Callable[[], None] = lambda: None,
        sender: Sending | None = None,
    ) -> None:
        self.surveys = surveys
        self.metrics = metrics
        self.notify = notify
        self.sender = sender

    async def sms(self, sms: InboundSms) -> ReceiveResult:
        """One whole SMS from a citizen. Committed when this returns."""
        direct = self._direct()

        async def take(tx: Tx) -> tuple[ReceiveResult, Handover]:
            if direct:
                tx.outbox.send_directly()
            result = await self.surveys.receive_in(
                tx, sms.phone, sms.text, sender=sms.to, provider_ref=sms.provider_ref
            )
            return result, tx.outbox.handover()

        try:
            result, handover = await self.surveys.store.unit(take)
        finally:
            self._release(direct)
        self._hand(handover)
        self._taken(sms, result)
        return result

    def _direct(self) -> bool:
        return self.sender is not None and self.sender.reserve()

    def _release(self, direct: bool) -> None:
        if direct and self.sender is not None:
            self.sender.release()

    def _hand(self, handover: Handover) -> None:
        if self.sender is not None:
            self.sender.hand(handover)
        elif handover.queued:
            self.notify()

    async def part(self, part: InboundPart) -> ReceiveResult | None:
        """One part of a long SMS; None while parts of its message are missing.

        The part that completes a message has the whole message taken in the same transaction,
        so a crash leaves either that part unstored (the provider retries it) or the message
        taken. Committed when this returns.
        """
        direct = self._direct()

        async def take(tx: Tx) -> tuple[StoredPart, ReceiveResult | None, Handover]:
            if direct:
                tx.outbox.send_directly()
            stored = await tx.inbound.store_part(part, self.surveys.clock.now())
            if stored.outcome != "whole":
                return stored, None, Handover()
            result = await self.surveys.receive_in(
                tx, part.phone, stored.text, sender=part.to, provider_ref=stored.whole_ref
            )
            return stored, result, tx.outbox.handover()

        try:
            stored, result, handover = await self.surveys.store.unit(take)
        finally:
            self._release(direct)
        self._hand(handover)
        self._part_logged(part, stored)
        if result is None:
            return ReceiveResult("duplicate") if stored.outcome == "duplicate" else None
        whole = InboundSms(part.phone, part.to, stored.text, stored.whole_ref, part.received_at)
        self._taken(whole, result)
        return result

    def _part_logged(self, part: InboundPart, stored: StoredPart) -> None:
        if stored.abandoned:
            log.warning(
                "sms_parts_abandoned",
                phone=part.phone,
                concat_ref=part.concat_ref,
                parts=stored.abandoned,
                hint="a long SMS lost a part; the sender has sent another with the same ref",
            )
        log.info(
            "sms_part_received",
            outcome=stored.outcome,
            phone=part.phone,
            provider_ref=part.provider_ref,
            part=part.part,
            total=part.total,
        )

    def _taken(self, sms: InboundSms, result: ReceiveResult) -> None:
        self.metrics.messages_in.labels(outcome=result.outcome).inc()
        log.info(
            "sms_received",
            outcome=result.outcome,
            conversation_id=result.conversation_id,
            phone=sms.phone,
            provider_ref=sms.provider_ref,
            chars=len(sms.text),
            text=sms.text,
        )

    async def ignored(self, message: IgnoredInbound) -> ReceiveResult:
        """A message we cannot use: kept with its reason (beside the sender's running survey,
        if any) and logged; nothing else happens. Committed when this returns."""

        async def keep(tx: Tx) -> tuple[str | None, bool]:
            active = (
                await tx.conversations.find_active(message.phone, message.to)
                if message.phone
                else None
            )
            conversation_id = active.id if active else None
            now = self.surveys.clock.now()
            return conversation_id, await tx.inbound.add_ignored(message, conversation_id, now)

        conversation_id, new = await self.surveys.store.unit(keep)
        outcome = "ignored" if new else "duplicate"
        self.metrics.messages_in.labels(outcome=outcome).inc()
        log.info(
            "sms_ignored",
            outcome=outcome,
            reason=message.reason,
            conversation_id=conversation_id,
            phone=message.phone,
            provider_ref=message.provider_ref,
        )
        return ReceiveResult(outcome, conversation_id)

    async def receipt(self, receipt: DeliveryReceipt) -> str:
        """A delivery receipt: update the message; a first message that never arrived ends it."""
        message_id = message_id_from_client_ref(receipt.client_ref)

        async def apply(tx: Tx) -> str:
            now = self.surveys.clock.now()
            new, message = await tx.inbound.apply_receipt(receipt, message_id, now)
            if new and message is not None and receipt.failed and message.purpose == "opening":
                await self._undeliverable(tx, message.conversation_id)
            return "duplicate" if not new else "unknown_message" if message is None else "ok"

        outcome = await self.surveys.store.unit(apply)
        self.metrics.receipts.labels(status=receipt.status).inc()
        log.info(
            "receipt_received",
            outcome=outcome,
            status=receipt.status,
            error_code=receipt.error_code,
            error_reason=receipt.error_reason,
            provider_ref=receipt.provider_ref,
            phone=receipt.phone,
        )
        return outcome

    async def _undeliverable(self, tx: Tx, conversation_id: str | None) -> None:
        if conversation_id and await self.surveys.undeliverable_in(tx, conversation_id):
            tx.after_commit(
                lambda: log.warning("conversation_undeliverable", conversation_id=conversation_id)
            )
