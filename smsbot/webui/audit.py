"""/ui/audit: the audit log for auditors (and admins), newest first, filtered by action.

    GET /ui/audit?action=export&page=2

The same entries as `smsbot audit`, and whether the hash chain is whole (`smsbot audit verify`).
Reading the page is itself audited (by the guard in auth.py).
"""

from __future__ import annotations

from aiohttp import web

from smsbot.gateway.runner import Gateway
from smsbot.people.audit import verify
from smsbot.storage.accounts import AuditQuery
from smsbot.webui.render import render

__all__ = ["routes"]

PATH = "/ui/audit"
SHOWN = 200
ACTIONS = (
    "sign_in", "sign_in_failed", "sign_in_locked", "sign_in_lock_released", "sign_out",
    "view_results", "view_feedback", "tag", "export", "view_audit", "refused",
    "person_added", "person_disabled", "person_enabled", "roles_set", "password_set",
    "token_issued", "token_revoked",
)  # fmt: skip


def routes(gateway: Gateway) -> list[web.RouteDef]:
    async def page(request: web.Request) -> web.Response:
        action = request.query.get("action") or None
        problems = [] if action in (None, *ACTIONS) else [f"There is no action {action!r}."]
        if problems:
            action = None
        async with gateway.parts.store.read() as tx:
            entries = await tx.audit.find(AuditQuery(action=action, limit=SHOWN))
            broken = verify(await tx.audit.chain())
        return await render(
            request,
            "audit.html",
            entries=entries,
            action=action or "",
            actions=ACTIONS,
            broken=broken,
            problems=problems,
            shown=SHOWN,
        )

    return [web.get(PATH, page)]
