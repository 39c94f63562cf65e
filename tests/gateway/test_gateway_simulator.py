"""The gateway as `make run` starts it: the simulator transport, over real HTTP on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smsbot.bootstrap.web import build_app
from smsbot.http.app import is_page
from smsbot.http.openapi.document import openapi_document
from tests.conftest import ManualClock
from tests.harness import Running, gateway_env, running_gateway, wait_for

PHONE = "+46701740642"


@pytest.fixture
async def sim(tmp_path: Path, clock: ManualClock) -> Any:
    env = gateway_env(tmp_path, SMSBOT_TRANSPORT__KIND="simulator")
    async with running_gateway(env, clock) as running:
        yield running


def event(clock: ManualClock, event_id: str = "call-1", **fields: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "contact.closed",
        "phone": "070-174 06 42",
        "occurred_at": clock.now().isoformat(),
        "unit": "Kontaktcenter Örebro",
        "service": "Bygglov",
        "channel": "phone",
        **fields,
    }


async def sent(sim: Running, phone: str = PHONE) -> list[dict[str, Any]]:
    async with sim.http.get(f"{sim.url}/simulator/messages", params={"phone": phone}) as r:
        assert r.status == 200
        return list((await r.json())["messages"])


async def reply(sim: Running, text: str, phone: str = PHONE) -> dict[str, Any]:
    body = {"from": phone, "to": "46701740000", "text": text}
    async with sim.http.post(f"{sim.url}/simulator/inbound", json=body) as r:
        assert r.status == 200
        return dict(await r.json())


async def test_a_survey_runs_end_to_end_in_the_simulator(sim: Running) -> None:
    status, body = await sim.post_events(event(sim.clock))
    assert status == 202
    assert body["results"][0]["decision"] == "started"
    await sim.settle()
    first = await sent(sim)
    assert [m["purpose"] for m in first] == ["opening", "question"]
    # ces 2: the follow-up rule holds, so the consent question comes last (answered no)
    for text in ["2", "nej", "ansökan", "ja", "Svårt att nå rätt handläggare", "nej"]:
        await reply(sim, text)
        await sim.settle()
    messages = await sent(sim)
    assert messages[-1]["purpose"] == "closing"
    rows = await sim.query("SELECT status FROM conversations")
    assert rows == [{"status": "completed"}]
    answers = await sim.query("SELECT question_id, value_text FROM answers ORDER BY id")
    assert answers[2] == {"question_id": "reason", "value_text": "new_application"}
    cases = await sim.query("SELECT rule_id, consent, phone FROM cases")
    assert cases == [{"rule_id": "unresolved", "consent": 0, "phone": None}]


async def test_simulated_receipts_mark_messages_delivered(sim: Running) -> None:
    await sim.post_events(event(sim.clock))
    await sim.settle()

    async def delivered() -> bool:
        rows = await sim.query("SELECT status FROM messages WHERE direction = 'out'")
        return bool(rows) and all(r["status"] == "delivered" for r in rows)

    await wait_for(delivered, what="simulated delivery receipts")


async def test_a_repeated_event_id_gets_the_same_answer_and_no_second_survey(sim: Running) -> None:
    _, first = await sim.post_events(event(sim.clock))
    _, again = await sim.post_events(event(sim.clock))
    assert again["results"][0] == {**first["results"][0], "repeated": True}
    assert len(await sim.query("SELECT id FROM conversations")) == 1
    await sim.settle()
    assert len(await sent(sim)) == 2


async def test_a_bad_event_gets_every_problem_per_field(sim: Running) -> None:
    bad = event(sim.clock, phone="08-123 456 78", type="nope")
    del bad["unit"]
    status, body = await sim.post_events([event(sim.clock, "ok-1"), bad])
    assert status == 400
    fields = {(e["index"], e["field"]) for e in body["errors"]}
    assert fields == {(1, "phone"), (1, "type"), (1, "unit")}
    assert await sim.query("SELECT id FROM events") == []  # all or nothing


async def test_a_wrong_token_is_refused(sim: Running) -> None:
    status, body = await sim.post_events(event(sim.clock), token="guess")
    assert status == 401
    assert body["error"] == "unauthorized"
    assert await sim.query("SELECT id FROM events") == []


async def test_stop_is_honoured_forever(sim: Running) -> None:
    await sim.post_events(event(sim.clock))
    await sim.settle()
    result = await reply(sim, "STOPP")
    assert result["status"] == "opted_out"
    await sim.settle()
    assert [m["purpose"] for m in await sent(sim)] == ["opening", "question", "stopped"]
    sim.clock.advance(days=400)
    _, body = await sim.post_events(event(sim.clock, "call-2"))
    assert body["results"][0] == {"id": "call-2", "decision": "skipped", "reason": "opted_out"}


async def test_fatigue_skips_a_second_survey_within_the_period(sim: Running) -> None:
    await sim.post_events(event(sim.clock))
    _, busy = await sim.post_events(event(sim.clock, "call-2"))
    assert busy["results"][0]["reason"] == "busy"
    sim.clock.advance(days=2)
    await sim.gateway.timers.fire_due()  # the first conversation expires
    _, tired = await sim.post_events(event(sim.clock, "call-3"))
    assert tired["results"][0]["reason"] == "fatigue"
    sim.clock.advance(days=31)
    _, fresh = await sim.post_events(event(sim.clock, "call-4"))
    assert fresh["results"][0]["decision"] == "started"


async def test_a_reply_after_expiry_is_stored_and_not_answered(sim: Running) -> None:
    await sim.post_events(event(sim.clock))
    await sim.settle()
    sim.clock.advance(hours=25)
    assert await sim.gateway.timers.fire_due() >= 1
    assert await sim.query("SELECT status FROM conversations") == [{"status": "expired"}]
    result = await reply(sim, "5")
    assert result["status"] == "unknown"
    await sim.settle()
    assert len(await sent(sim)) == 2
    inbound = await sim.query("SELECT body FROM messages WHERE direction = 'in'")
    assert inbound == [{"body": "5"}]


async def test_flows_health_readiness_and_metrics(sim: Running) -> None:
    async with sim.http.get(f"{sim.url}/v1/flows") as r:
        flows = (await r.json())["flows"]
    assert {f["id"] for f in flows} == {"contact-centre", "health-visit", "benefit-decision"}
    assert all(len(f["version"]) == 12 for f in flows)
    async with sim.http.get(f"{sim.url}/healthz") as r:
        assert r.status == 200
    async with sim.http.get(f"{sim.url}/readyz") as r:
        assert (r.status, (await r.json())["status"]) == (200, "ready")
    await sim.post_events(event(sim.clock))
    await sim.settle()
    async with sim.http.get(f"{sim.url}/metrics") as r:
        text = await r.text()
    assert 'smsbot_events_total{decision="started",reason="now"} 1.0' in text
    assert 'smsbot_conversations{state="active"} 1.0' in text
    assert 'smsbot_messages_out_total{status="sent"} 2.0' in text


async def test_the_openapi_document_lists_every_api_route(sim: Running) -> None:
    """Every route but the pages for people (PAGES: /ui, /docs), and nothing else."""
    async with sim.http.get(f"{sim.url}/openapi.json") as r:
        served = await r.json()
    assert served == openapi_document()
    documented = {(m.upper(), p) for p, item in served["paths"].items() for m in item}
    app = build_app(sim.gateway)
    routes = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD"
        and route.resource is not None
        and not is_page(route.resource.canonical)
    }
    undocumented = [
        f"{method} {path}: add an Operation for it (operation_id, tag, summary, description,"
        " answers by named schema) to the OPERATIONS of the module that adds the route"
        " (smsbot/http/openapi/operations.py for those of smsbot/http/app.py); or, if it is a"
        " page for people, add its path to PAGES in smsbot/http/app.py"
        for method, path in sorted(routes - documented)
    ]
    gone = [f"{m} {p}: documented, but no such route" for m, p in sorted(documented - routes)]
    assert not undocumented + gone, "\n".join(undocumented + gone)
