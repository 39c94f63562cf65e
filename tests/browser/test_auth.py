"""Signing in to the web pages, in Chromium."""

from __future__ import annotations

from playwright.async_api import async_playwright

from tests.browser.conftest import (
    CHROMIUM,
    FLAGS,
    UI,
    check_accessibility,
    save_screenshot,
)


async def test_signed_in_pages_need_no_token_in_any_url(ui: UI) -> None:
    await ui.open("/ui/flows")
    assert "/ui/flows" in ui.page.url and "token" not in ui.page.url
    cookies = await ui.page.context.cookies()
    session = [c for c in cookies if c["name"] == "smsbot_session"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    await ui.page.get_by_role("button", name="Sign out").click()
    await ui.page.wait_for_url("**/ui/login")
    await ui.open("/ui/flows")
    assert "/ui/login" in ui.page.url  # signed out: back to the login page


async def test_login_page_is_accessible_and_says_when_the_token_is_wrong(ui: UI) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page()
        await page.goto(ui.url + "/ui/dashboard")
        assert "/ui/login" in page.url
        await page.get_by_label("Password").fill("not-the-token")
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_load_state()
        assert "do not match" in await page.get_by_role("alert").inner_text()
        await check_accessibility(page)
        await save_screenshot(page, "login")
        await browser.close()
