"""Arbitrary input to every endpoint: always a defined 2xx/4xx answer, never a 500 or a hang."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsbot.flows.files import load_flow_file
from tests.conftest import ManualClock
from tests.harness import OUR_NUMBER, Running, gateway_env, running_gateway
from tests.suite_summary import tally

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
WEBHOOKS = [
    "/webhooks/vonage/inbound",
    "/webhooks/vonage/status",
    "/webhooks/vonage/messages/inbound",
    "/webhooks/vonage/messages/status",
    "/v1/events",
    "/simulator/inbound",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=12,
)


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(tmp_path, SMSBOT_TRANSPORT__KIND="simulator")
    async with running_gateway(env, clock) as running:
        yield running


async def _post(gw: Running, path: str, body: bytes, content_type: str) -> int:
    headers = {"Content-Type": content_type, "Authorization": "Bearer test-token"}
    async with gw.http.post(f"{gw.url}{path}", data=body, headers=headers) as response:
        await response.read()
        return response.status


def _defined(status: int) -> bool:
    """A 2xx or 4xx; anything else is counted for the suite's summary line."""
    defined = 200 <= status < 300 or 400 <= status < 500
    tally("bad input", "requests")
    tally("bad input", "answers not 2xx/4xx", 0 if defined else 1)
    return defined


@EXAMPLES
@given(path=st.sampled_from(WEBHOOKS), body=st.binary(max_size=300))
async def test_arbitrary_bytes(gw: Running, path: str, body: bytes) -> None:
    for content_type in ("application/json", "application/x-www-form-urlencoded", "text/plain"):
        assert _defined(await _post(gw, path, body, content_type)), (path, body, content_type)
    tally("bad input", "random bodies")


@EXAMPLES
@given(path=st.sampled_from(WEBHOOKS), value=json_values)
async def test_arbitrary_json(gw: Running, path: str, value: Any) -> None:
    body = json.dumps(value).encode()
    assert _defined(await _post(gw, path, body, "application/json")), (path, value)
    tally("bad input", "JSON structures")


@EXAMPLES
@given(params=st.dictionaries(st.sampled_from(
    ["msisdn", "to", "messageId", "text", "type", "concat", "concat-ref", "concat-total",
     "concat-part", "status", "err-code", "client-ref", "price", "message-timestamp"]),
    st.text(max_size=20), max_size=10))  # fmt: skip
async def test_arbitrary_signed_sms_api_fields(gw: Running, params: dict[str, str]) -> None:
    for path in ("inbound", "status"):
        for how in ("form", "json", "get"):
            status, _ = await gw.sms_webhook(path, params, how=how)
            assert _defined(status), (path, how, params)
    tally("bad input", "signed field sets")


@EXAMPLES
@given(text=st.text(max_size=400))
async def test_arbitrary_replies_to_every_question(gw: Running, text: str) -> None:
    """Signed replies of any Unicode at any point of a conversation: always taken."""
    await gw.post_events(
        {"id": f"e-{len(text)}-{hash(text)}", "type": "visit.completed", "phone": "+46701740642",
         "occurred_at": gw.clock.now().isoformat(), "unit": "VC", "service": "Besök"}
    )  # fmt: skip
    params = {"msisdn": "46701740642", "to": OUR_NUMBER, "messageId": f"m{hash(text)}"}
    status, body = await gw.sms_webhook("inbound", {**params, "text": text}, how="json")
    assert _defined(status) and status == 200, body
    tally("bad input", "Unicode replies")
    rows = await gw.query("SELECT status FROM conversations WHERE status NOT IN"
                          " ('active', 'completed', 'opted_out', 'expired')")  # fmt: skip
    assert rows == []


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=400))
def test_arbitrary_yaml_gives_a_flow_or_located_findings(tmp_path_factory: Any, text: str) -> None:
    path = tmp_path_factory.mktemp("flows") / "x.yaml"
    path.write_text(text, encoding="utf-8")
    flow, findings = load_flow_file(path)
    assert flow is not None or findings
    assert all(str(f).startswith(f"{path}:") for f in findings)
    tally("bad input", "YAML documents")


@EXAMPLES
@given(structure=json_values)
def test_arbitrary_structures_to_the_flow_checker(structure: Any) -> None:
    from smsbot.engine.definition import build_flow

    flow, problems = build_flow(structure)
    assert flow is None and problems
    tally("bad input", "flow structures")
