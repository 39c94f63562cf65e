"""The API reference's examples are true: this test posts the request examples to a real gateway
(simulator transport, real SQLite, loopback) and checks that its answers are the answer examples.

When an answer changes on purpose, record the new answers into smsbot/openapi/examples/ with
`SMSBOT_RECORD_EXAMPLES=1 .venv/bin/pytest tests/http/test_api_examples.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from smsbot.feedback.review import suggest_new
from smsbot.http.openapi.document import openapi_document
from smsbot.http.openapi.examples import EXAMPLES, example, example_names
from tests.conftest import ManualClock
from tests.harness import ROOT, TOKEN, Running, gateway_env, running_gateway

ADMIN = "admin-token-for-the-examples"
RECORD = os.environ.get("SMSBOT_RECORD_EXAMPLES") == "1"
# The examples' events happened at 10:15-10:17 Swedish time: the gateway's clock is just after.
NOW = datetime(2026, 11, 23, 9, 20, tzinfo=UTC)
# Values that differ on every run (random ids) or with every flow edit (content hashes).
VOLATILE = ("conversation_id", "version")
# Which example holds the first payload of which fixture of tests/providers/payloads/.
VONAGE_FIXTURES = {
    "vonage_sms_inbound": "sms_inbound_text_sv",
    "vonage_sms_receipt": "sms_receipt_delivered",
    "vonage_messages_inbound": "messages_inbound_sms",
    "vonage_messages_status": "messages_status_delivered",
}


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Running]:
    env = gateway_env(
        tmp_path, SMSBOT_TRANSPORT__KIND="simulator", SMSBOT_SERVER__ADMIN_TOKEN=ADMIN
    )
    async with running_gateway(env, ManualClock(NOW)) as running:
        yield running


async def _call(
    gw: Running, method: str, path: str, *, body: Any = None, token: str = ADMIN, **query: str
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    url = gw.url + path
    async with gw.http.request(method, url, json=body, params=query, headers=headers) as answer:
        return answer.status, await answer.json()


async def _answers(gw: Running) -> dict[str, tuple[int, Any]]:
    """Every answer example's name -> (status, body), as the gateway answers the requests."""
    answers: dict[str, tuple[int, Any]] = {}
    post_events = {"method": "POST", "path": "/v1/events", "token": TOKEN}
    status, _ = await _call(gw, **post_events, body=example("event")["value"])
    assert status == 202
    answers["decisions"] = await _call(gw, **post_events, body=example("events")["value"])
    answers["problems"] = await _call(gw, **post_events, body=example("invalid_event")["value"])
    answers["flows"] = await _call(gw, "GET", "/v1/flows")
    await gw.settle()
    phone = example("simulated_sms")["value"]["from"]
    answers["sent_messages"] = await _call(gw, "GET", "/simulator/messages", phone=phone)
    sms = example("simulated_sms")["value"]
    answers["simulator_answer"] = await _call(gw, "POST", "/simulator/inbound", body=sms)
    await _suggest_tags(gw)
    answers["feedback_page"] = await _call(gw, "GET", "/v1/feedback", untagged="true")
    item = answers["feedback_page"][1]["feedback"][0]["id"]
    tagging = example("tag_request")["value"]
    answers["tag_result"] = await _call(gw, "POST", f"/v1/feedback/{item}/tags", body=tagging)
    await gw.settle()
    answers["report_funnel"] = await _call(gw, "GET", "/v1/reports/funnel")
    crosstab = {"crosstab": "ces:channel", "flow": "contact-centre"}
    answers["report_crosstab"] = await _call(gw, "GET", "/v1/reports/crosstab", **crosstab)
    avoidable = {"flow": "contact-centre"}
    answers["report_avoidable"] = await _call(gw, "GET", "/v1/reports/avoidable", **avoidable)
    journey = {"journey": "sleep-apnoea"}
    answers["report_journeys"] = await _call(gw, "GET", "/v1/reports/journeys", **journey)
    return answers


async def _suggest_tags(gw: Running) -> None:
    """What the gateway's minutely job does, now (the job ran at start, before any feedback)."""
    assert gw.gateway.taxonomy is not None
    assert await suggest_new(gw.gateway.parts.store, gw.gateway.taxonomy, now=gw.clock.now()) > 0


def _steady(value: Any) -> Any:
    """`value` with the volatile fields' values replaced by their names."""
    if isinstance(value, dict):
        return {k: f"<{k}>" if k in VOLATILE else _steady(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_steady(v) for v in value]
    return value


def _record(name: str, value: Any) -> None:
    path = EXAMPLES / f"{name}.json"
    data = {**json.loads(path.read_text("utf-8")), "value": value}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")


async def test_the_answer_examples_are_what_the_gateway_answers(gateway: Running) -> None:
    stale = []
    for name, (status, body) in (await _answers(gateway)).items():
        assert status < 500, (name, status, body)
        if _steady(body) == _steady(example(name)["value"]):
            continue
        if RECORD:
            _record(name, body)
        else:
            stale.append(f"{name}: now {json.dumps(body, ensure_ascii=False)}")
    assert not stale, (
        "these examples (smsbot/openapi/examples/) are no longer what the gateway answers;"
        " if the change is meant, record them with SMSBOT_RECORD_EXAMPLES=1 and review the"
        " diff:\n" + "\n".join(stale)
    )


@pytest.mark.parametrize(("name", "fixture"), sorted(VONAGE_FIXTURES.items()))
def test_webhook_examples_are_the_replayed_vonage_payloads(name: str, fixture: str) -> None:
    path = ROOT / "tests" / "providers" / "payloads" / f"{fixture}.json"
    payloads = json.loads(path.read_text("utf-8"))
    assert example(name)["value"] == payloads["payloads"][0]


def _media_using(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Example name -> every media type object (request or answer) that shows it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for item in document["paths"].values():
        for operation in item.values():
            bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
            for media in (m for b in bodies for m in b.get("content", {}).values()):
                for name in media.get("examples", {}):
                    found.setdefault(name, []).append(media)
    return found


def test_every_example_is_shown_and_fits_its_schema() -> None:
    """...and an `invalid_` example (of a refused request) does not fit it."""
    document = openapi_document()
    shown = _media_using(document)
    assert sorted(shown) == example_names(), "an example file that no operation shows"
    for name, medias in sorted(shown.items()):
        for media in medias:
            schema = {**media["schema"], "components": document["components"]}
            fits = jsonschema_rs.Draft202012Validator(schema).is_valid(example(name)["value"])
            assert fits != name.startswith("invalid_"), name
