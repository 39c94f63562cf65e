"""Who may do what: the rights of each role, and the units a person's right holds for.

    may(person, Right.VIEW_RESULTS)                    # any unit, or only some (unit manager)
    may(person, Right.VIEW_RESULTS, unit="Akuten")     # this unit
    units_seen(person, Right.VIEW_RESULTS)             # None: every unit; else the set

A unit manager's rights hold only for her units: she never sees all units' results by unit name,
and her comparisons are against the all-units figure only.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from smsbot.storage.accounts import ROLES, SCOPED_ROLES, Person

__all__ = [
    "ROLE_RIGHTS",
    "Right",
    "RightsError",
    "may",
    "parse_roles",
    "rights_of",
    "units_seen",
]


class Right(Enum):
    MANAGE_PEOPLE = "manage_people"  # people, roles, other people's tokens
    SETTINGS = "settings"  # sources, settings, purge
    DESIGN_FLOWS = "design_flows"  # the flows pages
    SIMULATE = "simulate"  # the phone simulator
    VIEW_RESULTS = "view_results"  # dashboard and reports
    VIEW_FEEDBACK = "view_feedback"  # the feedback inbox and list
    TAG_FEEDBACK = "tag_feedback"
    EXPORT = "export"
    VIEW_AUDIT = "view_audit"  # the audit log and the privacy reports
    MANAGE_SUBSCRIPTIONS = "manage_subscriptions"  # webhooks to other systems (admin only)
    HANDLE_CASES = "handle_cases"  # follow-up cases: see, take, call, note, close (issue 16)
    SIGNED_IN = "signed_in"  # any active person: the home page, own tokens, signing out


ROLE_RIGHTS: dict[str, frozenset[Right]] = {
    "admin": frozenset(Right),
    "designer": frozenset({Right.DESIGN_FLOWS, Right.SIMULATE, Right.SIGNED_IN}),
    "analyst": frozenset(
        {Right.VIEW_RESULTS, Right.VIEW_FEEDBACK, Right.TAG_FEEDBACK, Right.EXPORT, Right.SIGNED_IN}
    ),
    "unit_manager": frozenset(
        {Right.VIEW_RESULTS, Right.VIEW_FEEDBACK, Right.HANDLE_CASES, Right.SIGNED_IN}
    ),
    "auditor": frozenset({Right.VIEW_AUDIT, Right.SIGNED_IN}),
}


class RightsError(ValueError):
    """A role list or unit list that cannot be granted, in words for the admin."""


def rights_of(person: Person) -> frozenset[Right]:
    if not person.active:
        return frozenset()
    return frozenset(r for role in person.roles for r in ROLE_RIGHTS.get(role, frozenset()))


def units_seen(person: Person, right: Right) -> frozenset[str] | None:
    """None when the right holds for every unit; else the units it holds for (maybe none)."""
    if not person.active:
        return frozenset()
    roles = [role for role in person.roles if right in ROLE_RIGHTS.get(role, frozenset())]
    if any(role not in SCOPED_ROLES for role in roles):
        return None
    return person.units if roles else frozenset()


def may(person: Person, right: Right, unit: str | None = None) -> bool:
    """Whether the person has the right at all (unit None), or for this unit."""
    seen = units_seen(person, right)
    if seen is None:
        return True
    return bool(seen) and (unit is None or unit in seen)


def parse_roles(
    roles: Iterable[str], units: Iterable[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """Roles and units as given by an admin (CLI, page, group mapping), checked."""
    wanted = frozenset(r.strip().replace("-", "_") for r in roles if r.strip())
    unknown = sorted(wanted - set(ROLES))
    if unknown:
        raise RightsError(f"no role {unknown[0]!r}; the roles are {', '.join(ROLES)}")
    named = frozenset(u.strip() for u in units if u.strip())
    if "unit_manager" in wanted and not named:
        raise RightsError("a unit manager needs at least one unit: give --unit NAME")
    if named and "unit_manager" not in wanted:
        raise RightsError("units are given only with the role unit_manager")
    return wanted, named
