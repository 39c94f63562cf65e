"""The feedback inbox in Chromium: filter, confirm a suggested tag by keyboard, check it is kept."""

from __future__ import annotations

from playwright.async_api import Page, expect

from smsbot.bootstrap.parts import database_of
from smsbot.feedback.review import suggest_new
from tests.browser.conftest import UI, check_accessibility, save_screenshot
from tests.feedback.test_tagging import FEEDBACK, seed

KAJAANI = "Kajaanin terveysasema"


async def seeded(ui: UI) -> list[int]:
    """Feedback as the service stores it, with the suggestions the gateway's rules make."""
    gateway = ui.gateway.gateway
    ids = await seed(database_of(gateway.parts))
    assert gateway.taxonomy is not None
    await suggest_new(gateway.parts.store, gateway.taxonomy, now=gateway.clock.now())
    return ids


async def focused_id(page: Page) -> str:
    return str(await page.evaluate("document.activeElement && document.activeElement.id"))


async def confirmed_labels(page: Page, feedback_id: int) -> list[str]:
    chips = page.locator(f"#f-{feedback_id} .tag-confirmed [lang]")
    return [text.strip() for text in await chips.all_inner_texts()]


async def test_confirm_a_suggested_tag_with_the_keyboard(ui: UI) -> None:
    ids = await seeded(ui)
    page = ui.page
    await ui.open("/ui/feedback")
    assert await page.locator(".inbox-item").count() == len(ids)

    await page.get_by_label("Unit", exact=True).select_option(KAJAANI)
    await page.get_by_role("button", name="Show feedback").focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert "unit=Kajaanin+terveysasema" in page.url
    assert await page.locator(".inbox-item").count() == 4

    # Tab to the first suggestion of #2 ("Waiting and queues") and press Enter.
    item = page.locator(f"#f-{ids[1]}")
    confirm = item.get_by_role("button", name="Confirm “Waiting and queues”")
    await confirm.focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert f"done={ids[1]}.confirm.waiting" in page.url and "unit=Kajaanin" in page.url
    assert await focused_id(page) == f"f-{ids[1]}"  # back at the item
    assert await confirmed_labels(page, ids[1]) == ["Waiting and queues"]
    status = await page.get_by_role("status").inner_text()
    assert status == f"Confirmed “Waiting and queues” on feedback #{ids[1]}."
    changes = await ui.gateway.query(
        "SELECT tag, action, changed_by FROM tag_changes WHERE feedback_id = ? AND action != ?",
        ids[1],
        "suggest",
    )
    assert changes == [{"tag": "waiting", "action": "confirm", "changed_by": "admin token"}]

    # The shortcuts: j moves to the next (older) item, 1 confirms its first suggestion.
    assert await page.get_by_role("heading", name="Keyboard shortcuts").is_visible()
    await page.keyboard.press("j")
    assert await focused_id(page) == f"f-{ids[0]}"
    async with page.expect_navigation():
        await page.keyboard.press("1")
    assert await confirmed_labels(page, ids[0]) == ["Waiting and queues"]

    await check_accessibility(page)
    await save_screenshot(page, "inbox")


async def test_the_inbox_fits_a_phone_and_works_without_script(ui: UI) -> None:
    ids = await seeded(ui)
    context = await ui.browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=False
    )
    page = await context.new_page()
    cookies = await ui.page.context.cookies()
    await context.add_cookies(cookies)  # type: ignore[arg-type]
    await page.goto(ui.url + "/ui/feedback")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    assert await page.locator("#shortcuts").is_hidden()  # no script, no shortcuts offered
    await page.get_by_label(f"Add a tag to #{ids[4]}").select_option("competence")
    async with page.expect_navigation():
        await page.locator(f"#f-{ids[4]} .tag-add button").click()
    assert await confirmed_labels(page, ids[4]) == ["Competence"]
    await save_screenshot(page, "inbox-phone")  # axe needs script: checked in the test above
    await context.close()


async def test_a_long_feedback_is_shortened_with_a_way_to_see_all(ui: UI) -> None:
    long = ("Jonot olivat pitkät, mutta hoitaja oli ystävällinen ja osaava. " * 40)[:2000]
    ids = await seed(database_of(ui.gateway.gateway.parts), [*FEEDBACK, (KAJAANI, "fi", long)])
    page = ui.page
    for width in (1280, 360):
        await page.set_viewport_size({"width": width, "height": 800})
        await ui.open("/ui/feedback")
        quote = page.locator(f"#f-{ids[-1]} .inbox-text")
        box = await quote.bounding_box()
        assert box is not None and box["height"] < 300, (width, box)
        show = quote.get_by_text("Show all 2 000 characters")
        await expect(show).to_be_visible()
        await quote.locator("summary").focus()
        await page.keyboard.press("Enter")
        await expect(quote.locator(".long-all")).to_have_text(long)
        await check_accessibility(page)
