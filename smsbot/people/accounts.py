"""People's accounts: adding and changing people, password sign-in, sessions, API tokens.

Every change to people, roles and tokens is audited in the same unit of writes as the change.
Secrets (session ids, API tokens) are random and kept only as their SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from smsbot.people.audit import record_in
from smsbot.people.passwords import check_new_password, hash_password, verify_password
from smsbot.people.rights import parse_roles
from smsbot.storage.accounts import ApiToken, AuditEntry, Person, StoredSession
from smsbot.storage.ports import Store

__all__ = [
    "TOKEN_PREFIX",
    "Actor",
    "ApiToken",
    "Person",
    "SessionTimes",
    "add_person",
    "audit_entry",
    "digest",
    "end_session",
    "forget_stale_sessions",
    "issue_token",
    "open_session",
    "password_matches",
    "person_for_token",
    "record_change",
    "revoke_token",
    "session_person",
    "set_active",
    "set_roles",
]

TOKEN_PREFIX = "smsbot_pat_"  # a person's API token; event sources' tokens have none


@dataclass(frozen=True)
class Actor:
    """Who makes a change, for the audit log: a person, or a description ("cli as root")."""

    who: str
    remote: str
    person_id: int | None = None

    @classmethod
    def of(cls, person: Person, remote: str) -> Actor:
        return cls(person.describe(), remote, person.id)


@dataclass(frozen=True)
class SessionTimes:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def audit_entry(
    actor: Actor, action: str, target: str, now: datetime, **detail: object
) -> AuditEntry:
    """The audit log's entry for what `actor` did to `target`."""
    return AuditEntry(
        at=now,
        action=action,
        who=actor.who,
        person_id=actor.person_id,
        remote=actor.remote,
        target=target,
        detail=dict(detail),
    )


async def add_person(
    store: Store,
    actor: Actor,
    *,
    name: str,
    email: str,
    roles: list[str],
    units: list[str],
    password: str | None,
    now: datetime,
) -> Person:
    """A new person; ValueError (in words) for a bad e-mail, role, unit or password."""
    name, email = name.strip(), email.strip()
    if not name or "@" not in email or len(email) > 254 or len(name) > 200:
        raise ValueError("give a name and an e-mail address (name@example.org)")
    granted, scoped = parse_roles(roles, units)
    hashed = None
    if password is not None:
        check_new_password(password, email)
        hashed = hash_password(password)
    async with store.write() as tx:
        person = await tx.people.add(name, email, granted, scoped, now)
        await tx.people.set_password(person.id, hashed)
        detail = {"roles": sorted(granted), "units": sorted(scoped)}
        await record_in(tx, audit_entry(actor, "person_added", person.describe(), now, **detail))
    return person


async def record_change(
    store: Store, actor: Actor, action: str, person: Person, now: datetime
) -> None:
    """Audit a change to a person made elsewhere (a new password)."""
    async with store.write() as tx:
        await record_in(tx, audit_entry(actor, action, person.describe(), now))


async def set_roles(
    store: Store, actor: Actor, person: Person, roles: list[str], units: list[str], now: datetime
) -> Person:
    granted, scoped = parse_roles(roles, units)
    async with store.write() as tx:
        await tx.people.set_roles(person.id, granted, scoped)
        await tx.people.drop_sessions_of(person.id)  # signed in again with the new rights
        detail = {"roles": sorted(granted), "units": sorted(scoped)}
        await record_in(tx, audit_entry(actor, "roles_set", person.describe(), now, **detail))
        changed = await tx.people.get(person.id)
    assert changed is not None
    return changed


async def set_active(
    store: Store, actor: Actor, person: Person, active: bool, now: datetime
) -> None:
    """Enables or disables; disabling ends every session (tokens stop working at once too)."""
    async with store.write() as tx:
        await tx.people.set_active(person.id, active)
        ended = 0 if active else await tx.people.drop_sessions_of(person.id)
        action = "person_enabled" if active else "person_disabled"
        await record_in(
            tx, audit_entry(actor, action, person.describe(), now, sessions_ended=ended)
        )


async def password_matches(store: Store, email: str, password: str) -> Person | None:
    """The active person with this e-mail and password, else None (same cost either way)."""
    async with store.read() as tx:
        person = await tx.people.by_email(email.strip())
        stored = await tx.people.password_hash(person.id) if person else None
    if not verify_password(stored, password) or person is None or not person.active:
        return None
    return person


async def open_session(store: Store, person: Person, now: datetime) -> tuple[str, str]:
    """A new session for the person (id 0: the bootstrap admin token's): (the cookie's session
    id, the CSRF token)."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    stored = StoredSession(digest(session_id), person.id or None, csrf, now, now)
    async with store.write() as tx:
        await tx.people.add_session(stored)
    return session_id, csrf


async def session_person(
    store: Store, session_id: str, now: datetime, times: SessionTimes, bootstrap: Person
) -> tuple[Person, StoredSession] | None:
    """The session's active person, if the session is neither idle too long nor too old. A
    session of the bootstrap admin token gives `bootstrap` while no active admin exists."""
    if not session_id:
        return None
    key = digest(session_id)
    async with store.read() as tx:
        session = await tx.people.session(key)
        if session is None:
            return None
        if session.person_id is None:
            person = None if await tx.people.any_active_admin() else bootstrap
        else:
            person = await tx.people.get(session.person_id)
    if (
        person is None
        or not person.active
        or now - session.seen_at > times.idle
        or now - session.created_at > times.absolute
    ):
        await end_session(store, session_id)
        return None
    if now - session.seen_at > timedelta(minutes=1):  # one write a minute, not per request
        async with store.write() as tx:
            await tx.people.touch_session(key, now)
    return person, session


async def forget_stale_sessions(store: Store, now: datetime, times: SessionTimes) -> int:
    """Removes sessions past their idle or absolute timeout (the gateway's purge job)."""
    async with store.write() as tx:
        return await tx.people.drop_stale_sessions(now - times.idle, now - times.absolute)


async def end_session(store: Store, session_id: str, everywhere_for: int | None = None) -> None:
    async with store.write() as tx:
        await tx.people.drop_session(digest(session_id))
        if everywhere_for is not None:
            await tx.people.drop_sessions_of(everywhere_for)


async def issue_token(
    store: Store, actor: Actor, person: Person, name: str, days: int, now: datetime
) -> tuple[ApiToken, str]:
    """A new API token for the person: (what is stored, the secret, shown once)."""
    if not name.strip() or len(name) > 100:
        raise ValueError("give the token a name (up to 100 characters), such as 'power-bi'")
    if not 1 <= days <= 366:
        raise ValueError("a token lasts 1-366 days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(days=days)
    async with store.write() as tx:
        token = await tx.people.add_token(person.id, name.strip(), digest(secret), now, expires)
        detail = {"token_id": token.id, "name": token.name, "expires_at": expires.isoformat()}
        await record_in(tx, audit_entry(actor, "token_issued", person.describe(), now, **detail))
    return token, secret


async def revoke_token(store: Store, actor: Actor, token_id: int, now: datetime) -> bool:
    async with store.write() as tx:
        done = await tx.people.revoke_token(token_id)
        if done:
            entry = audit_entry(actor, "token_revoked", f"token {token_id}", now, token_id=token_id)
            await record_in(tx, entry)
    return done


async def person_for_token(store: Store, secret: str, now: datetime) -> Person | None:
    """The active person an unexpired, unrevoked API token belongs to."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    async with store.read() as tx:
        token = await tx.people.token(digest(secret))
        person = await tx.people.get(token.person_id) if token else None
    if token is None or person is None or token.revoked or token.expires_at <= now:
        return None
    return person if person.active else None
