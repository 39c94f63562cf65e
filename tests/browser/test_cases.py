"""The cases page in Chromium: a case handled with the keyboard alone, at phone width, and axe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.browser.conftest import UI, check_accessibility, open_ui, save_screenshot
from tests.cases.test_page import CONSENTING, UNIT_A, _survey
from tests.conftest import ManualClock


@pytest.fixture
async def sim_ui(tmp_path: Path, clock: ManualClock) -> AsyncIterator[UI]:
    async with open_ui(tmp_path, clock, SMSBOT_TRANSPORT__KIND="simulator") as opened:
        yield opened


async def test_take_note_and_close_a_case_with_the_keyboard(sim_ui: UI) -> None:
    ui = sim_ui
    await _survey(ui.gateway, 1, CONSENTING, UNIT_A, "ja")
    page = ui.page
    await ui.open("/ui/cases")
    await check_accessibility(page)
    link = page.get_by_role("link", name="Case 1")
    await link.focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await expect(page.locator("#call")).to_have_attribute("href", f"tel:{CONSENTING}")
    await check_accessibility(page)

    await page.get_by_role("button", name="Take the case").focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("You took the case.")

    await page.get_by_label("Note (no personal details").focus()
    await page.keyboard.type("Ringde, lovade återkomma")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")  # "I called the citizen"
    await page.keyboard.press("Tab")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("The call is recorded.")

    await page.get_by_label("Reached, not resolved").focus()
    await page.keyboard.press("Space")
    await page.get_by_role("button", name="Close the case").focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("The case is closed.")
    assert await page.locator("a[href^='tel:']").count() == 0
    await check_accessibility(page)
    rows = await ui.gateway.query("SELECT state, outcome, first_contact_at FROM cases")
    assert rows[0]["state"] == "closed" and rows[0]["outcome"] == "reached_not_resolved"
    assert rows[0]["first_contact_at"] is not None


async def test_the_cases_pages_fit_a_phone(sim_ui: UI) -> None:
    ui = sim_ui
    await _survey(ui.gateway, 1, CONSENTING, UNIT_A, "ja")
    page = ui.page
    await page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/ui/cases", "/ui/cases/1"):
        await ui.open(path)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
    await save_screenshot(page, "case-phone")
