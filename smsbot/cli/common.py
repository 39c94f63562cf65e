"""What every command group needs from the `smsbot` command: the configuration it loaded."""

from __future__ import annotations

import click

from smsbot.config import Config

__all__ = ["config_of"]


def config_of(ctx: click.Context) -> Config:
    """The configuration the `smsbot` command loaded (a ClickException when there is none)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, Config):
        raise click.ClickException("no configuration loaded")
    return obj
