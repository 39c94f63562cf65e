"""The reports JSON API: `GET /v1/reports/{section}` with the report filters as query parameters.

    GET /v1/reports/funnel?unit=Akuten&since=2026-11-01&group_by=channel
    GET /v1/reports/all?flow=health-visit&attr=age_group%3D65%2B&group_by=unit

section: funnel | questions | timing | drivers | cost | all. The answer is the report as
`smsbot.reports.full_report` gives it; groups smaller than the configured minimum are
suppressed, and no answer ever holds a phone number. The admin token check is added in front of
these routes by the app (`add_report_routes` adds only the route).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite
from aiohttp import web
from multidict import MultiMapping

from smsbot.engine.model import Flow
from smsbot.reports import (
    SECTIONS,
    ReportFilter,
    ReportFilterError,
    full_report,
    parse_attribute,
    parse_moment,
)

__all__ = ["OPENAPI_PATHS", "ReportContext", "add_report_routes"]


@dataclass(frozen=True)
class ReportContext:
    conn: aiosqlite.Connection
    flows: Mapping[str, Flow]
    min_group: int
    timezone: str = "UTC"  # for dates and times given without an offset


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
)
_KNOWN = (*_SINGLE, "attr")


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _error(error: str, message: str, status: int) -> web.Response:
    return _json({"error": error, "message": message}, status)


def add_report_routes(app: web.Application, get_context: GetContext) -> None:
    """Add `GET /v1/reports/{section}`; `get_context` gives connection, flows and k per request."""

    async def handle(request: web.Request) -> web.Response:
        section = request.match_info["section"]
        if section not in (*SECTIONS, "all"):
            known = ", ".join((*SECTIONS, "all"))
            return _error("not_found", f"no report {section!r}; known: {known}", 404)
        context = get_context(request)
        try:
            f, options = _query(request.query, ZoneInfo(context.timezone))
            data = await full_report(
                context.conn,
                f,
                context.flows,
                min_group=context.min_group,
                sections=SECTIONS if section == "all" else (section,),
                **options,
            )
        except ReportFilterError as error:
            return _error("invalid_query", str(error), 400)
        return _json(data)

    app.router.add_get("/v1/reports/{section}", handle)


def _query(query: MultiMapping[str], tz: ZoneInfo) -> tuple[ReportFilter, dict[str, Any]]:
    unknown = sorted(set(query) - set(_KNOWN))
    if unknown:
        raise ReportFilterError(
            f"unknown query parameter {unknown[0]!r}; known: {', '.join(_KNOWN)}"
        )
    single: dict[str, str | None] = {}
    for name in _SINGLE:
        values = query.getall(name, [])
        if len(values) > 1:
            raise ReportFilterError(f"{name}: given more than once")
        single[name] = (values[0].strip() or None) if values else None
    since, until = single["since"], single["until"]
    f = ReportFilter(
        flow=single["flow"],
        since=parse_moment(since, tz) if since else None,
        until=parse_moment(until, tz, end=True) if until else None,
        unit=single["unit"],
        service=single["service"],
        channel=single["channel"],
        attributes=dict(parse_attribute(a) for a in query.getall("attr", [])),
        group_by=single["group_by"],
    )
    options = {
        "satisfaction": single["satisfaction"],
        "resolved": single["resolved"],
        "attribute": single["attribute"] or "wait_seconds",
    }
    return f, options


# --- OpenAPI 3.1 path item (merged into /openapi.json by the app) ------------------------------

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}
_CELL = {
    "type": "object",
    "required": ["key", "n", "suppressed", "figures"],
    "properties": {
        "key": {"type": "string"},
        "n": {"type": "integer"},
        "suppressed": {"type": "boolean"},
        "figures": {"type": "object", "description": "empty when suppressed"},
    },
    "additionalProperties": True,
}
_GROUP = {
    "type": "object",
    "required": ["key", "n", "suppressed"],
    "properties": {
        "key": {"type": ["string", "null"], "description": "the group; null: all, or no value"},
        "n": {"type": "integer", "description": "what n counts depends on the section"},
        "suppressed": {
            "type": "boolean",
            "description": "n is below the minimum group size: no figures are given",
        },
        "questions": {"type": "array", "items": _CELL},
        "dropoff": {"type": "array", "items": _CELL},
        "by_resolved": {"type": "array", "items": _CELL},
        "by_band": {"type": "array", "items": _CELL},
        "correlation": _CELL,
    },
    "additionalProperties": True,
}
_REPORT = {
    "type": "object",
    "required": ["filter", "min_group", "sections"],
    "properties": {
        "filter": {"type": "object"},
        "min_group": {"type": "integer"},
        "sections": {
            "type": "object",
            "properties": {name: {"type": "array", "items": _GROUP} for name in SECTIONS},
        },
    },
}


def _param(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema or {"type": "string"},
        "description": description,
    }


def _content(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_DATE = "a date (2026-11-01) or date and time (2026-11-01T08:00, with or without offset)"

OPENAPI_PATHS: dict[str, Any] = {
    "/v1/reports/{section}": {
        "get": {
            "summary": "survey figures per group; small groups suppressed; never a phone number",
            "description": (
                "funnel (n: surveys sent), questions (n: surveys sent; per question: understood"
                " answers; drop-off: conversations asked), timing (n: conversations with a"
                " reply), drivers (n: satisfaction answers), cost (n: surveys sent)."
            ),
            "security": [{"bearer": []}],
            "parameters": [
                {
                    "name": "section",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": [*SECTIONS, "all"]},
                },
                _param("flow", "only this flow"),
                _param("since", f"from {_DATE}, inclusive (conversations.created_at)"),
                _param("until", f"to {_DATE}, exclusive; a bare date includes that day"),
                _param("unit", "only this unit"),
                _param("service", "only this service"),
                _param("channel", "only this channel"),
                {
                    **_param(
                        "attr",
                        "an event attribute as name=value (exact match); repeat for more",
                        {"type": "array", "items": {"type": "string"}},
                    ),
                    "style": "form",
                    "explode": True,
                },
                _param(
                    "group_by",
                    "unit, service, channel, flow, language or attributes.<name>",
                ),
                _param("satisfaction", "drivers: the satisfaction question id"),
                _param("resolved", "drivers: the yes/no question id (default: means: resolution)"),
                _param("attribute", "drivers: the numeric event attribute (wait_seconds)"),
            ],
            "responses": {
                "200": _content(_REPORT, "the report"),
                "400": _content(_ERROR, "a bad filter"),
                "401": _content(_ERROR, "not authenticated"),
                "404": _content(_ERROR, "no such report section"),
            },
        }
    }
}
