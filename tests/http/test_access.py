"""Who may use what, for every route the gateway serves, as a table built from the routes.

Every operation the OpenAPI document puts behind a token is called without one, with a wrong
one and with the other kind of token: each is refused with 401 and its body says so. Every web
page under /ui but the login page and static files sends a browser without a session to the
login page. A route that is neither (public by design: health, the index, the document, the
flow list, the webhooks' own signature check) is listed, so a new route has to take a side.
Together with tests/gateway/test_gateway_simulator.py (every route is documented), no route
escapes this table.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsbot.bootstrap.web import build_app
from smsbot.http.app import is_page
from smsbot.http.openapi.document import openapi_document
from smsbot.webui.auth import OPEN_PATHS
from tests.conftest import ManualClock
from tests.harness import TOKEN, Running, gateway_env, running_gateway

ADMIN = "admin-token-for-access-tests"
SAMPLE = {
    "section": "funnel",
    "id": "1",
    "tag": "waiting",
    "action": "confirm",
    "source": "demo",
}
# Public by design: health and the index, the API's own description, the flows (no personal
# data), the webhooks (each checks Vonage's signature itself: tests/faults/test_security.py),
# and the simulator's endpoints (404 with any real transport).
PUBLIC = {
    "GET /",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /openapi.json",
    "GET /v1/flows",
    "POST /simulator/inbound",
    "GET /simulator/messages",
}


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=ADMIN)
    async with running_gateway(env, clock) as running:
        yield running


def _operations() -> list[tuple[str, str, str]]:
    """(method, path template, scheme) of every operation behind a token."""
    found = []
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            schemes = {name for choice in operation.get("security", []) for name in choice}
            if {"adminToken", "sourceToken"} & schemes and [] not in operation["security"]:
                found.append((method.upper(), path, schemes.pop()))
    return found


def _url(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m[1]], template)


async def test_every_route_is_in_the_table(gw: Running) -> None:
    guarded = {f"{m} {p}" for m, p, _ in _operations()}
    webhooks = {
        f"{m.upper()} {p}"
        for p, item in openapi_document()["paths"].items()
        for m, op in item.items()
        if p.startswith("/webhooks/")
    }
    routes = {
        f"{r.method} {r.resource.canonical}"
        for r in build_app(gw.gateway).router.routes()
        if r.method != "HEAD" and r.resource is not None and not is_page(r.resource.canonical)
    }
    assert routes - guarded - webhooks - PUBLIC == set(), "a new route: guard it or list it"


@pytest.mark.parametrize(("method", "path", "scheme"), _operations())
async def test_a_guarded_operation_refuses_without_its_token(
    gw: Running, method: str, path: str, scheme: str
) -> None:
    other = TOKEN if scheme == "adminToken" else ADMIN  # the other kind of token
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {other}"}):
        async with gw.http.request(method, gw.url + _url(path), headers=headers, json={}) as r:
            assert r.status == 401, (method, path, headers)
            assert (await r.json())["error"] == "unauthorized"


async def test_every_page_sends_a_browser_without_a_session_to_the_login(gw: Running) -> None:
    pages = {
        (r.method, r.resource.canonical)
        for r in build_app(gw.gateway).router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith("/ui")
        and r.method in ("GET", "POST")
        and not (r.resource.canonical + "/").startswith(OPEN_PATHS)
    }
    assert len(pages) >= 8, pages
    for method, path in sorted(pages):
        url = gw.url + _url(path)
        async with gw.http.request(method, url, allow_redirects=False) as r:
            assert r.status == 303, (method, path, r.status)
            assert r.headers["Location"].startswith("/ui/login"), (method, path)
