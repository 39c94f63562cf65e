"""/ui/dashboard's page: every chart with its table, the tiles and the unit profiles, built from
the dashboard's figures (smsbot.results.dashboard) for one set of filters.

Privacy is the reports': a figure whose n is below `min_group` is drawn as "too few answers",
never as zero. Each chart is server-side SVG (smsbot.webui.charts) with a caption and the table
of every figure it draws.
"""

from __future__ import annotations

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
    Group,
    drivers,
    funnel,
    questions,
    satisfaction_question,
    timing,
)
from smsbot.storage.ports import Store
from smsbot.webui import charts
from smsbot.webui.charts import Bar, BarGroup, Bucket, Series

__all__ = ["SKIP_REASONS", "Chart", "Dashboard", "Table", "Tile", "UnitView", "build"]

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


async def build(
    store: Store,
    flows: Mapping[str, Flow],
    filters: Filters,
    *,
    tz: ZoneInfo,
    min_group: int,
    lang: str = "en",
) -> Dashboard:
    """Every chart of the page for these filters (one pass over the reports); the flows' own
    words (titles, question labels, options) in `lang` where a flow has it."""
    f = filters.report_filter(tz)
    [funnel_group] = await funnel(store, f, min_group=min_group)
    [questions_group] = await questions(store, f, flows, min_group=min_group)
    [timing_group] = await timing(store, f, min_group=min_group)
    driver_groups = await drivers(store, f, flows, min_group=min_group)
    series = await over_time(store, filters, flows, tz)
    units = await _unit_groups(
        store, filters, flows, tz, min_group, (funnel_group, questions_group), lang
    )
    return Dashboard(
        filters=filters,
        min_group=min_group,
        tiles=_tiles(funnel_group, timing_group),
        funnel=_funnel_chart(funnel_group),
        skipped=_skipped(funnel_group),
        questions=[_question_chart(flows, cell, lang) for cell in _cells(questions_group)],
        over_time=_time_charts(series, flows, min_group, lang),
        comparisons=_comparison_charts(units, filters.unit),
        units=_unit_views(units, filters.unit),
        drivers=[_driver_chart(flows, g, filters.flow, lang) for g in driver_groups],
        size=series.size,
        good=list(dict.fromkeys(m.good.words for m in units.everyone if m.good is not None)),
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
