"""The cases page over real HTTP on loopback, with conversations run through the simulator
transport: a unit manager sees and handles her unit's cases only, the `tel:` link shows only
while consent holds, and every action is in the audit log without the number."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from smsbot.storage.accounts import AuditQuery
from tests.conftest import ManualClock
from tests.harness import Running, gateway_env, running_gateway
from tests.http.test_people_access import ADMIN_TOKEN, add, browser, sign_in

UNIT_A, UNIT_B = "Kontaktcenter Örebro", "Kontaktcenter Västerås"
CONSENTING, REFUSING = "+46701740601", "+46701740602"
UNHAPPY = ["2", "nej", "1", "nej", "Ingen ringde tillbaka"]


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(
        tmp_path, SMSBOT_TRANSPORT__KIND="simulator", SMSBOT_SERVER__ADMIN_TOKEN=ADMIN_TOKEN
    )
    async with running_gateway(env, clock) as running:
        yield running


async def _survey(gw: Running, n: int, phone: str, unit: str, consent: str) -> None:
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
    for text in [*UNHAPPY, consent]:
        body = {"from": phone, "to": "46701740000", "text": text}
        async with gw.http.post(f"{gw.url}/simulator/inbound", json=body) as r:
            assert r.status == 200
        await gw.settle()


async def _cases(gw: Running) -> dict[str, int]:
    rows = await gw.query("SELECT id, unit FROM cases")
    return {str(r["unit"]): int(r["id"]) for r in rows}


async def test_a_unit_manager_takes_calls_and_closes_her_units_case(gw: Running) -> None:
    await _survey(gw, 1, CONSENTING, UNIT_A, "ja")
    await _survey(gw, 2, REFUSING, UNIT_B, "nej")
    ids = await _cases(gw)
    await add(gw, "unit_manager", unit=UNIT_A)
    async with browser() as client:
        csrf = await sign_in(gw, client, "unit_manager@example.org")
        page = await _get(client, gw.url + "/ui/cases")
        assert f"/ui/cases/{ids[UNIT_A]}" in page and f"/ui/cases/{ids[UNIT_B]}" not in page
        case = await _get(client, f"{gw.url}/ui/cases/{ids[UNIT_A]}")
        assert f'href="tel:{CONSENTING}"' in case
        async with client.get(f"{gw.url}/ui/cases/{ids[UNIT_B]}") as r:
            assert r.status == 403
        base = f"{gw.url}/ui/cases/{ids[UNIT_A]}"
        await _post(client, base + "/take", {"csrf_token": csrf})
        await _post(client, base + "/note", {"csrf_token": csrf, "text": "Ringde", "call": "1"})
        async with client.post(base + "/close", data={"csrf_token": csrf}) as r:
            assert r.status == 400 and "Choose how the case ends" in await r.text()
        form = {"csrf_token": csrf, "outcome": "reached_resolved"}
        done = await _post(client, base + "/close", form)
        assert "The case is closed." in done and "tel:" not in done
        assert "Reached, resolved" in done and "Ringde" in done
    [row] = await gw.query("SELECT * FROM cases WHERE id = ?", ids[UNIT_A])
    assert row["state"] == "closed" and row["first_contact_at"] is not None
    async with gw.gateway.parts.store.read() as tx:
        entries = await tx.audit.find(AuditQuery())
    actions = [e.action for e in entries]
    for action in ("case_viewed", "case_take", "case_note", "case_close"):
        assert action in actions
    assert "refused" in actions  # the other unit's case
    logged = repr(entries)
    assert CONSENTING not in logged and CONSENTING[1:] not in logged


async def test_a_refused_consent_shows_no_number_to_an_admin(gw: Running) -> None:
    await _survey(gw, 2, REFUSING, UNIT_B, "nej")
    ids = await _cases(gw)
    await add(gw, "admin")
    async with browser() as client:
        await sign_in(gw, client, "admin@example.org")
        case = await _get(client, f"{gw.url}/ui/cases/{ids[UNIT_B]}")
    assert "did not agree to a call" in case
    assert not re.search(r"tel:|70174060", case)


async def _get(client: Any, url: str) -> str:
    async with client.get(url) as r:
        assert r.status == 200, (url, r.status)
        return str(await r.text())


async def _post(client: Any, url: str, data: dict[str, str]) -> str:
    async with client.post(url, data=data) as r:  # follows the 303 back to the case
        assert r.status == 200, (url, r.status, await r.text())
        return str(await r.text())
