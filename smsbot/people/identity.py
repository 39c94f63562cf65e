"""The person an identity provider's sign-in stands for (OpenID Connect, issue 15).

    person = await person_for_identity(store, sub, email, name, groups,
                                       group_roles={"grp-analysts": "analyst",
                                                    "grp-akuten": "unit_manager:Akuten"},
                                       now=now)

Found by `sub` first, then by e-mail (and the `sub` is then linked, so a changed e-mail at the
provider still finds her). Roles and units come from the group claims when `group_roles` maps any
of them (config `[oidc.groups]`: group id -> "role" or "unit_manager:Unit"); otherwise from the
admin's assignment. A person unknown by sub and e-mail is added only when her groups map to a
role; else None (no account: the sign-in is refused). A disabled person gives None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from smsbot.people.accounts import Actor, add_person
from smsbot.people.audit import record_in
from smsbot.people.rights import parse_roles
from smsbot.storage.accounts import AuditEntry, Person
from smsbot.storage.ports import Store

__all__ = ["person_for_identity", "roles_from_groups"]


def roles_from_groups(
    groups: Iterable[str], group_roles: Mapping[str, str]
) -> tuple[list[str], list[str]]:
    """(roles, units) the groups map to; ([], []) when none of them is mapped."""
    roles, units = set(), set()
    for group in groups:
        granted = group_roles.get(group)
        if not granted:
            continue
        role, _, unit = granted.partition(":")
        roles.add(role.strip())
        if unit.strip():
            units.add(unit.strip())
    return sorted(roles), sorted(units)


async def person_for_identity(
    store: Store,
    sub: str,
    email: str,
    name: str,
    groups: Iterable[str],
    *,
    group_roles: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Person | None:
    """See the module's text. Raises ValueError when the mapped groups make no valid grant.
    `now` (for the audit log) defaults to the system's clock."""
    now = now or datetime.now(UTC)
    roles, units = roles_from_groups(groups, group_roles or {})
    if roles:
        parse_roles(roles, units)  # a mapping that cannot be granted is the operator's to fix
    async with store.read() as tx:
        person = await tx.people.by_sub(sub) if sub else None
        if person is None and email:
            person = await tx.people.by_email(email)
    actor = Actor(f"identity provider ({email or sub})", "oidc")
    if person is None:
        if not roles or not email:
            return None
        person = await add_person(
            store,
            actor,
            name=name or email,
            email=email,
            roles=roles,
            units=units,
            password=None,
            now=now,
        )
    if not person.active:
        return None
    return await _linked(store, actor, person, sub, roles, units, now)


async def _linked(
    store: Store,
    actor: Actor,
    person: Person,
    sub: str,
    roles: list[str],
    units: list[str],
    now: datetime,
) -> Person:
    grant = (frozenset(roles), frozenset(units))
    needs_sub = bool(sub) and person.sub != sub
    needs_roles = bool(roles) and grant != (person.roles, person.units)
    if not (needs_sub or needs_roles):
        return person
    async with store.write() as tx:
        if needs_sub:
            await tx.people.link_sub(person.id, sub)
        if needs_roles:
            await tx.people.set_roles(person.id, *grant)
            detail: dict[str, object] = {"roles": roles, "units": units, "from": "groups"}
            entry = AuditEntry(
                now, "roles_set", actor.who, None, actor.remote, person.describe(), detail
            )
            await record_in(tx, entry)
        changed = await tx.people.get(person.id)
    assert changed is not None
    return changed
