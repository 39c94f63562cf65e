"""`smsbot db rebuild-aggregates`: fill the results' aggregate tables again from the stored rows."""

from __future__ import annotations

import asyncio
import time

import click

from smsbot.bootstrap.store import opened_store
from smsbot.cli.common import config_of

__all__ = ["db"]


@click.group("db")
def db() -> None:
    """Look after the database."""


@db.command("rebuild-aggregates")
@click.pass_context
def rebuild_aggregates(ctx: click.Context) -> None:
    """Fill the aggregate tables reports and the dashboard read, from the stored answers,
    conversations, messages and events.

    The gateway keeps them up to date as it writes (and the upgrade fills them once): run
    this after changing the database with other tools, e.g. sqlite3. Safe while the gateway
    runs (one transaction); at a million answers it takes about a minute.
    """
    config = config_of(ctx)
    started = time.monotonic()
    counts = asyncio.run(_rebuild(config.database.path))
    for table, rows in counts.items():
        click.echo(f"{table}: {rows} rows")
    click.echo(f"rebuilt in {time.monotonic() - started:.1f} s")


async def _rebuild(path: str) -> dict[str, int]:
    async with opened_store(path) as store, store.write() as tx:
        return await tx.results.rebuild_aggregates()
