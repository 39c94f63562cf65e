"""Rendering a page: the Jinja2 environment, and what every template gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

__all__ = ["NAV", "STATIC", "render"]

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

# (path, English, Swedish, Finnish)
NAV = (
    ("/ui/flows", "Flows", "Flöden", "Kyselyt"),
    ("/ui/simulator", "Phone simulator", "Telefonsimulator", "Puhelinsimulaattori"),
    ("/ui/dashboard", "Dashboard", "Översikt", "Yleiskatsaus"),
    ("/ui/feedback", "Feedback", "Synpunkter", "Palaute"),
)

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=jinja2.select_autoescape(("html", "svg")),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


async def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """The template filled in, with the CSRF token, the navigation and the current path."""
    from smsbot.webui.auth import csrf_token_of  # auth imports render for its pages

    page = _ENV.get_template(template)
    text = page.render(
        csrf_token=csrf_token_of(request),
        nav=NAV,
        current_path=request.path,
        signed_in=csrf_token_of(request) != "",
        **context,
    )
    response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response
