"""/ui/dashboard: the reports as pictures, filtered by flow, period, unit and service.

    GET /ui/dashboard?flow=&from=&to=&unit=&service=

Everything is computed by `dashboard_view.build` from the same reports as `smsbot report`, so
small groups are suppressed exactly as there ("too few answers", never a zero). Each chart is
server-side SVG with a caption and, under a disclosure, the table of every figure it draws.
The query string carries only the filters. The flows' own words (titles, question labels,
answer options) are in the reader's language (`render.page_language`).
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from aiohttp import web

from smsbot.flows.journeys import journeys_path, load_journeys
from smsbot.gateway.access import person_of, scoped_unit
from smsbot.gateway.runner import Gateway
from smsbot.logs import get_logger
from smsbot.people.rights import Right, units_seen
from smsbot.results import dashboard as data
from smsbot.storage.accounts import Person
from smsbot.webui.dashboard_view import build
from smsbot.webui.journey_view import journey_views
from smsbot.webui.render import page_language, render

__all__ = ["routes"]

log = get_logger(__name__)


def routes(gateway: Gateway) -> list[web.RouteDef]:
    journey_types, problems = load_journeys(
        journeys_path(gateway.config.flows.dir),
        {flow.id: flow for flow in gateway.catalog.flows()},
    )
    for problem in problems:  # a journey type with an error is left out of the dashboard
        log.warning(
            "journeys_problem", file=problem.file, line=problem.line, problem=problem.message
        )

    async def page(request: web.Request) -> web.Response:
        flows = {flow.id: flow for flow in gateway.catalog.flows()}
        store = gateway.parts.store
        person = person_of(request)
        assert person is not None  # the guard let only a signed-in person in
        options = _scoped(await data.filter_options(store), person)
        filters, problems = data.parse_filters(request.query, list(flows), options)
        if units_seen(person, Right.VIEW_RESULTS) is not None:  # hers only; else 403, audited
            wanted = request.query.get("unit", "").strip() or None
            filters = replace(filters, unit=scoped_unit(person, Right.VIEW_RESULTS, wanted))
        lang = page_language(request.headers.get("Accept-Language", ""))
        dashboard = await build(
            store,
            flows,
            filters,
            tz=ZoneInfo(gateway.config.survey.timezone),
            min_group=gateway.config.privacy.min_group_size,
            lang=lang,
            units_shown=units_seen(person, Right.VIEW_RESULTS),
        )
        paths = await journey_views(
            store,
            journey_types,
            flows,
            filters.report_filter(ZoneInfo(gateway.config.survey.timezone)),
            min_group=gateway.config.privacy.min_group_size,
            lang=lang,
        )
        return await render(
            request,
            "dashboard.html",
            d=dashboard,
            journeys=paths,
            flows=list(flows.values()),
            options=options,
            problems=problems,
            strength_points=data.STRENGTH_POINTS,
            lang=lang,
        )

    return [web.get("/ui/dashboard", page)]


def _scoped(options: data.Options, person: Person) -> data.Options:
    """The filter's units: only hers for a unit manager (others are not even named)."""
    units = units_seen(person, Right.VIEW_RESULTS)
    if units is None:
        return options
    return replace(options, units=[u for u in options.units if u in units])
