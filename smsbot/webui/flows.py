"""/ui/flows (being built)."""

from __future__ import annotations

from aiohttp import web

from smsbot.gateway import Gateway
from smsbot.webui.render import render

__all__ = ["routes"]


def routes(gateway: Gateway) -> list[web.RouteDef]:
    return [web.get("/ui/flows", _page)]


async def _page(request: web.Request) -> web.Response:
    return await render(request, "message.html", title="flows", text="This page is being built.")
