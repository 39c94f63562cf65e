"""The web pages' login, sessions and CSRF over real HTTP (no browser)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import structlog

from smsbot.logs import configure_logging
from smsbot.webui.render import page_language, second_language
from tests.conftest import ManualClock
from tests.harness import Running, gateway_env, running_gateway

TOKEN = "web-admin-token-4f1c2d"


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=TOKEN)
    async with running_gateway(env, clock) as running:
        yield running


def browser_session() -> aiohttp.ClientSession:
    """A client that keeps cookies for 127.0.0.1 as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def sign_in(gw: Running, session: aiohttp.ClientSession) -> str:
    """Signs in; returns the page's CSRF token."""
    async with session.post(
        gw.url + "/ui/login?next=/ui/flows", data={"token": TOKEN}, allow_redirects=False
    ) as answer:
        assert answer.status == 303 and answer.headers["Location"] == "/ui/flows"
    async with session.get(gw.url + "/ui/flows") as page:
        assert page.status == 200
        match = re.search(r'name="csrf-token" content="([^"]+)"', await page.text())
    assert match
    return match.group(1)


async def test_without_a_session_pages_send_you_to_the_login(gw: Running) -> None:
    for path in ("/ui/flows", "/ui/simulator", "/ui/dashboard", "/ui/feedback"):
        async with gw.http.get(gw.url + path, allow_redirects=False) as answer:
            assert answer.status == 303
            assert answer.headers["Location"] == f"/ui/login?next={path}"


async def test_a_wrong_token_is_refused_and_gets_no_cookie(gw: Running) -> None:
    async with gw.http.post(gw.url + "/ui/login", data={"token": "guess"}) as answer:
        assert answer.status == 401
        assert "smsbot_session" not in answer.cookies
        assert "do not match" in await answer.text()


async def test_next_never_leads_to_another_site(gw: Running) -> None:
    async with browser_session() as browser:
        for wanted in ("//evil.example/ui/", "https://evil.example/", "/ui/\\evil"):
            async with browser.post(
                gw.url + "/ui/login",
                params={"next": wanted},
                data={"token": TOKEN},
                allow_redirects=False,
            ) as answer:
                assert answer.headers["Location"] == "/ui/"  # the home page


async def test_posts_need_the_csrf_token_and_our_origin(gw: Running) -> None:
    async with browser_session() as browser:
        csrf = await sign_in(gw, browser)
        logout = gw.url + "/ui/logout"
        async with browser.post(logout, data={}, allow_redirects=False) as answer:
            assert answer.status == 403
        async with browser.post(logout, data={"csrf_token": "forged"}) as answer:
            assert answer.status == 403
        async with browser.post(
            logout,
            data={"csrf_token": csrf},
            headers={"Origin": "https://evil.example"},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 403
        async with browser.post(logout, data={"csrf_token": csrf}, allow_redirects=False) as answer:
            assert answer.status == 303
        async with browser.get(gw.url + "/ui/flows", allow_redirects=False) as answer:
            assert answer.status == 303  # the session is gone


async def test_pages_carry_security_headers(gw: Running) -> None:
    async with browser_session() as browser:
        await sign_in(gw, browser)
        async with browser.get(gw.url + "/ui/flows") as answer:
            assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
            assert answer.headers["X-Frame-Options"] == "DENY"
            assert answer.headers["Cache-Control"] == "no-store"


async def test_without_an_admin_token_the_pages_are_switched_off(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with (
        running_gateway(gateway_env(tmp_path), clock) as gw,
        gw.http.get(gw.url + "/ui/flows") as answer,
    ):
        assert answer.status == 503
        assert "SMSBOT_SERVER__ADMIN_TOKEN" in await answer.text()


async def test_the_token_and_session_never_reach_the_logs(gw: Running) -> None:
    out = io.StringIO()
    configure_logging("json", "debug", stream=out)
    try:
        async with browser_session() as browser:
            csrf = await sign_in(gw, browser)
            async with browser.post(gw.url + "/ui/login", data={"token": "wrong-" + TOKEN}):
                pass
            session = next(c.value for c in browser.cookie_jar if c.key == "smsbot_session")
            async with browser.post(gw.url + "/ui/logout", data={"csrf_token": csrf}):
                pass
    finally:
        structlog.reset_defaults()
    logged = out.getvalue()
    lines = [json.loads(line) for line in logged.splitlines() if line.strip()]
    assert any(line.get("event") == "ui_login" for line in lines)
    assert any(line.get("event") == "ui_login_failed" for line in lines)
    for secret in (TOKEN, session, csrf):
        assert secret not in logged


async def test_a_wrong_address_is_a_page_not_json(gw: Running) -> None:
    async with browser_session() as browser:
        await sign_in(gw, browser)
        async with browser.get(gw.url + "/ui/no-such-page") as answer:
            assert answer.status == 404 and answer.content_type == "text/html"
            assert "There is no page at this address" in await answer.text()
        async with browser.put(gw.url + "/ui/flows") as answer:
            assert answer.status == 405 and "GET" in answer.headers["Allow"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", "sv"),
        ("en-GB,en;q=0.9", "sv"),
        ("fi-FI,fi;q=0.9,en;q=0.8", "fi"),
        ("en,fi;q=0.8,sv;q=0.5", "fi"),
        ("sv-SE,fi;q=0.7", "sv"),
    ],
)
def test_the_second_labels_follow_the_browsers_languages(accept: str, expected: str) -> None:
    assert second_language(accept) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", "en"),
        ("en-GB,en;q=0.9,sv;q=0.8", "en"),
        ("fi-FI,fi;q=0.9,en;q=0.8", "fi"),
        ("de-DE,sv;q=0.5", "sv"),
        ("de-DE", "en"),
    ],
)
def test_the_flows_words_follow_the_browsers_first_language(accept: str, expected: str) -> None:
    assert page_language(accept) == expected


async def test_the_navigation_speaks_finnish_to_a_finnish_browser(gw: Running) -> None:
    async with browser_session() as browser:
        await sign_in(gw, browser)
        headers = {"Accept-Language": "fi-FI,fi;q=0.9"}
        async with browser.get(gw.url + "/ui/flows", headers=headers) as answer:
            page = await answer.text()
    assert '<span class="also" lang="fi"> · Palaute</span>' in page
