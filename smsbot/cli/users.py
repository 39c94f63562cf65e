"""`smsbot users` and `smsbot tokens`: staff accounts, their roles, units and API tokens.

    smsbot users add --name "Anna Berg" --email anna@example.org --role unit_manager --unit Akuten
    smsbot users list
    smsbot users set-roles anna@example.org --role analyst
    smsbot users disable anna@example.org        (ends her sessions; her tokens stop working)
    smsbot users set-password anna@example.org
    smsbot tokens add anna@example.org --name power-bi --days 90    (the token is shown once)
    smsbot tokens list [EMAIL]
    smsbot tokens revoke 3

A password is read from a hidden prompt (typed twice) or, when stdin is not a terminal, from its
first line; never from the command line, where `ps` and the shell's history would keep it.
Every change is written to the audit log as made by "cli (<the operating-system user>)".
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from smsbot.cli.common import cli_actor, with_store
from smsbot.people import accounts
from smsbot.people.passwords import PasswordError, check_new_password, hash_password
from smsbot.people.rights import RightsError
from smsbot.ports import SystemClock
from smsbot.storage.accounts import ROLES, Person
from smsbot.storage.ports import Store

__all__ = ["tokens", "users"]

T = TypeVar("T")
_ROLE = click.Choice([*ROLES, "unit-manager"])


def _run(ctx: click.Context, work: Callable[[Store], Awaitable[T]]) -> T:
    return with_store(ctx, work, (ValueError, RightsError))


async def _person(store: Store, email: str) -> Person:
    async with store.read() as tx:
        person = await tx.people.by_email(email)
    if person is None:
        raise click.ClickException(f"no person with the e-mail {email}: see `smsbot users list`")
    return person


def _read_password(email: str) -> str:
    if sys.stdin.isatty():
        password: str = click.prompt(
            f"Password for {email}", hide_input=True, confirmation_prompt=True
        )
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        check_new_password(password, email)
    except PasswordError as error:
        raise click.ClickException(str(error)) from None
    return password


@click.group()
def users() -> None:
    """Staff accounts: add, list, change roles, disable."""


@users.command("add")
@click.option("--name", required=True, help="The person's name, as pages and the audit show it.")
@click.option("--email", required=True, help="Her e-mail: the sign-in name, and how SSO finds her.")
@click.option("--role", "roles", multiple=True, required=True, type=_ROLE, help="Repeatable.")
@click.option("--unit", "units", multiple=True, help="A unit of a unit_manager (repeatable).")
@click.option(
    "--no-password", is_flag=True, help="She signs in only through the identity provider."
)
@click.pass_context
def users_add(
    ctx: click.Context,
    name: str,
    email: str,
    roles: tuple[str, ...],
    units: tuple[str, ...],
    no_password: bool,
) -> None:
    """Add a person; the password is asked for (or read from stdin's first line)."""
    password = None if no_password else _read_password(email)
    person = _run(
        ctx,
        lambda store: accounts.add_person(
            store,
            cli_actor(),
            name=name,
            email=email,
            roles=list(roles),
            units=list(units),
            password=password,
            now=SystemClock().now(),
        ),
    )
    click.echo(f"added {person.describe()} (id {person.id}): {_grant(person)}")


def _grant(person: Person) -> str:
    roles = ", ".join(sorted(person.roles)) or "no role"
    return roles + (f" of {', '.join(sorted(person.units))}" if person.units else "")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """Everyone, with roles, units and whether they may sign in."""

    async def everyone(store: Store) -> list[Person]:
        async with store.read() as tx:
            return await tx.people.all()

    people = _run(ctx, everyone)
    for p in people:
        state = "active" if p.active else "disabled"
        sso = ", signs in by SSO" if p.sub else ""
        click.echo(f"{p.id}\t{p.name}\t{p.email}\t{state}{sso}\t{_grant(p)}")
    click.echo(f"{len(people)} person(s)", err=True)


@users.command("set-roles")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, type=_ROLE)
@click.option("--unit", "units", multiple=True)
@click.pass_context
def users_set_roles(
    ctx: click.Context, email: str, roles: tuple[str, ...], units: tuple[str, ...]
) -> None:
    """Replace a person's roles and units (her sessions end: she signs in again)."""

    async def change(store: Store) -> Person:
        person = await _person(store, email)
        return await accounts.set_roles(
            store, cli_actor(), person, list(roles), list(units), SystemClock().now()
        )

    click.echo(f"{email}: {_grant(_run(ctx, change))}")


def _set_active(ctx: click.Context, email: str, active: bool) -> None:
    async def change(store: Store) -> None:
        person = await _person(store, email)
        await accounts.set_active(store, cli_actor(), person, active, SystemClock().now())

    _run(ctx, change)


@users.command("disable")
@click.argument("email")
@click.pass_context
def users_disable(ctx: click.Context, email: str) -> None:
    """Stop a person signing in: her sessions end and her API tokens stop working."""
    _set_active(ctx, email, False)
    click.echo(f"{email} is disabled")


@users.command("enable")
@click.argument("email")
@click.pass_context
def users_enable(ctx: click.Context, email: str) -> None:
    """Let a disabled person sign in again."""
    _set_active(ctx, email, True)
    click.echo(f"{email} is enabled")


@users.command("set-password")
@click.argument("email")
@click.pass_context
def users_set_password(ctx: click.Context, email: str) -> None:
    """Give a person a new password (asked for, or stdin's first line)."""
    password = _read_password(email)

    async def change(store: Store) -> None:
        person = await _person(store, email)
        async with store.write() as tx:
            await tx.people.set_password(person.id, hash_password(password))
            await tx.people.drop_sessions_of(person.id)
        await accounts.record_change(
            store, cli_actor(), "password_set", person, SystemClock().now()
        )

    _run(ctx, change)
    click.echo(f"{email}: the password is set")


@click.group()
def tokens() -> None:
    """People's API tokens for the JSON API (event sources keep their own)."""


@tokens.command("add")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, such as power-bi.")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 366))
@click.pass_context
def tokens_add(ctx: click.Context, email: str, name: str, days: int) -> None:
    """A new token carrying the person's roles and units; printed once, stored hashed."""

    async def issue(store: Store) -> tuple[object, str]:
        person = await _person(store, email)
        return await accounts.issue_token(
            store, cli_actor(), person, name, days, SystemClock().now()
        )

    token, secret = _run(ctx, issue)
    click.echo(secret)
    click.echo(
        f"token {getattr(token, 'id', '?')} for {email}: copy it now, it is not shown "
        "again (send it as Authorization: Bearer ...)",
        err=True,
    )


@tokens.command("list")
@click.argument("email", required=False)
@click.pass_context
def tokens_list(ctx: click.Context, email: str | None) -> None:
    """Tokens (never their secrets): id, person, name, expiry, state."""

    async def listed(store: Store) -> list[tuple[str, accounts.ApiToken]]:
        person = await _person(store, email) if email else None
        async with store.read() as tx:
            found = await tx.people.tokens(person.id if person else None)
            names = {p.id: p.email for p in await tx.people.all()}
        return [(names.get(t.person_id, "?"), t) for t in found]

    now = SystemClock().now()
    for owner, t in _run(ctx, listed):
        state = "revoked" if t.revoked else "expired" if t.expires_at <= now else "valid"
        click.echo(f"{t.id}\t{owner}\t{t.name}\t{t.expires_at:%Y-%m-%d}\t{state}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: int) -> None:
    """Stop a token working at once."""
    done = _run(
        ctx, lambda store: accounts.revoke_token(store, cli_actor(), token_id, SystemClock().now())
    )
    if not done:
        raise click.ClickException(f"no valid token {token_id}: see `smsbot tokens list`")
    click.echo(f"token {token_id} is revoked")
