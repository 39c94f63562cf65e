"""Transports: the built-in simulator and Vonage (SMS API, Messages API).

`build_transport(kind, settings, threads=...)` makes one; every transport offers
`send(Outgoing) -> SendResult` (or raises `SendError`) and `close()`.
"""

from smsbot.providers.base import SendError, SendResult, Transport, VonageSettings
from smsbot.providers.factory import build_transport

__all__ = ["SendError", "SendResult", "Transport", "VonageSettings", "build_transport"]
