"""The flows page in Chromium: a shipped flow's SMS, segments, linter and diagram."""

from __future__ import annotations

from smsbot.engine.sms_text import measure
from smsbot.flows.files import load_flow_file
from tests.browser.conftest import UI, check_accessibility, save_screenshot
from tests.harness import ROOT


async def test_a_flow_shows_its_questions_costs_and_conditions(ui: UI) -> None:
    flow, _ = load_flow_file(ROOT / "flows" / "contact-centre.yaml")
    assert flow is not None
    await ui.open("/ui/flows")
    await check_accessibility(ui.page)
    await save_screenshot(ui.page, "flows")
    await ui.page.get_by_role("link", name=flow.title.get("sv", "sv")).click()
    await ui.page.wait_for_url(f"**/ui/flows/{flow.id}")

    swedish = ui.page.locator("section[lang=sv]")
    for question in flow.questions:
        text = question.text.by_lang["sv"]
        row = swedish.locator("tr", has=ui.page.get_by_text(text, exact=True))
        assert await row.count() == 1, question.id
        cells = await row.locator("td").all_inner_texts()
        if "{" not in text:  # a text with placeholders is counted with stand-ins
            assert cells[2] == str(measure(text).segments)
        assert cells[3].startswith(measure(text).encoding.value)

    conditional = [q for q in flow.questions if q.when_source]
    diagram = ui.page.get_by_role("img", name=f"Which question leads where in {flow.id}")
    for question in conditional:
        label = diagram.get_by_text(f"when {question.when_source}", exact=True)
        assert await label.count() == 1
        listed = ui.page.locator("li", has_text=f"{question.id} is asked only when")
        assert await listed.count() == 1
    assert await ui.page.get_by_text("No errors and no warnings").count() == 1
    await check_accessibility(ui.page)
    await save_screenshot(ui.page, "flow")


async def test_an_unknown_flow_is_a_clear_404(ui: UI) -> None:
    response = await ui.page.goto(ui.url + "/ui/flows/no-such-flow")
    assert response is not None and response.status == 404
    assert "There is no flow 'no-such-flow'" in await ui.page.inner_text("main")
