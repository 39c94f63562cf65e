"""`smsbot feedback`: read free-text feedback, tag it into themes, let the rules suggest tags.

    smsbot feedback list [--untagged] [--unit UNIT] [--tag TAG] [--limit 50] [--offset 0]
    smsbot feedback tag ID TAG... [--by NAME]
    smsbot feedback untag ID TAG... [--by NAME]
    smsbot feedback suggest
    smsbot feedback themes [--unit UNIT] [-n 3]

The taxonomy is `<flows dir>/tags.yaml`. Lines show tags confirmed by a person as `tag` and
tags only suggested by the rules as `tag?`; rejected tags are not shown.
"""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

import click

from smsbot.bootstrap.store import opened_store
from smsbot.cli.common import config_of
from smsbot.config import Config
from smsbot.feedback.review import (
    FeedbackNotFound,
    Tagged,
    Theme,
    UnknownTags,
    check_tags,
    list_feedback,
    suggest_new,
    tag,
    top_themes,
    untag,
)
from smsbot.feedback.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from smsbot.storage.ports import FeedbackItem, Store

__all__ = ["feedback", "format_item", "taxonomy_path"]

_T = TypeVar("_T")
TEXT_WIDTH = 100


def taxonomy_path(config: Config) -> Path:
    return Path(config.flows.dir) / "tags.yaml"


def _taxonomy(config: Config) -> Taxonomy:
    try:
        return load_taxonomy(taxonomy_path(config))
    except TaxonomyError as error:
        raise click.ClickException(str(error)) from error


def _known(taxonomy: Taxonomy, tags: tuple[str, ...]) -> None:
    try:
        check_tags(taxonomy, tags)
    except UnknownTags as error:
        known = ", ".join(taxonomy.ids)
        raise click.UsageError(f"{error}\nknown tags: {known}") from error


def _run(config: Config, work: Callable[[Store], Awaitable[_T]]) -> _T:
    """Open the store, run `work` on it (each use case is its own unit of work), close."""

    async def main() -> _T:
        async with opened_store(config.database.path) as store:
            return await work(store)

    try:
        return asyncio.run(main())
    except FeedbackNotFound as error:
        raise click.ClickException(str(error)) from error


def format_item(item: FeedbackItem, width: int = TEXT_WIDTH) -> str:
    """One readable line: id, unit, language, tags (`tag` confirmed, `tag?` suggested), text."""
    tags = [*item.tags_in("confirmed"), *(f"{t}?" for t in item.tags_in("suggested"))]
    text = " ".join(item.text.split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    shown = " ".join(tags) or "-"
    return f"#{item.id:<5} {item.unit or '-'} | {item.language} | {shown} | {text}"


@click.group()
def feedback() -> None:
    """Free-text feedback: list it, tag it into themes, suggest tags by rules."""


@feedback.command("list")
@click.option("--untagged", is_flag=True, help="Only feedback no person has tagged yet.")
@click.option("--unit", default=None, help="Only this unit.")
@click.option("--tag", "tag_id", default=None, help="Only feedback with this tag (or suggested).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@click.pass_context
def list_command(
    ctx: click.Context,
    untagged: bool,
    unit: str | None,
    tag_id: str | None,
    limit: int,
    offset: int,
) -> None:
    """List feedback, newest first: id, unit, language, tags (tag? = suggested), text."""
    config = config_of(ctx)
    if tag_id is not None:
        _known(_taxonomy(config), (tag_id,))

    async def work(store: Store) -> list[FeedbackItem]:
        return await list_feedback(
            store, untagged=untagged, unit=unit, tag=tag_id, limit=limit, offset=offset
        )

    items = _run(config, work)
    for item in items:
        click.echo(format_item(item))
    click.echo(f"{len(items)} item(s); tag? = suggested by rules, not yet confirmed", err=True)


def _by(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    name = (value or "").strip() or _login()
    return name


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


_BY = click.option(
    "--by", callback=_by, default=None, help="Who decides (default: your login name)."
)


class _Decide(Protocol):
    """review.tag or review.untag."""

    async def __call__(
        self,
        store: Store,
        taxonomy: Taxonomy,
        feedback_id: int,
        tags: Iterable[str],
        *,
        who: str,
        now: datetime,
    ) -> Tagged: ...


def _decide(
    ctx: click.Context, decide: _Decide, feedback_id: int, tags: tuple[str, ...], by: str
) -> None:
    """Check the tags, make the decision in one unit of work, print what changed."""
    config = config_of(ctx)
    taxonomy = _taxonomy(config)
    _known(taxonomy, tags)
    now = datetime.now(UTC)

    async def work(store: Store) -> Tagged:
        return await decide(store, taxonomy, feedback_id, tags, who=by, now=now)

    changes = _run(config, work).changes
    if not changes:
        click.echo(f"#{feedback_id}: nothing to change")
    for change in changes:
        click.echo(f"#{feedback_id}: {change.action} {change.tag}")


@feedback.command("tag")
@click.argument("feedback_id", metavar="ID", type=int)
@click.argument("tags", metavar="TAG...", nargs=-1, required=True)
@_BY
@click.pass_context
def tag_command(ctx: click.Context, feedback_id: int, tags: tuple[str, ...], by: str) -> None:
    """Confirm suggested tags or add tags to feedback ID."""
    _decide(ctx, tag, feedback_id, tags, by)


@feedback.command("untag")
@click.argument("feedback_id", metavar="ID", type=int)
@click.argument("tags", metavar="TAG...", nargs=-1, required=True)
@_BY
@click.pass_context
def untag_command(ctx: click.Context, feedback_id: int, tags: tuple[str, ...], by: str) -> None:
    """Reject tags on feedback ID (the rules will not suggest them again)."""
    _decide(ctx, untag, feedback_id, tags, by)


@feedback.command("suggest")
@click.pass_context
def suggest_command(ctx: click.Context) -> None:
    """Let the rules suggest tags for feedback that has none yet."""
    config = config_of(ctx)
    taxonomy = _taxonomy(config)

    async def work(store: Store) -> int:
        return await suggest_new(store, taxonomy)

    added = _run(config, work)
    click.echo(f"{added} tag suggestion(s) added")


@feedback.command("themes")
@click.option("--unit", default=None, help="One unit (default: all units together).")
@click.option("-n", "count", default=3, show_default=True, type=click.IntRange(1, 20))
@click.pass_context
def themes_command(ctx: click.Context, unit: str | None, count: int) -> None:
    """The top strengths and improvements, with example quotes."""
    config = config_of(ctx)
    taxonomy = _taxonomy(config)

    async def work(store: Store) -> dict[str, list[Theme]]:
        return await top_themes(store, taxonomy, unit=unit, n=count)

    themes = _run(config, work)
    for heading, key in (("Strengths", "strengths"), ("Improvements", "improvements")):
        click.echo(f"{heading}:")
        for theme in themes[key]:
            known = taxonomy.get(theme.tag)
            label = known.label("en") if known else theme.tag
            click.echo(f"  {theme.tag} ({label}): {theme.total}")
            for quote in theme.examples:
                click.echo(f'    "{" ".join(quote.split())}"')
