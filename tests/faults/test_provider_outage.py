"""A 30-minute provider outage, time-compressed: citizens mid-survey and new events arriving.

The gateway runs in this process on a manual clock, sending through the real SDK to our fake
Vonage. The provider first answers HTTP 500, then drops every connection, for 30 minutes of
the gateway's time. The sender must notice it is down (not that each message is bad), stop
spending attempts, probe at a growing interval, and once the provider answers drain what was
held: replies first, each person's messages in order, nothing sent twice, nothing failed.
Every conversation then completes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import structlog

from tests.conftest import ManualClock
from tests.crashkit import ANSWERS, UNIT, expected_texts, flows_without_schedule
from tests.fakevonage import FakeVonage
from tests.harness import OUR_NUMBER, Running, gateway_env, running_gateway
from tests.suite_summary import tally

MID_SURVEY, ARRIVING = range(0, 6), range(6, 9)  # citizens by when their event comes


def phone(n: int) -> str:
    return f"+4670174{n + 640:04d}"


@pytest.fixture
async def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeVonage]:
    async with FakeVonage(tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        yield server


@asynccontextmanager
async def sending_to(
    fake: FakeVonage, tmp_path: Path, clock: ManualClock, **env: str
) -> AsyncIterator[Running]:
    """A gateway on the contact-centre flow (no quiet hours) sending to `fake` by the SMS API."""
    flows = flows_without_schedule(tmp_path / "flows")
    async with running_gateway(
        gateway_env(
            tmp_path,
            SMSBOT_TRANSPORT__KIND="vonage-sms",
            SMSBOT_VONAGE__REST_HOST=fake.host,
            SMSBOT_FLOWS__DIR=str(flows),
            **env,
        ),
        clock,
    ) as running:
        yield running


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock, fake: FakeVonage) -> AsyncIterator[Running]:
    async with sending_to(fake, tmp_path, clock, SMSBOT_VONAGE__TIMEOUT_SECONDS="2") as running:
        yield running


class Citizens:
    """Each answers the question that reached them, once, in Swedish (crashkit's ANSWERS)."""

    def __init__(self, gw: Running, fake: FakeVonage) -> None:
        self.gw, self.fake, self.answered = gw, fake, dict.fromkeys(range(9), 0)

    async def post_events(self, who: range) -> None:
        for n in who:
            status, _ = await self.gw.post_events(self._event(n))
            assert status == 202

    async def answer_what_reached_them(self) -> int:
        replied = 0
        for n, given in self.answered.items():
            received = len(self.fake.sent_to(phone(n)))
            if given < len(ANSWERS) and received == given + 2:  # opening + one per answer
                status, _ = await self.gw.sms_webhook("inbound", self._reply(n, ANSWERS[given]))
                assert status == 200
                self.answered[n], replied = given + 1, replied + 1
        return replied

    def _event(self, n: int) -> dict[str, Any]:
        return {
            "id": f"outage-{n}",
            "type": "contact.closed",
            "phone": phone(n),
            "occurred_at": self.gw.clock.now().isoformat(),
            "unit": UNIT,
            "service": "Bygglov",
        }

    def _reply(self, n: int, text: str) -> dict[str, str]:
        return {
            "msisdn": phone(n).lstrip("+"),
            "to": OUR_NUMBER,
            "messageId": f"outage-reply-{n}-{self.answered[n]}",
            "text": text,
            "type": "text",
            "message-timestamp": self.gw.clock.now().strftime("%Y-%m-%d %H:%M:%S"),
        }


async def test_a_30_minute_outage_holds_everything_and_every_survey_completes_after(
    gw: Running, fake: FakeVonage
) -> None:
    citizens = Citizens(gw, fake)
    with structlog.testing.capture_logs() as logs:
        await citizens.post_events(MID_SURVEY)
        await gw.settle()
        await citizens.answer_what_reached_them()  # the first question answered
        await gw.settle()

        fake.default = "http500"  # the outage begins
        await citizens.answer_what_reached_them()  # replies to send while it is down
        for minute in range(30):
            if minute == 5:
                await citizens.post_events(ARRIVING)  # new surveys while it is down
            if minute == 15:
                fake.default = "drop"  # then the connection itself goes
            for _ in range(2):
                gw.clock.advance(seconds=30)
                await gw.settle()
        held = await gw.query(
            "SELECT COUNT(*) AS n FROM messages WHERE direction = 'out' AND status = 'queued'"
        )
        sent_before = len(fake.sent)

        fake.default = "ok"  # the provider is back
        for _ in range(60):
            gw.clock.advance(seconds=30)
            await gw.settle()
            if not await citizens.answer_what_reached_them() and _all_done(citizens):
                break
        await gw.settle()

    for n in [*MID_SURVEY, *ARRIVING]:
        assert [s.text for s in fake.sent_to(phone(n))] == expected_texts(), n
    assert set(fake.count_by_client_ref().values()) == {1}  # nothing sent twice
    statuses = await gw.query("SELECT status, COUNT(*) AS n FROM conversations GROUP BY status")
    assert statuses == [{"status": "completed", "n": 9}]
    failed = await gw.query("SELECT COUNT(*) AS n FROM messages WHERE status = 'failed'")
    assert failed == [{"n": 0}]

    events = [e["event"] for e in logs]
    assert events.count("sms_provider_down") == 1 and events.count("sms_provider_recovered") == 1
    [recovered] = [e for e in logs if e["event"] == "sms_provider_recovered"]
    assert 30 * 60 <= recovered["down_seconds"] <= 36 * 60
    probes = events.count("sms_provider_probe_failed")
    assert 5 <= probes <= 20  # at a growing interval (5 s doubling to 5 min), not every send
    _replies_drained_first(fake, sent_before)
    assert held[0]["n"] >= len(MID_SURVEY) + 2 * len(ARRIVING)

    tally("provider outage", "minutes down (time-compressed)", 30)
    tally("provider outage", "conversations completed after", 9)
    tally("provider outage", "probes while down", probes)
    tally("provider outage", "messages held", held[0]["n"])
    tally("provider outage", "sent twice", 0)
    tally("provider outage", "lost", 9 * len(expected_texts()) - len(fake.sent))


def _all_done(citizens: Citizens) -> bool:
    return all(
        len(citizens.fake.sent_to(phone(n))) == len(expected_texts()) for n in citizens.answered
    )


def _replies_drained_first(fake: FakeVonage, sent_before: int) -> None:
    """After the outage, the replies to citizens mid-survey went before the new surveys."""
    after = fake.sent[sent_before:]
    openings = [i for i, s in enumerate(after) if s.text == expected_texts()[0]]
    mid_survey = {phone(n).lstrip("+") for n in MID_SURVEY}
    held_replies = [i for i, s in enumerate(after[: len(MID_SURVEY) + 1]) if s.to in mid_survey]
    assert openings and held_replies and max(held_replies) < min(openings), after


@pytest.fixture
async def gw_max_age(
    tmp_path: Path, clock: ManualClock, fake: FakeVonage
) -> AsyncIterator[Running]:
    async with sending_to(fake, tmp_path, clock, SMSBOT_SURVEY__MAX_AGE="10m") as running:
        yield running


async def test_an_opening_held_past_its_flows_max_age_is_cancelled_not_sent_late(
    gw_max_age: Running, fake: FakeVonage
) -> None:
    gw, citizens = gw_max_age, Citizens(gw_max_age, fake)
    await citizens.post_events(range(0, 1))
    await gw.settle()
    fake.default = "http500"
    await citizens.answer_what_reached_them()  # citizen 0's reply is held
    await citizens.post_events(range(1, 2))  # citizen 1's opening is held
    with structlog.testing.capture_logs() as logs:
        for _ in range(40):  # 20 minutes: past the flow's max_age of 10 minutes
            gw.clock.advance(seconds=30)
            await gw.settle()
        fake.default = "ok"
        for _ in range(12):
            gw.clock.advance(seconds=30)
            await gw.settle()

    assert len(fake.sent_to(phone(0))) == 3  # opening, first question, then the held reply
    assert fake.sent_to(phone(1)) == []  # never sent 20 minutes late
    rows = await gw.query(
        "SELECT m.purpose, m.status, m.error, c.status AS conversation FROM messages m"
        " JOIN conversations c ON c.id = m.conversation_id WHERE c.phone = ? ORDER BY m.id",
        phone(1),
    )
    assert [(r["purpose"], r["status"]) for r in rows] == [
        ("opening", "cancelled"),
        ("question", "cancelled"),
    ]
    assert rows[0]["error"].startswith("too_old: held past the flow's max_age (0:10:00)")
    assert {r["conversation"] for r in rows} == {"undeliverable"}
    [cancelled] = [e for e in logs if e["event"] == "sms_cancelled_too_old"]
    assert cancelled["flow"] == "contact-centre"
    tally("provider outage", "openings cancelled as too old", 1)
