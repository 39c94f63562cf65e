"""Builds the transport the configuration names."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from smsbot.domain import DeliveryReceipt
from smsbot.transport.base import Transport, VonageSettings
from smsbot.transport.simulator import SimulatorTransport

__all__ = ["build_transport"]


def build_transport(
    kind: str,
    settings: VonageSettings,
    *,
    threads: int,
    receipt_sink: Callable[[DeliveryReceipt], Awaitable[None]] | None = None,
) -> Transport:
    if kind == "simulator":
        return SimulatorTransport(receipt_sink)
    if kind == "vonage-sms":
        from smsbot.transport.vonage_sms import VonageSmsTransport

        return VonageSmsTransport(settings, threads=threads)
    if kind == "vonage-messages":
        from smsbot.transport.vonage_messages import VonageMessagesTransport

        return VonageMessagesTransport(settings, threads=threads)
    raise ValueError(f"unknown transport kind {kind!r}")
