"""What every command group needs from the `smsbot` command: the configuration it loaded, who
is acting (for the audit log), and the store to work on."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from smsbot.bootstrap.store import opened_store
from smsbot.config import Config
from smsbot.people.accounts import Actor
from smsbot.storage.ports import Store

__all__ = ["cli_actor", "config_of", "with_store"]

T = TypeVar("T")


def cli_actor() -> Actor:
    """The person at the terminal, as the audit log names her: `cli (<os user>)`."""
    return Actor(f"cli ({getpass.getuser()})", "cli")


def with_store(
    ctx: click.Context,
    work: Callable[[Store], Awaitable[T]],
    refused: tuple[type[Exception], ...] = (ValueError,),
) -> T:
    """Run `work` on the configured database's store; a refusal is the command's error."""

    async def opened() -> T:
        async with opened_store(config_of(ctx).database.path) as store:
            return await work(store)

    try:
        return asyncio.run(opened())
    except refused as error:
        raise click.ClickException(str(error)) from None


def config_of(ctx: click.Context) -> Config:
    """The configuration the `smsbot` command loaded (a ClickException when there is none)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, Config):
        raise click.ClickException("no configuration loaded")
    return obj
