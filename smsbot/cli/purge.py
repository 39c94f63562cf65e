"""`smsbot purge`: remove the phone numbers of conversations that ended longer than retention ago.

smsbot purge [--retention 7d]
"""

from __future__ import annotations

import asyncio
import getpass

import click

from smsbot.bootstrap.store import opened_store
from smsbot.config import Config
from smsbot.people import audit
from smsbot.ports import SystemClock
from smsbot.privacy.retention import PurgeCounts, parse_retention, purge

__all__ = ["purge_command"]


@click.command("purge")
@click.option(
    "--retention",
    default=None,
    metavar="DURATION",
    help="Keep numbers this long after a conversation ends (default: [privacy] retention; "
    "0s: purge every ended conversation now).",
)
@click.pass_context
def purge_command(ctx: click.Context, retention: str | None) -> None:
    """Remove phone numbers of conversations that ended longer than retention ago."""
    config = ctx.find_root().obj
    if not isinstance(config, Config):
        raise click.ClickException("no configuration loaded")
    text = retention if retention is not None else config.privacy.retention
    try:
        seconds = parse_retention(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--retention") from error
    counts = asyncio.run(_purge(config, seconds))
    for table, count in counts.as_dict().items():
        click.echo(f"{table}: {count}")


async def _purge(config: Config, seconds: int) -> PurgeCounts:
    async with opened_store(config.database.path) as store:
        now = SystemClock().now()
        counts = await purge(store, retention_seconds=seconds, now=now)
        await audit.record(
            store, "purge", at=now, who=f"cli ({getpass.getuser()})", remote="cli",
            target="phone numbers", detail={"retention_seconds": seconds, **counts.as_dict()},
        )  # fmt: skip
        return counts
