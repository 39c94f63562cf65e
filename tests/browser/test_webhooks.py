"""/ui/webhooks in Chromium: an admin adds a subscription, sees its secret once, removes it,
and the page passes axe."""

from __future__ import annotations

import re

from playwright.async_api import async_playwright, expect

from tests.browser.conftest import CHROMIUM, FLAGS, UI, check_accessibility, save_screenshot
from tests.browser.test_people import add, sign_in_as


async def test_an_admin_adds_a_webhook_and_the_page_passes_axe(ui: UI) -> None:
    gw = ui.gateway
    await add(gw, "admin", [])
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page()
        await sign_in_as(page, ui.url, "admin@example.org")
        await (
            page.get_by_role("navigation", name="Pages")
            .get_by_role("link", name=re.compile("^Webhooks"))
            .click()
        )
        await expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
        await page.get_by_label("URL").fill("https://crm.example.org/smsbot")
        await page.get_by_label("survey.completed").check()
        await page.get_by_label("Only the unit").fill("Kontaktcenter Örebro")
        await page.get_by_role("button", name="Add").click()
        await expect(page.locator("#secret")).to_have_text(re.compile(r"^whsec_"))
        await check_accessibility(page)
        await save_screenshot(page, "webhooks")
        await page.goto(ui.url + "/ui/webhooks")
        await expect(page.locator("#secret")).to_have_count(0)
        row = page.get_by_role("row", name=re.compile("crm.example.org"))
        await expect(row).to_contain_text("Kontaktcenter Örebro")
        await row.get_by_role("button", name="Remove webhook 1").click()
        await expect(row).to_contain_text("stopped (removed)")
        await browser.close()
