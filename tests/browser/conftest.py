"""Browser tests: real headless Chromium (Debian's /usr/bin/chromium) against a real gateway.

Fixtures: `ui` (a gateway on loopback with the simulator transport, and a signed-in page),
`check_accessibility(page)` (axe-core; fails on serious or critical violations) and
`save_screenshot(page, name)` (tests/artefacts/screenshots/NAME.png), `rendered_text(page)` (every
text's size as drawn), `sideways(page)` (how far the page scrolls sideways) and `crossed(page)`
(chart texts a dashed line is drawn across).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import ManualClock
from tests.harness import ROOT, Running, gateway_env, running_gateway

CHROMIUM = os.environ.get("SMSBOT_CHROMIUM", "/usr/bin/chromium")
ADMIN_TOKEN = "browser-admin-token-0123456789"
SCREENSHOTS = ROOT / "tests" / "artefacts" / "screenshots"
# The machine's network is closed: without these, Chromium stalls on Google's hosts.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class UI:
    gateway: Running
    page: Page
    browser: Browser

    @property
    def url(self) -> str:
        return self.gateway.url

    async def open(self, path: str) -> None:
        await self.page.goto(self.url + path)


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
            "(apt-get install chromium); set SMSBOT_CHROMIUM to use another binary"
        )


async def sign_in(page: Page, base_url: str, token: str = ADMIN_TOKEN) -> None:
    await page.goto(base_url + "/ui/login")
    await page.get_by_label("Password").fill(token)  # no e-mail: the bootstrap admin token
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


@pytest.fixture
async def ui(tmp_path: Path, clock: ManualClock) -> AsyncIterator[UI]:
    async with open_ui(tmp_path, clock) as opened:
        yield opened


@asynccontextmanager
async def open_ui(tmp_path: Path, clock: ManualClock, **env: str) -> AsyncIterator[UI]:
    """A gateway (with `env` on top of the tests' usual settings) and a signed-in page."""
    _require_chromium()
    settings = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=ADMIN_TOKEN, **env)
    async with running_gateway(settings, clock) as running, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(10_000)
            await sign_in(page, running.url)
            yield UI(running, page, browser)
        finally:
            await browser.close()


async def check_accessibility(page: Page) -> None:
    """axe-core on the page as it is now: no serious or critical violation (WCAG 2.1 AA)."""
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    results = await Axe().run(page, options={**options, "resultTypes": ["violations"]})
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    assert not bad, "accessibility violations on " + page.url + ":\n" + "\n".join(bad)


async def save_screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


@dataclass(frozen=True)
class DrawnText:
    """One element's own text as Chromium draws it: its font size in CSS px (an SVG text's size
    times the scale its viewBox is drawn at) and, for SVG text, whether it lies inside its SVG."""

    size: float
    tag: str
    text: str
    inside: bool


# Every element with text of its own that is rendered (closed <details> are opened first).
_DRAWN_TEXT = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.getClientRects().length === 0) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    let inside = true;
    if (el instanceof SVGGraphicsElement && el.ownerSVGElement) {
      const m = el.getScreenCTM();
      size *= Math.hypot(m.a, m.b);
      const box = el.getBoundingClientRect(), svg = el.ownerSVGElement.getBoundingClientRect();
      inside = box.left >= svg.left - 0.5 && box.right <= svg.right + 0.5;
    }
    found.push({size: size, tag: el.tagName, text: el.textContent.trim().slice(0, 80), inside});
  }
  return found;
}"""


async def rendered_text(page: Page) -> list[DrawnText]:
    """Every text element on the page as drawn, after opening every <details>."""
    found: list[dict[str, Any]] = await page.evaluate(_DRAWN_TEXT)
    return [DrawnText(round(f["size"], 2), f["tag"], f["text"], f["inside"]) for f in found]


async def sideways(page: Page) -> int:
    """How many CSS px the document is wider than the viewport (0: no sideways scrolling)."""
    extra: int = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return extra


_CROSSED = """() => {
  const crossed = [];
  for (const line of document.querySelectorAll('svg line[stroke-dasharray]')) {
    const l = line.getBoundingClientRect();
    for (const text of line.ownerSVGElement.querySelectorAll('text')) {
      const t = text.getBoundingClientRect();
      if (l.left <= t.right && t.left <= l.right && l.top < t.bottom && t.top < l.bottom) {
        crossed.push(text.textContent.trim());
      }
    }
  }
  return crossed;
}"""


async def crossed(page: Page) -> list[str]:
    """The chart texts that a dashed line (a reference line) is drawn across, as rendered."""
    found: list[str] = await page.evaluate(_CROSSED)
    return found
