"""`/` in Chromium: a browser is led through the sign-in to the home page, which has a part for
each role, is accessible, and fits a phone."""

from __future__ import annotations

from playwright.async_api import async_playwright, expect

from tests.browser.conftest import (
    ADMIN_TOKEN,
    CHROMIUM,
    FLAGS,
    UI,
    check_accessibility,
    save_screenshot,
)

ROLES = ["Service designers", "Managers", "Operators"]


async def test_the_root_leads_through_the_sign_in_to_the_home_page(ui: UI) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page()
        await page.goto(ui.url + "/")
        assert page.url == ui.url + "/ui/login?next=/ui/"
        await page.get_by_label("Password").fill(ADMIN_TOKEN)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(ui.url + "/ui/")
        for role in ROLES:
            await expect(page.get_by_role("heading", name=role)).to_be_visible()
        await browser.close()


async def test_the_home_page_is_accessible_and_fits_a_phone(ui: UI) -> None:
    page = ui.page
    await ui.open("/")  # signed in: straight to the home page
    assert page.url == ui.url + "/ui/"
    await expect(page.get_by_role("link", name="Dashboard").last).to_be_visible()
    await check_accessibility(page)
    await save_screenshot(page, "home")
    await page.set_viewport_size({"width": 360, "height": 780})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await check_accessibility(page)
    await save_screenshot(page, "home-phone")
