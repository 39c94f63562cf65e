"""The built-in simulator: records instead of sending, and reports delivery a moment later."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from smsbot.domain import DeliveryReceipt
from smsbot.storage.outbox import Outgoing
from smsbot.transport.base import SendResult

__all__ = ["SimulatorTransport"]

ReceiptSink = Callable[[DeliveryReceipt], Awaitable[None]]


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
            task = asyncio.create_task(self._deliver(receipt))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        return SendResult(provider_ref=ref, parts=message.segments)

    async def _deliver(self, receipt: DeliveryReceipt) -> None:
        await asyncio.sleep(self.receipt_delay)
        assert self.receipt_sink is not None
        await self.receipt_sink(receipt)

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
