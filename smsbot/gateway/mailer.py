"""E-mail to a unit's contact address about what is new for it (new cases), over SMTP.

    await mailer.notify(tx, unit, "Case opened: effort 2 of 7, not solved", "/ui/cases/17", now)

`notify` queues a line in the caller's unit of writes (with the change it tells of). The
`Mailer` job sends each unit's waiting lines as one e-mail: at once (`[email] digest =
"instant"`), or once a day after `daily_at` in the survey time zone (`"daily"`). An e-mail holds
a title and a link to the page for each line, never a phone number: whoever opens the link
sees what her rights allow. Units without an address in `[email] units` get no e-mail (their
lines are marked `no_address`). A send that fails is tried again at the next run; a crash
between the SMTP server's acceptance and the mark may send one e-mail twice, never none.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from smsbot.config import Config
from smsbot.logs import get_logger
from smsbot.ports import Clock
from smsbot.storage.ports import Store, Tx
from smsbot.storage.webhooks import MailNotice

__all__ = ["MailSettings", "Mailer", "compose", "notify", "smtp_send"]

log = get_logger("smsbot.gateway.mailer")


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 587
    user: str = ""
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    sender: str = "smsbot@localhost"
    base_url: str = "http://127.0.0.1:8080"
    digest: str = "daily"  # or "instant"
    daily_at: time = time(7, 0)
    timezone: str = "Europe/Stockholm"
    addresses: Mapping[str, str] = field(default_factory=dict)  # unit -> contact address

    @classmethod
    def of(cls, config: Config) -> MailSettings:
        mail = config.email
        hour, minute = (int(part) for part in mail.daily_at.split(":"))
        return cls(
            host=mail.smtp_host, port=mail.smtp_port, user=mail.smtp_user,
            password=mail.smtp_password, starttls=mail.starttls, sender=mail.sender,
            base_url=mail.base_url.rstrip("/"), digest=mail.digest, daily_at=time(hour, minute),
            timezone=config.survey.timezone, addresses=mail.addresses(),
        )  # fmt: skip


async def notify(tx: Tx, unit: str, title: str, link_path: str, now: datetime) -> None:
    """Tell the unit's contact address, in its next e-mail (written in the caller's unit)."""
    await tx.webhooks.notify(MailNotice(unit, title, link_path, now))


def compose(settings: MailSettings, unit: str, notices: Sequence[MailNotice]) -> EmailMessage:
    """The unit's e-mail: one line and one link per notice, and no phone number."""
    zone = ZoneInfo(settings.timezone)
    count = f"{len(notices)} new case" + ("" if len(notices) == 1 else "s")
    lines = [f"{count} for {unit}:", ""]
    for notice in notices:
        at = notice.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        lines += [f"- {notice.title} ({at})", f"  {settings.base_url}{notice.link_path}", ""]
    lines.append("The links open smsbot's pages; sign in to see what your role allows.")
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = settings.addresses[unit]
    message["Subject"] = f"smsbot: {count} for {unit}"
    message.set_content("\n".join(lines))
    return message


def smtp_send(settings: MailSettings, message: EmailMessage) -> None:
    """Blocking: run it in a thread."""
    with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message)


Sender = Callable[[MailSettings, EmailMessage], None]


class Mailer:
    """Run `send_due` in the gateway's loop (`every`)."""

    def __init__(
        self, store: Store, clock: Clock, settings: MailSettings, send: Sender = smtp_send
    ) -> None:
        self.store, self.clock, self.settings, self.send = store, clock, settings, send

    async def send_due(self) -> int:
        """E-mail each unit its waiting notices (those due by the digest); how many e-mails."""
        now = self.clock.now()
        async with self.store.read() as tx:
            waiting = await tx.webhooks.waiting_notices(self.cutoff(now))
        by_unit: dict[str, list[MailNotice]] = defaultdict(list)
        for notice in waiting:
            by_unit[notice.unit].append(notice)
        sent = 0
        for unit, notices in by_unit.items():
            sent += await self._send_unit(unit, notices, now)
        return sent

    def cutoff(self, now: datetime) -> datetime:
        """Notices made before this are due: all (instant), or those before the last daily_at."""
        if self.settings.digest == "instant":
            return now + timedelta(milliseconds=1)
        local = now.astimezone(ZoneInfo(self.settings.timezone))
        today = datetime.combine(local.date(), self.settings.daily_at, local.tzinfo)
        return today if local >= today else today - timedelta(days=1)

    async def _send_unit(self, unit: str, notices: list[MailNotice], now: datetime) -> int:
        ids = [notice.id for notice in notices]
        if unit not in self.settings.addresses:
            async with self.store.write() as tx:
                await tx.webhooks.mark_notices(ids, "no_address", now)
            log.info("mail_no_address", unit=unit, notices=len(ids))
            return 0
        message = compose(self.settings, unit, notices)
        await asyncio.to_thread(self.send, self.settings, message)
        async with self.store.write() as tx:
            await tx.webhooks.mark_notices(ids, "sent", now)
        log.info("mail_sent", unit=unit, notices=len(ids))
        return 1
