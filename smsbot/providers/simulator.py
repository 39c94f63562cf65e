"""The built-in simulator: sends nothing, and reports delivery a moment later."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from smsbot.domain import DeliveryReceipt, Outgoing
from smsbot.logs import get_logger
from smsbot.providers.base import SendResult

__all__ = ["ReceiptSink", "SimulatorTransport"]

ReceiptSink = Callable[[DeliveryReceipt], Awaitable[None]]

log = get_logger("smsbot.providers.simulator")


class SimulatorTransport:
    name = "simulator"

    def __init__(
        self, receipt_sink: ReceiptSink | None = None, receipt_delay: float = 0.05
    ) -> None:
        self.receipt_sink = receipt_sink
        self.receipt_delay = receipt_delay
        self._pending: set[asyncio.Task[None]] = set()

    async def send(self, message: Outgoing) -> SendResult:
        ref = f"sim-{uuid.uuid4().hex}"
        if self.receipt_sink is not None:
            receipt = DeliveryReceipt(
                provider_ref=ref,
                status="delivered",
                client_ref=message.client_ref,
                phone=message.phone,
            )
            task = asyncio.create_task(self._deliver(self.receipt_sink, receipt))
            self._pending.add(task)  # a reference, so the task is not garbage-collected
            task.add_done_callback(self._pending.discard)
        return SendResult(provider_ref=ref, parts=message.segments)

    async def _deliver(self, sink: ReceiptSink, receipt: DeliveryReceipt) -> None:
        await asyncio.sleep(self.receipt_delay)
        try:
            await sink(receipt)
        except Exception:  # a receipt the sink could not take must not vanish silently
            log.exception("simulated_receipt_failed", provider_ref=receipt.provider_ref)

    async def close(self) -> None:
        """Cancel receipts not yet delivered."""
        pending = list(self._pending)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
