"""The API reference page (/docs) in Chromium: Swagger UI from our own files, accessible."""

from __future__ import annotations

from urllib.parse import urlsplit

from smsbot.http.openapi.spec import TAGS
from tests.browser.conftest import UI, check_accessibility, save_screenshot

# Every CSP violation the page meets is kept (the browser would otherwise only log it).
WATCH_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
"""
# Opened on the page: what an integrator reads first, and an operation with every kind of input.
OPENED = ("events-postEvents", "reports-getReport", "feedback-tagFeedback")


async def test_the_reference_shows_every_operation_from_our_own_files(ui: UI) -> None:
    requested: list[str] = []
    errors: list[str] = []
    page = ui.page
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.add_init_script(WATCH_CSP)
    await ui.open("/docs")
    # Swagger UI's 1.5 MB script parses slowly on a busy machine: more than the usual 10 s.
    await page.locator(".opblock").first.wait_for(timeout=30_000)
    shown = await page.locator(".opblock-tag").all_inner_texts()
    assert [text.split("\n")[0].strip() for text in shown] == list(TAGS)
    await save_screenshot(page, "docs")
    for operation in OPENED:
        await page.locator(f"#operations-{operation} .opblock-summary-control").click()
    example = page.locator("#operations-events-postEvents .body-param__example").first
    assert '"type": "contact.closed"' in await example.inner_text()
    await check_accessibility(page)
    assert {urlsplit(url).netloc for url in requested} == {urlsplit(ui.url).netloc}, requested
    assert await page.evaluate("window.cspViolations") == []
    assert errors == []


async def test_the_reference_needs_no_sign_in_and_keeps_its_headers(ui: UI) -> None:
    async with ui.gateway.http.get(ui.url + "/docs") as page:
        assert page.status == 200 and page.content_type == "text/html"
        policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe" not in policy
    async with ui.gateway.http.get(ui.url + "/docs/static/swagger-ui.css.map") as missing:
        assert missing.status == 404  # only the files the page uses are served
