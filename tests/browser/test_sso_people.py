"""Issue 15's sign-in as it is meant to be used, in Chromium, through the OpenID Connect
provider on loopback: a unit manager, her group mapped to her unit, sees only her unit's
dashboard and feedback, and a URL edit to another unit is refused and audited; an analyst tags
feedback and the audit log shows her name."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from smsbot.bootstrap.parts import database_of
from smsbot.storage.accounts import AuditQuery
from tests.browser.conftest import check_accessibility, save_screenshot
from tests.browser.test_oidc import chromium
from tests.conftest import ManualClock
from tests.feedback.test_tagging import FEEDBACK, seed
from tests.oidcprovider import SSOGateway, TestProvider, running_provider, sso_env, sso_gateway

MINE, OTHER = "Kajaanin terveysasema", "Sotkamon terveysasema"
GROUP_ROLES = f"grp-kajaani=unit_manager:{MINE},smsbot-analysts=analyst"
MARIA = {
    "sub": "maria-0002",
    "email": "maria.manager@example.org",
    "name": "Maria Manager",
    "groups": ["grp-kajaani", "grp-everyone"],
}


async def sign_in_through_the_provider(
    page: Page, gw: SSOGateway, provider: TestProvider, user: str, going_to: str
) -> None:
    await page.goto(gw.url + going_to)
    await page.get_by_role("link", name="Sign in with Test ID").click()
    await page.wait_for_url(provider.url + "/authorize?**")
    await page.get_by_label("User").select_option(user)
    await page.get_by_role("button", name="Approve").click()
    await page.wait_for_url(gw.url + going_to)


async def test_a_unit_manager_from_the_provider_sees_her_unit_only(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with running_provider() as provider:
        provider.users["maria"] = MARIA
        env = sso_env(tmp_path, provider.url, SMSBOT_OIDC__GROUP_ROLES=GROUP_ROLES)
        async with sso_gateway(env, clock) as gw, chromium() as page:
            await seed(database_of(gw.running.gateway.parts), FEEDBACK)
            await sign_in_through_the_provider(page, gw, provider, "maria", "/ui/feedback")
            await expect(page.locator("#signed-in-as")).to_contain_text(MINE)
            items = page.locator(".inbox-item")
            await expect(items).to_have_count(4)  # Kajaani's four, of six
            assert OTHER not in await page.content()
            await check_accessibility(page)
            await page.goto(gw.url + "/ui/dashboard")
            assert OTHER not in await page.content()
            await save_screenshot(page, "sso-unit-manager-dashboard")
            for path in (f"/ui/dashboard?unit={OTHER}", f"/ui/feedback?unit={OTHER}"):
                answer = await page.goto(gw.url + path)
                assert answer is not None and answer.status == 403, path
            await expect(page.get_by_role("heading", name="Not yours to open")).to_be_visible()
            async with gw.running.gateway.parts.store.read() as tx:
                refused = await tx.audit.find(AuditQuery(action="refused"))
                [signed_in] = await tx.audit.find(AuditQuery(action="sign_in"))
    assert [(e.who, e.detail.get("unit")) for e in refused] == [
        ("Maria Manager <maria.manager@example.org>", OTHER)
    ] * 2
    assert signed_in.detail["method"] == "oidc"


async def test_an_analyst_from_the_provider_tags_feedback_under_her_name(
    tmp_path: Path, clock: ManualClock
) -> None:
    async with running_provider() as provider:
        env = sso_env(tmp_path, provider.url, SMSBOT_OIDC__GROUP_ROLES=GROUP_ROLES)
        async with sso_gateway(env, clock) as gw, chromium() as page:
            ids = await seed(database_of(gw.running.gateway.parts), FEEDBACK)
            await sign_in_through_the_provider(page, gw, provider, "anna", "/ui/feedback")
            await page.get_by_label(f"Add a tag to #{ids[0]}").select_option("waiting")
            async with page.expect_navigation():
                await page.locator(f"#f-{ids[0]} .tag-add button").click()
            await expect(page.get_by_role("status")).to_contain_text("feedback")
            changes = await gw.running.query(
                "SELECT changed_by FROM tag_changes WHERE action = 'add'"
            )
            async with gw.running.gateway.parts.store.read() as tx:
                [tagged] = await tx.audit.find(AuditQuery(action="tag"))
    anna = "Anna Berg <anna.berg@example.org>"
    assert changes == [{"changed_by": anna}]
    assert tagged.who == anna and tagged.target == f"/ui/feedback/{ids[0]}/add"
