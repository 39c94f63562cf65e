"""Survey reports: funnel, per question, time to first answer, what drives satisfaction, cost.

Every figure is aggregated by the store (`Results` in smsbot.storage.ports: rows per group);
this module only turns the few aggregated rows per group into figures, so no answer or message
row is ever loaded into Python. Each function takes the `Store` and opens its own read.

Scope (`ReportFilter`): trials (conversations and events marked `trial`: `smsbot chat`, the
web phone simulator, events posted with "trial": true) are left out unless `include_trials`.
Conversation figures use `conversations.created_at`, event figures
(`funnel`'s events_*) use `events.received_at`; `since` is inclusive, `until` exclusive; unit,
service, channel, flow and `attributes` (exact text match on `json_extract(attributes,
'$.name')`; a JSON number 35 matches "35") narrow both. `group_by` splits every section into
groups: "unit", "service", "channel", "flow", "language" or "attributes.<name>". Without it
there is one group, key None.

Small groups are suppressed: a group, or a cell inside a group, whose n is below `min_group`
(config `[privacy] min_group_size`) has `suppressed: True` and empty figures. What n counts:

    funnel     surveys sent (conversations started) in the group
    questions  group: surveys sent; question cell: understood answers to that question;
               drop-off cell: conversations that were asked that question
    timing     conversations with at least one reply (first_reply_at set)
    drivers    group: understood answers to the satisfaction question; resolved cell (yes/no)
               and wait band cell: those answers in it; correlation cell: (wait, satisfaction)
               pairs
    cost       surveys sent (conversations started) in the group
    avoidable  group: contacts (surveys with an understood answer to a question the flow's
               avoidable marks read); period cell: those contacts started in it
    cases      follow-up cases opened in the period, per unit (smsbot.results.cases)
    crosstab   group: understood answers to the question; cell (a value of `by`): those
               answers in it

Percentages are in percent, rounded to 1 decimal; means to 2 decimals. No query selects a
phone number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from smsbot.engine.expr import Expr
from smsbot.engine.model import Flow, Kind, Question
from smsbot.results.cases import case_groups
from smsbot.results.filters import parse_attribute, parse_flag, parse_moment
from smsbot.storage.figures import (
    BANDS,
    GROUP_BY,
    NAME,
    AnswerProfile,
    ConversationCounts,
    CrossQuestions,
    DriverQuestions,
    EventCounts,
    FirstReplies,
    Key,
    Moments,
    ReportFilter,
    ReportFilterError,
    SmsCost,
)
from smsbot.storage.ports import Results, Store
from smsbot.suggest import did_you_mean

__all__ = [
    "BANDS",
    "GROUP_BY",
    "PERIODS",
    "SECTIONS",
    "Group",
    "ReportFilter",
    "ReportFilterError",
    "avoidable",
    "avoidable_per_flow",
    "avoidable_reasons",
    "check_names",
    "cost",
    "crosstab",
    "csat_pct",
    "drivers",
    "flows_in_scope",
    "full_report",
    "funnel",
    "mean_of",
    "median_of",
    "nearest_rank",
    "nps",
    "parse_attribute",
    "parse_crosstab",
    "parse_flag",
    "parse_moment",
    "pct_of",
    "period_of",
    "questions",
    "report_cell",
    "satisfaction_question",
    "timing",
]

SECTIONS = ("funnel", "questions", "timing", "drivers", "cost", "avoidable", "cases")
PERIODS = ("week", "month")  # how the avoidable section splits time


# --- names in the filter -----------------------------------------------------------------------

_KNOWN_SHOWN = 10  # names listed when none is close to the unknown one


async def check_names(store: Store, f: ReportFilter, flows: Mapping[str, Flow]) -> None:
    """Refuse a flow, unit or service in `f` that no flow file and no stored survey or event
    has (ReportFilterError naming the closest known name). A known name with nothing in the
    period or the other filters is no error: its report is empty."""
    async with store.read() as tx:
        for what, value in (("flow", f.flow), ("unit", f.unit), ("service", f.service)):
            if value is None or (what == "flow" and value in flows):
                continue
            if not await tx.results.is_known(what, value):
                known = await tx.results.known_names(what)
                known |= set(flows) if what == "flow" else set()
                raise ReportFilterError(f"unknown {what} {value!r}{_hint(what, value, known)}")


def _hint(what: str, value: str, known: set[str]) -> str:
    suggestion = did_you_mean(value, known)
    if suggestion or not known:
        return suggestion or f" (no survey or event has a {what} yet)"
    names = sorted(known)
    more = ", ..." if len(names) > _KNOWN_SHOWN else ""
    return f" (known: {', '.join(names[:_KNOWN_SHOWN])}{more})"


# --- groups and cells ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    key: str | None
    n: int
    suppressed: bool
    figures: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "n": self.n, "suppressed": self.suppressed, **self.figures}


def _group(key: str | None, n: int, min_group: int, figures: dict[str, object]) -> Group:
    suppressed = n < min_group
    return Group(key, n, suppressed, {} if suppressed else figures)


def report_cell(
    key: str | None, n: int, min_group: int, figures: dict[str, object], **about: object
) -> dict[str, object]:
    """A cell inside a group: `about` (what the cell is) stays visible when it is suppressed
    (the journeys report's cells too)."""
    suppressed = n < min_group
    return {
        "key": key,
        **about,
        "n": n,
        "suppressed": suppressed,
        "figures": {} if suppressed else figures,
    }


def _sorted_keys(keys: Iterable[str | None]) -> list[str | None]:
    return sorted(set(keys), key=lambda k: (k is None, k or ""))


# --- pure arithmetic --------------------------------------------------------------------------


def pct_of(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def mean_of(counts: Mapping[int, int]) -> float | None:
    """The mean of a distribution value -> count, rounded to 2 decimals."""
    n = sum(counts.values())
    return round(sum(v * c for v, c in counts.items()) / n, 2) if n else None


def nearest_rank(n: int, percent: int) -> int:
    """The nearest-rank position (1-based) of a percentile: ceil(percent / 100 * n)."""
    return max(1, -(-percent * n // 100))


def median_of(counts: Mapping[int, int]) -> float | None:
    """The median of a distribution (the mean of the two middle values when n is even)."""
    n = sum(counts.values())
    if not n:
        return None
    low, high = _value_at(counts, (n + 1) // 2), _value_at(counts, (n + 2) // 2)
    return (low + high) / 2


def _value_at(counts: Mapping[int, int], rank: int) -> int:
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise ValueError(rank)


def csat_pct(counts: Mapping[int, int]) -> float | None:
    """CSAT: the share of 4 and 5 answers on a 1-5 scale, in percent."""
    return pct_of(sum(c for v, c in counts.items() if v >= 4), sum(counts.values()))


def nps(counts: Mapping[int, int]) -> float | None:
    """NPS: % promoters (9-10) minus % detractors (0-6), rounded to 1 decimal."""
    n = sum(counts.values())
    if not n:
        return None
    promoters = sum(c for v, c in counts.items() if v >= 9)
    detractors = sum(c for v, c in counts.items() if v <= 6)
    return round(100 * (promoters - detractors) / n, 1)


# --- shared queries --------------------------------------------------------------------------


def _keys(f: ReportFilter, *found: Iterable[str | None]) -> list[str | None]:
    """Every group any query found; without group_by always the one group None."""
    keys = [k for keys in found for k in keys]
    return [None] if f.group_by is None else _sorted_keys(keys)


def _started(counts: Mapping[Key, ConversationCounts], key: Key) -> int:
    row = counts.get(key)
    return row.started if row is not None else 0


# --- funnel --------------------------------------------------------------------------------------


async def funnel(store: Store, f: ReportFilter, *, min_group: int) -> list[Group]:
    """From events to completed surveys, per group (n: surveys sent)."""
    async with store.read() as tx:
        counts = await tx.results.conversation_counts(f)
        delivered = await tx.results.delivered(f)
        events = await tx.results.event_counts(f)
        reasons = await tx.results.skipped_by_reason(f)
    groups = []
    for key in _keys(f, counts, events):
        row = counts.get(key)
        figures = _event_figures(events.get(key), reasons.get(key, {}))
        if row is not None:
            figures |= _conversation_figures(row, delivered.get(key, 0))
        groups.append(_group(key, _started(counts, key), min_group, figures))
    return groups


def _event_figures(row: EventCounts | None, reasons: dict[str, int]) -> dict[str, object]:
    names = ("received", "started", "scheduled", "skipped")
    figures: dict[str, object] = {
        f"events_{name}": getattr(row, name) if row is not None else 0 for name in names
    }
    figures["skipped_by_reason"] = dict(reasons)
    return figures


def _conversation_figures(row: ConversationCounts, delivered: int) -> dict[str, object]:
    started = row.started
    answered, completed = row.answered, row.completed
    return {
        "surveys_sent": started,
        "delivered": delivered,
        "delivered_pct": pct_of(delivered, started),
        "answered": answered,
        "response_rate_pct": pct_of(answered, started),
        "completed": completed,
        "completion_rate_pct": pct_of(completed, started),
        "opted_out": row.opted_out,
        "undeliverable": row.undeliverable,
        "expired": row.expired,
        "active": row.active,
    }


# --- per question ------------------------------------------------------------------------------


async def questions(
    store: Store, f: ReportFilter, flows: Mapping[str, Flow], *, min_group: int
) -> list[Group]:
    """Per group (n: surveys sent): one cell per question of the flow(s) in scope, in order
    (n: understood answers), and one drop-off cell per question (n: conversations asked it;
    see `Results.dropoff`)."""
    async with store.read() as tx:
        counts = await tx.results.conversation_counts(f)
        answers = await tx.results.answer_counts(f)
        asked = await tx.results.dropoff(f)
    in_scope = flows_in_scope(f, flows)
    groups = []
    for key in _keys(f, counts):
        figures: dict[str, object] = {
            "questions": [
                _question_cell(flow, q, answers.get((key, flow.id, q.id), Counter()), min_group)
                for flow, q in _replied(in_scope)
            ],
            "dropoff": [
                _dropoff_cell(flow, q, asked.get((key, flow.id, q.id), (0, 0)), min_group)
                for flow, q in _replied(in_scope)
            ],
        }
        groups.append(_group(key, _started(counts, key), min_group, figures))
    return groups


def flows_in_scope(f: ReportFilter, flows: Mapping[str, Flow]) -> list[Flow]:
    if f.flow is not None:
        return [flows[f.flow]] if f.flow in flows else []
    return [flows[flow_id] for flow_id in sorted(flows)]


def _replied(flows: Sequence[Flow]) -> list[tuple[Flow, Question]]:
    return [(flow, q) for flow in flows for q in flow.questions if q.expects_reply]


def _question_cell(
    flow: Flow, q: Question, counts: Counter[object], min_group: int
) -> dict[str, object]:
    n = sum(counts.values())
    about = {"flow": flow.id, "question": q.id, "kind": q.kind.value, "preset": q.preset}
    return report_cell(f"{flow.id}/{q.id}", n, min_group, _answer_figures(q, counts), **about)


def _answer_figures(q: Question, counts: Counter[object]) -> dict[str, object]:
    """Answers, distribution and (a scale's) mean, median and preset metric of one question."""
    figures: dict[str, object] = {"answers": sum(counts.values())}
    if q.kind is Kind.SCALE:
        figures |= _scale_figures(q, counts)
    elif q.kind is Kind.YESNO:
        figures |= _share_figures(("yes", "no"), counts)
    elif q.kind is Kind.CHOICE:
        figures |= _share_figures(tuple(o.id for o in q.options), counts)
    return figures


def _scale_figures(q: Question, counts: Counter[object]) -> dict[str, object]:
    values = {int(v): c for v, c in counts.items() if isinstance(v, int)}
    low, high = q.min if q.min is not None else 0, q.max if q.max is not None else 0
    everything = sorted(set(range(low, high + 1)) | set(values))
    figures: dict[str, object] = {
        "distribution": {str(v): values.get(v, 0) for v in everything},
        "mean": mean_of(values),
        "median": median_of(values),
    }
    if q.preset == "csat":
        figures["csat_pct"] = csat_pct(values)
    elif q.preset == "nps":
        n = sum(values.values())
        figures["nps"] = nps(values)
        figures["promoters_pct"] = pct_of(sum(c for v, c in values.items() if v >= 9), n)
        figures["detractors_pct"] = pct_of(sum(c for v, c in values.items() if v <= 6), n)
    elif q.preset == "ces":
        figures["ces"] = mean_of(values)
    return figures


def _share_figures(order: Sequence[str], counts: Counter[object]) -> dict[str, object]:
    seen = [str(v) for v in counts if v is not None and str(v) not in order]
    distribution = {v: counts.get(v, 0) for v in (*order, *sorted(seen))}
    n = sum(distribution.values())
    return {
        "distribution": distribution,
        "shares_pct": {v: pct_of(c, n) for v, c in distribution.items()},
    }


def _dropoff_cell(
    flow: Flow, q: Question, asked_dropped: tuple[int, int], min_group: int
) -> dict[str, object]:
    asked, dropped = asked_dropped
    figures: dict[str, object] = {
        "asked": asked,
        "dropped": dropped,
        "dropoff_pct": pct_of(dropped, asked),
    }
    return report_cell(f"{flow.id}/{q.id}", asked, min_group, figures, flow=flow.id, question=q.id)


# --- time to first answer ---------------------------------------------------------------------


async def timing(store: Store, f: ReportFilter, *, min_group: int) -> list[Group]:
    """Seconds from the survey's start (conversations.created_at) to the first reply.

    n: conversations with a reply. `median_seconds` is the usual median (the mean of the two
    middle values when n is even); `p90_seconds` is the nearest-rank 90th percentile, the
    ceil(0.9 n)-th smallest delay. `within_1h_pct` / `within_24h_pct`: the share of those
    replies that came at most 3 600 / 86 400 seconds after the start.
    """
    async with store.read() as tx:
        counts = await tx.results.conversation_counts(f)
        replies = await tx.results.first_replies(f)
    groups = []
    for key in _keys(f, counts, replies):
        found = replies.get(key)
        n = found.n if found is not None else 0
        groups.append(_group(key, n, min_group, _timing_figures(found)))
    return groups


def _timing_figures(found: FirstReplies | None) -> dict[str, object]:
    if found is None:
        return {"answered": 0}
    n, at = found.n, found.seconds_at
    return {
        "answered": n,
        "median_seconds": round((at[(n + 1) // 2] + at[(n + 2) // 2]) / 2, 3),
        "p90_seconds": at[nearest_rank(n, 90)],
        "within_1h_pct": pct_of(found.within_hour, n),
        "within_24h_pct": pct_of(found.within_day, n),
    }


# --- what drives satisfaction -----------------------------------------------------------------


@dataclass(frozen=True)
class _Driver:
    flow: Flow
    satisfaction: Question
    resolved: Question | None


async def drivers(
    store: Store,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    *,
    satisfaction: str | None = None,
    resolved: str | None = None,
    attribute: str = "wait_seconds",
    min_group: int,
) -> list[Group]:
    """Satisfaction split by resolution (yes/no) and by a numeric event attribute.

    Per flow in scope: the satisfaction question is `satisfaction`, else the flow's csat-preset
    scale, else its first scale (a flow without one is left out); the resolved question is
    `resolved` (a yes/no question), else the one the flow declares `means: resolution`, else
    none: a yes/no question is never taken for resolution unasked. Flows are never pooled (their
    scales differ): without `f.flow` each group key is prefixed with the flow id ("flow" alone
    without group_by, "flow/key" with it).

    n: understood satisfaction answers in the group. `by_resolved` cells (yes, no), `by_band`
    cells (wait bands, see BANDS; the attribute must be a number >= 0, as JSON number or
    digits) and the `correlation` cell (Pearson r between the attribute and satisfaction;
    None with fewer than 3 pairs or no variance) each count their own answers.
    """
    if not NAME.fullmatch(attribute):
        raise ReportFilterError(f"attribute {attribute!r}: expected letters, digits, _")
    groups = []
    for driver in _drivers_in_scope(f, flows, satisfaction, resolved):
        scoped = replace(f, flow=driver.flow.id)
        prefix = None if f.flow is not None else driver.flow.id
        async with store.read() as tx:
            found = await _drivers_for(tx.results, scoped, driver, attribute, min_group)
        for group in found:
            groups.append(replace(group, key=_prefixed(prefix, group.key)))
    return groups


def _prefixed(prefix: str | None, key: str | None) -> str | None:
    if prefix is None:
        return key
    return prefix if key is None else f"{prefix}/{key}"


def _drivers_in_scope(
    f: ReportFilter, flows: Mapping[str, Flow], satisfaction: str | None, resolved: str | None
) -> list[_Driver]:
    found = []
    for flow in flows_in_scope(f, flows):
        if satisfaction is not None:
            scale = _named(flow, satisfaction, Kind.SCALE)
        else:
            scale = satisfaction_question(flow)
        split = flow.resolution if resolved is None else _named(flow, resolved, Kind.YESNO)
        if scale is not None:
            found.append(_Driver(flow, scale, split))
    return found


def _named(flow: Flow, question_id: str, kind: Kind) -> Question | None:
    found = next((q for q in flow.questions if q.id == question_id), None)
    return found if found is not None and found.kind is kind else None


def satisfaction_question(flow: Flow) -> Question | None:
    """The question the drivers report explains when none is named: the csat-preset scale,
    else the first scale."""
    scales = [q for q in flow.questions if q.kind is Kind.SCALE]
    preferred = [q for q in scales if q.preset == "csat"] + scales
    return preferred[0] if preferred else None


async def _drivers_for(
    results: Results, f: ReportFilter, driver: _Driver, attribute: str, min_group: int
) -> list[Group]:
    resolved = driver.resolved.id if driver.resolved else None
    asked = DriverQuestions(driver.satisfaction.id, resolved, attribute)
    split = await results.satisfaction_by_resolved(f, asked)
    bands = await results.satisfaction_by_band(f, asked)
    counts = await results.conversation_counts(f)
    groups = []
    for key in _keys(f, counts, split):
        by_answer = split.get(key, {})
        n = sum(count for count, _ in by_answer.values())
        in_bands = bands.get(key, {})
        figures = _driver_figures(driver, attribute, min_group, by_answer, in_bands)
        figures["correlation"] = _correlation_cell(attribute, in_bands, min_group)
        groups.append(_group(key, n, min_group, figures))
    return groups


def _mean(count_total: tuple[int, float] | None) -> float | None:
    if not count_total or not count_total[0]:
        return None
    return round(count_total[1] / count_total[0], 2)


def _driver_figures(
    driver: _Driver,
    attribute: str,
    min_group: int,
    by_answer: Mapping[str | None, tuple[int, float]],
    bands: Mapping[int, Moments],
) -> dict[str, object]:
    n = sum(count for count, _ in by_answer.values())
    total = sum(value for _, value in by_answer.values())
    q = driver.satisfaction
    resolved = driver.resolved.id if driver.resolved else None
    return {
        "flow": driver.flow.id,
        "satisfaction": q.id,
        "scale": [q.min, q.max],
        "resolved": resolved,
        "attribute": attribute,
        "mean": _mean((n, total)),
        "by_resolved": [
            _mean_cell(answer, by_answer.get(answer), min_group)
            for answer in (("yes", "no") if resolved else ())
        ],
        "by_band": [
            _mean_cell(label, _count_total(bands.get(i)), min_group)
            for i, (label, _) in enumerate(BANDS)
        ],
    }


def _count_total(moments: Moments | None) -> tuple[int, float] | None:
    return None if moments is None else (moments.n, moments.total)


def _mean_cell(
    key: str, count_total: tuple[int, float] | None, min_group: int
) -> dict[str, object]:
    n = count_total[0] if count_total else 0
    return report_cell(key, n, min_group, {"mean": _mean(count_total)})


def _correlation_cell(
    attribute: str, bands: Mapping[int, Moments], min_group: int
) -> dict[str, object]:
    total = sum(bands.values(), Moments(0, 0.0, 0.0, 0.0, 0.0))
    return report_cell(attribute, total.n, min_group, {"r": total.pearson()})


async def cost(store: Store, f: ReportFilter, *, min_group: int) -> list[Group]:
    """SMS sent for the surveys in scope and their price as the provider reported it.

    n: surveys sent. Counts outbound messages of those conversations whose status is 'sent' or
    'delivered'. `price` and `cost_per_completed` are per currency; `unpriced_sms` is how many
    had no price reported (they are not in the sums).
    """
    async with store.read() as tx:
        counts = await tx.results.conversation_counts(f)
        found = await tx.results.sms_cost(f)
    groups = []
    for key in _keys(f, counts):
        counted = counts.get(key)
        completed = counted.completed if counted is not None else 0
        figures = _cost_figures(found.get(key, []), completed)
        groups.append(_group(key, _started(counts, key), min_group, figures))
    return groups


def _cost_figures(rows: Sequence[SmsCost], completed: int) -> dict[str, object]:
    price: dict[str, float] = {}
    for row in rows:
        if row.price is not None:
            currency = row.currency or "unknown"
            price[currency] = price.get(currency, 0.0) + row.price
    return {
        "sms_sent": sum(row.sms for row in rows),
        "segments": sum(row.segments for row in rows),
        "unpriced_sms": sum(row.unpriced for row in rows),
        "completed": completed,
        "price": {c: round(total, 4) for c, total in sorted(price.items())},
        "cost_per_completed": {
            c: round(total / completed, 4) if completed else None
            for c, total in sorted(price.items())
        },
    }


# --- cross-tabulation -----------------------------------------------------------------------

BY_COLUMNS = ("unit", "service", "channel", "language")  # event values a cross-tab splits by


def parse_crosstab(spec: str) -> tuple[str, str]:
    """ "ces:reason" -> ("ces", "reason"): a question, then what to split it by."""
    question, colon, by = (part.strip() for part in spec.partition(":"))
    if not colon or not question or not by:
        example = "ces:reason, solved:channel or nps:attributes.age_band"
        raise ReportFilterError(f"crosstab {spec!r}: expected question:by, such as {example}")
    return question, by


async def crosstab(
    store: Store,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    *,
    question: str,
    by: str,
    min_group: int,
) -> list[Group]:
    """The answers to `question` within each value of `by`: another question of the same flow
    (its latest understood answer), or an event value (unit, service, channel, language,
    attributes.<name>). Per flow that has the question (flows are never pooled: without
    `f.flow` each group key is prefixed with the flow id, as in `drivers`).

    n: understood answers to `question` in the group; a cell (one value of `by`, None: no
    answer or no value) counts its own. Each cell and the group's `overall` hold the answers'
    distribution, shares (yes/no, choice) or mean, median and preset metric (scale).
    A name no flow in scope has is refused with the closest known one."""
    groups = []
    for flow, q, asked in _crossed_in_scope(f, flows, question, by):
        scoped = replace(f, flow=flow.id)
        prefix = None if f.flow is not None else flow.id
        async with store.read() as tx:
            counts = await tx.results.crosstab(scoped, asked)
        for key in _keys(f, counts):
            cells = counts.get(key, {})
            group = _cross_group(flow, q, asked, cells, min_group)
            groups.append(replace(group, key=_prefixed(prefix, key)))
    return groups


def _crossed_in_scope(
    f: ReportFilter, flows: Mapping[str, Flow], question: str, by: str
) -> list[tuple[Flow, Question, CrossQuestions]]:
    in_scope = flows_in_scope(f, flows)
    having = [(flow, q) for flow in in_scope for q in flow.questions if q.id == question]
    if not having:
        raise ReportFilterError(
            f"crosstab: unknown question {question!r}{_question_hint(question, in_scope)}"
        )
    found = []
    for flow, q in having:
        if q.kind in (Kind.TEXT, Kind.INFO):
            choose = "choose a scale, yes/no or choice question"
            raise ReportFilterError(f"crosstab: {question!r} is {q.kind.value}: {choose}")
        asked = _cross_by(flow, q, by)
        if asked is not None:
            found.append((flow, q, asked))
    if not found:
        raise ReportFilterError(
            f"crosstab: cannot split {question!r} by {by!r}{_by_hint(by, in_scope, having)}"
        )
    return found


def _by_hint(by: str, in_scope: Sequence[Flow], having: Sequence[tuple[Flow, Question]]) -> str:
    if any(q.id == by for flow in in_scope for q in flow.questions):
        return " (no flow asks both: choose the flow of the two questions)"
    known = [*BY_COLUMNS, *(q.id for flow, _ in having for q in flow.questions)]
    return (
        did_you_mean(by, known)
        or f" (one of {', '.join(BY_COLUMNS)}, attributes.<name> or a question)"
    )


def _question_hint(question: str, in_scope: Sequence[Flow]) -> str:
    known = {q.id for flow in in_scope for q in flow.questions if q.expects_reply}
    return did_you_mean(question, known) or (
        f" (questions: {', '.join(sorted(known))})" if known else " (no flow in scope)"
    )


def _cross_by(flow: Flow, q: Question, by: str) -> CrossQuestions | None:
    """What to split by in this flow: its question `by` (not free text, not `q`), else an
    event value; None when the flow has neither."""
    other = next((x for x in flow.questions if x.id == by), None)
    if other is not None:
        if other.kind in (Kind.TEXT, Kind.INFO) or other.id == q.id:
            raise ReportFilterError(
                f"crosstab: cannot split by {by!r} ({other.kind.value}): choose another question"
            )
        return CrossQuestions(flow.id, q.id, by, by_question=True)
    name = by.removeprefix("attributes.")
    if by in BY_COLUMNS or (by.startswith("attributes.") and NAME.fullmatch(name)):
        return CrossQuestions(flow.id, q.id, by, by_question=False)
    return None


def _cross_group(
    flow: Flow,
    q: Question,
    asked: CrossQuestions,
    cells: Mapping[str | None, Counter[object]],
    min_group: int,
) -> Group:
    overall: Counter[object] = Counter()
    for counts in cells.values():
        overall.update(counts)
    figures: dict[str, object] = {
        "flow": flow.id,
        "question": q.id,
        "kind": q.kind.value,
        "preset": q.preset,
        "by": asked.by,
        "overall": _answer_figures(q, overall),
        "cells": [
            report_cell(value, sum(counts.values()), min_group, _answer_figures(q, counts))
            for value in _by_order(flow, asked, cells)
            for counts in [cells.get(value, Counter())]
        ],
    }
    return _group(None, sum(overall.values()), min_group, figures)


def _by_order(
    flow: Flow, asked: CrossQuestions, cells: Mapping[str | None, Counter[object]]
) -> list[str | None]:
    """The values of `by` in reading order: a question's possible answers (all of them), then
    any other seen, then None (no answer) if seen."""
    known: list[str] = []
    if asked.by_question:
        known = [str(v) for v in _answer_values(flow.question(asked.by))]
    seen = sorted(str(v) for v in cells if v is not None and str(v) not in known)
    return [*known, *seen, *([None] if None in cells else [])]


def _answer_values(q: Question) -> list[int | str]:
    if q.kind is Kind.SCALE and q.min is not None and q.max is not None:
        return list(range(q.min, q.max + 1))
    if q.kind is Kind.YESNO:
        return ["yes", "no"]
    return [o.id for o in q.options]


# --- avoidable demand -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Marks:
    """What marks a contact of `flow` as avoidable demand: options per choice question
    (`avoidable: true`) and the flow's `avoidable_when`; `read` every question they name."""

    flow: Flow
    read: tuple[str, ...]
    options: Mapping[str, frozenset[str]]
    condition: Expr | None
    source: str | None


def _marks_of(flow: Flow) -> _Marks | None:
    if not flow.marks_avoidable:
        return None
    options = {
        q.id: frozenset(o.id for o in q.options if o.avoidable)
        for q in flow.questions
        if any(o.avoidable for o in q.options)
    }
    condition = flow.avoidable_when
    names = set(options) | (set(condition.names()) if condition is not None else set())
    read = tuple(q.id for q in flow.questions if q.id in names)
    return _Marks(flow, read, options, condition, flow.avoidable_when_source)


def avoidable_reasons(marks: _Marks, values: Sequence[object]) -> list[str] | None:
    """Why a contact with these latest answers (in `marks.read` order) is avoidable demand:
    "question = option" per marked option answered, the condition's text if it holds; [] when
    it is not avoidable; None when none of the questions was answered (not a counted contact)."""
    env = {qid: _typed(v) for qid, v in zip(marks.read, values, strict=True) if v is not None}
    if not env:
        return None
    reasons = [f"{qid} = {env[qid]}" for qid, ids in marks.options.items() if env.get(qid) in ids]
    if marks.condition is not None and marks.source and marks.condition.evaluate(env):
        reasons.append(marks.source)
    return reasons


def _typed(value: object) -> object:
    """A stored answer as conditions see it: a whole-number scale answer as an int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def period_of(day: str, period: str) -> str:
    """A UTC day "2026-11-02" as its ISO week ("2026-W45") or month ("2026-11")."""
    if period == "month":
        return day[:7]
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


async def avoidable(
    store: Store,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    *,
    period: str = "month",
    min_group: int,
) -> list[Group]:
    """The share of contacts that were avoidable demand, per group and per `period` (week or
    month of the survey's start, UTC), with the reasons behind it. Per flow that marks
    avoidable demand (`avoidable: true` options, `avoidable_when`); flows are never pooled
    (keys prefixed with the flow id without `f.flow`, as in `drivers`).

    A contact is a survey with an understood answer to at least one question the marks read;
    it is avoidable when one of its latest answers is a marked option or the condition holds
    over its answers. n: contacts in the group; a period cell counts its own. `reasons`: per
    mark, the contacts it marked (one contact may have several reasons)."""
    groups = []
    for flow_id, _everyone, per_group in await avoidable_per_flow(
        store, f, flows, period=period, min_group=min_group
    ):
        prefix = None if f.flow is not None else flow_id
        groups += [replace(group, key=_prefixed(prefix, group.key)) for group in per_group]
    return groups


async def avoidable_per_flow(
    store: Store,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    *,
    period: str = "month",
    min_group: int,
) -> list[tuple[str, Group, list[Group]]]:
    """Per flow that marks avoidable demand: its id, the group of every contact in `f`
    (key None) and its groups by `f.group_by` (keys not prefixed), from one read."""
    if period not in PERIODS:
        raise ReportFilterError(f"period {period!r}: one of {', '.join(PERIODS)}")
    found = []
    for marks in filter(None, (_marks_of(flow) for flow in flows_in_scope(f, flows))):
        async with store.read() as tx:
            profiles = await tx.results.answer_profiles(f, marks.flow.id, marks.read)
        everyone = _avoidable_group(marks, profiles, period, min_group)
        per_group = [
            replace(_avoidable_group(marks, mine, period, min_group), key=key)
            for key, mine in _by_key(f, profiles).items()
        ]
        found.append((marks.flow.id, everyone, per_group))
    return found


def _by_key(f: ReportFilter, found: Sequence[AnswerProfile]) -> dict[Key, list[AnswerProfile]]:
    grouped: dict[Key, list[AnswerProfile]] = {key: [] for key in _keys(f, (p.key for p in found))}
    for profile in found:
        grouped[profile.key].append(profile)
    return grouped


def _avoidable_group(
    marks: _Marks, profiles: Sequence[AnswerProfile], period: str, min_group: int
) -> Group:
    reasons: Counter[str] = Counter()
    per_period: dict[str, list[int]] = {}
    for profile in profiles:
        why = avoidable_reasons(marks, profile.values)
        if why is None:
            continue
        counts = per_period.setdefault(period_of(profile.day, period), [0, 0])
        counts[0] += profile.n
        counts[1] += profile.n if why else 0
        reasons.update(dict.fromkeys(why, profile.n))
    contacts = sum(c for c, _ in per_period.values())
    hits = sum(a for _, a in per_period.values())
    figures: dict[str, object] = {
        "flow": marks.flow.id,
        "period": period,
        "contacts": contacts,
        "avoidable": hits,
        "avoidable_pct": pct_of(hits, contacts),
        "reasons": [
            {"reason": reason, "contacts": n, "share_pct": pct_of(n, contacts)}
            for reason, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
        ],
        "over_time": [
            report_cell(when, c, min_group, {"avoidable": a, "avoidable_pct": pct_of(a, c)})
            for when, (c, a) in sorted(per_period.items())
        ],
    }
    return _group(None, contacts, min_group, figures)


# --- everything ------------------------------------------------------------------------------


async def full_report(
    store: Store,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    *,
    min_group: int,
    sections: Sequence[str] = SECTIONS,
    satisfaction: str | None = None,
    resolved: str | None = None,
    attribute: str = "wait_seconds",
    crosstab: str | None = None,
    period: str = "month",
) -> dict[str, object]:
    """The chosen sections as plain JSON-ready data: {filter, min_group, sections: {name: [...]}}.

    Each group is {key, n, suppressed, <figures>}. `crosstab` ("question:by", see
    `parse_crosstab`) adds the section "crosstab" (after the chosen ones); `period` (week or
    month) splits the avoidable section. A flow, unit or service in `f` that nothing has is
    refused (`check_names`)."""
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        raise ReportFilterError(f"unknown section {unknown[0]!r}: one of {', '.join(SECTIONS)}")
    crossed = parse_crosstab(crosstab) if crosstab is not None else None
    await check_names(store, f, flows)
    options = _Options(satisfaction, resolved, attribute, period)
    done: dict[str, list[dict[str, object]]] = {}
    for name in sections:
        groups = await _section(store, name, f, flows, min_group, options)
        done[name] = [group.to_dict() for group in groups]
    if crossed is not None:
        groups = await _cross_section(store, f, flows, crossed, min_group)
        done["crosstab"] = [group.to_dict() for group in groups]
    return {"filter": f.to_dict(), "min_group": min_group, "sections": done}


async def _cross_section(
    store: Store,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    crossed: tuple[str, str],
    min_group: int,
) -> list[Group]:
    question, by = crossed
    return await crosstab(store, f, flows, question=question, by=by, min_group=min_group)


@dataclass(frozen=True)
class _Options:
    satisfaction: str | None
    resolved: str | None
    attribute: str
    period: str


async def _section(
    store: Store,
    name: str,
    f: ReportFilter,
    flows: Mapping[str, Flow],
    min_group: int,
    options: _Options,
) -> list[Group]:
    if name == "questions":
        return await questions(store, f, flows, min_group=min_group)
    if name == "cases":
        found = await case_groups(store, f)
        return [_group(key, n, min_group, figures) for key, n, figures in found]
    if name == "avoidable":
        return await avoidable(store, f, flows, period=options.period, min_group=min_group)
    if name == "drivers":
        return await drivers(
            store,
            f,
            flows,
            satisfaction=options.satisfaction,
            resolved=options.resolved,
            attribute=options.attribute,
            min_group=min_group,
        )
    simple: dict[str, Any] = {"funnel": funnel, "timing": timing, "cost": cost}
    groups: list[Group] = await simple[name](store, f, min_group=min_group)
    return groups
