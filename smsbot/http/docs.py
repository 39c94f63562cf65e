"""The API reference page: `/docs` shows `/openapi.json` with Swagger UI, from our own files.

Swagger UI's dist files come from the `swagger-ui-bundle-v2` package (pip installs them); only
the two the page uses are served, beside our page, script and stylesheet. Nothing is loaded
from elsewhere, and the page's Content-Security-Policy says so.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from swagger_ui_bundle import swagger_ui_path

__all__ = ["CSP", "add_docs_routes"]

OURS = Path(__file__).resolve().parent / "openapi" / "static"
SWAGGER_UI = Path(str(swagger_ui_path))
FILES = {
    "docs.js": OURS / "docs.js",
    "docs.css": OURS / "docs.css",
    "swagger-ui-bundle.js": SWAGGER_UI / "swagger-ui-bundle.js",
    "swagger-ui.css": SWAGGER_UI / "swagger-ui.css",
}
# Stricter than the /ui pages: no inline style either (Swagger UI sets styles through the DOM,
# which CSP allows). Its stylesheet draws icons as data: images, the one thing added.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


def add_docs_routes(app: web.Application) -> None:
    app.router.add_get("/docs", page)
    app.router.add_get("/docs/static/{name}", static)


def _secured(response: web.StreamResponse) -> web.StreamResponse:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


async def page(request: web.Request) -> web.StreamResponse:
    return _secured(web.FileResponse(OURS / "docs.html", headers={"Cache-Control": "no-cache"}))


async def static(request: web.Request) -> web.StreamResponse:
    path = FILES.get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    return _secured(web.FileResponse(path, headers={"Cache-Control": "max-age=3600"}))
