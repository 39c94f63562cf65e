"""Who an OpenID Connect sign-in lets in: the hook `oidc.py` hands each checked identity to.

The person is found by the provider's `sub`, then by e-mail (`people.identity`); her roles come
from her groups where `[oidc] group_roles` maps them, else from an admin's assignment. A
person found gets a session as with a password (`auth.sign_in`: a new session id, audited as
`sign_in` with method `oidc`). No one found, or a disabled person, gets a page that says so and
what to ask for; nothing is created for a group that maps to no role.
"""

from __future__ import annotations

from aiohttp import web

from smsbot.config import OidcConfig
from smsbot.gateway.runner import GATEWAY
from smsbot.logs import get_logger
from smsbot.people.identity import person_for_identity
from smsbot.webui import auth, oidc
from smsbot.webui.oidc_client import Identity, SignInError

__all__ = ["group_roles", "sign_in_identity"]

log = get_logger(__name__)


def group_roles(config: OidcConfig) -> dict[str, str]:
    """`[oidc] group_roles` ("group=role") as group id -> role (or "unit_manager:Unit")."""
    pairs = (item.partition("=") for item in config.group_roles)
    return {group.strip(): role.strip() for group, _, role in pairs}


async def sign_in_identity(request: web.Request, identity: Identity) -> web.StreamResponse:
    gateway = request.app[GATEWAY]
    try:
        person = await person_for_identity(
            gateway.parts.store,
            identity.sub,
            identity.email,
            identity.name,
            identity.groups,
            group_roles=group_roles(gateway.config.oidc),
            now=gateway.clock.now(),
        )
    except ValueError as error:  # a mapping that grants no valid role: the operator's to fix
        log.error("oidc_group_roles_invalid", problem=str(error))
        raise SignInError(
            "group_roles_invalid",
            "Your groups could not be turned into rights",
            "smsbot's setting for your organisation's groups ([oidc] group_roles) names a role "
            "that does not exist. Tell the administrator; nothing was changed.",
            status=403,
        ) from None
    if person is None:
        raise SignInError(
            "no_person",
            "No account for you here yet",
            f"Your organisation's sign-in service knows you as {identity.name or identity.email}, "
            "but smsbot has no active account for you and none of your groups gives one. Ask "
            "an administrator to add you (with this e-mail) or to map your group.",
            status=403,
        )
    next_to = oidc.next_path_of(request)
    return await auth.sign_in(request, person, method="oidc", next_to=next_to)
