"""Who is asking, and may they: shared by the JSON API (smsbot.http) and the pages (smsbot.webui).

- `request[PERSON]` is the person a request acts for, set by the API's bearer check or the pages'
  session check; `person_of(request)` reads it.
- The bootstrap admin token (`SMSBOT_SERVER__ADMIN_TOKEN`) stands for the person `BOOTSTRAP`
  (every right) only while no active person has the admin role: it is there to create the first
  admin, and is retired by unsetting it once she exists (README, "People and rights").
- `scoped_unit` applies a unit manager's units to a unit filter; `OutOfScope` is the refusal.
- `audit` records what a request did in the hash-chained audit log (never a phone number).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from aiohttp import web

from smsbot.gateway.runner import GATEWAY, Gateway
from smsbot.logs import get_logger
from smsbot.people import audit as audit_log
from smsbot.people.accounts import person_for_token
from smsbot.people.rights import Right, units_seen
from smsbot.people.routes import Rule, rule_for
from smsbot.storage.accounts import Person

__all__ = [
    "BOOTSTRAP",
    "PERSON",
    "OutOfScope",
    "audit",
    "bootstrap_token_works",
    "person_for_bearer",
    "person_of",
    "remote_of",
    "route_rule",
    "scoped_unit",
]

log = get_logger(__name__)

PERSON = web.RequestKey("person", Person)
BOOTSTRAP = Person(0, "admin token", "", True, frozenset({"admin"}))


class OutOfScope(Exception):
    """A unit filter outside the person's units (answered 403, and audited)."""

    def __init__(self, unit: str | None, units: frozenset[str]) -> None:
        super().__init__(f"you may see only {', '.join(sorted(units)) or 'no unit'}")
        self.unit, self.units = unit, units


def person_of(request: web.Request) -> Person | None:
    return request.get(PERSON)


def remote_of(request: web.Request) -> str:
    return request.remote or ""


def route_rule(request: web.Request) -> Rule | None:
    """The route table's rule for the matched route (None: not in the table)."""
    resource = request.match_info.route.resource
    if resource is None:
        return None
    return rule_for(request.method, resource.canonical)


async def bootstrap_token_works(gateway: Gateway, typed: str) -> bool:
    """The admin token matches and no active admin exists yet (it only creates the first)."""
    expected = gateway.config.server.admin_token
    if not expected or not typed or not hmac.compare_digest(typed.encode(), expected.encode()):
        return False
    async with gateway.parts.store.read() as tx:
        retired = await tx.people.any_active_admin()
    if retired:
        log.warning(
            "admin_token_retired",
            hint="an admin exists: sign in as a person, and unset SMSBOT_SERVER__ADMIN_TOKEN",
        )
    return not retired


async def person_for_bearer(gateway: Gateway, token: str) -> Person | None:
    """The person a bearer token stands for: a person's API token, or the bootstrap token."""
    token = token.strip()
    if await bootstrap_token_works(gateway, token):
        return BOOTSTRAP
    return await person_for_token(gateway.parts.store, token, gateway.clock.now())


def scoped_unit(person: Person, right: Right, wanted: str | None) -> str | None:
    """The unit filter to apply: `wanted` when the person may see it (None: every unit, for
    those who may); a unit manager asking for no unit gets her first unit."""
    units = units_seen(person, right)
    if units is None:
        return wanted
    if wanted is None and units:
        return sorted(units)[0]
    if wanted is None or wanted not in units:
        raise OutOfScope(wanted, units)
    return wanted


async def audit(
    request: web.Request,
    action: str,
    *,
    person: Person | None = None,
    who: str = "",
    detail: Mapping[str, object] | None = None,
) -> None:
    """Record an entry for this request: the person (or `who`), address, path and query."""
    gateway: Gateway = request.app[GATEWAY]
    person = person or person_of(request)
    target = request.path + (f"?{request.query_string}" if request.query_string else "")
    await audit_log.record(
        gateway.parts.store,
        action,
        at=gateway.clock.now(),
        person=person if person and person.id else None,
        who=who or (person.describe() if person and person.id else person.name if person else ""),
        remote=remote_of(request),
        target=target[:500],
        detail=dict(detail or {}),
    )
