"""The aiohttp application: the JSON API, the web pages and the API reference, on one gateway."""

from __future__ import annotations

from aiohttp import web

from smsbot.gateway.runner import Gateway
from smsbot.http.app import add_api_routes, api_middlewares
from smsbot.http.docs import add_docs_routes
from smsbot.http.sources import add_source_routes
from smsbot.webui import add_ui_routes, ui_middleware

__all__ = ["build_app"]


def build_app(gateway: Gateway) -> web.Application:
    app = web.Application(
        client_max_size=gateway.config.server.max_body_bytes,
        middlewares=[*api_middlewares(), ui_middleware],
    )
    add_api_routes(app, gateway)
    add_source_routes(app, gateway.config)
    add_ui_routes(app, gateway)
    add_docs_routes(app)
    return app
