"""The provider's circuit: "the provider is down" is not "this message is bad".

Closed, messages go out as usual. After `opens_after` provider failures in a row (timeouts,
dropped connections, HTTP 5xx or 429, refused credentials: nothing about the message itself)
it opens: no message spends an attempt, and one message at a time probes the provider, at a
growing interval (`first_probe`, doubled after each failed probe, at most `max_probe`). The
first probe that goes through closes it, and the held messages drain in the outbox's order
(replies first, each person's in order). Pure: the caller says what happened and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from smsbot.providers.base import SendError

__all__ = ["CircuitSettings", "ProviderCircuit", "about_the_provider"]


def about_the_provider(error: SendError) -> bool:
    """True when the failure says the provider (or the way to it) is failing, not the message."""
    return error.retryable or error.code == "auth"


@dataclass(frozen=True)
class CircuitSettings:
    opens_after: int = 3
    first_probe: timedelta = timedelta(seconds=5)
    max_probe: timedelta = timedelta(minutes=5)


class ProviderCircuit:
    def __init__(self, settings: CircuitSettings) -> None:
        self.settings = settings
        self.failures = 0  # provider failures in a row
        self.down_since: datetime | None = None
        self.probes = 0  # failed probes since it opened
        self._next_probe: datetime | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        return self.down_since is not None

    def allowance(self, now: datetime) -> int | None:
        """How many messages may start now: None (no limit) closed; open, 1 when a probe is
        due and none is under way, else 0."""
        if not self.is_open:
            return None
        due = self._next_probe is not None and now >= self._next_probe
        return 1 if due and not self._probing else 0

    def probing(self) -> None:
        """A probe has been handed to the provider."""
        self._probing = True

    def answered(self, now: datetime) -> timedelta | None:
        """The provider answered (it took the message, or refused it for a reason of the
        message's own); if the circuit was open, it closes: how long it was down."""
        self.failures = 0
        if self.down_since is None:
            return None
        down = now - self.down_since
        self.down_since, self._next_probe, self._probing, self.probes = None, None, False, 0
        return down

    def failed(self, now: datetime) -> bool:
        """A provider failure: True when it opened the circuit just now."""
        self.failures += 1
        if self.is_open:
            if self._probing:
                self._probing = False
                self.probes += 1
                self._next_probe = now + self._interval()
            return False
        if self.failures < self.settings.opens_after:
            return False
        self.down_since = now
        self._next_probe = now + self.settings.first_probe
        return True

    def _interval(self) -> timedelta:
        grown = self.settings.first_probe * (1 << self.probes)
        return min(grown, self.settings.max_probe)

    @property
    def next_probe(self) -> datetime | None:
        return self._next_probe
