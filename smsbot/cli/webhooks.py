"""`smsbot webhooks`: an admin's subscriptions to results out, their deliveries and replays.

    smsbot webhooks add https://crm.example.org/hooks --event survey.completed --event case.opened
        [--unit Akuten] [--send-phone]        (prints the secret, once)
    smsbot webhooks list
    smsbot webhooks remove 3                  (its waiting deliveries are cancelled)
    smsbot webhooks deliveries [--subscription 3] [--status failed] [--attempts]
    smsbot webhooks replay 41                 (again, with the same webhook-id)

Every change goes in the audit log as made by "cli (<the operating-system user>)".
"""

from __future__ import annotations

import click

from smsbot.cli.common import cli_actor, with_store
from smsbot.gateway import subscriptions
from smsbot.ports import SystemClock
from smsbot.storage.ports import Store
from smsbot.storage.webhooks import EVENT_TYPES, Attempt, Delivery, Subscription

__all__ = ["webhooks"]


@click.group()
def webhooks() -> None:
    """Signed webhooks to other systems: subscriptions, deliveries, replays."""


@webhooks.command("add")
@click.argument("url")
@click.option(
    "--event", "events", multiple=True, required=True, type=click.Choice(EVENT_TYPES),
    help="An event type to send (repeatable).",
)  # fmt: skip
@click.option("--unit", default=None, help="Only this unit's events (default: every unit).")
@click.option("--send-phone", is_flag=True, help="May receive a consented callback number.")
@click.pass_context
def webhooks_add(
    ctx: click.Context, url: str, events: tuple[str, ...], unit: str | None, send_phone: bool
) -> None:
    """Subscribe URL to the events; prints the signing secret, which is not shown again."""
    try:
        new = subscriptions.parse(url, events, unit, send_phone=send_phone)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    now = SystemClock().now()
    subscription_id = with_store(ctx, lambda store: subscriptions.add(store, cli_actor(), new, now))
    click.echo(f"added webhook {subscription_id} -> {new.url}")
    click.echo(f"secret (shown once; the receiver verifies signatures with it): {new.secret}")


@webhooks.command("list")
@click.pass_context
def webhooks_list(ctx: click.Context) -> None:
    """Every subscription: id, state, URL, events, unit (secrets are not shown)."""

    async def every(store: Store) -> list[Subscription]:
        async with store.read() as tx:
            return await tx.webhooks.subscriptions()

    found = with_store(ctx, every)
    for s in found:
        state = "active" if s.active else f"disabled ({s.disabled_reason})"
        phone = "\tsends callback number" if s.send_phone else ""
        unit = s.unit or "every unit"
        click.echo(f"{s.id}\t{state}\t{s.url}\t{','.join(sorted(s.events))}\t{unit}{phone}")
    click.echo(f"{len(found)} subscription(s)", err=True)


@webhooks.command("remove")
@click.argument("subscription_id", type=int)
@click.pass_context
def webhooks_remove(ctx: click.Context, subscription_id: int) -> None:
    """Stop a subscription; what it still had to deliver is cancelled."""
    now = SystemClock().now()
    with_store(ctx, lambda store: subscriptions.remove(store, cli_actor(), subscription_id, now))
    click.echo(f"removed webhook {subscription_id}")


@webhooks.command("deliveries")
@click.option("--subscription", "subscription_id", type=int, default=None)
@click.option(
    "--status", type=click.Choice(["pending", "delivered", "failed", "cancelled"]), default=None
)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--attempts", "show_attempts", is_flag=True, help="Each attempt, too.")
@click.pass_context
def webhooks_deliveries(
    ctx: click.Context,
    subscription_id: int | None,
    status: str | None,
    limit: int,
    show_attempts: bool,
) -> None:
    """The newest deliveries: id, webhook-id, event, status, attempts, last error."""

    async def found(store: Store) -> list[tuple[Delivery, list[Attempt]]]:
        async with store.read() as tx:
            rows = await tx.webhooks.deliveries(
                subscription_id=subscription_id, status=status, limit=limit
            )
            return [(d, await tx.webhooks.attempts(d.id) if show_attempts else []) for d in rows]

    rows = with_store(ctx, found)
    for delivery, attempts in rows:
        click.echo(_delivery_line(delivery))
        for attempt in attempts:
            click.echo(f"\t{_attempt_line(attempt)}")
    click.echo(f"{len(rows)} deliveries", err=True)


def _delivery_line(d: Delivery) -> str:
    error = f"\t{d.last_error}" if d.last_error else ""
    return (
        f"{d.id}\t{d.webhook_id}\twebhook {d.subscription_id}\t{d.event_type}\t{d.status}"
        f"\t{d.attempts} attempt(s)\t{d.created_at:%Y-%m-%d %H:%M:%S}{error}"
    )


def _attempt_line(a: Attempt) -> str:
    answer = f"HTTP {a.status_code}" if a.status_code is not None else "no answer"
    error = f": {a.error}" if a.error and a.status_code is None else ""
    return f"{a.at:%Y-%m-%d %H:%M:%S}\t{answer}{error}\t{a.milliseconds} ms"


@webhooks.command("replay")
@click.argument("delivery_id", type=int)
@click.pass_context
def webhooks_replay(ctx: click.Context, delivery_id: int) -> None:
    """Deliver again now, with the same webhook-id (receivers that saw it may drop it)."""
    now = SystemClock().now()
    with_store(ctx, lambda store: subscriptions.replay(store, cli_actor(), delivery_id, now))
    click.echo(f"delivery {delivery_id} queued again")
