"""The phone simulator over real HTTP: start, reply by fetch, clear errors, CSRF."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from smsbot.phones import FICTION, fiction_numbers
from smsbot.webui.phone import bubbles, parse_start
from tests.conftest import ManualClock
from tests.harness import Running, gateway_env, running_gateway, signed_in

TOKEN = "sim-admin-token-77"


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=TOKEN)
    async with running_gateway(env, clock) as running:
        yield running


@pytest.fixture
async def browser(gw: Running) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    async with signed_in(gw.url, TOKEN, "/ui/simulator") as session_and_csrf:
        yield session_and_csrf


async def test_start_and_reply_as_json(
    gw: Running, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    session, csrf = browser
    form = {"csrf_token": csrf, "flow": "health-visit", "language": "fi", "unit": "Kajaani"}
    async with session.post(gw.url + "/ui/simulator/start", data=form) as answer:
        assert answer.status == 200  # after the 303, the page with the chat
        assert "Kajaani" in await answer.text()
    headers = {"X-CSRF-Token": csrf, "Accept": "application/json"}
    async with session.post(
        gw.url + "/ui/simulator/reply", data={"text": "viisi"}, headers=headers
    ) as answer:
        chat = await answer.json()
    assert chat["phone"] in FICTION and chat["status"] == "active"
    assert [m["from"] for m in chat["messages"]] == ["bot", "bot", "citizen", "bot"]
    assert chat["messages"][2]["text"] == "viisi"
    rows = await gw.query("SELECT value_num FROM answers")
    assert [row["value_num"] for row in rows] == [5]
    async with session.get(gw.url + "/ui/simulator/chat") as polled:
        assert (await polled.json())["messages"] == chat["messages"]


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"flow": "no-such"}, "Choose one of the flows"),
        ({"flow": "health-visit", "language": "de"}, "is written in fi, sv, en, not 'de'"),
        (
            {"flow": "health-visit", "unit": " ", "service": "Lab"},
            "The flow 'health-visit' uses {unit} in its texts: fill in Unit.",
        ),
    ],
)
async def test_a_bad_start_says_what_to_change(
    gw: Running, browser: tuple[aiohttp.ClientSession, str], form: dict[str, str], says: str
) -> None:
    session, csrf = browser
    async with session.post(
        gw.url + "/ui/simulator/start", data={"csrf_token": csrf, **form}
    ) as answer:
        assert answer.status == 400
        assert says in html.unescape(await answer.text())
    assert await gw.query("SELECT id FROM conversations") == []


def start_form_values(page: str) -> dict[str, str]:
    """The start form's text fields as the page fills them in."""
    field = r'<input id="(unit|service|field-[a-z_]+)" name="[^"]*" value="([^"]*)"'
    found = re.findall(field, page)
    return {name: html.unescape(value) for name, value in found}


async def simulator_page(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as answer:
        assert answer.status == 200
        return await answer.text()


# Each shipped flow's `example` event values: the start form's defaults for it.
EXAMPLES = {
    "contact-centre": {"unit": "Kontaktcenter Örebro", "service": "Bygglov"},
    "health-visit": {"unit": "Kajaanin terveysasema", "service": "Lääkärin vastaanotto"},
    "benefit-decision": {"unit": "Kela Kajaani", "service": "Asumistuki"},
}


async def test_each_flow_starts_with_its_own_example_values(
    gw: Running, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    session, _ = browser
    for flow_id, values in EXAMPLES.items():
        page = await simulator_page(session, f"{gw.url}/ui/simulator?flow={flow_id}")
        assert start_form_values(page) == values, flow_id


async def test_what_the_person_typed_is_kept_for_that_flow(
    gw: Running, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    session, csrf = browser
    typed = {"unit": "Sotkamon terveysasema", "service": "Neuvola"}
    form = {"csrf_token": csrf, "flow": "health-visit", "language": "fi", **typed}
    async with session.post(gw.url + "/ui/simulator/start", data=form) as answer:
        assert start_form_values(await answer.text()) == typed  # the page after starting
    other = await simulator_page(session, f"{gw.url}/ui/simulator?flow=contact-centre")
    assert start_form_values(other) == EXAMPLES["contact-centre"]
    again = await simulator_page(session, f"{gw.url}/ui/simulator?flow=health-visit")
    assert start_form_values(again) == typed
    rows = await gw.query("SELECT unit, service FROM conversations")
    assert rows == [{"unit": "Sotkamon terveysasema", "service": "Neuvola"}]


async def test_replies_need_the_csrf_token(
    gw: Running, browser: tuple[aiohttp.ClientSession, str]
) -> None:
    session, _ = browser
    async with session.post(gw.url + "/ui/simulator/reply", data={"text": "5"}) as answer:
        assert answer.status == 403
    assert await gw.query("SELECT id FROM messages WHERE direction = 'in'") == []


def test_the_numbers_are_all_fictitious_and_distinct() -> None:
    numbers = fiction_numbers()
    assert sorted(numbers) == sorted(FICTION) and len(set(numbers)) == 95
    assert all(n.startswith("+467017406") for n in numbers)


def test_unsent_bot_messages_are_not_shown_yet() -> None:
    rows = [
        {"id": 1, "direction": "out", "status": "sent", "body": "Q1", "segments": 1},
        {"id": 2, "direction": "in", "status": "received", "body": "4", "segments": None},
        {"id": 3, "direction": "out", "status": "queued", "body": "Q2", "segments": 1},
    ]
    assert [b.text for b in bubbles(rows)] == ["Q1", "4"]


def test_event_fields_come_only_from_the_flows_declared_fields() -> None:
    from smsbot.flows.files import load_flow_file
    from tests.harness import ROOT

    flow, _ = load_flow_file(ROOT / "flows" / "benefit-decision.yaml")
    assert flow is not None
    form = {"flow": flow.id, "unit": "Kela", "field_not_declared": "x"}  # its texts use {unit}
    form.update({f"field_{name}": "v" for name in flow.fields})
    parsed, problems = parse_start(form, {flow.id: flow})
    assert not problems and parsed is not None
    assert set(parsed.attributes) == set(flow.fields)
