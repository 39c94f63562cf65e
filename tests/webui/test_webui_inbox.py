"""The feedback inbox (/ui/feedback): the view logic, then the page over real HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from smsbot.bootstrap.parts import database_of
from smsbot.feedback.review import feedback_units, suggest_new, tag
from smsbot.feedback.taxonomy import Taxonomy, load_taxonomy
from smsbot.flows.files import load_flow_dir
from smsbot.storage.ports import FeedbackItem, TagState
from smsbot.storage.sqlite.db import ts
from smsbot.webui.inbox_view import (
    Done,
    Filters,
    add_options,
    done_note,
    parse_done,
    parse_filters,
    return_url,
    row,
    summary,
)
from tests.conftest import ManualClock
from tests.feedback.test_tagging import FEEDBACK, T0, seed
from tests.harness import Running, gateway_env, running_gateway, signed_in

ROOT = Path(__file__).resolve().parents[2]
TZ = "Europe/Helsinki"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(ROOT / "flows" / "tags.yaml")


# --- the view logic ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected", "problems"),
    [
        ({}, Filters(), 0),
        ({"unit": " Kajaani ", "tag": "waiting"}, Filters("Kajaani", "waiting"), 0),
        ({"untagged": "1", "page": "3"}, Filters(untagged=True, page=3), 0),
        ({"untagged": "on"}, Filters(untagged=True), 0),
        ({"untagged": "0", "unit": ""}, Filters(), 0),
        ({"tag": "wating"}, Filters(), 1),
        ({"page": "0"}, Filters(), 1),
        ({"page": "x"}, Filters(), 1),
        ({"lang": "sv"}, Filters(lang="sv"), 0),
        ({"lang": "de"}, Filters(), 1),
    ],
)
def test_filters_from_a_query(
    taxonomy: Taxonomy, query: dict[str, str], expected: Filters, problems: int
) -> None:
    filters, found = parse_filters(query, taxonomy)
    assert (filters, len(found)) == (expected, problems)


def test_an_unknown_tag_filter_says_what_was_meant(taxonomy: Taxonomy) -> None:
    _, problems = parse_filters({"tag": "wating"}, taxonomy)
    assert problems == ["'wating' is not a tag (did you mean 'waiting'?)"]


@pytest.mark.parametrize(
    ("filters", "url"),
    [
        (Filters(), "/ui/feedback"),
        (Filters("Kontaktcenter Örebro"), "/ui/feedback?unit=Kontaktcenter+%C3%96rebro"),
        (Filters(lang="fi"), "/ui/feedback?lang=fi"),
        (
            Filters(tag="waiting", untagged=True, page=2),
            "/ui/feedback?tag=waiting&untagged=1&page=2",
        ),
    ],
)
def test_filter_urls(filters: Filters, url: str) -> None:
    assert filters.url() == url


@pytest.mark.parametrize(
    ("filters", "shown", "heading"),
    [
        (Filters(), 0, "No feedback yet."),
        (Filters(untagged=True), 0, "No feedback matches these filters."),
        (Filters(), 3, "Feedback, 1–3"),
        (Filters("Kajaani", page=2), 50, "Feedback matching the filters, 51–100"),
    ],
)
def test_the_list_heading(filters: Filters, shown: int, heading: str) -> None:
    assert summary(filters, shown) == heading


def test_paging_urls_keep_the_filters() -> None:
    filters = Filters("Kajaani", page=2)
    assert filters.offset == 50
    assert filters.url(page=3) == "/ui/feedback?unit=Kajaani&page=3"
    assert filters.url(page=1) == "/ui/feedback?unit=Kajaani"


def test_after_a_change_back_to_the_same_view_at_the_item(taxonomy: Taxonomy) -> None:
    done = Done(12, "confirm", "waiting")
    url = return_url(Filters("Kajaani", untagged=True, page=2), done)
    assert url == "/ui/feedback?unit=Kajaani&untagged=1&page=2&done=12.confirm.waiting#f-12"
    assert parse_done("12.confirm.waiting", taxonomy) == done


@pytest.mark.parametrize(
    "value", [None, "", "12.confirm", "x.confirm.waiting", "12.delete.waiting", "12.add.nope"]
)
def test_a_bad_done_parameter_is_ignored(taxonomy: Taxonomy, value: str | None) -> None:
    assert parse_done(value, taxonomy) is None


def _item(*tags: tuple[str, str]) -> FeedbackItem:
    states = tuple(TagState(t, s, "rules" if s == "suggested" else "web", "t") for t, s in tags)
    return FeedbackItem(
        7,
        "health-visit",
        "comment",
        "Kajaanin terveysasema",
        None,
        "fi",
        "Jonot olivat pitkät",
        "2026-11-23T09:00:00.000+00:00",
        states,
    )


def test_a_row_sorts_tags_by_state_in_taxonomy_order(taxonomy: Taxonomy) -> None:
    item = _item(
        ("waiting", "suggested"),
        ("friendliness", "suggested"),
        ("competence", "confirmed"),
        ("rudeness", "rejected"),
        ("gone-from-taxonomy", "confirmed"),
    )
    view = row(item, taxonomy, "sv", TZ)
    assert [t.id for t in view.suggested] == ["waiting", "friendliness"]
    assert [t.label for t in view.suggested] == ["Väntetid och köer", "Vänligt bemötande"]
    assert [(t.id, t.known) for t in view.confirmed] == [
        ("competence", True),
        ("gone-from-taxonomy", False),
    ]
    assert [t.id for t in view.rejected] == ["rudeness"]
    assert view.anchor == "f-7"
    assert view.created_shown == "2026-11-23 11:00"  # Helsinki time
    assert view.service == "–"
    addable = {o.id for g in view.add_groups for o in g.options}
    assert "competence" not in addable
    assert {"waiting", "rudeness"} <= addable


@pytest.mark.parametrize(
    ("lang", "flow", "question"),
    [
        ("sv", "Besök i vården", "Fri kommentar"),
        ("fi", "Käynti terveyspalveluissa", "Vapaa palaute"),
        ("en", "Health-care visit", "Comment in own words"),
    ],
)
def test_a_row_names_the_flow_and_question_in_the_flows_words(
    taxonomy: Taxonomy, lang: str, flow: str, question: str
) -> None:
    flows, _ = load_flow_dir(ROOT / "flows")
    view = row(_item(), taxonomy, lang, TZ, flows)
    assert (view.flow_shown, view.question_shown) == (flow, question)
    assert (view.flow, view.question) == ("health-visit", "comment")


def test_a_row_of_a_flow_no_longer_loaded_shows_its_ids_in_words(taxonomy: Taxonomy) -> None:
    gone = replace(_item(), flow="old-survey", question="comment_other")
    view = row(gone, taxonomy, "en", TZ, {})
    assert (view.flow_shown, view.question_shown) == ("old-survey", "Comment other")


@pytest.mark.parametrize(
    ("reply", "sure", "shown", "text_language"),
    [
        (None, None, "fi", "fi"),
        ("fi", 0.99, "fi", "fi"),
        ("sv", 0.987, "fi; the reply sv (99%)", "sv"),
        ("sv", 0.5, "fi; the reply sv (50%)", "fi"),  # too unsure to read it as Swedish
    ],
)
def test_a_row_shows_the_replys_language_when_it_differs(
    taxonomy: Taxonomy, reply: str | None, sure: float | None, shown: str, text_language: str
) -> None:
    item = replace(_item(), reply_language=reply, language_confidence=sure)
    view = row(item, taxonomy, "en", TZ)
    assert (view.language_shown, view.text_language) == (shown, text_language)


def test_add_options_are_grouped_by_polarity_with_labels(taxonomy: Taxonomy) -> None:
    groups = add_options(taxonomy, "fi")
    assert [g.label for g in groups] == ["Strengths", "Improvements", "Neutral themes"]
    assert sum(len(g.options) for g in groups) == len(taxonomy.tags)
    waiting = next(o for g in groups for o in g.options if o.id == "waiting")
    assert waiting.label == "Odotus ja jonot"


def test_the_note_after_a_change(taxonomy: Taxonomy) -> None:
    shown = [row(_item(), taxonomy, "en", TZ)]
    assert done_note(Done(7, "confirm", "waiting"), taxonomy, "en", shown) == (
        "Confirmed “Waiting and queues” on feedback #7."
    )
    assert done_note(Done(8, "remove", "waiting"), taxonomy, "en", shown).endswith(
        "It no longer matches the filters, so it is not in this list."
    )


# --- the page over real HTTP ---------------------------------------------------------------------

ADMIN = "inbox-admin-token-7c1e"
KAJAANI = "Kajaanin terveysasema"
OUR_PHONES = ("+46701740001", "+46701740002", "46701740001", "070-174 00 01", "0701740001")


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(
        tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=ADMIN, SMSBOT_TRANSPORT__KIND="simulator"
    )
    async with running_gateway(env, clock) as running:
        yield running


@dataclass
class Browser:
    """A signed-in client that keeps cookies for 127.0.0.1, as a browser does."""

    gw: Running
    http: aiohttp.ClientSession
    csrf: str = ""

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.gw.url + path) as answer:
            return answer.status, await answer.text()

    async def post(
        self, path: str, form: dict[str, str], *, csrf: bool = True
    ) -> tuple[int, str, str]:
        """POST a form without following the redirect: status, Location, body."""
        data = {"csrf_token": self.csrf, **form} if csrf else form
        async with self.http.post(self.gw.url + path, data=data, allow_redirects=False) as answer:
            return answer.status, answer.headers.get("Location", ""), await answer.text()


@pytest.fixture
async def browser(gw: Running) -> AsyncIterator[Browser]:
    async with signed_in(gw.url, ADMIN, "/ui/feedback") as (http, csrf):
        yield Browser(gw, http, csrf)


async def suggest(gw: Running) -> None:
    """What the gateway's background task does every minute, now."""
    assert gw.gateway.taxonomy is not None
    await suggest_new(gw.gateway.parts.store, gw.gateway.taxonomy, now=gw.clock.now())


async def seeded(gw: Running, rows: list[tuple[str, str, str]] = FEEDBACK) -> list[int]:
    """Feedback stored as the service stores it (as in test_tagging), with suggestions."""
    ids = await seed(database_of(gw.gateway.parts), rows)
    await suggest(gw)
    return ids


def articles(page: str) -> dict[int, str]:
    """Each feedback item's HTML by id, in page order."""
    parts = re.split(r'(?=<article id="f-\d+")', page)
    found = {}
    for part in parts[1:]:
        match = re.match(r'<article id="f-(\d+)"', part)
        assert match
        found[int(match[1])] = part.split("</article>")[0]
    return found


def tags_shown(article: str, state: str) -> list[str]:
    """The labels of the item's tags in a state (confirmed, suggested, removed)."""
    return re.findall(
        rf'class="tag tag-{state}[^"]*">.*?<(?:span|del) lang="\w+">([^<]+)<', article
    )


async def stored(gw: Running, feedback_id: int) -> list[dict[str, object]]:
    return await gw.query(
        "SELECT tag, action, changed_by, changed_at FROM tag_changes"
        " WHERE feedback_id = ? AND action != 'suggest' ORDER BY id",
        feedback_id,
    )


async def reply(gw: Running, phone: str, text: str) -> None:
    body = {"from": phone, "to": "46701740000", "text": text}
    async with gw.http.post(f"{gw.url}/simulator/inbound", json=body) as answer:
        assert answer.status == 200
    await gw.settle()


async def test_replies_to_a_survey_show_up_with_suggested_tags(
    gw: Running, browser: Browser
) -> None:
    conversations = [
        ("+46701740001", "Kontaktcenter Örebro", "Lång kö och ingen svarar i telefon"),
        ("+46701740002", "Medborgarservice Kumla", "Trevlig personal, fick hjälp direkt"),
    ]
    for n, (phone, unit, _) in enumerate(conversations):
        event = {
            "id": f"call-{n}",
            "type": "contact.closed",
            "phone": phone,
            "occurred_at": gw.clock.now().isoformat(),
            "unit": unit,
            "service": "Bygglov",
        }
        assert (await gw.post_events(event))[0] == 202
    await gw.settle()
    for phone, _, comment in conversations:
        for text in ["2", "nej", "ansökan", "ja", comment]:
            await reply(gw, phone, text)
    await suggest(gw)

    status, page = await browser.get("/ui/feedback")
    assert status == 200
    shown = list(articles(page).values())
    assert len(shown) == 2
    assert "Trevlig personal, fick hjälp direkt" in shown[0]
    assert tags_shown(shown[0], "suggested") == ["Friendliness", "Got help"]
    assert "Lång kö och ingen svarar i telefon" in shown[1]
    assert tags_shown(shown[1], "suggested") == ["Waiting and queues", "Reaching us by phone"]
    assert '<span class="inbox-unit">· Kontaktcenter Örebro</span>' in shown[1]
    for text in ("Contact centre", "What could we have done better"):  # not the ids (issue 11)
        assert f'<dd lang="en">{text}</dd>' in shown[1]
    for text in ("Bygglov", "sv", "2026-11-23 10:00"):
        assert f"<dd>{text}</dd>" in shown[1] or f">{text}</time></dd>" in shown[1]
    for phone in OUR_PHONES:
        assert phone not in page
    assert "+467" not in page and "4670174" not in page


async def test_filter_by_unit_tag_and_untagged(gw: Running, browser: Browser) -> None:
    ids = await seeded(gw)
    assert gw.gateway.taxonomy is not None
    parts = gw.gateway.parts
    await tag(parts.store, gw.gateway.taxonomy, ids[0], ["waiting"], who="Anna", now=gw.clock.now())
    _, page = await browser.get("/ui/feedback?" + urlencode({"unit": KAJAANI}))
    assert list(articles(page)) == [ids[3], ids[2], ids[1], ids[0]]
    assert f'<option value="{KAJAANI}" selected>' in page
    _, page = await browser.get("/ui/feedback?tag=waiting")
    assert list(articles(page)) == [ids[5], ids[1], ids[0]]
    _, page = await browser.get("/ui/feedback?" + urlencode({"unit": KAJAANI, "untagged": "1"}))
    assert list(articles(page)) == [ids[3], ids[2], ids[1]]
    assert 'id="filter-untagged" name="untagged" value="1" checked' in page
    _, page = await browser.get("/ui/feedback?unit=Nowhere")
    assert articles(page) == {}
    assert "No feedback matches these filters." in page


async def test_an_unknown_tag_filter_shows_everything_and_says_so(
    gw: Running, browser: Browser
) -> None:
    ids = await seeded(gw)
    status, page = await browser.get("/ui/feedback?tag=wating")
    assert status == 200
    assert len(articles(page)) == len(ids)
    assert "&#39;wating&#39; is not a tag (did you mean &#39;waiting&#39;?)" in page


async def test_confirm_a_suggestion_goes_back_to_the_same_view(
    gw: Running, browser: Browser
) -> None:
    ids = await seeded(gw)
    query = "?" + urlencode({"unit": KAJAANI, "page": "1"})
    status, location, _ = await browser.post(
        f"/ui/feedback/{ids[1]}/confirm{query}", {"tag": "waiting"}
    )
    assert status == 303
    assert location == (
        f"/ui/feedback?unit=Kajaanin+terveysasema&done={ids[1]}.confirm.waiting#f-{ids[1]}"
    )
    assert await stored(gw, ids[1]) == [
        {"tag": "waiting", "action": "confirm", "changed_by": "admin token", "changed_at": ts(T0)}
    ]
    _, page = await browser.get(location.split("#")[0])
    item = articles(page)[ids[1]]
    assert tags_shown(item, "confirmed") == ["Waiting and queues"]
    assert tags_shown(item, "suggested") == ["Friendliness"]
    assert f"Confirmed “Waiting and queues” on feedback #{ids[1]}." in page
    assert 'role="status"' in page


async def test_remove_and_add_tags(gw: Running, browser: Browser) -> None:
    ids = await seeded(gw)
    status, _, _ = await browser.post(f"/ui/feedback/{ids[1]}/remove", {"tag": "friendliness"})
    assert status == 303
    status, location, _ = await browser.post(f"/ui/feedback/{ids[1]}/add", {"tag": "competence"})
    assert status == 303
    assert location == f"/ui/feedback?done={ids[1]}.add.competence#f-{ids[1]}"
    assert [(r["tag"], r["action"]) for r in await stored(gw, ids[1])] == [
        ("friendliness", "remove"),
        ("competence", "add"),
    ]
    _, page = await browser.get("/ui/feedback")
    item = articles(page)[ids[1]]
    assert tags_shown(item, "confirmed") == ["Competence"]
    assert tags_shown(item, "suggested") == ["Waiting and queues"]
    assert tags_shown(item, "removed") == ["Friendliness"]


async def test_an_unknown_tag_is_refused_with_a_clear_message(
    gw: Running, browser: Browser
) -> None:
    ids = await seeded(gw)
    status, _, page = await browser.post(f"/ui/feedback/{ids[0]}/add", {"tag": "wating"})
    assert status == 400
    alert = page.split('role="alert"')[1].split("</div>")[0]
    assert "The change was not made" in alert
    assert "&#39;wating&#39; is not a tag (did you mean &#39;waiting&#39;?)" in alert
    status, _, page = await browser.post(f"/ui/feedback/{ids[0]}/add", {"tag": ""})
    assert status == 400
    assert "Choose a tag first." in page
    assert await stored(gw, ids[0]) == []


async def test_missing_feedback_is_a_404(gw: Running, browser: Browser) -> None:
    await seeded(gw)
    status, _, page = await browser.post("/ui/feedback/999/confirm", {"tag": "waiting"})
    assert status == 404
    assert "no feedback with id 999" in page


async def test_a_change_needs_the_csrf_token(gw: Running, browser: Browser) -> None:
    ids = await seeded(gw)
    status, _, _ = await browser.post(
        f"/ui/feedback/{ids[1]}/confirm", {"tag": "waiting"}, csrf=False
    )
    assert status == 403
    status, _, _ = await browser.post(
        f"/ui/feedback/{ids[1]}/confirm", {"tag": "waiting", "csrf_token": "forged"}, csrf=False
    )
    assert status == 403
    assert await stored(gw, ids[1]) == []


async def test_the_page_needs_a_session(gw: Running) -> None:
    async with gw.http.get(gw.url + "/ui/feedback", allow_redirects=False) as answer:
        assert answer.status == 303
        assert answer.headers["Location"].startswith("/ui/login")


async def test_pages_of_fifty(gw: Running, browser: Browser) -> None:
    rows = [(KAJAANI, "fi", f"Palaute numero {n}") for n in range(55)]
    ids = await seeded(gw, rows)
    _, first = await browser.get("/ui/feedback")
    assert list(articles(first)) == list(reversed(ids))[:50]
    assert 'href="/ui/feedback?page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    _, second = await browser.get("/ui/feedback?page=2")
    assert list(articles(second)) == list(reversed(ids))[50:]
    assert "Feedback, 51–55" in second
    assert 'href="/ui/feedback" rel="prev"' in second
    assert 'rel="next"' not in second


async def test_tag_labels_in_the_chosen_language(gw: Running, browser: Browser) -> None:
    ids = await seeded(gw)
    _, page = await browser.get("/ui/feedback?lang=sv")
    item = articles(page)[ids[5]]
    assert tags_shown(item, "suggested") == ["Väntetid och köer", "Vänligt bemötande"]
    assert f'action="/ui/feedback/{ids[5]}/confirm?lang=sv"' in item
    assert f'action="/ui/feedback/{ids[5]}/remove?lang=sv"' in item
    assert item.count(f'name="csrf_token" value="{browser.csrf}"') == 5  # 2 x 2 tags + add
    assert 'name="tag" value="waiting"' in item


async def test_feedback_text_is_escaped(gw: Running, browser: Browser) -> None:
    ids = await seeded(gw, [(KAJAANI, "en", '<script>alert("x")</script> long queue')])
    _, page = await browser.get("/ui/feedback")
    item = articles(page)[ids[0]]
    assert "<script>alert" not in item
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; long queue" in item


async def test_units_with_feedback_are_the_unit_choices(gw: Running) -> None:
    await seeded(gw)
    units = await feedback_units(gw.gateway.parts.store)
    assert units == [KAJAANI, "Kontaktcenter Örebro", "Sotkamon terveysasema"]
