"""Cases told to other systems: an unhappy conversation opens a case and the subscribed receivers
(real, on loopback, checking each signature with `standardwebhooks`) get `case.opened`; a unit
manager takes and closes it over HTTP and they get `case.updated` and `case.closed`. The
consented callback number goes only to the subscription marked for it, and never otherwise."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smsbot.gateway import subscriptions
from smsbot.people.accounts import Actor
from tests.cases.test_page import CONSENTING, REFUSING, UNIT_A, _post, _survey
from tests.conftest import ManualClock
from tests.harness import ROOT, Running, gateway_env, running_gateway, wait_for
from tests.http.test_people_access import ADMIN_TOKEN, add, browser, sign_in
from tests.webhookreceiver import Receiver

CASE_EVENTS = ("case.opened", "case.updated", "case.closed")
ADMIN = Actor("admin (test)", "127.0.0.1")


@pytest.fixture
def clock() -> ManualClock:
    """Now: a receiver checks the webhook-timestamp against its own clock."""
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    """The shipped flows without the contact-centre flow's quiet hours: the clock is now."""
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    flow = flows / "contact-centre.yaml"
    flow.write_text(re.sub(r"\n  quiet_hours: .*", "", flow.read_text("utf-8")), "utf-8")
    env = gateway_env(
        tmp_path,
        SMSBOT_TRANSPORT__KIND="simulator",
        SMSBOT_SERVER__ADMIN_TOKEN=ADMIN_TOKEN,
        SMSBOT_FLOWS__DIR=str(flows),
    )
    async with running_gateway(env, clock) as running:
        yield running


@pytest.fixture
async def receivers(gw: Running) -> AsyncIterator[dict[str, Receiver]]:
    """`callback`: marked for callback numbers; `plain`: not."""
    found = {"callback": Receiver(), "plain": Receiver()}
    for name, receiver in found.items():
        await receiver.up()
        new = subscriptions.parse(receiver.url, CASE_EVENTS, None, send_phone=name == "callback")
        receiver.secret = new.secret
        await subscriptions.add(gw.gateway.parts.store, ADMIN, new, gw.clock.now())
    yield found
    for receiver in found.values():
        await receiver.down()


async def delivered(gw: Running, receiver: Receiver, count: int) -> list[dict[str, Any]]:
    async def arrived() -> bool:
        await gw.gateway.webhooks.deliver_due()
        return len(receiver.accepted) >= count

    await wait_for(arrived, what=f"{count} deliveries")
    assert receiver.refused_signatures == 0
    return [r.payload for r in receiver.accepted]


async def test_a_case_is_told_when_opened_taken_and_closed(
    gw: Running, receivers: dict[str, Receiver]
) -> None:
    await _survey(gw, 1, CONSENTING, UNIT_A, "ja")
    [opened] = await delivered(gw, receivers["callback"], 1)
    [plain] = await delivered(gw, receivers["plain"], 1)
    assert opened["type"] == plain["type"] == "case.opened"
    assert opened["data"]["callback_phone"] == CONSENTING and opened["data"]["consent"] is True
    assert "callback_phone" not in plain["data"] and plain["data"]["unit"] == UNIT_A
    [case] = await gw.query("SELECT id FROM cases")
    await add(gw, "unit_manager", unit=UNIT_A)
    async with browser() as client:
        csrf = await sign_in(gw, client, "unit_manager@example.org")
        base = f"{gw.url}/ui/cases/{case['id']}"
        await _post(client, base + "/take", {"csrf_token": csrf})
        await _post(client, base + "/close", {"csrf_token": csrf, "outcome": "reached_resolved"})
    told = await delivered(gw, receivers["plain"], 3)
    assert [p["type"] for p in told] == ["case.opened", "case.updated", "case.closed"]
    assert told[-1]["data"]["state"] == "closed"
    assert told[-1]["data"]["outcome"] == "reached_resolved"
    for received in receivers["plain"].accepted:  # byte by byte: no form of the number
        for form in (CONSENTING, CONSENTING.lstrip("+"), "0701740601"):
            assert form.encode() not in received.body


async def test_a_refused_call_sends_no_number_even_where_one_may_go(
    gw: Running, receivers: dict[str, Receiver]
) -> None:
    await _survey(gw, 2, REFUSING, UNIT_A, "nej")
    [opened] = await delivered(gw, receivers["callback"], 1)
    assert opened["type"] == "case.opened" and opened["data"]["consent"] is False
    assert "callback_phone" not in opened["data"]
    for form in (REFUSING, REFUSING.lstrip("+"), "0701740602"):
        assert form.encode() not in receivers["callback"].accepted[0].body


async def test_a_trial_opens_no_case_and_tells_no_one(
    gw: Running, receivers: dict[str, Receiver]
) -> None:
    """Trying the flow (the simulator, `smsbot chat`, a trial event) must not call anyone."""
    event = {
        "id": "try-1", "type": "contact.closed", "phone": CONSENTING, "trial": True,
        "occurred_at": gw.clock.now().isoformat(), "unit": UNIT_A, "service": "Bygglov",
    }  # fmt: skip
    assert (await gw.post_events(event))[0] == 202
    await gw.settle()
    for text in ["1", "nej", "1", "nej", "Dåligt", "ja"]:
        body = {"from": CONSENTING, "to": "46701740000", "text": text}
        async with gw.http.post(f"{gw.url}/simulator/inbound", json=body) as r:
            assert r.status == 200
        await gw.settle()
    [conversation] = await gw.query("SELECT status, trial FROM conversations")
    assert conversation == {"status": "completed", "trial": 1}
    assert await gw.query("SELECT id FROM cases") == []
    await gw.gateway.webhooks.deliver_due()
    assert receivers["callback"].accepted == [] == receivers["plain"].accepted
