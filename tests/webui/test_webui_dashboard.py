"""The dashboard page over real HTTP (no browser): its words are the flows' own, in the
reader's language, never internal ids."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from smsbot.bootstrap.parts import database_of
from tests.conftest import ManualClock
from tests.harness import gateway_env, running_gateway, signed_in
from tests.reportdata import Dataset, generate, marked_flows, write_flow_files, write_through

TOKEN = "dashboard-admin-token-0123"
Page = Callable[[str, str], Awaitable[str]]
ID = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")  # web_first, too_old, wait_seconds


class _Visible(HTMLParser):
    """The text a reader sees or hears: element text, SVG text, titles and descriptions (not
    attribute values, styles or scripts)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def visible(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.parts


@pytest.fixture
async def dashboard(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Page]:
    data = generate(surveys=400)
    directory = write_flow_files(tmp_path / "flows", data.flows)
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=TOKEN, SMSBOT_FLOWS__DIR=str(directory))
    async with running_gateway(env, clock) as running:
        await write_through(database_of(running.gateway.parts), data)
        async with signed_in(running.url, TOKEN) as (browser, _):

            async def page(query: str, accept_language: str) -> str:
                headers = {"Accept-Language": accept_language}
                async with browser.get(f"{running.url}/ui/dashboard{query}", headers=headers) as r:
                    assert r.status == 200
                    return await r.text()

            yield page


# Accept-Language -> the labels of contact's questions ces and web_first in that language
LANGUAGES = [
    ("sv-SE,sv;q=0.9,en;q=0.8", ("Lätt att få hjälp", "Webben först")),
    ("fi-FI,fi;q=0.9", ("Avun helppous", "Verkko ensin")),
    ("en-GB,en;q=0.9", ("Ease", "Web first")),
    ("de-DE", ("Ease", "Web first")),  # none of the three: the pages' own English
]


@pytest.mark.parametrize(("accept", "labels"), LANGUAGES, ids=[a for a, _ in LANGUAGES])
@pytest.mark.parametrize("query", ["", "?flow=contact", "?unit=Kontaktcenter"])
async def test_the_dashboard_speaks_in_the_flows_words(
    dashboard: Page, accept: str, labels: tuple[str, str], query: str
) -> None:
    text = visible(await dashboard(query, accept))
    ids = sorted({found for part in text for found in ID.findall(part)})
    assert ids == [], f"internal ids on the page: {ids}"
    joined = "\n".join(text)
    for label in labels:
        assert label in joined
    for raw in ("contact: ces", "mean ces", "contact: web_first", "visit: csat"):
        assert raw not in joined


async def test_events_not_surveyed_are_counted_by_reason_in_words(dashboard: Page) -> None:
    joined = "\n".join(visible(await dashboard("", "en")))
    for words in (
        "had opted out (sent STOP)",
        "already in a survey",
        "surveyed recently (the fatigue rule)",
        "too old to send (past the flow's maximum age)",
    ):
        assert re.search(re.escape(words) + r": \d", joined), words


async def test_the_page_says_what_makes_a_strength(dashboard: Page) -> None:
    joined = " ".join(visible(await dashboard("", "en")))
    rule = re.search(r"A strength is a figure .*? Up to three of each\.", joined)
    assert rule is not None
    for good in ("response rate 15 % or more", "CSAT 75 % or more", "NPS above 0", "CES 5 or more"):
        assert good in rule[0]


# --- avoidable demand and the cross-tab --------------------------------------------------------


@pytest.fixture
async def marked(tmp_path: Path, clock: ManualClock) -> AsyncIterator[tuple[Page, Dataset]]:
    data = generate(surveys=400)
    directory = write_flow_files(tmp_path / "flows", marked_flows(data.flows))
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=TOKEN, SMSBOT_FLOWS__DIR=str(directory))
    async with running_gateway(env, clock) as running:
        await write_through(database_of(running.gateway.parts), data)
        async with signed_in(running.url, TOKEN) as (browser, _):

            async def page(query: str, accept_language: str) -> str:
                headers = {"Accept-Language": accept_language}
                async with browser.get(f"{running.url}/ui/dashboard{query}", headers=headers) as r:
                    assert r.status == 200
                    return await r.text()

            yield page, data


def _expected_share(data: Dataset) -> str:
    """contact's avoidable share, from the records: contacts that answered ces or web_first."""
    contacts = hits = 0
    for c in data.conversations:
        ces, web = c.understood("ces"), c.understood("web_first")
        if c.flow_id != "contact" or (ces is None and web is None):
            continue
        contacts += 1
        hits += bool(web and web.value == "yes" and ces and int(ces.value or 0) >= 5)
    return f"{100 * hits / contacts:.1f} %"


async def test_the_dashboard_shows_avoidable_demand_in_words(
    marked: tuple[Page, Dataset],
) -> None:
    page, data = marked
    text = visible(await page("?flow=contact", "en-GB"))
    ids = sorted({found for part in text for found in ID.findall(part)})
    assert ids == [], f"internal ids on the page: {ids}"
    joined = "\n".join(text)
    assert "Avoidable contacts" in joined and _expected_share(data) in joined
    assert "answered Web first == yes and Ease >= 5" in joined
    text = visible(await page("?flow=visit", "sv-SE"))
    assert any(part.startswith("Reason: Fråga: ") for part in text)  # the option's own label


async def test_the_dashboard_cross_tab(marked: tuple[Page, Dataset]) -> None:
    page, data = marked
    text = visible(await page("?flow=contact&crosstab=ces&by=web_first", "en-GB"))
    joined = "\n".join(text)
    assert "Ease by web first · contact" in joined
    answers = Counter(
        str(c.understood("web_first").value) if c.understood("web_first") else None  # type: ignore[union-attr]
        for c in data.conversations
        for a in c.answers
        if c.flow_id == "contact" and a.question_id == "ces" and a.problem is None
    )
    total = sum(answers.values())
    assert f"All\n{total}" in joined
    text = visible(await page("?flow=contact&crosstab=cse&by=web_first", "en-GB"))
    assert any("did you mean 'ces'" in part for part in text)
