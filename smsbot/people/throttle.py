"""Sign-in attempts rate-limited per account and per address, with a lockout.

Failures are counted in a sliding window; past the limit the account (or the address) is locked
for `lock_seconds`, whatever password comes next. `check` and `failed` return what changed
("locked", "released") so the caller logs and audits each lockout and its release once. Kept in
the process's memory: a restart releases every lock (and says nothing), which an attacker cannot
cause from outside.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["Limits", "SignInThrottle", "Verdict"]


@dataclass(frozen=True)
class Limits:
    per_account: int = 5  # failures in the window that lock the account
    per_address: int = 20  # failures from one address that lock the address
    window_seconds: float = 900.0
    lock_seconds: float = 900.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0
    changes: tuple[
        tuple[str, str, str], ...
    ] = ()  # ("locked"|"released", "account"|"address", key)


@dataclass
class _Counter:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class SignInThrottle:
    """Counts failed sign-ins by account (the e-mail typed) and by address."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._counters: dict[tuple[str, str], _Counter] = {}

    def check(self, account: str, address: str, now: float) -> Verdict:
        """May a sign-in be tried now? Releases expired locks (reported in `changes`)."""
        changes, waits = [], []
        for kind, key in self._keys(account, address):
            counter = self._counters.get((kind, key))
            if counter is None or not counter.locked_until:
                continue
            if counter.locked_until <= now:
                counter.locked_until = 0.0
                counter.failures.clear()
                changes.append(("released", kind, key))
            else:
                waits.append(counter.locked_until - now)
        return Verdict(not waits, max(waits, default=0.0), tuple(changes))

    def failed(self, account: str, address: str, now: float) -> Verdict:
        """Counts a failure; locks what went over its limit (reported in `changes`)."""
        changes = []
        for kind, key in self._keys(account, address):
            counter = self._counters.setdefault((kind, key), _Counter())
            counter.failures.append(now)
            while counter.failures and counter.failures[0] <= now - self.limits.window_seconds:
                counter.failures.popleft()
            limit = self.limits.per_account if kind == "account" else self.limits.per_address
            if len(counter.failures) >= limit and not counter.locked_until:
                counter.locked_until = now + self.limits.lock_seconds
                changes.append(("locked", kind, key))
        return Verdict(False, 0.0, tuple(changes))

    def succeeded(self, account: str, address: str) -> None:
        """A good password clears the account's failures (not the address's)."""
        self._counters.pop(("account", account.strip().lower()), None)

    def _keys(self, account: str, address: str) -> list[tuple[str, str]]:
        keys = [("address", address)]
        if account.strip():
            keys.insert(0, ("account", account.strip().lower()))
        return keys
