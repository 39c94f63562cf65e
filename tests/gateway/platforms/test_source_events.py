"""Platform webhooks end to end: a real gateway on loopback, the shipped mapping files."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from smsbot.bootstrap.startup import check_settings
from smsbot.config import ConfigError, StartupError, load_config
from smsbot.http.sources import zendesk_signature
from tests.conftest import ManualClock
from tests.gateway.platforms.payloads import genesys_customer_end, zendesk_solved
from tests.harness import ROOT, Running, gateway_env, running_gateway

GENESYS_TOKEN = "genesys-token"
ZENDESK_TOKEN = "zendesk-token"
ZENDESK_SECRET = "dGhlIHplbmRlc2sgc2lnbmluZyBzZWNyZXQ="


def config_file(tmp: Path, **mapping_of: str) -> Path:
    tables = "".join(f'[sources.{name}]\nmapping = "{path}"\n' for name, path in mapping_of.items())
    path = tmp / "config.toml"
    path.write_text(f'[transport]\nkind = "simulator"\n{tables}[sources.demo]\n', "utf-8")
    return path


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(
        tmp_path,
        SMSBOT_TOKEN_GENESYS=GENESYS_TOKEN,
        SMSBOT_TOKEN_ZENDESK=ZENDESK_TOKEN,
        SMSBOT_SOURCES__ZENDESK__SIGNING_SECRET=ZENDESK_SECRET,
    )
    mappings = ROOT / "mappings"
    path = config_file(
        tmp_path,
        genesys=str(mappings / "genesys-cloud.yaml"),
        zendesk=str(mappings / "zendesk.yaml"),
    )
    async with running_gateway(env, clock, config_file=path) as running:
        yield running


async def post(
    gw: Running,
    source: str,
    body: object,
    token: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    raw = json.dumps(body).encode()
    sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with gw.http.post(
        f"{gw.url}/v1/sources/{source}/events", data=raw, headers={**sent, **(headers or {})}
    ) as r:
        return r.status, await r.json()


def zendesk_headers(body: object, stamp: str = "2026-11-23T09:00:00Z") -> dict[str, str]:
    raw = json.dumps(body).encode()
    return {
        "X-Zendesk-Webhook-Signature": zendesk_signature(ZENDESK_SECRET, stamp, raw),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


async def stored_events(gw: Running) -> list[dict[str, Any]]:
    return await gw.query("SELECT source, source_id, unit, service, decision FROM events")


async def test_a_genesys_call_end_starts_the_survey_once(gw: Running) -> None:
    payload = genesys_customer_end(gw.clock.now())
    status, body = await post(gw, "genesys", payload, GENESYS_TOKEN)
    assert status == 202, body
    assert body["results"][0]["decision"] == "started"
    again, repeated = await post(gw, "genesys", payload, GENESYS_TOKEN)  # EventBridge retries
    assert again == 202 and repeated["results"][0]["decision"] == "started"
    assert await stored_events(gw) == [
        {
            "source": "genesys",
            "source_id": payload["detail"]["eventBody"]["conversationId"],
            "unit": "kundcenter-nord",
            "service": "contact-centre",
            "decision": "started",
        }
    ]
    await gw.settle()
    out = await gw.query("SELECT DISTINCT phone FROM messages WHERE direction = 'out'")
    assert out == [{"phone": "+46701740642"}]


async def test_a_payload_the_mapping_does_not_take_is_acknowledged_and_kept_out(
    gw: Running,
) -> None:
    chat = genesys_customer_end(gw.clock.now(), media="CHAT")
    status, body = await post(gw, "genesys", chat, GENESYS_TOKEN)
    assert status == 200 and body["result"] == "ignored"
    assert "mediaType is one of VOICE" in body["reason"]
    assert await stored_events(gw) == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"queue": "0a0b0c0d-0000-4000-8000-000000000000"},
            "unit",
            "unit (from detail.eventBody.queueId): '0a0b0c0d-0000-4000-8000-000000000000' is "
            "not in its table in",
        ),
        ({"ani": "tel:+4640123456"}, "phone", "phone (from detail.eventBody.ani): not a mobile"),
        ({"ani": "tel:"}, "phone", "phone (from detail.eventBody.ani)"),
    ],
)
async def test_a_mapped_event_we_cannot_take_is_refused_naming_the_payload_path(
    gw: Running, change: dict[str, str], field: str, words: str
) -> None:
    status, body = await post(
        gw, "genesys", genesys_customer_end(gw.clock.now(), **change), GENESYS_TOKEN
    )
    assert status == 400, body
    problems = {e["field"]: e["message"] for e in body["errors"]}
    assert words in problems[field], problems
    assert await stored_events(gw) == []


async def test_a_zendesk_ticket_needs_zendesks_signature(gw: Running) -> None:
    ticket = zendesk_solved(gw.clock.now())
    status, body = await post(gw, "zendesk", ticket, ZENDESK_TOKEN)
    assert status == 401 and "X-Zendesk-Webhook-Signature" in body["message"]
    forged = {
        **zendesk_headers(ticket),
        "X-Zendesk-Webhook-Signature-Timestamp": "2026-11-23T09:00:01Z",
    }
    assert (await post(gw, "zendesk", ticket, ZENDESK_TOKEN, forged))[0] == 401
    assert await stored_events(gw) == []
    status, body = await post(gw, "zendesk", ticket, ZENDESK_TOKEN, zendesk_headers(ticket))
    assert status == 202, body
    rows = await stored_events(gw)
    assert [(r["source"], r["source_id"], r["unit"]) for r in rows] == [
        ("zendesk", ticket["event_id"], "kundcenter-nord")
    ]


@pytest.mark.parametrize(
    ("source", "token", "status", "error"),
    [
        ("genesys", "wrong", 401, "unauthorized"),
        ("genesys", ZENDESK_TOKEN, 401, "unauthorized"),  # another source's token
        ("demo", "test-token", 404, "no_mapping"),
    ],
)
async def test_who_may_post_to_a_source(
    gw: Running, source: str, token: str, status: int, error: str
) -> None:
    answer, body = await post(gw, source, genesys_customer_end(gw.clock.now()), token)
    assert (answer, body["error"]) == (status, error)


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", "🙂".encode() * 3])
async def test_a_body_that_is_not_an_object_is_refused(gw: Running, raw: bytes) -> None:
    headers = {"Authorization": f"Bearer {GENESYS_TOKEN}"}
    async with gw.http.post(f"{gw.url}/v1/sources/genesys/events", data=raw, headers=headers) as r:
        assert r.status == 400
        assert (await r.json())["errors"][0]["field"] == "body"


def test_serve_refuses_a_broken_mapping_naming_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\nplatform: X\nevent:\n  id: {path: a}\n", "utf-8")
    config = load_config(config_file(tmp_path, x=str(broken)), environ={})
    with pytest.raises(StartupError) as refused:
        check_settings(config, {})
    assert f"{broken}:3: event: 'type' is required" in str(refused.value)


def test_serve_refuses_a_signed_mapping_without_its_secret(tmp_path: Path) -> None:
    zendesk = ROOT / "mappings" / "zendesk.yaml"
    config = load_config(config_file(tmp_path, zendesk=str(zendesk)), environ={})
    with pytest.raises(StartupError, match="set SMSBOT_SOURCES__ZENDESK__SIGNING_SECRET"):
        check_settings(config, {})


def test_a_signing_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[sources.zendesk]\nsigning_secret = "x"\n', "utf-8")
    with pytest.raises(ConfigError, match="SMSBOT_SOURCES__ZENDESK__SIGNING_SECRET"):
        load_config(path, environ={})
