"""Sign-in with OpenID Connect in Chromium, through real providers on loopback.

The providers answer at `localhost` and the gateway at 127.0.0.1: two sites to the browser, as
in production, so the SameSite cookie rules are the real ones (the sign-in's cookie must come
back with the provider's redirect; the Strict session cookie must go with the next page).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Page, async_playwright

from tests.browser.conftest import CHROMIUM, FLAGS, check_accessibility, save_screenshot
from tests.conftest import ManualClock
from tests.oidcprovider import SSOGateway, running_provider, sso_env, sso_gateway


@asynccontextmanager
async def chromium() -> AsyncIterator[Page]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(10_000)
            yield page
        finally:
            await browser.close()


async def start_at_the_dashboard(page: Page, gw: SSOGateway) -> None:
    await page.goto(gw.url + "/ui/dashboard")
    assert "/ui/login" in page.url
    await check_accessibility(page)
    await page.get_by_role("link", name="Sign in with Test ID").click()


async def test_a_person_signs_in_through_the_provider_and_lands_where_she_was_going(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with (
        running_provider() as provider,
        sso_gateway(sso_env(tmp_path, provider.url), clock) as gw,
        chromium() as page,
    ):
        await start_at_the_dashboard(page, gw)
        await page.wait_for_url(provider.url + "/authorize?**")
        await page.get_by_role("button", name="Approve").click()
        await page.wait_for_url(gw.url + "/ui/dashboard")
        assert await page.get_by_role("button", name="Sign out").is_visible()
        cookies = {c["name"]: c for c in await page.context.cookies()}
        assert "smsbot_oidc" not in cookies  # the sign-in's own cookie is gone
        session = cookies["smsbot_session"]
        assert session["httpOnly"] and session["sameSite"] == "Strict"
        assert [i.email for i in gw.identities] == ["anna.berg@example.org"]


async def test_a_refused_sign_in_shows_an_accessible_page_and_leads_back(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with (
        running_provider() as provider,
        sso_gateway(sso_env(tmp_path, provider.url), clock) as gw,
        chromium() as page,
    ):
        provider.audience = "another-application"
        await start_at_the_dashboard(page, gw)
        await page.get_by_role("button", name="Approve").click()
        await page.wait_for_url(gw.url + "/ui/login/oidc/callback?**")
        assert "meant for another application" in await page.get_by_role("alert").inner_text()
        await check_accessibility(page)
        await save_screenshot(page, "oidc-refused")
        await page.get_by_role("link", name="Back to sign-in").click()
        await page.wait_for_url(gw.url + "/ui/login")
        assert gw.identities == []


async def test_a_sign_in_through_oidc_provider_mock(tmp_path: Path, clock: ManualClock) -> None:
    """Another implementation (PyPI's oidc-provider-mock, authlib's server side) agrees."""
    importlib.import_module("authlib.deprecate")  # puts its own "always" filter first, once
    with warnings.catch_warnings():  # the mock uses authlib parts that warn they are deprecated
        warnings.simplefilter("ignore", DeprecationWarning)  # (its server thread too)
        oidc_provider_mock = importlib.import_module("oidc_provider_mock")
        user = oidc_provider_mock.User(
            sub="bea-0002", claims={"email": "bea@example.org", "name": "Bea", "groups": ["g1"]}
        )
        mock = oidc_provider_mock.run_server_in_thread(require_nonce=True, user_claims=[user])
        with mock as server:
            issuer = f"http://localhost:{server.server_port}"
            env = sso_env(tmp_path, issuer, SMSBOT_OIDC__GROUP_ROLES="g1=unit_manager:Akuten")
            async with sso_gateway(env, clock) as gw, chromium() as page:
                await start_at_the_dashboard(page, gw)
                await page.get_by_role("button", name="bea-0002").click()
                await page.wait_for_url(gw.url + "/ui/dashboard")
                assert await page.get_by_role("button", name="Sign out").is_visible()
    assert [(i.sub, i.email, i.name) for i in gw.identities] == [
        ("bea-0002", "bea@example.org", "Bea")
    ]
