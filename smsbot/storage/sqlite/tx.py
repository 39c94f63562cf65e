"""The SQLite adapter of the storage ports: the `Store`, and the `Tx` of one unit of work."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import cached_property
from typing import TypeVar, cast

import aiosqlite

from smsbot.storage.ports import Tx
from smsbot.storage.sqlite.cases import SqliteCases
from smsbot.storage.sqlite.conversations import SqliteConversations
from smsbot.storage.sqlite.db import Database
from smsbot.storage.sqlite.feedback import SqliteFeedback
from smsbot.storage.sqlite.inbound import SqliteInbound
from smsbot.storage.sqlite.inline import InlineConnection, run_now
from smsbot.storage.sqlite.journeys import SqliteJourneys
from smsbot.storage.sqlite.outbox import SqliteOutbox
from smsbot.storage.sqlite.people import SqliteAuditLog, SqlitePeople
from smsbot.storage.sqlite.results import SqliteExports, SqliteResults
from smsbot.storage.sqlite.retention import SqlitePseudonymKeys, SqliteRetention
from smsbot.storage.sqlite.service_events import SqliteServiceEvents
from smsbot.storage.sqlite.timers import SqliteTimers
from smsbot.storage.sqlite.trials import SqliteTrials
from smsbot.storage.sqlite.webhooks import SqliteWebhooks

__all__ = ["SqliteStore", "SqliteTx"]

T = TypeVar("T")


class SqliteTx:
    """Every repository of the ports, on the connection of one unit of work (made lazily)."""

    def __init__(self, conn: aiosqlite.Connection, db: Database) -> None:
        self.conn = conn
        self.db = db
        self.effects: list[Callable[[], None]] = []

    def after_commit(self, effect: Callable[[], None]) -> None:
        self.effects.append(effect)

    # gateway
    @cached_property
    def conversations(self) -> SqliteConversations:
        return SqliteConversations(self.conn, self.db, self.outbox)

    @cached_property
    def outbox(self) -> SqliteOutbox:
        return SqliteOutbox(self.conn, self.db)

    @cached_property
    def inbound(self) -> SqliteInbound:
        return SqliteInbound(self.conn, self.db)

    @cached_property
    def service_events(self) -> SqliteServiceEvents:
        return SqliteServiceEvents(self.conn, self.db)

    @cached_property
    def timers(self) -> SqliteTimers:
        return SqliteTimers(self.conn, self.db)

    # results and exports
    @cached_property
    def results(self) -> SqliteResults:
        return SqliteResults(self.conn, self.db)

    @cached_property
    def exports(self) -> SqliteExports:
        return SqliteExports(self.conn, self.db)

    @cached_property
    def journeys(self) -> SqliteJourneys:
        return SqliteJourneys(self.conn, self.db)

    # feedback, retention, pseudonym key, simulator
    @cached_property
    def feedback(self) -> SqliteFeedback:
        return SqliteFeedback(self.conn, self.db)

    @cached_property
    def retention(self) -> SqliteRetention:
        return SqliteRetention(self.conn, self.db)

    @cached_property
    def keys(self) -> SqlitePseudonymKeys:
        return SqlitePseudonymKeys(self.conn, self.db)

    @cached_property
    def trials(self) -> SqliteTrials:
        return SqliteTrials(self.conn, self.db)

    # people and the audit log
    @cached_property
    def people(self) -> SqlitePeople:
        return SqlitePeople(self.conn, self.db)

    @cached_property
    def audit(self) -> SqliteAuditLog:
        return SqliteAuditLog(self.conn, self.db)

    # results out
    @cached_property
    def webhooks(self) -> SqliteWebhooks:
        return SqliteWebhooks(self.conn, self.db)

    @cached_property
    def cases(self) -> SqliteCases:
        return SqliteCases(self.conn, self.db)


class SqliteStore:
    """The `Store` port on one SQLite file (group commit: see `Database.transaction`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqliteTx]:
        async with self.db.transaction() as conn:
            tx = SqliteTx(conn, self.db)
            yield tx
        for effect in tx.effects:  # the unit is durable now
            effect()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqliteTx]:
        tx = SqliteTx(self.db.conn, self.db)
        yield tx
        for effect in tx.effects:  # nothing to commit: an effect asked for still happens
            effect()

    async def unit(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        def whole(conn: sqlite3.Connection) -> tuple[T, list[Callable[[], None]]]:
            tx = SqliteTx(cast(aiosqlite.Connection, InlineConnection(conn)), self.db)
            return run_now(work(tx)), tx.effects  # in the writer's thread, at once

        value, effects = await self.db.write(whole)
        for effect in effects:  # the unit is durable now
            effect()
        return value

    async def read_unit(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        def whole(conn: sqlite3.Connection) -> tuple[T, list[Callable[[], None]]]:
            tx = SqliteTx(cast(aiosqlite.Connection, InlineConnection(conn)), self.db)
            return run_now(work(tx)), tx.effects  # in the database's thread, at once

        value, effects = await self.db.peek(whole)
        for effect in effects:  # nothing to commit: an effect asked for still happens
            effect()
        return value

    async def flush(self) -> None:
        await self.db.flush()

    def write_failure(self) -> str | None:
        return self.db.write_failure()

    async def close(self) -> None:
        await self.db.close()
