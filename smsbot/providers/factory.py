"""Builds the transport the configuration names."""

from __future__ import annotations

from collections.abc import Callable

from smsbot.providers.base import Transport, VonageSettings
from smsbot.providers.simulator import ReceiptSink, SimulatorTransport

__all__ = ["KINDS", "build_transport"]

KINDS = ("simulator", "vonage-sms", "vonage-messages")


def build_transport(
    kind: str,
    settings: VonageSettings,
    *,
    threads: int,
    receipt_sink: ReceiptSink | None = None,
    gate: Callable[[], None] | None = None,
) -> Transport:
    """`simulator`, `vonage-sms` or `vonage-messages` (the SDK is imported only when needed).

    The Vonage transports post with aiohttp, at most `threads` requests at once. `receipt_sink`
    is for the simulator only: Vonage's receipts arrive by webhook. `gate` paces Vonage requests
    right before they are written (see smsbot.gateway.pacing.WireGate).
    """
    if kind == "simulator":
        return SimulatorTransport(receipt_sink)
    if kind == "vonage-sms":
        from smsbot.providers.vonage.sms_api import VonageSmsTransport

        return VonageSmsTransport(settings, threads=threads, gate=gate)
    if kind == "vonage-messages":
        from smsbot.providers.vonage.messages_api import VonageMessagesTransport

        return VonageMessagesTransport(settings, threads=threads, gate=gate)
    raise ValueError(f"unknown transport kind {kind!r}; expected one of {', '.join(KINDS)}")
