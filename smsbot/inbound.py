"""What providers tell us: citizens' replies (long ones reassembled), messages we cannot use,
and delivery receipts."""

from __future__ import annotations

from collections.abc import Callable

import aiosqlite

from smsbot.domain import DeliveryReceipt, IgnoredInbound, InboundPart, InboundSms
from smsbot.logs import get_logger
from smsbot.metrics import Metrics
from smsbot.service import ReceiveResult, Surveys
from smsbot.storage import conversations as repo
from smsbot.storage import gateway as store
from smsbot.storage.outbox import message_id_from_client_ref

__all__ = ["Inbound"]

log = get_logger("smsbot.inbound")


class Inbound:
    def __init__(
        self, surveys: Surveys, metrics: Metrics, *, notify: Callable[[], None] = lambda: None
    ) -> None:
        self.surveys = surveys
        self.metrics = metrics
        self.notify = notify

    async def sms(self, sms: InboundSms) -> ReceiveResult:
        """One whole SMS from a citizen. Committed when this returns."""
        result = await self.surveys.receive(
            sms.phone, sms.text, sender=sms.to, provider_ref=sms.provider_ref
        )
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
        if result.outcome != "duplicate":
            self.notify()
        return result

    async def part(self, part: InboundPart) -> ReceiveResult | None:
        """One part of a long SMS; the whole message is handled when its last part is in."""
        whole_ref = f"concat:{part.phone}:{part.concat_ref}"
        async with self.surveys.db.transaction() as conn:
            if await _already_received(conn, whole_ref):
                return ReceiveResult("duplicate")
            parts = await store.store_part(conn, part, part.to, self.surveys.clock.now())
        log.info("sms_part_received", phone=part.phone, part=part.part, total=part.total)
        if parts is None:
            return None
        text = "".join(row["text"] for row in parts)
        whole = InboundSms(part.phone, part.to, text, whole_ref, part.received_at)
        return await self.sms(whole)

    async def ignored(self, message: IgnoredInbound) -> ReceiveResult:
        """A message we cannot use: kept with its reason (beside the sender's running survey,
        if any) and logged; nothing else happens. Committed when this returns."""
        async with self.surveys.db.transaction() as conn:
            active = (
                await repo.find_active(conn, message.phone, message.to) if message.phone else None
            )
            conversation_id = active.id if active else None
            new = await store.insert_ignored(
                conn, message, conversation_id, self.surveys.clock.now()
            )
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
        async with self.surveys.db.transaction() as conn:
            now = self.surveys.clock.now()
            new, message = await store.apply_receipt(conn, receipt, message_id, now)
            outcome = "duplicate" if not new else "unknown_message" if message is None else "ok"
            if new and message is not None and receipt.failed and message["purpose"] == "opening":
                await self._undeliverable(conn, message["conversation_id"])
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

    async def _undeliverable(self, conn: aiosqlite.Connection, conversation_id: str | None) -> None:
        if conversation_id and await self.surveys.undeliverable_in(conn, conversation_id):
            log.warning("conversation_undeliverable", conversation_id=conversation_id)


async def _already_received(conn: aiosqlite.Connection, provider_ref: str) -> bool:
    sql = "SELECT 1 FROM messages WHERE direction = 'in' AND provider_ref = ?"
    async with conn.execute(sql, (provider_ref,)) as cur:
        return await cur.fetchone() is not None
