"""The journey report: for each journey type, its steps in order, and per step the surveys, the
response rate, satisfaction, the share of journeys that reached it, and the units side by side.

A journey type (smsbot.storage.journeys, read from `journeys.yaml` by smsbot.flows.journeys) is
known by the start of its journey ids; each step by the `journey.step` events send for it and
the flow whose surveys count there. A journey that crosses organisations (a health centre, then
an outside provider) is one journey: it is counted by its pseudonymous id, which is never shown.

Per journey type, one group (key: the type's id; n: journeys with a survey at any step). Per
step, a cell (n: surveys sent at the step) with:

    surveys, answered, response_rate_pct   surveys of the step's flow, with at least one reply
    journeys, reached_pct                  journeys with a survey at this step, as a share of
                                           the type's journeys
    satisfaction                           a cell (n: understood answers to the step's scale
                                           question): mean, score_pct (the mean placed on the
                                           scale, 0 = its lowest, 100 = its highest, so steps
                                           with different scales compare), csat_pct for csat
    change                                 against the step before (None for the first, or when
                                           either side is suppressed): response_rate_pts,
                                           score_pts, and mean when both use the same scale
    units                                  a cell per unit (n: its surveys at this step) with
                                           surveys, answered, response_rate_pct, satisfaction

`falls` lists where response or satisfaction falls between steps, largest first. Groups and
cells below `min_group` are suppressed as in every report. The filter narrows the surveys as it
does elsewhere (period by the survey's start, unit, service, channel, attributes, trials); a
flow filter keeps only the steps of that flow. `group_by` does not apply: units are side by
side at each step already.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from smsbot.engine.model import Flow, Question
from smsbot.results.reports import (
    Group,
    ReportFilter,
    ReportFilterError,
    check_names,
    csat_pct,
    mean_of,
    pct_of,
    report_cell,
    satisfaction_question,
)
from smsbot.storage.journeys import JourneyCounts, JourneyQuery, JourneyType
from smsbot.storage.ports import Store
from smsbot.suggest import did_you_mean

__all__ = ["journey_report", "journeys", "score_pct"]


def score_pct(mean: float | None, low: int, high: int) -> float | None:
    """Where a mean lies on its scale, in percent: 0 at `low`, 100 at `high`."""
    if mean is None or high <= low:
        return None
    return round(100 * (mean - low) / (high - low), 1)


# --- which journey types ---------------------------------------------------------------------


def chosen(definitions: Sequence[JourneyType], journey: str | None) -> list[JourneyType]:
    """Every journey type, or the one named; refuse a name not defined, naming the closest."""
    if not definitions:
        raise ReportFilterError(
            "no journey types are defined: describe them in journeys.yaml beside the flows"
            " (see docs/journeys.md)"
        )
    if journey is None:
        return list(definitions)
    found = [d for d in definitions if d.id == journey]
    if not found:
        known = [d.id for d in definitions]
        hint = did_you_mean(journey, known) or f" (known: {', '.join(known)})"
        raise ReportFilterError(f"unknown journey {journey!r}{hint}")
    return found


@dataclass(frozen=True)
class _Step:
    """A step with its flow and satisfaction question, as far as the flows have them."""

    id: str
    name: str
    flow: str
    question: Question | None


def _steps(journey: JourneyType, flows: Mapping[str, Flow]) -> list[_Step]:
    found = []
    for step in journey.steps:
        flow = flows.get(step.flow)
        question = None
        if flow is not None and step.question is not None:
            question = next((q for q in flow.questions if q.id == step.question), None)
        elif flow is not None:
            question = satisfaction_question(flow)
        found.append(_Step(step.id, step.name(), step.flow, question))
    return found


# --- the report --------------------------------------------------------------------------------


async def journeys(
    store: Store,
    f: ReportFilter,
    definitions: Sequence[JourneyType],
    flows: Mapping[str, Flow],
    *,
    journey: str | None = None,
    min_group: int,
) -> list[Group]:
    """One group per journey type (or only `journey`), its steps in order (see the module)."""
    if f.group_by is not None:
        raise ReportFilterError(
            "journeys: group_by does not apply (units are side by side at each step)"
        )
    groups = []
    for kind in chosen(definitions, journey):
        steps = _steps(kind, flows)
        query = JourneyQuery(
            kind.id_prefix,
            tuple((s.id, s.flow, s.question.id if s.question else None) for s in steps),
        )
        async with store.read() as tx:
            counts = await tx.journeys.journey_counts(f, query)
        groups.append(_journey_group(kind, steps, counts, min_group))
    return groups


def _journey_group(
    kind: JourneyType, steps: Sequence[_Step], counts: JourneyCounts, min_group: int
) -> Group:
    cells = [_step_cell(pos, step, counts, min_group) for pos, step in enumerate(steps)]
    for before, cell in pairwise(cells):
        _add_change(before, cell)
    figures: dict[str, object] = {
        "title": kind.name(),
        "journeys": counts.journeys,
        "steps": cells,
        "falls": _falls(cells),
    }
    suppressed = counts.journeys < min_group
    return Group(kind.id, counts.journeys, suppressed, {} if suppressed else figures)


def _step_cell(pos: int, step: _Step, counts: JourneyCounts, min_group: int) -> dict[str, object]:
    units = sorted(
        {unit for p, unit in counts.surveys if p == pos}, key=lambda u: (u is None, u or "")
    )
    surveys = sum(counts.surveys[(pos, u)][0] for u in units)
    answered = sum(counts.surveys[(pos, u)][1] for u in units)
    scores: Counter[int] = Counter()
    for unit in units:
        scores.update(counts.scores.get((pos, unit), Counter()))
    reached = counts.reached.get(pos, 0)
    figures: dict[str, object] = {
        "surveys": surveys,
        "answered": answered,
        "response_rate_pct": pct_of(answered, surveys),
        "journeys": reached,
        "reached_pct": pct_of(reached, counts.journeys),
        "satisfaction": _score_cell(step.question, scores, min_group),
        "change": None,
        "units": [
            _unit_cell(
                unit, counts.surveys[(pos, unit)], counts.scores.get((pos, unit)), step, min_group
            )
            for unit in units
        ],
    }
    about = {"position": pos + 1, "name": step.name, "flow": step.flow}
    return report_cell(step.id, surveys, min_group, figures, **about)


def _unit_cell(
    unit: str | None,
    surveys_answered: tuple[int, int],
    scores: Counter[int] | None,
    step: _Step,
    min_group: int,
) -> dict[str, object]:
    surveys, answered = surveys_answered
    figures: dict[str, object] = {
        "surveys": surveys,
        "answered": answered,
        "response_rate_pct": pct_of(answered, surveys),
        "satisfaction": _score_cell(step.question, scores or Counter(), min_group),
    }
    return report_cell(unit, surveys, min_group, figures)


def _score_cell(
    question: Question | None, scores: Counter[int], min_group: int
) -> dict[str, object]:
    if question is None:
        return report_cell(None, 0, min_group, {}, scale=None)
    low = question.min if question.min is not None else 0
    high = question.max if question.max is not None else 0
    n = sum(scores.values())
    exact = sum(v * c for v, c in scores.items()) / n if n else None
    figures: dict[str, object] = {
        "answers": n,
        "mean": mean_of(scores),
        "score_pct": score_pct(exact, low, high),  # from the exact mean, not the rounded one
    }
    if question.preset == "csat":
        figures["csat_pct"] = csat_pct(scores)
    return report_cell(
        question.id, n, min_group, figures, scale=[low, high], preset=question.preset
    )


# --- between steps -----------------------------------------------------------------------------


def _shown(cell: Mapping[str, object], name: str) -> float | None:
    """A figure of a step, or None when the step (or its satisfaction cell) is suppressed."""
    if cell["suppressed"]:
        return None
    figures = cell["figures"]
    assert isinstance(figures, dict)
    if name == "response_rate_pct":
        value = figures.get(name)
    else:
        score = figures["satisfaction"]
        value = None if score["suppressed"] else score["figures"].get(name)
    return value if isinstance(value, int | float) else None


def _difference(after: float | None, before: float | None, digits: int) -> float | None:
    return None if after is None or before is None else round(after - before, digits)


def _add_change(before: dict[str, object], cell: dict[str, object]) -> None:
    if cell["suppressed"]:
        return
    figures = cell["figures"]
    assert isinstance(figures, dict)
    change: dict[str, object] = {
        "from": before["key"],
        "response_rate_pts": _difference(
            _shown(cell, "response_rate_pct"), _shown(before, "response_rate_pct"), 1
        ),
        "score_pts": _difference(_shown(cell, "score_pct"), _shown(before, "score_pct"), 1),
        "mean": None,
    }
    if _scale(before) is not None and _scale(before) == _scale(cell):
        change["mean"] = _difference(_shown(cell, "mean"), _shown(before, "mean"), 2)
    figures["change"] = change


def _scale(cell: Mapping[str, object]) -> object:
    figures = cell["figures"]
    if not isinstance(figures, dict) or "satisfaction" not in figures:
        return None
    return figures["satisfaction"].get("scale")


def _falls(cells: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """Each fall in response rate or satisfaction from one step to the next, largest first."""
    found = []
    for cell in cells:
        figures = cell["figures"]
        change = figures.get("change") if isinstance(figures, dict) else None
        if not isinstance(change, dict):
            continue
        for measure, name in (("response", "response_rate_pts"), ("satisfaction", "score_pts")):
            by = change.get(name)
            if isinstance(by, int | float) and by < 0:
                found.append(
                    {"from": change["from"], "to": cell["key"], "measure": measure, "points": by}
                )
    return sorted(found, key=lambda fall: (fall["points"], str(fall["from"])))


async def journey_report(
    store: Store,
    f: ReportFilter,
    definitions: Sequence[JourneyType],
    flows: Mapping[str, Flow],
    *,
    journey: str | None = None,
    min_group: int,
) -> dict[str, object]:
    """The journey report in `full_report`'s shape: {filter, journey, min_group, sections:
    {journeys}}. A flow, unit or service in `f` that nothing has is refused (`check_names`)."""
    await check_names(store, f, flows)
    groups = await journeys(store, f, definitions, flows, journey=journey, min_group=min_group)
    return {
        "filter": f.to_dict(),
        "journey": journey,
        "min_group": min_group,
        "sections": {"journeys": [group.to_dict() for group in groups]},
    }
