"""Integrators generate a client from /openapi.json: this test does what they do.

`openapi-python-client` reads the live document of a real gateway on loopback and writes a
Python package; the test imports it and, with it, posts events, lists the flows, plays the
citizen, reads report sections and tags a feedback item: every answer parsed into the
generated models. The generated names must be the readable ones (`api.events.post_events`,
`ServiceEvent`, `FunnelGroup`), not names spelled from paths.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from smsbot.feedback.review import suggest_new
from smsbot.http.openapi.examples import example
from smsbot.http.openapi.schemas import SCHEMAS
from tests.conftest import ManualClock
from tests.harness import TOKEN, Running, gateway_env, running_gateway

ADMIN = "admin-token-for-the-generated-client"
NOW = datetime(2026, 11, 23, 9, 20, tzinfo=UTC)
PACKAGE = "smsbot_gateway_client"  # from the document's title, "smsbot gateway"
# What an integrator calls: module api.<tag>.<operationId in snake case>.
CALLED = ("events.post_events", "flows.list_flows", "reports.get_report", "feedback.tag_feedback")
LONGEST_MODEL_NAME = 30  # was 62: GetV1ReportsSectionResponse200SectionsCostItemByBandItemFigures


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Running]:
    env = gateway_env(
        tmp_path, SMSBOT_TRANSPORT__KIND="simulator", SMSBOT_SERVER__ADMIN_TOKEN=ADMIN
    )
    async with running_gateway(env, ManualClock(NOW)) as running:
        yield running


async def _generate(url: str, into: Path) -> None:
    """`openapi-python-client generate` as an integrator runs it (failing on any warning)."""
    tools = Path(sys.executable).parent  # its ruff post-processing must be on PATH
    process = await asyncio.create_subprocess_exec(
        tools / "openapi-python-client",
        "generate",
        "--url",
        url,
        "--meta",
        "none",
        "--output-path",
        str(into / PACKAGE),
        "--fail-on-warning",
        env={**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()


@pytest.fixture
def importable(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path for the generated package, taken away (with its modules) after."""
    folder = tmp_path / "generated"
    folder.mkdir()
    sys.path.insert(0, str(folder))
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_a_generated_client_posts_events_reads_flows_and_reports_and_tags_feedback(
    gateway: Running, importable: Path
) -> None:
    await _generate(f"{gateway.url}/openapi.json", importable)
    _assert_readable_names(_module("models"))
    client = _module("client")
    source = client.AuthenticatedClient(base_url=gateway.url, token=TOKEN)
    admin = client.AuthenticatedClient(base_url=gateway.url, token=ADMIN)
    anyone = client.Client(base_url=gateway.url)
    async with source, admin, anyone:
        await _post_events(source)
        await _list_flows(source)
        await _answer_as_the_citizen(anyone, gateway)
        await _read_reports(admin)
        await _tag_feedback(admin)


def _assert_readable_names(models: ModuleType) -> None:
    for name in CALLED:
        assert hasattr(_module(f"api.{name}"), "asyncio"), name
    generated = {name for name in dir(models) if name[0].isupper()}
    named_in_the_document = set(SCHEMAS) - {"OpenApiDocument"}  # a plain object: no model
    assert named_in_the_document <= generated, named_in_the_document - generated
    too_long = sorted(name for name in generated if len(name) > LONGEST_MODEL_NAME)
    assert not too_long, too_long


async def _post_events(client: Any) -> None:
    models, post_events = _module("models"), _module("api.events.post_events")
    event = models.ServiceEvent(
        id="call-1",
        type_="contact.closed",
        phone="070-174 06 42",
        occurred_at=datetime.fromisoformat("2026-11-23T10:15:00+01:00"),
        unit="Kontaktcenter Örebro",
        service="Bygglov",
        channel="phone",
    )
    answer = await post_events.asyncio(client=client, body=event)
    assert isinstance(answer, models.Decisions), answer
    assert [d.decision for d in answer.results] == [models.DecisionOutcome.STARTED]
    batch = [models.ServiceEvent.from_dict(e) for e in example("events")["value"]]
    answer = await post_events.asyncio(client=client, body=batch)
    assert [d.id for d in answer.results] == [e.id for e in batch]


async def _list_flows(client: Any) -> None:
    models, list_flows = _module("models"), _module("api.flows.list_flows")
    answer = await list_flows.asyncio(client=client)
    assert isinstance(answer, models.FlowList)
    assert all(isinstance(flow, models.FlowSummary) for flow in answer.flows)
    triggers = {flow.id: flow.triggers for flow in answer.flows}
    assert triggers["contact-centre"] == ["contact.closed"]


async def _answer_as_the_citizen(client: Any, gateway: Running) -> None:
    models, simulate_reply = _module("models"), _module("api.simulator.simulate_reply")
    await gateway.settle()
    sms = models.SimulatedSms(from_="+46701740642", text="2 lång kö i telefon")
    answer = await simulate_reply.asyncio(client=client, body=sms)
    assert isinstance(answer, models.SimulatorAnswer) and answer.status == "answered"
    assert gateway.gateway.taxonomy is not None  # the rules suggest tags, as the gateway's job
    await suggest_new(
        gateway.gateway.parts.store, gateway.gateway.taxonomy, now=gateway.clock.now()
    )


async def _read_reports(client: Any) -> None:
    models, get_report = _module("models"), _module("api.reports.get_report")
    funnel = await get_report.asyncio(section=models.ReportSectionName.FUNNEL, client=client)
    assert isinstance(funnel, models.Report), funnel
    (everyone,) = funnel.sections.funnel
    assert isinstance(everyone, models.FunnelGroup)
    assert (everyone.surveys_sent, everyone.answered) == (5, 1)
    everything = await get_report.asyncio(section=models.ReportSectionName.ALL, client=client)
    assert isinstance(everything, models.Report), everything
    sections = everything.sections
    (asked,) = sections.questions
    assert "contact-centre/ces" in {cell.key for cell in asked.questions}
    assert all(isinstance(cell, models.QuestionCell) for cell in asked.questions)
    assert {type(group).__name__ for group in sections.drivers} == {"DriversGroup"}
    assert {type(group).__name__ for group in sections.cost} == {"CostGroup"}


async def _tag_feedback(client: Any) -> None:
    models = _module("models")
    list_feedback = _module("api.feedback.list_feedback")
    tag_feedback = _module("api.feedback.tag_feedback")
    page = await list_feedback.asyncio(client=client, untagged=True)
    assert isinstance(page, models.FeedbackPage), page
    (item,) = page.feedback
    assert isinstance(item, models.FeedbackItem) and item.text == "lång kö i telefon"
    assert [(t.tag, t.state) for t in item.tags] == [("waiting", models.FeedbackTagState.SUGGESTED)]
    request = models.TagRequest(tags=["waiting"], by="Anna")
    answer = await tag_feedback.asyncio(id=item.id, client=client, body=request)
    assert isinstance(answer, models.TagResult), answer
    assert answer.changes == [
        models.TagChange(tag="waiting", action=models.TagChangeAction.CONFIRM)
    ]
    assert [(t.state, t.by) for t in answer.feedback.tags] == [
        (models.FeedbackTagState.CONFIRMED, "Anna")
    ]
