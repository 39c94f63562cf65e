"""The reports JSON API: `GET /v1/reports/{section}` with the report filters as query parameters.

    GET /v1/reports/funnel?unit=Akuten&since=2026-11-01&group_by=channel
    GET /v1/reports/all?flow=health-visit&attr=age_group%3D65%2B&group_by=unit
    GET /v1/reports/funnel?include_trials=true     (trials are left out unless asked for)

    GET /v1/reports/journeys?journey=sleep-apnoea  (smsbot.results.journeys; journeys.yaml)

section: funnel | questions | timing | drivers | cost | all. The answer is the report as
`smsbot.results.reports.full_report` gives it; groups smaller than the configured minimum are
suppressed, and no answer ever holds a phone number. The admin token check is added in front of
these routes by the app (`add_report_routes` adds only the route).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from multidict import MultiMapping

from smsbot.engine.model import Flow
from smsbot.gateway.access import OutOfScope, person_of, scoped_unit
from smsbot.http.openapi.spec import FORBIDDEN, UNAUTHORIZED, Answer, Operation, Param, problem, ref
from smsbot.http.responses import json_answer
from smsbot.people.rights import Right, units_seen
from smsbot.results.journeys import journey_report
from smsbot.results.reports import (
    GROUP_BY,
    PERIODS,
    SECTIONS,
    ReportFilter,
    ReportFilterError,
    full_report,
    parse_attribute,
    parse_flag,
    parse_moment,
)
from smsbot.storage.journeys import JourneyType
from smsbot.storage.ports import Store

__all__ = ["JOURNEY_PARAMETERS", "OPERATIONS", "ReportContext", "add_report_routes"]


@dataclass(frozen=True)
class ReportContext:
    store: Store
    flows: Mapping[str, Flow]
    min_group: int
    timezone: str = "UTC"  # for dates and times given without an offset
    journeys: Sequence[JourneyType] = ()  # the journey types of journeys.yaml


GetContext = Callable[[web.Request], ReportContext]

_SINGLE = (
    "flow",
    "since",
    "until",
    "unit",
    "service",
    "channel",
    "group_by",
    "satisfaction",
    "resolved",
    "attribute",
    "include_trials",
    "crosstab",
    "period",
    "journey",
)
_KNOWN = (*(name for name in _SINGLE if name != "journey"), "attr")  # /v1/reports/{section}
_NOT_FOR_JOURNEYS = ("group_by", "satisfaction", "resolved", "attribute", "crosstab", "period")
_JOURNEY_KNOWN = (*(name for name in _SINGLE if name not in _NOT_FOR_JOURNEYS), "attr")
JOURNEY_PARAMETERS = _JOURNEY_KNOWN  # what /v1/reports/journeys reads


def _error(error: str, message: str, status: int) -> web.Response:
    return json_answer({"error": error, "message": message}, status)


def add_report_routes(app: web.Application, get_context: GetContext) -> None:
    """Add `GET /v1/reports/journeys` and `GET /v1/reports/{section}`; `get_context` gives the
    store, flows, journey types and k per request."""

    async def handle(request: web.Request) -> web.Response:
        section = request.match_info["section"]
        if section not in (*SECTIONS, "all", "crosstab"):
            known = ", ".join((*SECTIONS, "all", "crosstab"))
            message = f"no report {section!r}; known: {known} (and /v1/reports/journeys)"
            return _error("not_found", message, 404)
        context = get_context(request)
        try:
            if "journey" in request.query:
                raise ReportFilterError("journey: only for /v1/reports/journeys")
            f, options = _query(request.query, ZoneInfo(context.timezone))
            del options["journey"]
            f = _in_scope(request, f)
            data = await full_report(
                context.store,
                f,
                context.flows,
                min_group=context.min_group,
                sections=_sections(section, options["crosstab"]),
                **options,
            )
        except ReportFilterError as error:
            return _error("invalid_query", str(error), 400)
        return json_answer(data)

    async def journeys(request: web.Request) -> web.Response:
        context = get_context(request)
        try:
            _only_filters(request.query)
            f, options = _query(request.query, ZoneInfo(context.timezone), _JOURNEY_KNOWN)
            f = _in_scope(request, f)
            data = await _journeys(context, f, options["journey"])
        except ReportFilterError as error:
            return _error("invalid_query", str(error), 400)
        return json_answer(data)

    app.router.add_get("/v1/reports/journeys", journeys)  # before {section}: it matches first
    app.router.add_get("/v1/reports/{section}", handle)


def _only_filters(query: MultiMapping[str]) -> None:
    given = [name for name in _NOT_FOR_JOURNEYS if name in query]
    if given:
        raise ReportFilterError(
            f"{given[0]}: not for the journeys report (units are side by side at each step)"
        )


async def _journeys(
    context: ReportContext, f: ReportFilter, journey: str | None
) -> dict[str, object]:
    return await journey_report(
        context.store,
        f,
        context.journeys,
        context.flows,
        journey=journey,
        min_group=context.min_group,
    )


def _in_scope(request: web.Request, f: ReportFilter) -> ReportFilter:
    """A unit manager's reports are of her units, and compare only with all units together:
    another unit, or grouping by unit (which names the others), is refused (403, audited)."""
    person = person_of(request)
    units = units_seen(person, Right.VIEW_RESULTS) if person else None
    if person is None or units is None:
        return f
    if f.group_by == "unit":
        raise OutOfScope(None, units)
    return replace(f, unit=scoped_unit(person, Right.VIEW_RESULTS, f.unit))


def _sections(section: str, crosstab: str | None) -> tuple[str, ...]:
    if section == "crosstab":
        if crosstab is None:
            raise ReportFilterError("crosstab: name it, such as ?crosstab=ces:reason")
        return ()
    return SECTIONS if section == "all" else (section,)


def _query(
    query: MultiMapping[str], tz: ZoneInfo, known: Sequence[str] = _KNOWN
) -> tuple[ReportFilter, dict[str, Any]]:
    unknown = sorted(set(query) - set(known))
    if unknown:
        raise ReportFilterError(
            f"unknown query parameter {unknown[0]!r}; known: {', '.join(known)}"
        )
    single: dict[str, str | None] = {}
    for name in _SINGLE:
        values = query.getall(name, [])
        if len(values) > 1:
            raise ReportFilterError(f"{name}: given more than once")
        single[name] = (values[0].strip() or None) if values else None
    since, until, trials = single["since"], single["until"], single["include_trials"]
    f = ReportFilter(
        flow=single["flow"],
        since=parse_moment(since, tz) if since else None,
        until=parse_moment(until, tz, end=True) if until else None,
        unit=single["unit"],
        service=single["service"],
        channel=single["channel"],
        attributes=dict(parse_attribute(a) for a in query.getall("attr", [])),
        group_by=single["group_by"],
        include_trials=parse_flag("include_trials", trials) if trials else False,
    )
    options = {
        "satisfaction": single["satisfaction"],
        "resolved": single["resolved"],
        "attribute": single["attribute"] or "wait_seconds",
        "crosstab": single["crosstab"],
        "period": single["period"] or "month",
        "journey": single["journey"],
    }
    return f, options


# --- OpenAPI (assembled into /openapi.json by smsbot.http.openapi.document) ---------------

_DATE = "a date (2026-11-01) or date and time (2026-11-01T08:00, with or without offset)"


def _param(name: str, description: str) -> Param:
    return Param(name, "query", description)


_FILTER_PARAMS = (
    _param("flow", "only this flow"),
    _param("since", f"from {_DATE}, inclusive (when the survey started)"),
    _param("until", f"to {_DATE}, exclusive; a bare date includes that day"),
    _param("unit", "only this unit"),
    _param("service", "only this service"),
    _param("channel", "only this channel"),
    Param(
        "attr",
        "query",
        "an event attribute as name=value (exact match); repeat for more",
        repeatable=True,
    ),
)
_TRIALS_PARAM = Param(
    "include_trials",
    "query",
    "count trials too (smsbot chat, the phone simulator, events posted with"
    ' "trial": true); they are left out unless this is true',
    {"type": "boolean", "default": False},
)

OPERATIONS = (
    Operation(
        method="GET",
        path="/v1/reports/journeys",
        operation_id="getJourneyReport",
        tag="reports",
        summary="Journeys: care chains step by step",
        description=(
            "Per journey type of `journeys.yaml` (beside the flows), or only `journey`: its"
            " steps in order, each with its surveys, response rate, the share of journeys that"
            " reached it, satisfaction (on the step's scale and as a 0-100 score, so steps"
            " compare), the change from the step before, and the units side by side; then where"
            " response or satisfaction falls. A journey that crosses organisations is one"
            " journey, counted by its pseudonymous id, which is never shown. n: journeys (group),"
            " surveys (step, unit), answers (satisfaction); below the minimum group size a"
            " group or cell has `suppressed: true` and no figures. No answer holds a phone"
            " number."
        ),
        params=(
            _param("journey", "only this journey type (its id in journeys.yaml)"),
            *_FILTER_PARAMS,
            _TRIALS_PARAM,
        ),
        answers={
            200: Answer("the journeys", ref("JourneyReport"), examples=("report_journeys",)),
            400: problem(
                "a filter that cannot be used, an unknown journey type, or no journeys.yaml"
            ),
            401: UNAUTHORIZED,
        },
        security=("adminToken",),
    ),
    Operation(
        method="GET",
        path="/v1/reports/{section}",
        operation_id="getReport",
        tag="reports",
        summary="Survey figures per group",
        description=(
            "One report section (or `all`) for the filter, per group of `group_by`. What n"
            " counts: funnel: surveys sent; questions: surveys sent (per question: understood"
            " answers; drop-off: conversations asked); timing: conversations with a reply;"
            " drivers: satisfaction answers; cost: surveys sent; avoidable: contacts (surveys"
            " with an answer to a question the flow's avoidable marks read); crosstab: answers"
            " to the question. A group or cell with n below"
            " the minimum group size (`[privacy] min_group_size`) has `suppressed: true` and"
            " no figures. No answer ever holds a phone number. Dates and times without an"
            " offset are in the survey time zone."
        ),
        params=(
            Param("section", "path", "which section", ref("ReportSectionName")),
            *_FILTER_PARAMS,
            _param("group_by", f"one of {', '.join(GROUP_BY)}"),
            _param("satisfaction", "drivers: the satisfaction question's id"),
            _param(
                "resolved",
                "drivers: the yes/no question's id (default: the one that means resolution)",
            ),
            _param("attribute", "drivers: the numeric event attribute (default wait_seconds)"),
            _param(
                "crosstab",
                "question:by, such as ces:reason, solved:channel or nps:attributes.age_band:"
                " adds the crosstab section (section `crosstab`: only it)",
            ),
            Param(
                "period",
                "query",
                "avoidable: split time by week or month (UTC)",
                {"type": "string", "enum": list(PERIODS), "default": "month"},
            ),
            Param(
                "include_trials",
                "query",
                "count trials too (smsbot chat, the phone simulator, events posted with"
                ' "trial": true); they are left out unless this is true',
                {"type": "boolean", "default": False},
            ),
        ),
        answers={
            200: Answer(
                "the report",
                ref("Report"),
                examples=("report_funnel", "report_crosstab", "report_avoidable"),
            ),
            400: problem("a filter that cannot be used, and why"),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: problem("no such report section"),
        },
        security=("adminToken",),
    ),
)
