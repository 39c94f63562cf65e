"""People in Chromium: a unit manager signs in with her e-mail and password, sees her unit only,
and a URL edit to another unit is refused and audited; an analyst's tag records her name."""

from __future__ import annotations

import re

from playwright.async_api import Page, async_playwright, expect

from smsbot.people import accounts
from smsbot.people.accounts import Actor
from smsbot.storage.accounts import AuditQuery
from tests.browser.conftest import CHROMIUM, FLAGS, UI, check_accessibility, save_screenshot
from tests.harness import Running

PASSWORD = "a long enough password"
MINE, OTHER = "Kontaktcenter Örebro", "Medborgarservice Kumla"


async def add(gw: Running, role: str, units: list[str]) -> None:
    await accounts.add_person(
        gw.gateway.parts.store, Actor("test", "test"), name=f"Maria {role.title()}",
        email=f"{role}@example.org", roles=[role], units=units, password=PASSWORD,
        now=gw.clock.now(),
    )  # fmt: skip


async def seed(gw: Running) -> None:
    for n, unit in enumerate((MINE, OTHER)):
        event = {
            "id": f"call-{n}", "type": "contact.closed", "phone": f"+4670174000{n + 1}",
            "occurred_at": gw.clock.now().isoformat(), "unit": unit, "service": "Bygglov",
        }  # fmt: skip
        assert (await gw.post_events(event))[0] == 202
    await gw.settle()


async def sign_in_as(page: Page, url: str, email: str) -> None:
    await page.goto(url + "/ui/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(url + "/ui/")


async def test_a_unit_manager_sees_her_unit_only_and_a_url_edit_is_refused(ui: UI) -> None:
    gw = ui.gateway
    await seed(gw)
    await add(gw, "unit_manager", [MINE])
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page()
        await sign_in_as(page, ui.url, "unit_manager@example.org")
        await expect(page.locator("#signed-in-as")).to_contain_text(f"unit manager of {MINE}")
        nav = page.get_by_role("navigation", name="Pages")
        names = ("Dashboard", "Feedback", "Cases", "API tokens")
        shown = [re.compile(f"^{name}") for name in names]
        await expect(nav.get_by_role("link")).to_have_text(shown)
        await page.goto(ui.url + "/ui/dashboard")
        assert OTHER not in await page.content()
        await check_accessibility(page)
        await save_screenshot(page, "people-unit-manager-dashboard")
        answer = await page.goto(ui.url + "/ui/dashboard?unit=" + OTHER)
        assert answer is not None and answer.status == 403
        await expect(page.get_by_role("heading", name="Not yours to open")).to_be_visible()
        await check_accessibility(page)
        await browser.close()
    async with gw.gateway.parts.store.read() as tx:
        [refused] = await tx.audit.find(AuditQuery(action="refused"))
    assert refused.who == "Maria Unit_Manager <unit_manager@example.org>"
    assert refused.detail["unit"] == OTHER


async def test_the_login_page_with_e_mail_and_password_is_accessible(ui: UI) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page()
        await page.goto(ui.url + "/ui/login")
        await page.get_by_label("E-mail").fill("nobody@example.org")
        await page.get_by_label("Password").fill("wrong password")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_contain_text("do not match")
        await check_accessibility(page)
        await save_screenshot(page, "people-login-refused")
        await browser.close()


async def test_the_auditor_reads_the_audit_log(ui: UI) -> None:
    gw = ui.gateway
    await add(gw, "auditor", [])
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page()
        await sign_in_as(page, ui.url, "auditor@example.org")
        await page.get_by_role("link", name="Audit log", exact=True).click()
        await expect(page.locator("#chain-state")).to_contain_text("whole")
        table = page.get_by_role("table")
        await expect(table).to_contain_text("Maria Auditor <auditor@example.org>")
        await expect(table).to_contain_text("sign in")
        await check_accessibility(page)
        await save_screenshot(page, "people-audit")
        await page.goto(ui.url + "/ui/tokens")
        await page.get_by_label("Name").fill("spreadsheet")
        await page.get_by_role("button", name="Make a token").click()
        await expect(page.locator("#new-token")).to_contain_text("not shown again")
        await check_accessibility(page)
        await save_screenshot(page, "people-tokens")
        await browser.close()
