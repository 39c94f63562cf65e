"""The dashboard's figures: the reports (`smsbot.results.reports`) for the page's filters, plus
the one thing the reports lack, figures per day, week or month. The page itself (charts,
tables, tiles) is smsbot.webui.dashboard_view.

    filters      flow, from, to (local dates, both inclusive), unit, service, and trials
                 (left out unless asked for) -> ReportFilter
    over_time    per time bucket: surveys sent, answered, completed, and per flow the mean of
                 its satisfaction question (one SQL query per figure, grouped by UTC hour in
                 SQLite; Python only adds the hours up into local days, weeks or months)
    measures     the figures units are compared on: response and completion rate, and per scale
                 question its score (CSAT %, NPS, CES, or the mean); all higher-is-better, each
                 with what is good in itself (Good)
    profiles     per unit: every measure against all units together; strengths (better than all
                 units and good in itself) and improvements

Privacy is the reports': a figure whose n is below `min_group` is suppressed and drawn as "too
few answers", never as zero. Per time bucket, n is the surveys sent in it (response and
completion rate) or the understood answers to the satisfaction question in it (mean), as a
report filtered to that bucket's dates would count them; like the reports, a bucket shows how
many surveys were sent even when its figures are hidden. Dates and buckets are in the survey
time zone (a zone whose offset is not whole hours is bucketed to the hour).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from smsbot.engine.model import Flow, Kind, Question
from smsbot.results import numbers
from smsbot.results.reports import (
    Group,
    ReportFilter,
    flows_in_scope,
    satisfaction_question,
)
from smsbot.storage.figures import HourCounts, HourSums
from smsbot.storage.ports import Store
from smsbot.suggest import did_you_mean

__all__ = [
    "FILTER_NAMES",
    "GOOD_COMPLETION",
    "GOOD_CSAT",
    "GOOD_NPS",
    "GOOD_RESPONSE",
    "STRENGTH_POINTS",
    "Difference",
    "Filters",
    "Good",
    "Measure",
    "Options",
    "Profile",
    "Sums",
    "TimeSeries",
    "figures_of",
    "filter_options",
    "good_mean",
    "measures",
    "name_of",
    "over_time",
    "parse_filters",
    "profile",
    "satisfaction_question",
    "title_of",
]

FILTER_NAMES = ("flow", "from", "to", "unit", "service", "crosstab", "by")
STRENGTH_POINTS = 3.0  # a strength or improvement differs from all units by at least this
_MOST = 3  # strengths (and improvements) listed per unit
_LONGEST = 200  # characters of a unit or service name taken from the query


# --- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    flow: str | None = None
    since: date | None = None  # "from": the first day, inclusive
    until: date | None = None  # "to": the last day, inclusive
    unit: str | None = None
    service: str | None = None
    trials: bool = False  # include trials (chat, the simulator, trial events)
    crosstab: str | None = None  # the cross-tab's question ("crosstab" in the query)
    by: str | None = None  # what it is split by: another question, unit, service, channel

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.flow, self.since, self.until, self.unit))

    def report_filter(self, tz: ZoneInfo, *, group_by: str | None = None) -> ReportFilter:
        """The same scope for the reports: from the start of `since` to the end of `until`."""
        return ReportFilter(
            flow=self.flow,
            since=_local_start(self.since, tz) if self.since else None,
            until=_local_start(self.until + timedelta(days=1), tz) if self.until else None,
            unit=self.unit,
            service=self.service,
            group_by=group_by,
            include_trials=self.trials,
        )

    def query(self) -> dict[str, str]:
        """The filters as the form sends them (for links)."""
        values = {
            "flow": self.flow,
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
            "unit": self.unit,
            "service": self.service,
            "trials": "1" if self.trials else None,
            "crosstab": self.crosstab,
            "by": self.by,
        }
        return {name: value for name, value in values.items() if value is not None}


def _local_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def parse_filters(
    query: Mapping[str, str], flow_ids: Sequence[str], options: Options | None = None
) -> tuple[Filters, list[str]]:
    """Filters from a GET form; what cannot be used is left out and said in `problems`. A flow
    must be one of `flow_ids`; with `options`, a unit or service must be one of them."""
    problems: list[str] = []
    text = {name: (query.get(name) or "").strip()[:_LONGEST] or None for name in FILTER_NAMES}
    flow = _known("flow", text["flow"], flow_ids, problems)
    unit, service = text["unit"], text["service"]
    if options is not None:
        unit = _known("unit", unit, options.units, problems)
        service = _known("service", service, options.services, problems)
    since, until = _date(text["from"], "From", problems), _date(text["to"], "To", problems)
    trials = bool(query.get("trials"))  # the checkbox: present when ticked
    if since is not None and until is not None and since > until:
        problems.append("From is after To; showing from that day on.")
        until = None
    cross = (text["crosstab"], text["by"]) if text["crosstab"] and text["by"] else (None, None)
    return Filters(flow, since, until, unit, service, trials, *cross), problems


def _known(what: str, name: str | None, known: Sequence[str], problems: list[str]) -> str | None:
    if name is None or name in known:
        return name
    problems.append(
        f"There is no {what} {name!r}{did_you_mean(name, known)}; showing every {what}."
    )
    return None


def _date(text: str | None, name: str, problems: list[str]) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{name}: expected a date like 2026-11-01, got {text!r}; left out.")
        return None


@dataclass(frozen=True)
class Options:
    units: list[str]
    services: list[str]


async def filter_options(store: Store) -> Options:
    """The units and services surveys were sent for (names only, for the filter form)."""
    async with store.read() as tx:
        units = await tx.results.surveyed_names("unit")
        services = await tx.results.surveyed_names("service")
    return Options(units, services)


# --- over time --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sums:
    n: int
    total: float


@dataclass(frozen=True)
class TimeSeries:
    """Figures per bucket (`starts`, local dates); `size` is "day", "week" or "month"."""

    size: str
    starts: list[date]
    sent: list[int]
    answered: list[int]
    completed: list[int]
    satisfaction: dict[str, list[Sums]] = field(default_factory=dict)  # flow id -> per bucket


async def over_time(
    store: Store,
    filters: Filters,
    flows: Mapping[str, Flow],
    tz: ZoneInfo,
    *,
    size: str | None = None,
) -> TimeSeries:
    """Surveys sent, answered, completed and satisfaction per local day, week or month.

    Without `size`: days for up to 31 days of data, weeks (from Monday) up to 26 weeks,
    months beyond. Buckets run from the first to the last one with a survey."""
    f = filters.report_filter(tz)
    async with store.read() as tx:
        counts = await tx.results.surveys_per_hour(f)
    hours = {_hour(row.hour, tz): row for row in counts}
    if not hours:
        return TimeSeries(size or "week", [], [], [], [])
    chosen = size or _size(min(hours), max(hours))
    starts = _starts(min(hours), max(hours), chosen)
    index = {start: i for i, start in enumerate(starts)}
    sent, answered, completed = [0] * len(starts), [0] * len(starts), [0] * len(starts)
    for day, row in _by_day(counts, tz):
        i = index[_start_of(day, chosen)]
        sent[i] += row.sent
        answered[i] += row.answered
        completed[i] += row.completed
    satisfaction = {}
    for flow in flows_in_scope(f, flows):
        q = satisfaction_question(flow)
        if q is not None:
            async with store.read() as tx:
                rows = await tx.results.satisfaction_per_hour(f, flow.id, q.id)
            satisfaction[flow.id] = _add_up(rows, tz, chosen, index)
    return TimeSeries(chosen, starts, sent, answered, completed, satisfaction)


def _add_up(
    rows: Sequence[HourSums], tz: ZoneInfo, size: str, index: Mapping[date, int]
) -> list[Sums]:
    n, total = [0] * len(index), [0.0] * len(index)
    for day, row in _by_day(rows, tz):
        i = index[_start_of(day, size)]
        n[i] += row.n
        total[i] += row.total
    return [Sums(count, value) for count, value in zip(n, total, strict=True)]


def _hour(text: str, tz: ZoneInfo) -> date:
    return datetime.fromisoformat(text + ":00+00:00").astimezone(tz).date()


Hourly = TypeVar("Hourly", HourCounts, HourSums)


def _by_day(rows: Sequence[Hourly], tz: ZoneInfo) -> list[tuple[date, Hourly]]:
    return [(_hour(row.hour, tz), row) for row in rows]


def _size(first: date, last: date) -> str:
    days = (last - first).days + 1
    return "day" if days <= 31 else "week" if days <= 26 * 7 else "month"


def _start_of(day: date, size: str) -> date:
    if size == "day":
        return day
    if size == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _starts(first: date, last: date, size: str) -> list[date]:
    starts, at = [], _start_of(first, size)
    while at <= last:
        starts.append(at)
        if size == "month":
            at = (at + timedelta(days=32)).replace(day=1)
        else:
            at += timedelta(days=1 if size == "day" else 7)
    return starts


# --- measures: what units are compared on -------------------------------------------------------


@dataclass(frozen=True)
class Good:
    """What makes a figure good in itself, whatever other units score: `level` or more (above
    it, when `strictly`), said in `words`."""

    level: float
    words: str
    strictly: bool = False

    def holds(self, value: float) -> bool:
        return value > self.level if self.strictly else value >= self.level


GOOD_RESPONSE = Good(15.0, "response rate 15 % or more (about 10 % is usual for SMS surveys)")
GOOD_COMPLETION = Good(10.0, "completion rate 10 % or more")
GOOD_CSAT = Good(75.0, "CSAT 75 % or more")
GOOD_NPS = Good(0.0, "NPS above 0", strictly=True)


def good_mean(name: str, low: float, high: float) -> Good:
    """A mean is good two thirds or more up its scale: CES 5 on 1-7, 3.67 on 1-5."""
    level = round(low + 2 * (high - low) / 3, 2)
    if name == "CES":
        return Good(level, f"CES {numbers.plain(level)} or more")
    scale = f"{numbers.plain(low)}-{numbers.plain(high)}"
    return Good(level, f"a mean of {numbers.plain(level)} or more on {scale}")


@dataclass(frozen=True)
class Measure:
    """One figure of a group, with the range it lives in (for comparing across figures)."""

    key: str  # "response", "completion" or "flow/question"
    label: str
    n: int
    value: float | None  # None: suppressed, or nothing to compute
    suppressed: bool
    low: float
    high: float
    text: str  # the value as shown: "56.1 %", "NPS +4.3", "CES 5.12"
    good: Good | None = None  # None: never called a strength

    @property
    def is_good(self) -> bool:
        return self.good is not None and self.value is not None and self.good.holds(self.value)


def measures(
    funnel_group: Group, questions_group: Group, flows: Mapping[str, Flow], lang: str = "en"
) -> list[Measure]:
    """Response and completion rate (n: surveys sent) and one score per scale question (n: its
    understood answers), labelled in `lang`. Yes/no and choice questions are not measures: more
    "yes" is not always better."""
    figures = funnel_group.figures
    found = [
        _rate("response", "Response rate", funnel_group, figures.get("response_rate_pct")),
        _rate("completion", "Completion rate", funnel_group, figures.get("completion_rate_pct")),
    ]
    for cell in figures_of(questions_group).get("questions", []):
        flow = flows.get(cell["flow"])
        if flow is None or cell["kind"] != Kind.SCALE.value:
            continue
        found.append(_score(flow, flow.question(cell["question"]), cell, questions_group, lang))
    return found


def _rate(key: str, label: str, group: Group, value: object) -> Measure:
    number = float(value) if isinstance(value, int | float) else None
    text = numbers.TOO_FEW if group.suppressed else numbers.pct(number)
    good = GOOD_RESPONSE if key == "response" else GOOD_COMPLETION
    return Measure(key, label, group.n, number, group.suppressed, 0.0, 100.0, text, good)


def _score(flow: Flow, q: Question, cell: Mapping[str, Any], group: Group, lang: str) -> Measure:
    score = _score_of(q, cell["figures"])
    suppressed = bool(cell["suppressed"]) or group.suppressed
    label = f"{title_of(flow, lang)}: {name_of(q, flow, lang)}"
    kind = f"{score.name}{'' if q.preset else f', {q.min}-{q.max}'}"
    label += f" ({kind})" if kind != name_of(q, flow, lang) else ""
    value = score.value
    number = float(value) if isinstance(value, int | float) and not suppressed else None
    return Measure(
        f"{flow.id}/{q.id}",
        label,
        int(cell["n"]),
        number,
        suppressed,
        score.low,
        score.high,
        numbers.TOO_FEW if suppressed else score.text,
        score.good,
    )


@dataclass(frozen=True)
class _Score:
    name: str  # "CSAT", "NPS", "CES" or "mean"
    value: object
    text: str
    low: float
    high: float
    good: Good


def _score_of(q: Question, figures: Mapping[str, Any]) -> _Score:
    """A scale question's score: CSAT %, NPS, CES or the mean, on its range."""
    if q.preset == "csat":
        value = figures.get("csat_pct")
        return _Score("CSAT", value, f"CSAT {numbers.pct(value)}", 0.0, 100.0, GOOD_CSAT)
    if q.preset == "nps":
        value = figures.get("nps")
        return _Score("NPS", value, f"NPS {numbers.signed(value)}", -100.0, 100.0, GOOD_NPS)
    name = "CES" if q.preset == "ces" else "mean"
    value = figures.get("ces" if q.preset == "ces" else "mean")
    low, high = float(q.min or 0), float(q.max or 0)
    return _Score(
        name, value, f"{name} {numbers.mean(value)}", low, high, good_mean(name, low, high)
    )


@dataclass(frozen=True)
class Difference:
    measure: Measure
    reference: Measure
    points: float | None  # (unit - all) / range * 100; None when either is hidden

    @property
    def words(self) -> str:
        return f"{self.measure.label}: {self.measure.text} (all units {self.reference.text})"


@dataclass(frozen=True)
class Profile:
    unit: str
    differences: list[Difference]
    strengths: list[Difference]
    improvements: list[Difference]


def profile(unit: str, own: Sequence[Measure], everyone: Sequence[Measure]) -> Profile:
    """A unit against all units: a strength is a measure at least STRENGTH_POINTS points of its
    range above the all-units figure and good in itself (`Measure.good`: NPS -25 is never a
    strength, however far below the others are); an improvement is one at least as far below
    (however good it is). Up to three of each, largest first. Points: the difference as a share
    of the range (0-100 % -> 100 points; NPS -100 to +100 -> 200; a mean on 1-5 -> 4), times
    100."""
    reference = {m.key: m for m in everyone}
    differences = []
    for measure in own:
        other = reference.get(measure.key)
        if other is None:
            continue
        points = None
        if measure.value is not None and other.value is not None and measure.high > measure.low:
            points = round((measure.value - other.value) / (measure.high - measure.low) * 100, 1)
        differences.append(Difference(measure, other, points))
    ranked = sorted((d for d in differences if d.points is not None), key=_points)
    better = [d for d in reversed(ranked) if _points(d) >= STRENGTH_POINTS]
    strengths = [d for d in better if d.measure.is_good][:_MOST]
    improvements = [d for d in ranked if _points(d) <= -STRENGTH_POINTS][:_MOST]
    return Profile(unit, differences, strengths, improvements)


def _points(difference: Difference) -> float:
    return difference.points if difference.points is not None else 0.0


def figures_of(group: Group) -> Mapping[str, Any]:
    """A group's figures typed as what they are: the reports' plain JSON-like values."""
    return group.figures


# --- formatting -------------------------------------------------------------------------------


def title_of(flow: Flow, lang: str) -> str:
    return flow.title.get(lang, flow.default_language)


def name_of(q: Question, flow: Flow, lang: str) -> str:
    return q.name(lang, flow.default_language)
