"""The phone simulator in Chromium: a whole conversation typed in, the bot's answers live."""

from __future__ import annotations

from playwright.async_api import Page, expect

from smsbot.flows.files import load_flow_file
from tests.browser.conftest import UI, check_accessibility, save_screenshot, sign_in
from tests.harness import ROOT

# contact-centre in Swedish: CES 6, solved yes, reason 1, web first no, then the open question
REPLIES = ["6", "ja", "1", "nej", "Trevlig personal"]


async def test_a_full_conversation_in_the_phone_simulator(ui: UI) -> None:
    flow, _ = load_flow_file(ROOT / "flows" / "contact-centre.yaml")
    assert flow is not None
    page = ui.page
    await ui.open("/ui/simulator?flow=contact-centre")
    await page.get_by_label("Language").select_option("sv")
    await page.get_by_role("button", name="Start").click()
    chat = page.locator("#chat")
    bot = chat.locator("li.bot .body")
    await expect(bot).to_have_count(2)  # the opening and the first question
    assert "Kontaktcenter Örebro" in await bot.nth(0).inner_text()  # {unit} filled in

    asked = [q for q in flow.questions if q.id != "comment"]  # CES 6 and solved: comment_other
    for number, reply in enumerate(REPLIES):
        assert await bot.nth(number + 1).inner_text() == asked[number].text.by_lang["sv"]
        box = page.get_by_label("Your reply, as the citizen")
        await box.fill(reply)
        await box.press("Enter")
        await expect(chat.locator("li.mine .body")).to_have_count(number + 1)
        await expect(bot).to_have_count(number + 3)
        assert await page.evaluate("document.activeElement.id") == "reply-text"

    assert await bot.last.inner_text() == flow.closing.by_lang["sv"]
    await expect(page.locator("#chat-status")).to_contain_text("completed")
    mine = await chat.locator("li.mine .body").all_inner_texts()
    assert mine == REPLIES
    stored = await ui.gateway.query("SELECT question_id, raw_text FROM answers ORDER BY id")
    assert [row["raw_text"] for row in stored] == REPLIES
    await check_accessibility(page)
    await save_screenshot(page, "simulator")
    await page.set_viewport_size({"width": 390, "height": 844})
    await save_screenshot(page, "simulator-phone")


async def test_the_simulator_works_without_script(ui: UI) -> None:
    context = await ui.browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await sign_in(page, ui.url)
    await page.goto(ui.url + "/ui/simulator?flow=health-visit")
    await page.get_by_label("Language").select_option("en")
    await page.get_by_role("button", name="Start").click()
    await page.get_by_label("Your reply, as the citizen").fill("5")
    await page.get_by_role("button", name="Send").click()
    await page.wait_for_load_state()
    bubbles = await page.locator("#chat li .body").all_inner_texts()
    assert bubbles[2] == "5" and len(bubbles) == 4  # opening, question, reply, next question
    await context.close()


LONG = ("Waiting was long, but the nurse was kind and explained everything. " * 40)[:2000]


async def answer(page: Page, replies: list[str]) -> None:
    chat = page.locator("#chat")
    for reply in replies:
        count = await chat.locator("li.bot").count()
        box = page.get_by_label("Your reply, as the citizen")
        await box.fill(reply)
        await box.press("Enter")
        await expect(chat.locator("li.bot")).to_have_count(count + 1)


async def test_a_long_reply_is_shortened_with_a_way_to_see_all(ui: UI) -> None:
    page = ui.page
    await ui.open("/ui/simulator?flow=health-visit")
    await page.get_by_label("Language").select_option("en")
    await page.get_by_role("button", name="Start").click()
    await answer(page, ["5", "yes", "5", "10"])
    height = await page.evaluate("document.documentElement.scrollHeight")
    await answer(page, [LONG])
    for reloaded in (False, True):  # drawn by the script, then by the server
        if reloaded:
            await page.reload()
        bubble = page.locator("#chat li.mine").last
        box = await bubble.bounding_box()
        assert box is not None and box["height"] < 320, box  # 1 700 px before
        grown = await page.evaluate("document.documentElement.scrollHeight") - height
        assert grown < 100, f"the page grew {grown} px"  # was 3 000 px tall
        show = bubble.get_by_text("Show all 2 000 characters")
        await expect(show).to_be_visible()
        await bubble.locator("summary").focus()
        await page.keyboard.press("Enter")
        await expect(bubble.locator(".long-all")).to_have_text(LONG)
        await expect(show).to_be_hidden()
        await check_accessibility(page)
    stored = await ui.gateway.query("SELECT text FROM feedback")
    assert stored == [{"text": LONG}]  # shortened on the page only
