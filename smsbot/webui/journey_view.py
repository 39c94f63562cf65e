"""The dashboard's journeys section: per journey type, its steps in order as bars (journeys
that reached the step, response rate, satisfaction on a 0-100 score), and the units side by
side at each step, each chart with its table; then where response or satisfaction falls.

The figures are the journey report's (smsbot.results.journeys) for the page's filters, so small
groups are suppressed exactly as there ("too few answers", never a zero).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smsbot.engine.model import Flow
from smsbot.results import numbers
from smsbot.results.journeys import journeys
from smsbot.results.reports import Group, ReportFilter, ReportFilterError
from smsbot.storage.journeys import JourneyType
from smsbot.storage.ports import Store
from smsbot.webui import charts
from smsbot.webui.charts import Bar, BarGroup
from smsbot.webui.dashboard_view import Chart, Table

__all__ = ["JourneyView", "journey_views"]


@dataclass(frozen=True)
class JourneyView:
    id: str
    title: str
    summary: str  # how many journeys, or why nothing shows
    charts: list[Chart]
    falls: list[str]  # in words, largest first


async def journey_views(
    store: Store,
    definitions: Sequence[JourneyType],
    flows: Mapping[str, Flow],
    f: ReportFilter,
    *,
    min_group: int,
    lang: str = "en",
) -> list[JourneyView]:
    """One view per journey type (none without journeys.yaml)."""
    if not definitions:
        return []
    try:
        groups = await journeys(store, f, definitions, flows, min_group=min_group)
    except ReportFilterError:
        return []
    names = {kind.id: kind for kind in definitions}
    return [_view(names[str(g.key)], g, lang) for g in groups]


def _view(kind: JourneyType, group: Group, lang: str) -> JourneyView:
    title = kind.name(lang)
    if group.n == 0:
        return JourneyView(kind.id, title, "No journeys of this type in this selection.", [], [])
    if group.suppressed:
        summary = f"{group.n} journeys: {charts.TOO_FEW.lower()} to show (fewer than the minimum)"
        return JourneyView(kind.id, title, summary, [], [])
    names = {step.id: step.name(lang) for step in kind.steps}
    steps: list[dict[str, Any]] = group.figures["steps"]  # type: ignore[assignment]
    summary = f"{group.n} journeys, {len(steps)} steps in order"
    return JourneyView(
        kind.id,
        title,
        summary,
        [_steps_chart(kind.id, title, steps, names), _units_chart(kind.id, title, steps, names)],
        [_fall_words(fall, names) for fall in group.figures["falls"]],  # type: ignore[attr-defined]
    )


def _heading(step: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return f"{step['position']}. {names.get(step['key'], step['key'])}"


def _score(cell: Mapping[str, Any]) -> tuple[float | None, str]:
    """A satisfaction cell as (score 0-100, words): "4.21 of 1-5 (85)"."""
    if cell["key"] is None:
        return None, "no scale question"
    if cell["suppressed"]:
        return None, charts.TOO_FEW
    low, high = cell["scale"]
    figures = cell["figures"]
    words = f"{numbers.mean(figures['mean'])} on {low}-{high} ({cell['n']})"
    return figures["score_pct"], words


def _steps_chart(
    kind_id: str, title: str, steps: Sequence[Mapping[str, Any]], names: Mapping[str, str]
) -> Chart:
    chart_id = f"journey-{kind_id}"
    groups, rows = [], []
    for step in steps:
        heading = _heading(step, names)
        if step["suppressed"]:
            bar = Bar("Surveys", None, suppressed=True)
            groups.append(BarGroup(f"{heading} ({step['n']} surveys)", (bar,)))
            rows.append((heading, str(step["n"]), *(charts.TOO_FEW,) * 4))
            continue
        figures = step["figures"]
        score, words = _score(figures["satisfaction"])
        bars = (
            Bar("Journeys reached", figures["reached_pct"], numbers.pct(figures["reached_pct"])),
            Bar(
                "Response rate",
                figures["response_rate_pct"],
                numbers.pct(figures["response_rate_pct"]),
            ),
            Bar(
                "Satisfaction (0-100)",
                score,
                words if score is None else f"{numbers.short(score)} (mean {words})",
                suppressed=words == charts.TOO_FEW,
            ),
        )
        groups.append(BarGroup(f"{heading} ({figures['surveys']} surveys)", bars))
        rows.append(
            (
                heading,
                str(figures["surveys"]),
                numbers.pct(figures["reached_pct"]),
                numbers.pct(figures["response_rate_pct"]),
                words,
                _change_words(figures["change"]),
            )
        )
    desc = (
        f"{title}, step by step: the share of journeys that reached each step, the response"
        " rate, and satisfaction placed on its scale from 0 (lowest answer) to 100 (highest)"
    )
    svg = charts.bar_chart(chart_id, f"{title}: step by step", desc, groups, high=100.0)
    headers = ("step", "surveys", "journeys reached", "response rate", "satisfaction", "change")
    table = Table(headers, rows, (False, True, True, True, True, False))
    return Chart(chart_id, f"{title}: step by step", desc + ".", svg, table)


def _units_chart(
    kind_id: str, title: str, steps: Sequence[Mapping[str, Any]], names: Mapping[str, str]
) -> Chart:
    chart_id = f"journey-{kind_id}-units"
    groups, rows = [], []
    for step in steps:
        heading = _heading(step, names)
        if step["suppressed"]:
            continue
        bars = []
        for unit in step["figures"]["units"]:
            label = str(unit["key"] or "(no unit)")
            if unit["suppressed"]:
                bars.append(Bar(label, None, suppressed=True))
                rows.append((heading, label, str(unit["n"]), charts.TOO_FEW, charts.TOO_FEW))
                continue
            score, words = _score(unit["figures"]["satisfaction"])
            response = numbers.pct(unit["figures"]["response_rate_pct"])
            bars.append(Bar(label, score, words, suppressed=score is None))
            rows.append((heading, label, str(unit["n"]), response, words))
        groups.append(BarGroup(heading, tuple(bars)))
    desc = (
        f"{title}: satisfaction at each step by unit or provider, from 0 (lowest answer) to"
        " 100 (highest); the mean on the question's own scale and the answers in brackets"
    )
    chart_title = f"{title}: units side by side"
    svg = charts.bar_chart(chart_id, chart_title, desc, groups, high=100.0)
    table = Table(
        ("step", "unit", "surveys", "response rate", "satisfaction"),
        rows,
        (False, False, True, True, True),
    )
    return Chart(chart_id, chart_title, desc + ".", svg, table)


def _change_words(change: Mapping[str, Any] | None) -> str:
    if not change:
        return ""
    said = []
    if change.get("response_rate_pts") is not None:
        said.append(f"response {numbers.signed(change['response_rate_pts'])} pts")
    if change.get("score_pts") is not None:
        said.append(f"satisfaction {numbers.signed(change['score_pts'])} pts")
    return ", ".join(said)


def _fall_words(fall: Mapping[str, Any], names: Mapping[str, str]) -> str:
    before = names.get(fall["from"], fall["from"])
    after = names.get(fall["to"], fall["to"])
    what = "Response rate" if fall["measure"] == "response" else "Satisfaction"
    return f"{what} falls {abs(fall['points']):.1f} points from {before} to {after}"
