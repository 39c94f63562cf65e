"""The dashboard's journeys section in Chromium: each journey type's steps in order with the
journey report's figures, the units side by side, small groups as "too few answers"; accessible
(axe) and legible on a phone."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from playwright.async_api import expect

from smsbot.bootstrap.parts import database_of
from smsbot.results import numbers
from smsbot.results.journeys import journeys
from smsbot.results.reports import ReportFilter
from tests.browser.conftest import (
    SCREENSHOTS,
    check_accessibility,
    open_ui,
    save_screenshot,
    sideways,
)
from tests.conftest import ManualClock
from tests.journeydata import DEFINITIONS, assign_journeys, mark, write_journeys_file
from tests.reportdata import TINY_UNIT, generate, write_flow_files, write_through

SMALLEST = 12.0


async def test_the_journeys_section(tmp_path: Path, clock: ManualClock) -> None:
    data = generate(surveys=1500)
    directory = write_flow_files(tmp_path / "flows", data.flows)
    write_journeys_file(directory)
    async with open_ui(tmp_path, clock, SMSBOT_FLOWS__DIR=str(directory)) as ui:
        db = database_of(ui.gateway.gateway.parts)
        await write_through(db, data)
        async with db.transaction() as conn:
            await mark(conn, assign_journeys(data))
        store = ui.gateway.gateway.parts.store
        expected = await journeys(store, ReportFilter(), DEFINITIONS, data.flows, min_group=5)
        page = ui.page
        await ui.open("/ui/dashboard")
        section = page.locator("section.journey", has_text="Sleep apnoea care chain")
        await expect(section.locator("h3").first).to_have_text("Sleep apnoea care chain")
        apnea = expected[0]
        await expect(section.locator("p").first).to_contain_text(f"{apnea.n} journeys")
        rows = section.locator("#fig-journey-sleep-apnoea tbody tr")
        assert await rows.count() == 4  # the four steps, in order
        for i, step in enumerate(apnea.figures["steps"]):  # type: ignore[arg-type]
            cells = await rows.nth(i).locator("th, td").all_text_contents()  # in <details>
            assert cells[0] == f"{i + 1}. {step['key']}"
            assert cells[1] == str(step["figures"]["surveys"])
            assert cells[2] == numbers.pct(step["figures"]["reached_pct"])
            assert cells[3] == numbers.pct(step["figures"]["response_rate_pct"])
        svg = section.locator("#fig-journey-sleep-apnoea svg[role=img]")
        assert await svg.count() == 1
        units = section.locator("#fig-journey-sleep-apnoea-units svg[role=img]")
        assert await units.count() == 1
        await check_accessibility(page)
        await save_screenshot(page, "dashboard-journeys")
        await section.screenshot(path=str(SCREENSHOTS / "dashboard-journeys-section.png"))

        await page.set_viewport_size({"width": 360, "height": 800})
        await ui.open(f"/ui/dashboard?unit={quote(TINY_UNIT)}")
        tiny = page.locator("section.journey").first
        await expect(tiny).to_contain_text("too few")  # a tiny unit's journeys are hidden
        assert await sideways(page) == 0, "360 px scrolls sideways"
        await check_accessibility(page)
