"""`smsbot backup FILE`: a consistent copy of the database, while the gateway runs."""

from __future__ import annotations

from pathlib import Path

import click

from smsbot.bootstrap.backup import BackupError, backup
from smsbot.cli.common import config_of

__all__ = ["backup_command"]


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup_command(ctx: click.Context, file: Path) -> None:
    """Copy the database to FILE (a new file), consistently, while the gateway runs.

    Everything acknowledged before the copy began is in it. The copy holds phone numbers
    that are not yet past retention: keep it as safe as the database, and delete it on the
    same schedule. The README says how to restore one.
    """
    config = config_of(ctx)
    try:
        made = backup(config, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    size = f"{made.bytes / 1_000_000:.1f} MB"
    click.echo(f"backed up to {made.path} ({size}, schema {made.schema_version}, check ok)")
