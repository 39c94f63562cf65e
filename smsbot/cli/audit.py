"""`smsbot audit`: read the audit log (filters, JSON lines or CSV) and verify its hash chain.

smsbot audit --since 2026-11-01 --action export --format csv > exports.csv
smsbot audit --email anna@example.org
smsbot audit verify        (exit 1, naming each entry, when one was removed or altered)
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime

import click

from smsbot.bootstrap.store import opened_store
from smsbot.cli.common import config_of
from smsbot.people.audit import verify
from smsbot.results import csvsafe
from smsbot.storage.accounts import AuditEntry, AuditQuery
from smsbot.storage.ports import Store

__all__ = ["audit"]

COLUMNS = ("id", "at", "action", "who", "person_id", "remote", "target", "detail")


def _day(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("expected a date such as 2026-11-01", param_hint=name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group(invoke_without_command=True)
@click.option("--since", default=None, help="From this date or time (UTC unless given).")
@click.option("--until", default=None, help="Before this date or time.")
@click.option("--email", default=None, help="Only what this person did.")
@click.option("--action", default=None, help="Only this action: sign_in, export, tag, ...")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 10**7))
@click.pass_context
def audit(
    ctx: click.Context,
    since: str | None,
    until: str | None,
    email: str | None,
    action: str | None,
    fmt: str,
    limit: int,
) -> None:
    """Who viewed, exported, tagged or changed what, when and from where (newest first)."""
    if ctx.invoked_subcommand is not None:
        return
    query = AuditQuery(_day(since, "--since"), _day(until, "--until"), None, action, limit)
    entries = asyncio.run(_find(ctx, query, email))
    if fmt == "csv":
        writer = csvsafe.writer(sys.stdout)  # a cell starting with = + - @ cannot run in Excel
        writer.writerow(COLUMNS)
        for row in entries:
            writer.writerow(_row(row).values())
    else:
        for row in entries:
            click.echo(json.dumps(_row(row), ensure_ascii=False))
    click.echo(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}", err=True)


def _row(entry: AuditEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(timespec="seconds"),
        "action": entry.action,
        "who": entry.who,
        "person_id": entry.person_id,
        "remote": entry.remote,
        "target": entry.target,
        "detail": json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
    }


async def _find(ctx: click.Context, query: AuditQuery, email: str | None) -> list[AuditEntry]:
    async with opened_store(config_of(ctx).database.path) as store:
        if email:
            query = AuditQuery(
                query.since, query.until, await _id(store, email), query.action, query.limit
            )
        async with store.read() as tx:
            return await tx.audit.find(query)


async def _id(store: Store, email: str) -> int:
    async with store.read() as tx:
        person = await tx.people.by_email(email)
    if person is None:
        raise click.ClickException(f"no person with the e-mail {email}")
    return person.id


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check the hash chain: exit 1, naming the entries, if one was removed or altered."""

    async def chain() -> list[AuditEntry]:
        async with opened_store(config_of(ctx).database.path) as store, store.read() as tx:
            return await tx.audit.chain()

    entries = asyncio.run(chain())
    problems = verify(entries)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"the audit log is NOT whole: {len(problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"the audit log is whole: {len(entries)} entries chained", err=True)
