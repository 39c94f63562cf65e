"""`GET /`: a browser is led to the web pages (through sign-in), an API client gets an index;
the home page /ui/ says what each role does here."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from smsbot import __version__
from smsbot.http.openapi.document import openapi_document
from tests.conftest import ManualClock
from tests.harness import Running, gateway_env, running_gateway, signed_in

TOKEN = "home-admin-token-31"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
INDEX = {
    "service": "smsbot",
    "version": __version__,
    "links": {
        "openapi": "/openapi.json",
        "health": "/healthz",
        "ready": "/readyz",
        "metrics": "/metrics",
        "flows": "/v1/flows",
        "web_pages": "/ui/",
    },
}


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=TOKEN)
    async with running_gateway(env, clock) as running:
        yield running


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
async def test_an_api_client_gets_an_index_at_the_root(gw: Running, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    async with gw.http.get(gw.url + "/", headers=headers, allow_redirects=False) as answer:
        assert answer.status == 200
        assert answer.content_type == "application/json"
        assert answer.headers["Vary"] == "Accept"
        assert await answer.json() == INDEX
    for link in INDEX["links"].values():  # and every link answers
        async with gw.http.get(gw.url + link, allow_redirects=False) as followed:
            assert followed.status in (200, 303), link


async def test_the_root_is_documented(gw: Running) -> None:
    root = openapi_document()["paths"]["/"]["get"]
    assert set(root["responses"]) == {"200", "303"}
    schema = root["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Index"}
    assert openapi_document()["components"]["schemas"]["Index"]["required"] == [
        "service",
        "version",
        "links",
    ]


async def test_a_browser_at_the_root_signs_in_and_lands_on_the_home_page(gw: Running) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar, headers={"Accept": BROWSER}) as browser:
        async with browser.get(gw.url + "/", allow_redirects=False) as answer:
            assert (answer.status, answer.headers["Location"]) == (303, "/ui/")
        async with browser.get(gw.url + "/ui/", allow_redirects=False) as answer:
            assert (answer.status, answer.headers["Location"]) == (303, "/ui/login?next=/ui/")
        async with browser.post(
            gw.url + "/ui/login?next=/ui/", data={"token": TOKEN}, allow_redirects=False
        ) as answer:
            assert (answer.status, answer.headers["Location"]) == (303, "/ui/")
        async with browser.get(gw.url + "/") as answer:  # signed in: straight home
            assert str(answer.url).endswith("/ui/")
            assert answer.status == 200
            page = html.unescape(await answer.text())
    assert "<title>Home · smsbot</title>" in page


async def test_signing_in_without_a_destination_lands_on_the_home_page(gw: Running) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.post(
            gw.url + "/ui/login", data={"token": TOKEN}, allow_redirects=False
        ) as answer:
            assert answer.headers["Location"] == "/ui/"
        async with browser.get(gw.url + "/ui", allow_redirects=False) as answer:
            assert (answer.status, answer.headers["Location"]) == (303, "/ui/")


async def test_the_home_page_has_a_part_for_each_role(gw: Running) -> None:
    async with (
        signed_in(gw.url, TOKEN, "/ui/") as (browser, _),
        browser.get(gw.url + "/ui/") as answer,
    ):
        page = html.unescape(await answer.text())
    headings = re.findall(r"<h2[^>]*>([^<]+)", page)
    assert headings[:3] == ["Service designers", "Managers", "Operators"]
    links = set(re.findall(r'href="([^"]+)"', page))
    for path in ("/ui/flows", "/ui/simulator", "/ui/dashboard", "/ui/feedback"):
        assert path in links
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert path in links
    text = " ".join(re.sub(r"<[^>]+>", "", page).split())
    config = gw.gateway.config
    assert f"Database: {config.database.path}" in text
    assert f"Configuration: {config.path}" in text
    assert "Ready: database reachable, transport configured" in text
    assert "3 flows loaded: benefit-decision, contact-centre, health-visit" in text
    assert "standard error" in text  # where the logs are
