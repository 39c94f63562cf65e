"""/ui/: the home page, where `GET /` leads a browser (through the sign-in when needed).

One page with a short part per role, each shown only to whom it is for: the service designer's
flows and simulator, the manager's dashboard and feedback inbox, the auditor's log, and for the
operator (admin) whether the gateway is ready, where its health, metrics and logs are, and which
configuration and database it runs on.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from smsbot import __version__
from smsbot.flows.files import files_not_loaded
from smsbot.gateway.access import person_of
from smsbot.gateway.runner import Gateway
from smsbot.people.rights import rights_of
from smsbot.webui.render import render

__all__ = ["routes"]

PATH = "/ui/"
_NOT_READY = {"database": "the database is not reachable", "transport": "no transport"}


def routes(gateway: Gateway) -> list[web.RouteDef]:
    async def home(request: web.Request) -> web.Response:
        person = person_of(request)
        rights = {r.value for r in rights_of(person)} if person else set()
        return await render(request, "home.html", rights=rights, **await _context(gateway))

    async def to_home(request: web.Request) -> web.StreamResponse:
        raise web.HTTPSeeOther(PATH)

    return [web.get(PATH, home), web.get("/ui", to_home)]


async def _context(gateway: Gateway) -> dict[str, Any]:
    config = gateway.config
    checks = await gateway.readiness()
    findings = gateway.parts.findings
    left_out = files_not_loaded(findings)
    return {
        "flow_ids": sorted(flow.id for flow in gateway.catalog.flows()),
        "not_loaded": sorted(left_out),
        "warnings": sum(1 for f in findings if f.file not in left_out),
        "not_ready": [_NOT_READY.get(name, name) for name, ok in checks.items() if not ok],
        "config_path": str(config.path) if config.path else "",
        "database": config.database.path,
        "flows_dir": config.flows.dir,
        "transport": config.transport.kind,
        "logging": config.logging,
        "version": __version__,
    }
