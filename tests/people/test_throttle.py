"""Sign-in throttling: per account and per address, locked, then released."""

from __future__ import annotations

from smsbot.people.throttle import Limits, SignInThrottle


def test_an_account_is_locked_after_its_failures_and_released_after_the_lock() -> None:
    throttle = SignInThrottle(Limits(per_account=3, per_address=100, lock_seconds=60))
    for second in range(2):
        assert throttle.failed("Anna@x.org", "10.0.0.1", second).changes == ()
    assert throttle.failed("anna@x.org", "10.0.0.2", 2).changes == (
        ("locked", "account", "anna@x.org"),
    )
    refused = throttle.check("anna@x.org", "10.0.0.3", 30)
    assert not refused.allowed and refused.retry_after == 32
    assert throttle.check("bert@x.org", "10.0.0.3", 30).allowed  # another account
    released = throttle.check("anna@x.org", "10.0.0.3", 62)
    assert released.allowed
    assert released.changes == (("released", "account", "anna@x.org"),)
    assert throttle.check("anna@x.org", "10.0.0.3", 63).changes == ()  # said once


def test_an_address_trying_many_accounts_is_locked() -> None:
    throttle = SignInThrottle(Limits(per_account=100, per_address=3, lock_seconds=60))
    for n in range(3):
        verdict = throttle.failed(f"user{n}@x.org", "10.0.0.9", n)
    assert ("locked", "address", "10.0.0.9") in verdict.changes
    assert not throttle.check("new@x.org", "10.0.0.9", 10).allowed
    assert throttle.check("new@x.org", "10.0.0.8", 10).allowed


def test_old_failures_fall_out_of_the_window() -> None:
    throttle = SignInThrottle(Limits(per_account=3, window_seconds=10))
    throttle.failed("a@x.org", "1", 0)
    throttle.failed("a@x.org", "1", 1)
    assert throttle.failed("a@x.org", "1", 20).changes == ()
    assert throttle.check("a@x.org", "1", 21).allowed
