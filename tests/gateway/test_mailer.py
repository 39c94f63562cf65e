"""E-mail about new cases, sent to a real SMTP server on loopback (aiosmtpd), with a login."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from smsbot.bootstrap.parts import Parts
from smsbot.gateway import mailer
from smsbot.gateway.mailer import Mailer, MailSettings
from tests.conftest import ManualClock
from tests.webhookreceiver import free_port

PHONE = "+46701740642"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"smsbot", b"pw-1")
    return AuthResult(success=ok)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port,
        authenticator=authenticate, auth_require_tls=False,  # loopback: LOGIN in clear
    )  # fmt: skip
    controller.start()
    yield inbox, port
    controller.stop()


def settings(port: int, **changes: Any) -> MailSettings:
    made = MailSettings(
        host="127.0.0.1", port=port, user="smsbot", password="pw-1", starttls=False,
        sender="smsbot@region.example", base_url="https://smsbot.region.example",
        digest="instant", daily_at=time(7, 0), timezone="Europe/Stockholm",
        addresses={"Akuten": "akuten@region.example"},
    )  # fmt: skip
    return replace(made, **changes)


async def notify(parts: Parts, unit: str, case: int, when: datetime) -> None:
    async with parts.store.write() as tx:
        await mailer.notify(
            tx, unit, f"Case opened: effort 2 of 7 ({case})", f"/ui/cases/{case}", when
        )


async def test_new_cases_reach_the_units_address_with_links_and_no_number(
    parts: Parts, clock: ManualClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await notify(parts, "Akuten", 17, clock.now())
    await notify(parts, "Akuten", 18, clock.now())
    await notify(parts, "Vårdcentralen", 19, clock.now())  # no address: no e-mail
    sender = Mailer(parts.store, clock, settings(port))
    assert await sender.send_due() == 1
    assert await sender.send_due() == 0  # sent once
    ((to, message),) = inbox.messages
    assert to == ["akuten@region.example"]
    assert message["Subject"] == "smsbot: 2 new cases for Akuten"
    body = message.get_content()
    assert "https://smsbot.region.example/ui/cases/17" in body
    assert "https://smsbot.region.example/ui/cases/18" in body
    assert "(2026-11-23 10:00)" in body  # in the unit's time zone
    raw = message.as_bytes()
    for form in (PHONE, PHONE.lstrip("+"), "0701740642"):
        assert form.encode() not in raw


async def test_the_daily_digest_waits_for_its_hour(
    parts: Parts, clock: ManualClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    clock.moment = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm
    await notify(parts, "Akuten", 1, clock.now())
    sender = Mailer(parts.store, clock, settings(port, digest="daily"))
    assert await sender.send_due() == 0  # made after today's 07:00: tomorrow's e-mail
    clock.moment = datetime(2026, 11, 24, 5, 59, tzinfo=UTC)  # 06:59 the next day
    assert await sender.send_due() == 0
    clock.advance(minutes=1)
    assert await sender.send_due() == 1
    assert len(inbox.messages) == 1


async def test_a_server_that_is_down_keeps_the_notice_for_the_next_run(
    parts: Parts, clock: ManualClock, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await notify(parts, "Akuten", 1, clock.now())
    with pytest.raises(ConnectionRefusedError):
        await Mailer(parts.store, clock, settings(free_port())).send_due()
    assert await Mailer(parts.store, clock, settings(port)).send_due() == 1
    assert len(inbox.messages) == 1
