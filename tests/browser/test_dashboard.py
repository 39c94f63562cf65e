"""The dashboard in Chromium: filtered by unit, its figures are the reports' figures; the funnel's
bars in proportion to them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Page, expect

from smsbot.bootstrap.parts import database_of
from smsbot.results.reports import ReportFilter, funnel
from tests.browser.conftest import (
    check_accessibility,
    crossed,
    open_ui,
    rendered_text,
    save_screenshot,
    sideways,
)
from tests.conftest import ManualClock
from tests.reportdata import TINY_UNIT, generate, marked_flows, write_flow_files, write_through

UNIT = "Vårdcentral Norr"


async def test_the_dashboard_filtered_by_unit(tmp_path: Path, clock: ManualClock) -> None:
    data = generate(surveys=1500)
    directory = write_flow_files(tmp_path / "flows", data.flows)
    async with open_ui(tmp_path, clock, SMSBOT_FLOWS__DIR=str(directory)) as ui:
        store = ui.gateway.gateway.parts.store
        await write_through(database_of(ui.gateway.gateway.parts), data)
        [expected] = await funnel(store, ReportFilter(unit=UNIT), min_group=5)
        page = ui.page
        await ui.open("/ui/dashboard")
        await page.get_by_label("Unit", exact=True).select_option(UNIT)
        await page.get_by_role("button", name="Show").click()
        await page.wait_for_url("**/ui/dashboard?*unit=*")
        await expect(page.locator("#showing")).to_have_text(UNIT)
        sent = page.locator(".tile", has_text="Surveys sent").locator(".tile-value")
        assert (await sent.inner_text()).replace(" ", "") == str(expected.n)
        rate = page.locator(".tile", has_text="Response rate").locator(".tile-value")
        response_pct = expected.figures["response_rate_pct"]
        assert await rate.inner_text() == f"{response_pct:.1f} %"
        assert await page.locator("figure.chart svg[role=img]").count() >= 5
        selected = page.locator("section.unit.selected > h3")
        await expect(selected).to_have_text(UNIT)
        await check_accessibility(page)
        await save_screenshot(page, "dashboard")

        await page.get_by_label("Unit", exact=True).select_option(TINY_UNIT)
        await page.get_by_role("button", name="Show").click()
        await expect(page.locator("#showing")).to_have_text(TINY_UNIT)
        assert "too few" in (await page.locator(".tiles").inner_text()).lower()


async def funnel_bars(page: Page) -> list[tuple[int, float]]:
    """Each funnel step's figure (from the chart's table) and its bar's drawn width in CSS px
    (0 for a step with no bar)."""
    figures = [
        int(text.split(" (")[0].replace(" ", ""))
        for text in await page.locator("#fig-funnel tbody td").all_text_contents()
    ]
    widths: list[float] = await page.evaluate(
        """() => [...document.querySelectorAll('#chart-funnel rect')].slice(1)
            .map(r => [r.getBoundingClientRect().top, r.getBoundingClientRect().width])
            .sort((a, b) => a[0] - b[0]).map(r => r[1])"""
    )
    drawn = iter(widths)
    return [(figure, next(drawn) if figure else 0.0) for figure in figures]


async def test_the_funnel_draws_each_step_in_proportion(tmp_path: Path, clock: ManualClock) -> None:
    data = generate(surveys=600)
    directory = write_flow_files(tmp_path / "flows", data.flows)
    async with open_ui(tmp_path, clock, SMSBOT_FLOWS__DIR=str(directory)) as ui:
        db = database_of(ui.gateway.gateway.parts)
        await write_through(db, data)
        async with db.transaction() as conn:
            # Surveys started without a service event (as trials are): fewer events than surveys.
            await conn.execute("DELETE FROM events WHERE unit = ? AND id % 4 != 0", (UNIT,))
        await ui.open(f"/ui/dashboard?unit={quote(UNIT)}")
        steps = await funnel_bars(ui.page)
        events, sent = steps[0][0], steps[1][0]
        assert 0 < events < sent  # the case that drew every bar at full width
        largest = max(figure for figure, _ in steps)
        full = max(width for _, width in steps)
        for figure, width in steps:
            assert width == pytest.approx(full * figure / largest, abs=1.0), (figure, steps)
        scale = f"in proportion to the largest figure, {largest}"
        assert await ui.page.locator("#chart-funnel text", has_text=scale).count() == 1


SMALLEST = 12.0  # CSS px: no text on the dashboard is drawn smaller, from 360 px wide up


async def test_the_dashboard_is_legible_on_a_phone(tmp_path: Path, clock: ManualClock) -> None:
    data = generate(surveys=1500)
    directory = write_flow_files(tmp_path / "flows", data.flows)
    async with open_ui(tmp_path, clock, SMSBOT_FLOWS__DIR=str(directory)) as ui:
        await write_through(database_of(ui.gateway.gateway.parts), data)
        page = ui.page
        for width in (390, 360):
            await page.set_viewport_size({"width": width, "height": 800})
            for query in ("", f"?unit={quote(UNIT)}"):
                await ui.open(f"/ui/dashboard{query}")
                drawn = await rendered_text(page)
                assert len(drawn) > 200 and any(t.tag == "text" for t in drawn)
                small = [t for t in drawn if t.size < SMALLEST]
                assert not small, f"{width} px{query}: {len(small)} texts under 12 px: {small[:5]}"
                cut = [t for t in drawn if not t.inside]
                assert not cut, f"{width} px{query}: chart text outside its chart: {cut[:5]}"
                assert await sideways(page) == 0, f"{width} px{query} scrolls sideways"
                assert await crossed(page) == [], f"{width} px{query}: a dashed line on text"
            if width == 390:
                await check_accessibility(page)
                await save_screenshot(page, "dashboard-phone")


async def test_avoidable_demand_and_the_cross_tab_are_legible_on_a_phone(
    tmp_path: Path, clock: ManualClock
) -> None:
    data = generate(surveys=1500)
    directory = write_flow_files(tmp_path / "flows", marked_flows(data.flows))
    async with open_ui(tmp_path, clock, SMSBOT_FLOWS__DIR=str(directory)) as ui:
        await write_through(database_of(ui.gateway.gateway.parts), data)
        page = ui.page
        await page.set_viewport_size({"width": 360, "height": 800})
        await ui.open("/ui/dashboard?flow=visit")
        await page.get_by_label("Question", exact=True).select_option("csat")
        await page.get_by_label("Within each", exact=True).select_option("reason")
        await page.get_by_role("button", name="Cross-tabulate").click()
        await page.wait_for_url("**/ui/dashboard?*crosstab=csat*")
        await expect(page.locator("#cross-1")).to_contain_text("by reason")
        assert await page.locator(".tile", has_text="Avoidable contacts").count() == 1
        assert await sideways(page) == 0, "360 px scrolls sideways"
        small = [t for t in await rendered_text(page) if t.size < SMALLEST]
        assert not small, f"texts under 12 px: {small[:5]}"
        await check_accessibility(page)
        await save_screenshot(page, "dashboard-crosstab-phone")


async def test_every_chart_is_drawn_at_one_scale(tmp_path: Path, clock: ManualClock) -> None:
    """On a wide screen no chart's text is blown up beside another's: one scale for all."""
    data = generate(surveys=600)
    directory = write_flow_files(tmp_path / "flows", data.flows)
    async with open_ui(tmp_path, clock, SMSBOT_FLOWS__DIR=str(directory)) as ui:
        await write_through(database_of(ui.gateway.gateway.parts), data)
        await ui.open(f"/ui/dashboard?unit={quote(UNIT)}")
        scales: list[float] = await ui.page.evaluate(
            """() => [...document.querySelectorAll('svg.chart')]
                .map(svg => svg.getBoundingClientRect().width / svg.viewBox.baseVal.width)"""
        )
        assert len(scales) >= 8
        assert max(scales) == pytest.approx(min(scales), rel=0.02), scales
        sizes = [t.size for t in await rendered_text(ui.page) if t.tag == "text"]
        assert min(sizes) >= SMALLEST and max(sizes) <= 20, (min(sizes), max(sizes))
        assert await crossed(ui.page) == []
