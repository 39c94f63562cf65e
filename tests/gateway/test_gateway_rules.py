"""Gateway rules that need a running gateway: priority, loop guard, reminders, unknown numbers,
and the batch import of events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from smsbot.cli import main
from tests.conftest import ManualClock
from tests.harness import ROOT, Running, gateway_env, running_gateway

CITIZEN = "+46701740642"


def event(clock: ManualClock, event_id: str, phone: str = CITIZEN) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "contact.closed",
        "phone": phone,
        "occurred_at": clock.now().isoformat(),
        "unit": "Kontaktcenter",
        "service": "Bygglov",
    }


async def simulate(gw: Running, text: str, phone: str = CITIZEN) -> dict[str, Any]:
    async with gw.http.post(
        f"{gw.url}/simulator/inbound", json={"from": phone, "text": text}
    ) as response:
        return dict(await response.json())


@pytest.fixture
async def paused(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    """A simulator gateway whose sender does not run, so the outbox can be inspected."""
    env = gateway_env(tmp_path, SMSBOT_TRANSPORT__KIND="simulator")
    async with running_gateway(env, clock) as running:
        running.gateway._stopping.set()
        yield running


async def test_a_reply_mid_conversation_goes_ahead_of_a_batch_of_new_surveys(
    paused: Running,
) -> None:
    await paused.post_events(event(paused.clock, "first"))
    await paused.query("UPDATE messages SET status = 'sent'")  # the first survey went out
    batch = [event(paused.clock, f"b{n}", f"+467017406{n:02d}") for n in range(10, 40)]
    assert (await paused.post_events(batch))[0] == 202
    await simulate(paused, "5")  # the first citizen answers: the next question is due
    async with paused.gateway.parts.store.write() as tx:
        claimed = await tx.outbox.claim_due(paused.clock.now(), 1)
    assert claimed[0].phone == CITIZEN and claimed[0].purpose == "question"


async def test_the_loop_guard_refuses_the_same_text_again_and_again(
    tmp_path: Path, clock: ManualClock
) -> None:
    env = gateway_env(
        tmp_path, SMSBOT_TRANSPORT__KIND="simulator", SMSBOT_SURVEY__ANSWER_UNKNOWN="true"
    )
    async with running_gateway(env, clock) as gw:
        stranger = "+46701740699"
        for _ in range(5):
            assert (await simulate(gw, "hej", stranger))["status"] == "unknown"
            await gw.settle()
        rows = await gw.query("SELECT status, error FROM messages WHERE direction = 'out'")
        assert [r["status"] for r in rows] == ["delivered"] * 3 + ["refused"] * 2
        assert rows[-1]["error"] == "loop_guard"


async def test_a_reminder_once_when_configured(tmp_path: Path, clock: ManualClock) -> None:
    env = gateway_env(
        tmp_path, SMSBOT_TRANSPORT__KIND="simulator", SMSBOT_SURVEY__REMINDER_AFTER="4h"
    )
    async with running_gateway(env, clock) as gw:
        await gw.post_events(event(clock, "e1"))
        await gw.settle()
        clock.advance(hours=5)
        await gw.gateway.timers.fire_due()
        await gw.settle()
        clock.advance(hours=5)
        await gw.gateway.timers.fire_due()
        await gw.settle()
        purposes = await gw.query(
            "SELECT purpose FROM messages WHERE direction = 'out' ORDER BY id"
        )
        assert [p["purpose"] for p in purposes] == ["opening", "question", "reminder"]
        assert await gw.query("SELECT status FROM conversations") == [{"status": "active"}]
        clock.advance(hours=25)
        await gw.gateway.timers.fire_due()
        assert await gw.query("SELECT status FROM conversations") == [{"status": "expired"}]


def test_events_import_from_csv_and_jsonl(tmp_path: Path) -> None:
    csv_file = tmp_path / "nightly.csv"
    csv_file.write_text(
        "id;type;phone;occurred_at;unit;service;attributes.wait_seconds\n"
        "v1;contact.closed;070-174 06 05;2026-11-22T10:00:00+01:00;KC;Bygglov;140\n"
        "v2;contact.closed;070-174 06 06;2026-11-22T10:05:00+01:00;KC;Bygglov;30\n"
        "v3;contact.closed;08-123 456 78;2026-11-22T10:05:00+01:00;KC;Bygglov;30\n"
        "v1;contact.closed;070-174 06 05;2026-11-22T10:00:00+01:00;KC;Bygglov;140\n",
        encoding="utf-8-sig",
    )
    jsonl = tmp_path / "nightly.jsonl"
    jsonl.write_text(
        json.dumps({"id": "j1", "type": "contact.closed", "phone": "+46701740607",
                    "occurred_at": "2026-11-22T09:00:00Z", "unit": "KC", "service": "X"})
        + "\n{broken\n"
    )  # fmt: skip
    env = {
        "SMSBOT_DATABASE__PATH": str(tmp_path / "import.db"),
        "SMSBOT_FLOWS__DIR": str(ROOT / "flows"),
        "SMSBOT_PRIVACY__PSEUDONYM_KEY": "k",
        "SMSBOT_SURVEY__QUIET_START": "00:00",
        "SMSBOT_SURVEY__QUIET_END": "00:00",
        "SMSBOT_SURVEY__MAX_AGE": "3650d",
        "SMSBOT_CONFIG": str(ROOT / "config.toml"),
    }
    runner = CliRunner()
    first = runner.invoke(main, ["events", "import", str(csv_file)], env=env)
    assert first.exit_code == 1  # a row was rejected
    assert "4 row(s) read, 1 rejected" in first.stdout
    assert f"{csv_file}:4: phone: not a mobile number" in first.stdout
    assert "repeated: 1" in first.stdout
    second = runner.invoke(main, ["events", "import", str(jsonl), "--source", "nightly"], env=env)
    assert "2 row(s) read, 1 rejected" in second.stdout
    assert f"{jsonl}:2: not valid JSON" in second.stdout  # file:line: message, as every row
