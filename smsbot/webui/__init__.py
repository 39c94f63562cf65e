"""The web pages (/ui/): home, flows, phone simulator, dashboard, feedback inbox.

Server-rendered with Jinja2 (autoescaped), one CSS file and small vanilla scripts served from
/ui/static/; nothing is loaded from elsewhere. Behind a sign-in as a person, with a
right for every page (smsbot.people.routes), see `auth.py`: with e-mail and password, or
with OpenID Connect when `[oidc]` is set, see `oidc.py` (the protocol in `oidc_client.py`).

The contract for a page module (flows, simulator, dashboard, inbox):

- it exposes `routes(gateway: Gateway) -> list[web.RouteDef]` with paths under /ui/;
- a handler answers `await render(request, "page.html", **context)` (`render.py`); every
  template extends "base.html" and fills `{% block title %}` and `{% block content %}`;
- every POST form carries `<input type="hidden" name="csrf_token" value="{{ csrf_token }}">`,
  and a script's fetch() sends the header `X-CSRF-Token` (the value is also in
  `<meta name="csrf-token">`); `auth.py` refuses a POST without it, so handlers need not check;
- a change answers 303 back to a page (POST/redirect/GET), so every page works without script;
- the gateway is the one passed to `routes`; its storage is `gateway.parts.store`.
"""

from __future__ import annotations

from aiohttp import web

from smsbot.gateway.runner import Gateway
from smsbot.people.accounts import SessionTimes
from smsbot.people.throttle import SignInThrottle
from smsbot.webui import (
    audit,
    auth,
    cases,
    dashboard,
    flows,
    home,
    inbox,
    oidc,
    simulator,
    sso,
    tokens,
    webhooks,
)
from smsbot.webui.render import STATIC

__all__ = ["add_ui_routes", "ui_middleware"]

ui_middleware = auth.guard


def add_ui_routes(app: web.Application, gateway: Gateway) -> None:
    app[auth.THROTTLE] = SignInThrottle()
    app[auth.TIMES] = SessionTimes()
    app.router.add_routes(auth.routes(gateway))
    oidc.install(app, gateway.config.oidc)
    app[oidc.ON_IDENTITY] = sso.sign_in_identity
    for page in (home, flows, simulator, dashboard, inbox, audit, tokens, webhooks, cases):
        app.router.add_routes(page.routes(gateway))
    app.router.add_static("/ui/static/", STATIC, name="ui-static", append_version=False)
