"""The `Webhooks` port (smsbot.storage.ports) on SQLite: subscriptions, deliveries, attempts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from smsbot.storage.sqlite.db import from_ts, ts
from smsbot.storage.sqlite.repository import Repository
from smsbot.storage.webhooks import Attempt, Delivery, MailNotice, NewSubscription, Subscription

__all__ = ["SqliteWebhooks"]

_SUBSCRIPTION = (
    "SELECT id, url, events, unit, secret, send_phone, active, disabled_reason, created_at"
    " FROM webhook_subscriptions"
)
_DELIVERY = (
    "SELECT d.id, d.webhook_id, d.subscription_id, s.url, s.secret, d.event_type, d.payload,"
    " d.status, d.attempts, d.due_at, d.created_at, d.last_error"
    " FROM webhook_deliveries AS d JOIN webhook_subscriptions AS s ON s.id = d.subscription_id"
)

# A consented callback number is kept only while its delivery may still go: once delivered,
# failed or cancelled, the stored payload loses it (a replay goes without it).
_WITHOUT_PHONE = "json_remove(payload, '$.data.callback_phone')"
_NO_PHONE = f"payload = {_WITHOUT_PHONE}"


def _subscription(row: aiosqlite.Row) -> Subscription:
    return Subscription(
        id=row["id"],
        url=row["url"],
        events=frozenset(json.loads(row["events"])),
        unit=row["unit"],
        secret=row["secret"],
        send_phone=bool(row["send_phone"]),
        active=bool(row["active"]),
        disabled_reason=row["disabled_reason"],
        created_at=from_ts(row["created_at"]),
    )


def _delivery(row: aiosqlite.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        subscription_id=row["subscription_id"],
        url=row["url"],
        secret=row["secret"],
        event_type=row["event_type"],
        payload=row["payload"],
        status=row["status"],
        attempts=row["attempts"],
        due_at=from_ts(row["due_at"]),
        created_at=from_ts(row["created_at"]),
        last_error=row["last_error"],
    )


class SqliteWebhooks(Repository):
    async def subscribe(self, new: NewSubscription, now: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO webhook_subscriptions (url, events, unit, secret, send_phone, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                new.url,
                json.dumps(sorted(new.events)),
                new.unit,
                new.secret,
                int(new.send_phone),
                ts(now),
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def subscriptions(self) -> list[Subscription]:
        async with self.conn.execute(f"{_SUBSCRIPTION} ORDER BY id") as cur:
            return [_subscription(row) for row in await cur.fetchall()]

    async def subscription(self, subscription_id: int) -> Subscription | None:
        sql = f"{_SUBSCRIPTION} WHERE id = ?"
        async with self.conn.execute(sql, (subscription_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else _subscription(row)

    async def remove(self, subscription_id: int, now: datetime) -> bool:
        if await self.subscription(subscription_id) is None:
            return False
        await self.disable(subscription_id, "removed", now)
        return True

    async def disable(self, subscription_id: int, reason: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE webhook_subscriptions SET active = 0, disabled_reason = ? WHERE id = ?",
            (reason, subscription_id),
        )
        await self.conn.execute(
            f"UPDATE webhook_deliveries SET status = 'cancelled', last_error = ?, {_NO_PHONE}"
            " WHERE subscription_id = ? AND status = 'pending'",
            (f"subscription {reason}", subscription_id),
        )

    async def subscribers(self, event_type: str, unit: str | None) -> list[Subscription]:
        sql = f"{_SUBSCRIPTION} WHERE active = 1 AND (unit IS NULL OR unit = ?) ORDER BY id"
        async with self.conn.execute(sql, (unit,)) as cur:
            every = [_subscription(row) for row in await cur.fetchall()]
        return [s for s in every if event_type in s.events]

    async def queue(
        self,
        *,
        webhook_id: str,
        subscription_id: int,
        event_type: str,
        unit: str | None,
        payload: str,
        now: datetime,
    ) -> int:
        cur = await self.conn.execute(
            "INSERT INTO webhook_deliveries (webhook_id, subscription_id, event_type, unit,"
            " payload, status, due_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
            (webhook_id, subscription_id, event_type, unit, payload, ts(now), ts(now)),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def due(self, now: datetime, limit: int) -> list[Delivery]:
        sql = (
            f"{_DELIVERY} WHERE d.status = 'pending' AND d.due_at <= ? AND s.active = 1"
            " ORDER BY d.due_at, d.id LIMIT ?"
        )
        async with self.conn.execute(sql, (ts(now), limit)) as cur:
            return [_delivery(row) for row in await cur.fetchall()]

    async def record_attempt(self, attempt: Attempt, next_due: datetime | None) -> None:
        await self.conn.execute(
            "INSERT INTO webhook_attempts (delivery_id, at, status_code, error, milliseconds)"
            " VALUES (?, ?, ?, ?, ?)",
            (attempt.delivery_id, ts(attempt.at), attempt.status_code, attempt.error,
             attempt.milliseconds),
        )  # fmt: skip
        delivered = attempt.error is None
        status = "delivered" if delivered else ("pending" if next_due else "failed")
        await self.conn.execute(
            "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, due_at = ?,"
            " delivered_at = ?, last_error = ?,"
            f" payload = CASE WHEN ? = 'pending' THEN payload ELSE {_WITHOUT_PHONE} END"
            " WHERE id = ? AND status = 'pending'",
            (
                status,
                ts(next_due or attempt.at),
                ts(attempt.at) if delivered else None,
                attempt.error,
                status,
                attempt.delivery_id,
            ),
        )

    async def deliveries(
        self, *, subscription_id: int | None = None, status: str | None = None, limit: int = 50
    ) -> list[Delivery]:
        sql = (
            f"{_DELIVERY} WHERE (? IS NULL OR d.subscription_id = ?)"
            " AND (? IS NULL OR d.status = ?) ORDER BY d.id DESC LIMIT ?"
        )
        args = (subscription_id, subscription_id, status, status, limit)
        async with self.conn.execute(sql, args) as cur:
            return [_delivery(row) for row in await cur.fetchall()]

    async def attempts(self, delivery_id: int) -> list[Attempt]:
        sql = (
            "SELECT delivery_id, at, status_code, error, milliseconds FROM webhook_attempts"
            " WHERE delivery_id = ? ORDER BY id"
        )
        async with self.conn.execute(sql, (delivery_id,)) as cur:
            return [Attempt(r[0], from_ts(r[1]), r[2], r[3], r[4]) for r in await cur.fetchall()]

    async def replay(self, delivery_id: int, now: datetime) -> bool:
        async with self.conn.execute(
            "UPDATE webhook_deliveries SET status = 'pending', due_at = ?, last_error = NULL"
            " WHERE id = ? AND subscription_id IN"
            " (SELECT id FROM webhook_subscriptions WHERE active = 1)",
            (ts(now), delivery_id),
        ) as cur:
            return cur.rowcount == 1

    async def notify(self, notice: MailNotice) -> None:
        await self.conn.execute(
            "INSERT INTO mail_notices (unit, title, link_path, created_at) VALUES (?, ?, ?, ?)",
            (notice.unit, notice.title, notice.link_path, ts(notice.created_at)),
        )

    async def waiting_notices(self, before: datetime) -> list[MailNotice]:
        sql = (
            "SELECT unit, title, link_path, created_at, id FROM mail_notices"
            " WHERE status = 'waiting' AND created_at < ? ORDER BY created_at, id"
        )
        async with self.conn.execute(sql, (ts(before),)) as cur:
            return [MailNotice(r[0], r[1], r[2], from_ts(r[3]), r[4]) for r in await cur.fetchall()]

    async def mark_notices(self, ids: Sequence[int], status: str, now: datetime) -> None:
        await self.conn.executemany(
            "UPDATE mail_notices SET status = ?, sent_at = ? WHERE id = ?",
            [(status, ts(now), notice_id) for notice_id in ids],
        )
