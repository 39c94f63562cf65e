"""The people and audit-log repositories of the SQLite store (see smsbot.storage.ports)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from smsbot.storage.accounts import ApiToken, AuditEntry, AuditQuery, Person, StoredSession
from smsbot.storage.sqlite.db import from_ts, ts
from smsbot.storage.sqlite.repository import Repository

__all__ = ["SqliteAuditLog", "SqlitePeople"]

_PERSON = "SELECT id, name, email, active, sub FROM people"
_TOKEN = "SELECT id, person_id, name, created_at, expires_at, revoked FROM api_tokens"


class SqlitePeople(Repository):
    """The `People` port (smsbot.storage.ports) on SQLite."""

    async def add(
        self, name: str, email: str, roles: frozenset[str], units: frozenset[str], now: datetime
    ) -> Person:
        sql = "INSERT INTO people (name, email, created_at) VALUES (?, ?, ?)"
        try:
            cursor = await self.conn.execute(sql, (name, email, ts(now)))
        except sqlite3.IntegrityError:
            raise ValueError(f"a person with the e-mail {email} already exists") from None
        person_id = int(cursor.lastrowid or 0)
        await self.set_roles(person_id, roles, units)
        return Person(person_id, name, email, True, roles, units)

    async def get(self, person_id: int) -> Person | None:
        return await self._one(f"{_PERSON} WHERE id = ?", person_id)

    async def by_email(self, email: str) -> Person | None:
        return await self._one(f"{_PERSON} WHERE email = ?", email)

    async def by_sub(self, sub: str) -> Person | None:
        return await self._one(f"{_PERSON} WHERE sub = ?", sub)

    async def all(self) -> list[Person]:
        async with self.conn.execute(f"{_PERSON} ORDER BY id") as cur:
            rows = list(await cur.fetchall())
        return [await self._person(row) for row in rows]

    async def any_active_admin(self) -> bool:
        sql = """SELECT 1 FROM people p JOIN person_roles r ON r.person_id = p.id
            WHERE p.active = 1 AND r.role = 'admin' LIMIT 1"""
        async with self.conn.execute(sql) as cur:
            return await cur.fetchone() is not None

    async def set_active(self, person_id: int, active: bool) -> None:
        await self.conn.execute("UPDATE people SET active = ? WHERE id = ?", (active, person_id))

    async def set_roles(self, person_id: int, roles: frozenset[str], units: frozenset[str]) -> None:
        await self.conn.execute("DELETE FROM person_roles WHERE person_id = ?", (person_id,))
        rows = [(person_id, role, "") for role in roles] + [
            (person_id, role, unit) for role in roles for unit in units if role == "unit_manager"
        ]
        await self.conn.executemany(
            "INSERT OR IGNORE INTO person_roles (person_id, role, unit) VALUES (?, ?, ?)", rows
        )

    async def link_sub(self, person_id: int, sub: str) -> None:
        await self.conn.execute("UPDATE people SET sub = ? WHERE id = ?", (sub, person_id))

    async def set_password(self, person_id: int, password_hash: str | None) -> None:
        sql = "UPDATE people SET password_hash = ? WHERE id = ?"
        await self.conn.execute(sql, (password_hash, person_id))

    async def password_hash(self, person_id: int) -> str | None:
        sql = "SELECT password_hash FROM people WHERE id = ?"
        async with self.conn.execute(sql, (person_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None or row[0] is None else str(row[0])

    async def add_session(self, session: StoredSession) -> None:
        sql = "INSERT INTO sessions (key, person_id, csrf, created_at, seen_at) VALUES (?,?,?,?,?)"
        s = session
        await self.conn.execute(sql, (s.key, s.person_id, s.csrf, ts(s.created_at), ts(s.seen_at)))

    async def session(self, key: str) -> StoredSession | None:
        sql = "SELECT key, person_id, csrf, created_at, seen_at FROM sessions WHERE key = ?"
        async with self.conn.execute(sql, (key,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        person_id = None if row[1] is None else int(row[1])
        return StoredSession(row[0], person_id, row[2], from_ts(row[3]), from_ts(row[4]))

    async def touch_session(self, key: str, now: datetime) -> None:
        await self.conn.execute("UPDATE sessions SET seen_at = ? WHERE key = ?", (ts(now), key))

    async def drop_session(self, key: str) -> None:
        await self.conn.execute("DELETE FROM sessions WHERE key = ?", (key,))

    async def drop_sessions_of(self, person_id: int) -> int:
        cursor = await self.conn.execute("DELETE FROM sessions WHERE person_id = ?", (person_id,))
        return int(cursor.rowcount)

    async def drop_stale_sessions(self, seen_before: datetime, created_before: datetime) -> int:
        sql = "DELETE FROM sessions WHERE seen_at < ? OR created_at < ?"
        cursor = await self.conn.execute(sql, (ts(seen_before), ts(created_before)))
        return int(cursor.rowcount)

    async def add_token(
        self, person_id: int, name: str, digest: str, now: datetime, expires_at: datetime
    ) -> ApiToken:
        sql = """INSERT INTO api_tokens (person_id, name, digest, created_at, expires_at)
            VALUES (?, ?, ?, ?, ?)"""
        cursor = await self.conn.execute(sql, (person_id, name, digest, ts(now), ts(expires_at)))
        return ApiToken(int(cursor.lastrowid or 0), person_id, name, now, expires_at)

    async def token(self, digest: str) -> ApiToken | None:
        async with self.conn.execute(f"{_TOKEN} WHERE digest = ?", (digest,)) as cur:
            row = await cur.fetchone()
        return None if row is None else _token(row)

    async def tokens(self, person_id: int | None) -> list[ApiToken]:
        where, args = ("WHERE person_id = ?", (person_id,)) if person_id is not None else ("", ())
        async with self.conn.execute(f"{_TOKEN} {where} ORDER BY id", args) as cur:
            return [_token(row) for row in await cur.fetchall()]

    async def revoke_token(self, token_id: int) -> bool:
        sql = "UPDATE api_tokens SET revoked = 1 WHERE id = ? AND revoked = 0"
        cursor = await self.conn.execute(sql, (token_id,))
        return cursor.rowcount > 0

    async def _one(self, sql: str, arg: object) -> Person | None:
        async with self.conn.execute(sql, (arg,)) as cur:
            row = await cur.fetchone()
        return None if row is None else await self._person(row)

    async def _person(self, row: Any) -> Person:
        sql = "SELECT role, unit FROM person_roles WHERE person_id = ?"
        async with self.conn.execute(sql, (row[0],)) as cur:
            grants = list(await cur.fetchall())
        roles = frozenset(str(g[0]) for g in grants)
        units = frozenset(str(g[1]) for g in grants if g[1])
        return Person(int(row[0]), row[1], row[2], bool(row[3]), roles, units, row[4])


def _token(row: Any) -> ApiToken:
    return ApiToken(
        int(row[0]), int(row[1]), row[2], from_ts(row[3]), from_ts(row[4]), bool(row[5])
    )


_AUDIT = "SELECT id, at, action, who, person_id, remote, target, detail, hash FROM audit_log"


class SqliteAuditLog(Repository):
    """The `AuditLog` port (smsbot.storage.ports) on SQLite."""

    async def last_hash(self) -> str:
        async with self.conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1") as c:
            row = await c.fetchone()
        return "" if row is None else str(row[0])

    async def append(self, entry: AuditEntry) -> None:
        e = entry
        sql = """INSERT INTO audit_log (at, action, who, person_id, remote, target, detail, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""
        detail = json.dumps(e.detail, sort_keys=True, ensure_ascii=False)
        args = (ts(e.at), e.action, e.who, e.person_id, e.remote, e.target, detail, e.hash)
        await self.conn.execute(sql, args)

    async def find(self, query: AuditQuery) -> list[AuditEntry]:
        where, args = _audit_where(query)
        sql = f"{_AUDIT} WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?"
        async with self.conn.execute(sql, (*args, query.limit)) as cur:
            return _entries(await cur.fetchall())

    async def chain(self) -> list[AuditEntry]:
        async with self.conn.execute(f"{_AUDIT} ORDER BY id") as cur:
            return _entries(await cur.fetchall())


def _audit_where(query: AuditQuery) -> tuple[list[str], list[object]]:
    where: list[str] = ["1 = 1"]
    args: list[object] = []
    for clause, value in (
        ("at >= ?", ts(query.since) if query.since else None),
        ("at < ?", ts(query.until) if query.until else None),
        ("person_id = ?", query.person_id),
        ("action = ?", query.action),
    ):
        if value is not None:
            where.append(clause)
            args.append(value)
    return where, args


def _entries(rows: Iterable[Any]) -> list[AuditEntry]:
    return [
        AuditEntry(
            at=from_ts(r[1]),
            action=r[2],
            who=r[3],
            person_id=r[4],
            remote=r[5],
            target=r[6],
            detail=json.loads(r[7]),
            id=int(r[0]),
            hash=r[8],
        )
        for r in rows
    ]
