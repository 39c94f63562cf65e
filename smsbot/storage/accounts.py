"""Value types of people, sessions, API tokens and the audit log, as the storage ports speak of
them (the rules about them are in smsbot.people)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "ROLES",
    "SCOPED_ROLES",
    "ApiToken",
    "AuditEntry",
    "AuditQuery",
    "Person",
    "StoredSession",
]

# admin: everything; designer: flows and the simulator; analyst: all results, feedback, tags,
# exports; unit_manager: results and feedback of her units; auditor: the audit log.
ROLES = ("admin", "designer", "analyst", "unit_manager", "auditor")
SCOPED_ROLES = ("unit_manager",)  # a role that holds only for the person's units


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    active: bool = True
    roles: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()  # the units a scoped role holds for
    sub: str | None = None  # the identity provider's subject, once signed in with it

    def describe(self) -> str:
        """`Anna Analyst <anna@example.org>`: the person as the audit log and lists name her."""
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class StoredSession:
    """A signed-in browser: the id is kept only as its SHA-256 (`key`)."""

    key: str
    person_id: int | None  # None: signed in with the bootstrap admin token
    csrf: str
    created_at: datetime
    seen_at: datetime


@dataclass(frozen=True)
class ApiToken:
    id: int
    person_id: int
    name: str
    created_at: datetime
    expires_at: datetime
    revoked: bool = False


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log: who, when, from where, what (never a phone number)."""

    at: datetime
    action: str  # sign_in, sign_in_failed, view, export, tag, people, token, refused, ...
    who: str = ""  # the person as described, "admin token", or the name typed at a failed sign-in
    person_id: int | None = None
    remote: str = ""  # the address the request came from, or "cli"
    target: str = ""  # the page, route or thing acted on
    detail: dict[str, object] = field(default_factory=dict)
    id: int = 0
    hash: str = ""


@dataclass(frozen=True)
class AuditQuery:
    since: datetime | None = None
    until: datetime | None = None
    person_id: int | None = None
    action: str | None = None
    limit: int = 1000
