"""/ui/dashboard's page: every chart with its table, the tiles and the unit profiles, built from
the dashboard's figures (smsbot.results.dashboard) for one set of filters.

Privacy is the reports': a figure whose n is below `min_group` is drawn as "too few answers",
never as zero. Each chart is server-side SVG (smsbot.webui.charts) with a caption and the table
of every figure it draws.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from smsbot.engine.model import Flow, Kind, Question
from smsbot.results import numbers
from smsbot.results.dashboard import (
    Filters,
    Measure,
    Profile,
    Sums,
    TimeSeries,
    figures_of,
    measures,
    name_of,
    over_time,
    profile,
    title_of,
)
from smsbot.results.reports import (
    BY_COLUMNS,
    Group,
    ReportFilter,
    ReportFilterError,
    avoidable_per_flow,
    crosstab,
    drivers,
    flows_in_scope,
    funnel,
    questions,
    satisfaction_question,
    timing,
)
from smsbot.storage.ports import Store
from smsbot.webui import charts
from smsbot.webui.charts import Bar, BarGroup, Bucket, Series

__all__ = [
    "SKIP_REASONS",
    "AvoidableView",
    "Chart",
    "CrossView",
    "Dashboard",
    "Table",
    "Tile",
    "UnitView",
    "build",
]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# Why events were not surveyed (the policy's reasons), in words.
SKIP_REASONS = {
    "opted_out": "had opted out (sent STOP)",
    "busy": "already in a survey",
    "fatigue": "surveyed recently (the fatigue rule)",
    "too_old": "too old to send (past the flow's maximum age)",
}


def _reason(reason: str) -> str:
    return SKIP_REASONS.get(reason, reason.replace("_", " "))


def _day(day: date, with_year: bool) -> str:
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


# --- what the page shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    numeric: tuple[bool, ...] = ()  # per column: right-aligned figures


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    caption: str  # what the chart shows, in words; the table holds every figure
    svg: str
    table: Table


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class UnitView:
    profile: Profile
    chart: Chart
    selected: bool


@dataclass(frozen=True)
class AvoidableView:
    """One flow's avoidable demand: its share per unit and over time, and the reasons."""

    title: str
    tile: Tile
    by_unit: Table
    over_time: Table
    reasons: list[str]


@dataclass(frozen=True)
class CrossView:
    """One flow's cross-tab: a question's answers within each value of another."""

    title: str
    table: Table


@dataclass(frozen=True)
class CrossChoices:
    """What the cross-tab form offers: (value, words) for the question and for `by`."""

    questions: list[tuple[str, str]]
    by: list[tuple[str, str]]
    problem: str | None = None


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    min_group: int
    tiles: list[Tile]
    funnel: Chart
    skipped: list[tuple[str, int]]  # events not surveyed, by reason
    questions: list[Chart]
    over_time: list[Chart]
    comparisons: list[Chart]
    units: list[UnitView]
    drivers: list[Chart]
    size: str  # of the time buckets
    good: list[str] = field(default_factory=list)  # what is good in itself, per measure shown
    avoidable: list[AvoidableView] = field(default_factory=list)
    crosstab: list[CrossView] = field(default_factory=list)
    cross_choices: CrossChoices = field(default_factory=lambda: CrossChoices([], []))


async def build(
    store: Store,
    flows: Mapping[str, Flow],
    filters: Filters,
    *,
    tz: ZoneInfo,
    min_group: int,
    lang: str = "en",
    units_shown: frozenset[str] | None = None,
) -> Dashboard:
    """Every chart of the page for these filters (one pass over the reports); the flows' own
    words (titles, question labels, options) in `lang` where a flow has it. With `units_shown`
    (a unit manager's units), units are compared only with all units together, never with
    another named unit."""
    f = filters.report_filter(tz)
    [funnel_group] = await funnel(store, f, min_group=min_group)
    [questions_group] = await questions(store, f, flows, min_group=min_group)
    [timing_group] = await timing(store, f, min_group=min_group)
    driver_groups = await drivers(store, f, flows, min_group=min_group)
    series = await over_time(store, filters, flows, tz)
    units = await _unit_groups(
        store, filters, flows, tz, min_group, (funnel_group, questions_group), lang
    )
    if units_shown is not None:
        shown = {k: v for k, v in units.per_unit.items() if k in units_shown}
        units = _Units(units.everyone, shown)
    demand = await _avoidable_views(store, f, flows, min_group, (series.size, lang))
    crossed, choices = await _cross_views(store, f, flows, filters, min_group, lang)
    return Dashboard(
        filters=filters,
        min_group=min_group,
        tiles=_tiles(funnel_group, timing_group) + [view.tile for view in demand],
        funnel=_funnel_chart(funnel_group),
        skipped=_skipped(funnel_group),
        questions=[_question_chart(flows, cell, lang) for cell in _cells(questions_group)],
        over_time=_time_charts(series, flows, min_group, lang),
        comparisons=_comparison_charts(units, filters.unit),
        units=_unit_views(units, filters.unit),
        drivers=[_driver_chart(flows, g, filters.flow, lang) for g in driver_groups],
        size=series.size,
        good=list(dict.fromkeys(m.good.words for m in units.everyone if m.good is not None)),
        avoidable=demand,
        crosstab=crossed,
        cross_choices=choices,
    )


# --- tiles and the funnel ---------------------------------------------------------------------


def _tiles(funnel_group: Group, timing_group: Group) -> list[Tile]:
    figures, hidden = funnel_group.figures, funnel_group.suppressed
    sent = funnel_group.n

    def shown(text: str) -> str:
        return charts.TOO_FEW if hidden else text

    median = timing_group.figures.get("median_seconds")
    return [
        Tile("Surveys sent", numbers.count(sent)),
        Tile(
            "Response rate",
            shown(numbers.pct(figures.get("response_rate_pct"))),
            shown(f"{numbers.count(figures.get('answered'))} answered at least once"),
        ),
        Tile(
            "Completed",
            shown(numbers.pct(figures.get("completion_rate_pct"))),
            shown(f"{numbers.count(figures.get('completed'))} surveys answered to the end"),
        ),
        Tile(
            "Median time to first answer",
            charts.TOO_FEW if timing_group.suppressed else numbers.minutes(median),
            f"of {numbers.count(timing_group.n)} answered surveys",
        ),
    ]


_STEPS = (
    ("Surveys sent", "surveys_sent"),
    ("Delivered", "delivered"),
    ("Answered at least once", "answered"),
    ("Completed", "completed"),
)


def _funnel_chart(group: Group) -> Chart:
    figures = figures_of(group)
    received = int(figures.get("events_received", 0))
    steps = [
        Bar(
            "Service events received",
            received,
            numbers.count(received),
            suppressed=group.suppressed,
        )
    ]
    sent = group.n
    for label, name in _STEPS:
        value = figures.get(name)
        if group.suppressed or not isinstance(value, int):
            steps.append(Bar(label, None, suppressed=group.suppressed, text="-"))
            continue
        share = f" ({numbers.pct(100 * value / sent)})" if sent else ""
        steps.append(Bar(label, value, f"{numbers.count(value)}{share}"))
    desc = "From service events to completed surveys; percentages of surveys sent"
    rows = [(s.label, charts.TOO_FEW if s.suppressed else s.text) for s in steps]
    return Chart(
        "funnel",
        "From events to completed surveys",
        desc + ".",
        charts.funnel_chart("chart-funnel", "From events to completed surveys", desc, steps),
        Table(("step", "surveys (share of sent)"), rows, (False, True)),
    )


# --- answer distributions ---------------------------------------------------------------------


def _skipped(funnel_group: Group) -> list[tuple[str, int]]:
    """Events not surveyed, per reason in words."""
    reasons: Mapping[str, int] = figures_of(funnel_group).get("skipped_by_reason", {})
    return sorted((_reason(reason), n) for reason, n in reasons.items())


def _cells(group: Group) -> list[dict[str, Any]]:
    return [c for c in figures_of(group).get("questions", []) if c["kind"] != Kind.TEXT.value]


def _question_chart(flows: Mapping[str, Flow], cell: Mapping[str, Any], lang: str) -> Chart:
    flow = flows[cell["flow"]]
    q = flow.question(cell["question"])
    figures: Mapping[str, Any] = cell["figures"]
    counts: Mapping[str, int] = figures.get("distribution", {})
    n = sum(counts.values())
    bars = tuple(
        Bar(_value_label(q, value, flow, lang), count, f"{count} ({numbers.pct(100 * count / n)})")
        for value, count in counts.items()
    )
    name = name_of(q, flow, lang)
    title = f"{title_of(flow, lang)}: {name}"
    score = "" if cell["suppressed"] else _question_score(q, figures)
    caption = q.text.get(lang, flow.default_language)
    desc = f"Answers to {name}, {n} in all{score}" if not cell["suppressed"] else "Answers"
    chart_id = f"q-{flow.id}-{q.id}"
    svg = charts.bar_chart(chart_id, title, desc, [BarGroup("", bars)])
    rows = [(b.label, str(b.value), b.text.partition(" ")[2].strip("()")) for b in bars]
    if cell["suppressed"]:
        rows = [(charts.TOO_FEW, "-", "-")]
    table = Table(("answer", "answers", "share"), rows, (False, True, True))
    summary = f"{caption} ({score.removeprefix(', ')})" if score else caption
    return Chart(chart_id, title, summary, svg, table)


def _value_label(q: Question, value: str, flow: Flow, lang: str) -> str:
    default = flow.default_language
    if q.kind is Kind.CHOICE:
        for option in q.options:
            if option.id == value:
                return option.label.get(lang, default)
    if q.kind is Kind.SCALE:
        if q.min_label is not None and value == str(q.min):
            return f"{value} {q.min_label.get(lang, default)}"
        if q.max_label is not None and value == str(q.max):
            return f"{value} {q.max_label.get(lang, default)}"
    return value


def _question_score(q: Question, figures: Mapping[str, Any]) -> str:
    parts = []
    if q.preset == "csat":
        parts.append(f"CSAT {numbers.pct(figures.get('csat_pct'))}")
    elif q.preset == "nps":
        parts.append(f"NPS {numbers.signed(figures.get('nps'))}")
    if q.kind is Kind.SCALE:
        parts.append(f"mean {numbers.mean(figures.get('mean'))}")
    if q.kind is Kind.YESNO:
        parts.append(f"yes {numbers.pct(figures.get('shares_pct', {}).get('yes'))}")
    return "".join(f", {part}" for part in parts)


# --- over time --------------------------------------------------------------------------------


def _state(n: int, min_group: int) -> str:
    return "none" if n == 0 else "few" if n < min_group else "ok"


def _rate_of(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _time_charts(
    series: TimeSeries, flows: Mapping[str, Flow], min_group: int, lang: str
) -> list[Chart]:
    if not series.starts:
        return []
    with_year = len({d.year for d in series.starts}) > 1
    labels = [
        f"{_MONTHS[d.month - 1]} {d.year}" if series.size == "month" else _day(d, with_year)
        for d in series.starts
    ]
    charts_ = [_rate_chart(series, labels, min_group)]
    for flow_id, sums in series.satisfaction.items():
        chart = _satisfaction_chart(flows[flow_id], sums, series, (labels, lang), min_group)
        charts_.append(chart)
    return charts_


def _rate_chart(series: TimeSeries, labels: Sequence[str], min_group: int) -> Chart:
    states = [_state(n, min_group) for n in series.sent]
    response = [
        _rate_of(a, s) if st == "ok" else None
        for a, s, st in zip(series.answered, series.sent, states, strict=True)
    ]
    completion = [
        _rate_of(c, s) if st == "ok" else None
        for c, s, st in zip(series.completed, series.sent, states, strict=True)
    ]
    buckets = [Bucket(label, state) for label, state in zip(labels, states, strict=True)]
    title = f"Response rate per {series.size}"
    desc = f"Share of surveys answered at least once, and completed, per {series.size}"
    svg = charts.line_chart(
        "chart-response-time",
        title,
        desc,
        buckets,
        [
            Series("answered at least once", tuple(response)),
            Series("completed", tuple(completion)),
        ],
        low=0,
        high=100,
        suffix=" %",
    )
    rows = [
        (
            start.isoformat(),
            numbers.count(sent),
            _hidden_or(numbers.pct(r), state),
            _hidden_or(numbers.pct(c), state),
        )
        for start, sent, r, c, state in zip(
            series.starts, series.sent, response, completion, states, strict=True
        )
    ]
    table = Table(
        (f"{series.size} from", "surveys sent", "response rate", "completed"),
        rows,
        (False, True, True, True),
    )
    return Chart("response-time", title, desc + ".", svg, table)


def _hidden_or(text: str, state: str) -> str:
    return text if state == "ok" else charts.TOO_FEW if state == "few" else "-"


def _satisfaction_chart(
    flow: Flow,
    sums: Sequence[Sums],
    series: TimeSeries,
    labelled: tuple[Sequence[str], str],
    min_group: int,
) -> Chart:
    """`labelled`: the buckets' labels, and the language of the flow's words."""
    labels, lang = labelled
    q = satisfaction_question(flow)
    assert q is not None  # only flows with one have a series
    name = name_of(q, flow, lang)
    states = [_state(s.n, min_group) for s in sums]
    means = [
        round(s.total / s.n, 2) if state == "ok" else None
        for s, state in zip(sums, states, strict=True)
    ]
    texts = tuple(
        f"{m:.2f} ({s.n})" if m is not None else "" for m, s in zip(means, sums, strict=True)
    )
    buckets = [Bucket(label, state) for label, state in zip(labels, states, strict=True)]
    title = f"{title_of(flow, lang)}: {name}, mean per {series.size}"
    desc = f"Mean answer to {name} ({q.min}-{q.max}, higher is better) per {series.size}"
    chart_id = f"sat-time-{flow.id}"
    svg = charts.line_chart(
        chart_id,
        title,
        desc,
        buckets,
        [Series(f"mean ({q.min}-{q.max})", tuple(means), texts)],
        low=float(q.min or 0),
        high=float(q.max or 0),
    )
    rows = [
        (start.isoformat(), numbers.count(s.n), _hidden_or(numbers.mean(m), state))
        for start, s, m, state in zip(series.starts, sums, means, states, strict=True)
    ]
    table = Table((f"{series.size} from", "answers", "mean"), rows, (False, True, True))
    return Chart(chart_id, title, desc + ".", svg, table)


# --- units side by side -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Units:
    everyone: list[Measure]  # all units together (the other filters apply)
    per_unit: dict[str, list[Measure]]


async def _unit_groups(
    store: Store,
    filters: Filters,
    flows: Mapping[str, Flow],
    tz: ZoneInfo,
    min_group: int,
    page: tuple[Group, Group],
    lang: str,
) -> _Units:
    """Each unit's measures and all units' together, labelled in `lang`. Without a unit filter,
    all units are the page's own scope, so its funnel and questions (`page`, the costliest
    report) are not run again."""
    f = replace(filters, unit=None).report_filter(tz)
    all_funnel, all_questions = page
    if filters.unit is not None:
        [all_funnel] = await funnel(store, f, min_group=min_group)
        [all_questions] = await questions(store, f, flows, min_group=min_group)
    by_unit = replace(f, group_by="unit")
    funnels = {g.key: g for g in await funnel(store, by_unit, min_group=min_group)}
    answers = {g.key: g for g in await questions(store, by_unit, flows, min_group=min_group)}
    per_unit = {
        key: measures(funnels[key], answers[key], flows, lang)
        for key in funnels
        if key is not None and key in answers
    }
    return _Units(measures(all_funnel, all_questions, flows, lang), per_unit)


def _headline_keys(everyone: Sequence[Measure]) -> list[str]:
    """Response rate, and per flow its satisfaction measure (the first scale measure)."""
    keys, flows_seen = ["response"], set()
    for m in everyone:
        flow_id = m.key.partition("/")[0]
        if "/" in m.key and flow_id not in flows_seen:
            flows_seen.add(flow_id)
            keys.append(m.key)
    return keys


def _comparison_charts(units: _Units, selected: str | None) -> list[Chart]:
    if not units.per_unit:
        return []
    return [
        _comparison_chart(units, key, selected)
        for key in _headline_keys(units.everyone)
        if not all(m.suppressed for m in units.everyone if m.key == key)
    ]


def _comparison_chart(units: _Units, key: str, selected: str | None) -> Chart:
    reference = next(m for m in units.everyone if m.key == key)
    bars, rows = [], []
    for unit, found in sorted(units.per_unit.items()):
        m = next((m for m in found if m.key == key), None)
        if m is None:
            continue
        bars.append(Bar(unit, m.value, f"{m.text} ({m.n})", m.suppressed, unit == selected))
        rows.append((unit, numbers.count(m.n), m.text))
    rows.append(("all units", numbers.count(reference.n), reference.text))
    chart_id = f"units-{key.replace('/', '-')}"
    title = f"{reference.label} per unit"
    desc = f"{reference.label} per unit (n in brackets); the dashed line is all units together"
    svg = charts.bar_chart(
        chart_id,
        title,
        desc,
        [BarGroup("", tuple(bars))],
        low=min(reference.low, 0.0),
        high=reference.high,
        reference=reference.value,
        reference_label=f"all units: {reference.text}",
    )
    table = Table(("unit", "n", reference.label), rows, (False, True, True))
    return Chart(chart_id, title, desc + ".", svg, table)


def _unit_views(units: _Units, selected: str | None) -> list[UnitView]:
    views = []
    for unit, found in sorted(units.per_unit.items()):
        if selected is not None and unit != selected:
            continue
        one = profile(unit, found, units.everyone)
        views.append(UnitView(one, _profile_chart(one), unit == selected))
    return views


def _profile_chart(one: Profile) -> Chart:
    rows = [
        Bar(
            d.words,
            d.points,
            f"{d.points:+.1f}" if d.points is not None else "",
            suppressed=d.measure.suppressed or d.reference.suppressed,
        )
        for d in one.differences
    ]
    chart_id = f"unit-{_slug(one.unit)}"
    title = f"{one.unit} against all units"
    desc = f"Points above or below all units, per figure, for {one.unit}"
    svg = charts.diverging_chart(
        chart_id, title, desc, rows, below="below all units", above="above all units"
    )
    table_rows = [
        (
            d.measure.label,
            d.measure.text,
            d.reference.text,
            f"{d.points:+.1f}" if d.points is not None else "-",
        )
        for d in one.differences
    ]
    table = Table(
        ("figure", one.unit, "all units", "points"), table_rows, (False, True, True, True)
    )
    return Chart(chart_id, title, desc + ".", svg, table)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-") or "unit"


# --- the drivers of satisfaction --------------------------------------------------------------


def _driver_chart(
    flows: Mapping[str, Flow], group: Group, flow_filter: str | None, lang: str
) -> Chart:
    flow_id = flow_filter or str(group.key).partition("/")[0]
    flow = flows[flow_id]
    figures = figures_of(group)
    q = flow.question(figures["satisfaction"]) if figures else satisfaction_question(flow)
    name = name_of(q, flow, lang) if q else "satisfaction"
    title = f"{title_of(flow, lang)}: what goes with a higher {name}"
    chart_id = f"drivers-{flow.id}"
    if group.suppressed or q is None:
        svg = charts.bar_chart(chart_id, title, "Mean satisfaction", [])
        return Chart(chart_id, title, charts.TOO_FEW, svg, Table(("", ""), [(charts.TOO_FEW, "")]))
    groups = _driver_groups(flow, figures, lang)
    correlation = figures["correlation"]
    r_text = charts.TOO_FEW if correlation["suppressed"] else _r(correlation["figures"]["r"])
    by = " and ".join(g.heading for g in groups) or "nothing"
    desc = (
        f"Mean {name} ({q.min}-{q.max}) by {by.lower()}, answers in brackets;"
        f" overall mean {numbers.mean(figures['mean'])} ({group.n}); correlation of waiting time"
        f" and {name}: {r_text}"
    )
    svg = charts.bar_chart(
        chart_id,
        title,
        desc,
        groups,
        low=float(q.min or 0),
        high=float(q.max or 0),
        reference=float(figures["mean"]),
        reference_label=f"overall mean {numbers.mean(figures['mean'])}",
    )
    rows = [(g.heading, b.label, _driver_cell(b)) for g in groups for b in g.bars]
    rows.append(("all answers", "", f"{numbers.mean(figures['mean'])} ({group.n})"))
    rows.append(("correlation with waiting time", "", f"r = {r_text}"))
    table = Table(("split", "group", "mean (answers)"), rows, (False, False, True))
    return Chart(chart_id, title, desc + ".", svg, table)


def _driver_groups(flow: Flow, figures: Mapping[str, Any], lang: str) -> list[BarGroup]:
    """Satisfaction by the answer to the question the flow declares `means: resolution` (none
    without one), and by waiting time when the events carry it."""
    groups = []
    resolved = figures["resolved"]
    if resolved is not None:
        heading = name_of(flow.question(resolved), flow, lang)
        groups.append(_driver_bars(heading, figures["by_resolved"]))
    bands: list[dict[str, Any]] = figures["by_band"]
    if any(cell["n"] for cell in bands):
        groups.append(_driver_bars("Waiting time", bands))
    return [g for g in groups if g.bars]


def _driver_bars(heading: str, cells: Sequence[Mapping[str, Any]]) -> BarGroup:
    bars = tuple(
        Bar(
            str(cell["key"]),
            None if cell["suppressed"] else cell["figures"].get("mean"),
            ""
            if cell["suppressed"]
            else f"{numbers.mean(cell['figures'].get('mean'))} ({cell['n']})",
            suppressed=bool(cell["suppressed"]),
        )
        for cell in cells
    )
    return BarGroup(heading, bars)


def _driver_cell(bar: Bar) -> str:
    return charts.TOO_FEW if bar.suppressed else bar.text


def _r(value: object) -> str:
    return f"{value:+.2f}" if isinstance(value, int | float) else "not enough variation"


# --- avoidable demand -------------------------------------------------------------------------


async def _avoidable_views(
    store: Store,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    min_group: int,
    size_lang: tuple[str, str],
) -> list[AvoidableView]:
    """Per flow that marks avoidable demand: a tile, the share per unit and per week (buckets
    of a day or a week) or month."""
    size, lang = size_lang
    period = "month" if size == "month" else "week"
    by_unit = replace(f, group_by="unit")
    found = await avoidable_per_flow(store, by_unit, flows, period=period, min_group=min_group)
    return [
        _avoidable_view(flows[flow_id], everyone, units, lang) for flow_id, everyone, units in found
    ]


def _avoidable_view(
    flow: Flow, everyone: Group, units: Sequence[Group], lang: str
) -> AvoidableView:
    title = title_of(flow, lang)
    figures: Mapping[str, Any] = everyone.figures
    share = charts.TOO_FEW if everyone.suppressed else numbers.pct(figures["avoidable_pct"])
    note = f"of {numbers.count(everyone.n)} contacts · {title}"
    unit_rows = [
        (str(g.key), numbers.count(g.n), _share(g.suppressed, g.figures.get("avoidable_pct")))
        for g in units
    ]
    time_rows = [
        (cell["key"], numbers.count(cell["n"]), _share(cell["suppressed"], _pct_in(cell)))
        for cell in figures.get("over_time", [])
    ]
    reasons = [
        f"{_reason_words(flow, r['reason'], lang)}: {numbers.pct(r['share_pct'])} of contacts"
        for r in figures.get("reasons", [])
    ]
    return AvoidableView(
        title=title,
        tile=Tile("Avoidable contacts", share, note),
        by_unit=Table(("Unit", "Contacts", "Avoidable"), unit_rows, (False, True, True)),
        over_time=Table(("Period", "Contacts", "Avoidable"), time_rows, (False, True, True)),
        reasons=reasons,
    )


def _share(suppressed: bool, value: object) -> str:
    return charts.TOO_FEW if suppressed else numbers.pct(value)


def _pct_in(cell: Mapping[str, Any]) -> object:
    return cell["figures"].get("avoidable_pct")


def _reason_words(flow: Flow, reason: str, lang: str) -> str:
    """A reason as the reader knows it: "reason = information" -> "Reason for contacting
    us: Information"; a condition with the questions' names and the options' labels."""
    words = reason
    for q in flow.questions:
        for option in q.options:
            label = option.label.get(lang, flow.default_language)
            words = _swap(words, option.id, label)
        words = _swap(words, q.id, q.name(lang, flow.default_language))
    return words.replace(" = ", ": ", 1) if " = " in reason else f"answered {words}"


def _swap(text: str, word: str, words: str) -> str:
    return re.sub(rf"(?<![\w]){re.escape(word)}(?![\w])", words, text)


# --- cross-tab --------------------------------------------------------------------------------

_BY_WORDS = {"unit": "Unit", "service": "Service", "channel": "Channel", "language": "Language"}


async def _cross_views(
    store: Store,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    filters: Filters,
    min_group: int,
    lang: str,
) -> tuple[list[CrossView], CrossChoices]:
    choices = _cross_choices(flows_in_scope(f, flows), lang)
    if filters.crosstab is None or filters.by is None:
        return [], choices
    try:
        groups = await crosstab(
            store, f, flows, question=filters.crosstab, by=filters.by, min_group=min_group
        )
    except ReportFilterError as error:
        return [], replace(choices, problem=str(error))
    return [_cross_view(flows, g, lang) for g in groups], choices


def _cross_choices(in_scope: Sequence[Flow], lang: str) -> CrossChoices:
    found: dict[str, str] = {}
    for flow in in_scope:
        for q in flow.questions:
            if q.kind in (Kind.SCALE, Kind.YESNO, Kind.CHOICE):
                found.setdefault(q.id, q.name(lang, flow.default_language))
    asked = sorted(found.items(), key=lambda item: item[1])
    return CrossChoices(asked, [*asked, *((c, _BY_WORDS[c]) for c in BY_COLUMNS)])


def _cross_view(flows: Mapping[str, Flow], group: Group, lang: str) -> CrossView:
    figures: Mapping[str, Any] = group.figures
    if group.suppressed:
        title = str(group.key) if group.key is not None else "Cross-tab"
        return CrossView(title, Table(("Answers",), [(charts.TOO_FEW,)]))
    flow = flows[str(figures["flow"])]
    q = flow.question(str(figures["question"]))
    by = str(figures["by"])
    by_q = next((x for x in flow.questions if x.id == by), None)
    rows = [_cross_row(flow, q, by_q, cell, lang) for cell in figures["cells"]]
    overall = {"key": "All", "n": group.n, "suppressed": False, "figures": figures["overall"]}
    rows.append(_cross_row(flow, q, None, overall, lang))
    by_words = by_q.name(lang, flow.default_language) if by_q else _BY_WORDS.get(by, by)
    headers = (by_words, "Answers", _score_words(q), "Distribution")
    title = f"{name_of(q, flow, lang)} by {by_words.lower()} · {title_of(flow, lang)}"
    return CrossView(title, Table(headers, rows, (False, True, True, False)))


def _score_words(q: Question) -> str:
    return "Mean" if q.kind is Kind.SCALE else "Yes" if q.kind is Kind.YESNO else "Most given"


def _cross_row(
    flow: Flow, q: Question, by_q: Question | None, cell: Mapping[str, Any], lang: str
) -> tuple[str, ...]:
    key = cell["key"]
    label = "No answer" if key is None else str(key)
    if by_q is not None and key is not None:
        label = _value_label(by_q, str(key), flow, lang)
    if cell["suppressed"]:
        return (label, numbers.count(cell["n"]), charts.TOO_FEW, "")
    figures = cell["figures"]
    counts = figures.get("distribution", {})
    shown = " · ".join(f"{_value_label(q, v, flow, lang)} {c}" for v, c in counts.items() if c)
    return (label, numbers.count(cell["n"]), _cross_score(q, figures, flow, lang), shown)


def _cross_score(q: Question, figures: Mapping[str, Any], flow: Flow, lang: str) -> str:
    if q.kind is Kind.SCALE:
        return numbers.mean(figures.get("mean"))
    shares = figures.get("shares_pct", {})
    if q.kind is Kind.YESNO:
        return numbers.pct(shares.get("yes"))
    top = max(shares, key=lambda v: shares[v] or 0, default=None)
    return "" if top is None else f"{_value_label(q, top, flow, lang)} {numbers.pct(shares[top])}"
