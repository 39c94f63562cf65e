"""`smsbot report`: funnel, answers per question, time to first answer, drivers and cost.

    smsbot report [--flow FLOW] [--since DATE] [--until DATE] [--unit UNIT] [--service S]
                  [--channel C] [--attr name=value]... [--group-by unit|...|attributes.<name>]
                  [--section funnel|questions|timing|drivers|cost|avoidable|cases|all|journeys]
                  [--journey TYPE]
                  [--format table|json|csv] [--include-trials]

Dates without a zone are in the configured `[survey] timezone`; `--until 2026-11-30` includes
the whole 30th. Groups (and cells) smaller than `[privacy] min_group_size` are suppressed.
Trials (`smsbot chat`, the phone simulator, events posted with "trial": true) are left out
unless `--include-trials`. `--section journeys` (or `--journey TYPE` for one type) gives the
journey report instead (smsbot.results.journeys; the types are in `<flows dir>/journeys.yaml`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from smsbot.bootstrap.store import opened_store
from smsbot.cli.common import config_of
from smsbot.config import Config
from smsbot.flows.files import load_flow_dir
from smsbot.flows.journeys import journeys_path, load_journeys
from smsbot.results.journeys import journey_report
from smsbot.results.render import render_csv, render_json, render_table
from smsbot.results.reports import (
    PERIODS,
    SECTIONS,
    ReportFilter,
    ReportFilterError,
    full_report,
    parse_attribute,
    parse_moment,
)

__all__ = ["report"]

_RENDER = {"table": render_table, "json": render_json, "csv": render_csv}


class _BadFilter(click.ClickException):
    """A filter that cannot be used: one line naming the problem, exit status 2 (as a usage
    error, without the usage text around it)."""

    exit_code = 2


@dataclass(frozen=True)
class _Options:
    sections: tuple[str, ...]
    satisfaction: str | None
    resolved: str | None
    attribute: str
    crosstab: str | None
    period: str


@click.command("report")
@click.option("--flow", help="Only this flow.")
@click.option("--since", help="From this date or time (inclusive), e.g. 2026-11-01.")
@click.option("--until", help="Up to this date (the whole day) or time (exclusive).")
@click.option("--unit", help="Only this unit.")
@click.option("--service", help="Only this service.")
@click.option("--channel", help="Only this channel.")
@click.option("--attr", "attrs", multiple=True, metavar="NAME=VALUE", help="Event attribute.")
@click.option("--group-by", help="unit, service, channel, flow, language or attributes.<name>.")
@click.option(
    "--section",
    type=click.Choice([*SECTIONS, "all", "journeys"]),
    help="Which section [default: all; only the cross-tab when --crosstab is given].",
)
@click.option("--format", "fmt", type=click.Choice(list(_RENDER)), default="table")
@click.option(
    "--include-trials",
    is_flag=True,
    help="Count trials too (smsbot chat, the phone simulator, events marked trial).",
)
@click.option("--satisfaction", help="drivers: the satisfaction question (default: csat).")
@click.option(
    "--resolved",
    help="drivers: the yes/no question (default: the one the flow declares means: resolution).",
)
@click.option(
    "--attribute",
    default="wait_seconds",
    show_default=True,
    help="drivers: the numeric event attribute.",
)
@click.option(
    "--crosstab",
    metavar="QUESTION:BY",
    help="A question within each answer of another question or an event value: ces:reason,"
    " solved:channel, nps:attributes.age_band.",
)
@click.option(
    "--period",
    type=click.Choice(PERIODS),
    default="month",
    show_default=True,
    help="avoidable: split time by week or month (UTC).",
)
@click.option(
    "--journey",
    metavar="TYPE",
    help="The journey report for this journey type (journeys.yaml); --section journeys: all.",
)
@click.pass_context
def report(
    ctx: click.Context,
    flow: str | None,
    since: str | None,
    until: str | None,
    unit: str | None,
    service: str | None,
    channel: str | None,
    attrs: tuple[str, ...],
    group_by: str | None,
    section: str | None,
    fmt: str,
    include_trials: bool,
    satisfaction: str | None,
    resolved: str | None,
    attribute: str,
    crosstab: str | None,
    period: str,
    journey: str | None,
) -> None:
    """Survey figures per group, small groups suppressed; never a phone number."""
    config = config_of(ctx)
    tz = ZoneInfo(config.survey.timezone)
    try:
        f = ReportFilter(
            flow=flow,
            since=parse_moment(since, tz) if since else None,
            until=parse_moment(until, tz, end=True) if until else None,
            unit=unit,
            service=service,
            channel=channel,
            attributes=dict(parse_attribute(a) for a in attrs),
            group_by=group_by,
            include_trials=include_trials,
        )
    except ReportFilterError as error:
        raise _BadFilter(str(error)) from error
    sections = _sections(section, crosstab)
    options = _Options(sections, satisfaction, resolved, attribute, crosstab, period)
    try:
        if section == "journeys" or journey is not None:
            data = asyncio.run(_journeys(config, f, journey))
        else:
            data = asyncio.run(_report(config, f, options))
    except ReportFilterError as error:
        raise _BadFilter(str(error)) from error
    click.echo(_RENDER[fmt](data), nl=False)


def _sections(section: str | None, crosstab: str | None) -> tuple[str, ...]:
    """--section, else every section, or none besides the cross-tab when one is asked for."""
    if section is None or section == "journeys":
        return () if crosstab is not None else SECTIONS
    return SECTIONS if section == "all" else (section,)


async def _journeys(config: Config, f: ReportFilter, journey: str | None) -> dict[str, object]:
    flows, _findings = load_flow_dir(Path(config.flows.dir))
    definitions, problems = load_journeys(journeys_path(config.flows.dir), flows)
    for problem in problems:  # a journey type with an error is left out: say why
        click.echo(f"warning: {problem}", err=True)
    async with opened_store(config.database.path) as store:
        return await journey_report(
            store, f, definitions, flows, journey=journey, min_group=config.privacy.min_group_size
        )


async def _report(config: Config, f: ReportFilter, options: _Options) -> dict[str, object]:
    flows, _findings = load_flow_dir(Path(config.flows.dir))
    async with opened_store(config.database.path) as store:
        data = await full_report(
            store,
            f,
            flows,
            min_group=config.privacy.min_group_size,
            sections=options.sections,
            satisfaction=options.satisfaction,
            resolved=options.resolved,
            attribute=options.attribute,
            crosstab=options.crosstab,
            period=options.period,
        )
    _warn_unknown_flow(f.flow, list(flows), options.sections)
    return data


def _warn_unknown_flow(flow: str | None, known: Sequence[str], sections: Sequence[str]) -> None:
    """A flow that has data but no file any more (an unknown one was refused before)."""
    if flow is not None and flow not in known and {"questions", "drivers"} & set(sections):
        click.echo(
            f"warning: flow {flow!r} is not in the flows folder; questions and drivers need its"
            f" definition (known: {', '.join(sorted(known)) or 'none'})",
            err=True,
        )
