"""Local passwords, hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second choice)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["MIN_LENGTH", "PasswordError", "check_new_password", "hash_password", "verify_password"]

MIN_LENGTH = 12
_HASHER = PasswordHasher()
# Verified when a person has no password, so an unknown e-mail takes as long as a wrong password.
_DUMMY = _HASHER.hash("not a password anyone has: only to spend the same time")


class PasswordError(ValueError):
    """A new password that will not do, said to the person choosing it."""


def check_new_password(password: str, email: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"the password is too short: use at least {MIN_LENGTH} characters")
    if email and password.strip().lower() == email.strip().lower():
        raise PasswordError("the password must not be the e-mail address")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether the password matches the stored hash (False, at the same cost, for none)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
