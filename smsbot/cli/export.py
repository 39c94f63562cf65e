"""`smsbot export`: answers, feedback or conversations as CSV or JSON Lines, for analysts.

    smsbot export answers|feedback|conversations --format csv|jsonl [--out FILE]
                  [--flow FLOW] [--since 2026-11-01 | --since 30d] [--bom] [--include-trials]

What the rows hold, and how they are written, is smsbot.results.export.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click

from smsbot.bootstrap.store import opened_store
from smsbot.cli.common import config_of
from smsbot.config import Config
from smsbot.people import audit
from smsbot.results.export import EXPORTS, FORMATS, parse_since, write_export

__all__ = ["export"]


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_since(value, datetime.now(UTC))
    except ValueError as error:
        raise click.BadParameter(str(error)) from error


@click.command("export")
@click.argument("what", type=click.Choice(list(EXPORTS)))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@click.option("--flow", default=None, help="Only this flow id.")
@click.option(
    "--since", callback=_since, default=None, help="From a date/time, or a duration ago (30d)."
)
@click.option("--bom", is_flag=True, help="Start with a UTF-8 BOM (Excel then shows å, ä, ö).")
@click.option(
    "--include-trials",
    is_flag=True,
    help="Trials too (smsbot chat, the phone simulator, events marked trial), in a column trial.",
)
@click.pass_context
def export(
    ctx: click.Context,
    what: str,
    fmt: str,
    out: Path | None,
    flow: str | None,
    since: datetime | None,
    bom: bool,
    include_trials: bool,
) -> None:
    """Export answers, feedback or conversations (pseudonymous; never phone numbers)."""
    config = config_of(ctx)
    with ExitStack() as stack:
        if out is None:
            stream: TextIO = sys.stdout
        else:
            stream = stack.enter_context(out.open("w", encoding="utf-8", newline=""))
        if bom:
            stream.write("\ufeff")
        scope = (flow, since, include_trials)
        count = asyncio.run(_export(config, what, stream, fmt, scope))
        stream.flush()
    where = f" to {out}" if out is not None else ""
    click.echo(f"{count} {what} row(s) exported{where}", err=True)


async def _export(
    config: Config,
    what: str,
    out: TextIO,
    fmt: str,
    scope: tuple[str | None, datetime | None, bool],
) -> int:
    """Export `what` in `scope`: (flow, since, include_trials)."""
    flow, since, include_trials = scope
    async with opened_store(config.database.path) as store:
        count = await write_export(
            store, what, out, fmt=fmt, flow=flow, since=since, include_trials=include_trials
        )
        filters = {
            "flow": flow,
            "since": since.isoformat() if since else None,
            "include_trials": include_trials,
            "format": fmt,
        }
        await audit.record(
            store, "export", at=datetime.now(UTC), who=f"cli ({getpass.getuser()})",
            remote="cli", target=what, detail={"filters": filters, "rows": count},
        )  # fmt: skip
        return count
