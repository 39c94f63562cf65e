"""The ceiling: a bare aiohttp app that parses the same signed webhooks and answers 200.

    python -m bench.ceiling PORT

No signature check, no database, no logging: what aiohttp alone costs per webhook on this
machine, so the gateway's figure can be read as a share of it.
"""

from __future__ import annotations

import sys

from aiohttp import web


async def webhook(request: web.Request) -> web.Response:
    form = await request.post()
    return web.json_response({"status": "ok", "fields": len(form)})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build() -> web.Application:
    app = web.Application()
    app.router.add_post("/webhooks/vonage/inbound", webhook)
    app.router.add_post("/webhooks/vonage/status", webhook)
    app.router.add_get("/readyz", healthz)
    return app


if __name__ == "__main__":
    web.run_app(build(), host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
