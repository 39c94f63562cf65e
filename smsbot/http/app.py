"""Thin aiohttp handlers: read the request, call the gateway, choose the answer deliberately.

Answers: 2xx when done (or a duplicate, ignored with a reason), 400 for a payload we will never
accept, 401 for a bad signature or token, 413 for a body over the limit, 5xx only when we failed
and want the provider to retry.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Middleware

from smsbot import __version__
from smsbot.domain import DeliveryReceipt, IgnoredInbound, InboundPart, InboundSms
from smsbot.flows.journeys import journeys_path, load_journeys
from smsbot.gateway.access import PERSON, OutOfScope, audit, person_for_bearer, route_rule
from smsbot.gateway.limits import Limit, SourceLimits, retry_after
from smsbot.gateway.runner import GATEWAY, Gateway
from smsbot.gateway.service_events import EventError, needs_by_type, parse_event, parse_events_body
from smsbot.http.feedback import FeedbackContext, add_feedback_routes
from smsbot.http.openapi.document import openapi_document
from smsbot.http.reports import ReportContext, add_report_routes
from smsbot.http.responses import json_answer
from smsbot.logs import get_logger
from smsbot.people.rights import Right, may
from smsbot.providers.vonage import webhooks as vw
from smsbot.storage.accounts import Person
from smsbot.storage.ports import StorageUnavailable

__all__ = [
    "LIMITS",
    "PAGES",
    "add_api_routes",
    "api_middlewares",
    "authenticate_source",
    "is_page",
    "limited_answer",
]

log = get_logger("smsbot.http.app")
LIMITS = web.AppKey("source_limits", SourceLimits)  # each event source's token bucket
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Routes for people, not in /openapi.json: the web pages and the API reference page.
PAGES = ("/ui", "/docs")


def is_page(path: str) -> bool:
    """A path of PAGES, or under one (`/ui/flows`; not `/uix`)."""
    return any(path == page or path.startswith(page.rstrip("/") + "/") for page in PAGES)


def add_api_routes(app: web.Application, gateway: Gateway) -> None:
    """The JSON API, the webhooks and the simulator's endpoints, on an app built by bootstrap."""
    app[GATEWAY] = gateway
    app[LIMITS] = SourceLimits(
        {name: Limit(s.rate_per_second, s.burst) for name, s in gateway.config.sources.items()}
    )
    _routes(app)
    flows = {flow.id: flow for flow in gateway.catalog.flows()}
    reports = ReportContext(
        gateway.parts.store,
        flows,
        gateway.config.privacy.min_group_size,
        gateway.config.survey.timezone,
        load_journeys(journeys_path(gateway.config.flows.dir), flows)[0],
    )
    add_report_routes(app, lambda request: reports)
    if gateway.taxonomy is not None:
        taxonomy = gateway.taxonomy
        context = FeedbackContext(gateway.parts.store, taxonomy, gateway.clock.now)
        add_feedback_routes(app, lambda request: context)


def _routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", index)
    r.add_get("/healthz", healthz)
    r.add_get("/readyz", readyz)
    r.add_get("/metrics", metrics)
    r.add_get("/openapi.json", openapi)
    r.add_get("/v1/flows", list_flows)
    r.add_post("/v1/events", post_events)
    for method in ("GET", "POST"):
        r.add_route(method, "/webhooks/vonage/inbound", sms_inbound)
        r.add_route(method, "/webhooks/vonage/status", sms_status)
    r.add_post("/webhooks/vonage/messages/inbound", messages_inbound)
    r.add_post("/webhooks/vonage/messages/status", messages_status)
    r.add_post("/simulator/inbound", simulator_inbound)
    r.add_get("/simulator/messages", simulator_messages)


# --- middleware ------------------------------------------------------------------------------


@web.middleware
async def _request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request.headers.get("X-Request-Id", "")[:64] or secrets.token_hex(8)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.monotonic()
    response = await handler(request)
    response.headers["X-Request-Id"] = request_id
    log.debug(
        "http_request",
        method=request.method,
        path=request.path,
        status=response.status,
        ms=round((time.monotonic() - started) * 1000, 1),
    )
    return response


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge:
        log.warning("request_too_large", path=request.path)
        too_large = {"error": "body_too_large", "message": "the body is over the limit"}
        return json_answer(too_large, 413)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        answer = json_answer({"error": error.reason.lower().replace(" ", "_")}, error.status)
        for name in ("Allow", "WWW-Authenticate"):  # e.g. 405 must say what is allowed
            if name in error.headers:
                answer.headers[name] = error.headers[name]
        return answer
    except StorageUnavailable as error:
        return _storage_unavailable(request, error)
    except Exception:
        log.exception("request_failed", path=request.path, method=request.method)
        return json_answer({"error": "internal", "message": "we failed; please retry"}, 500)


STORAGE_RETRY_AFTER = 5  # seconds: long enough for an operator's alert, short for a retry


def _storage_unavailable(request: web.Request, error: StorageUnavailable) -> web.Response:
    """503 with Retry-After: nothing of the request was kept; the sender may try again."""
    log.error(
        "storage_unavailable",
        cause=error.cause,
        detail=error.detail,
        path=request.path,
        hint="nothing of the request was kept; it is answered 503 and can be retried",
    )
    message = f"storage cannot take writes now ({error.cause}); nothing was kept, retry later"
    answer = json_answer({"error": "storage_unavailable", "message": message}, 503)
    answer.headers["Retry-After"] = str(STORAGE_RETRY_AFTER)
    return answer


def _gateway(request: web.Request) -> Gateway:
    return request.app[GATEWAY]


@web.middleware
async def _who_asks(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The JSON API for people: a person's API token (or, before the first admin exists, the
    bootstrap admin token) with the right the route table names; audited. The pages (/ui, with
    sessions) and event sources (their own tokens) are checked elsewhere."""
    rule = route_rule(request)
    if is_page(request.path) or not isinstance(rule, Right):
        if rule is None and request.match_info.http_exception is None:
            log.error("route_without_rule", path=request.path, method=request.method)
            return _forbidden("this route has no rule in smsbot.people.routes")
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    person = (
        await person_for_bearer(_gateway(request), token) if scheme.lower() == "bearer" else None
    )
    if person is None:
        log.warning("api_unauthorized", path=request.path)
        return web.json_response(
            {"error": "unauthorized", "message": "a person's API token is required"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="smsbot"'},
        )
    request[PERSON] = person
    if not may(person, rule):
        await audit(request, "refused", detail={"reason": "no_right", "needs": rule.value})
        return _forbidden(f"your roles do not give the right {rule.value}")
    try:
        response = await handler(request)
    except OutOfScope as error:
        await audit(request, "refused", detail={"reason": "out_of_scope", "unit": error.unit})
        return _forbidden(str(error))
    if response.status < 400:
        await audit(request, API_AUDITED[rule])
    return response


async def _bearer_person(request: web.Request) -> Person | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return await person_for_bearer(_gateway(request), token)


API_AUDITED = {
    Right.VIEW_RESULTS: "view_results",
    Right.VIEW_FEEDBACK: "view_feedback",
    Right.TAG_FEEDBACK: "tag",
    Right.EXPORT: "export",
    Right.VIEW_AUDIT: "view_audit",
    Right.MANAGE_PEOPLE: "people",
    Right.SETTINGS: "settings",
    Right.DESIGN_FLOWS: "flows",
    Right.SIMULATE: "simulate",
    Right.SIGNED_IN: "api",
}


def _forbidden(message: str) -> web.Response:
    return json_answer({"error": "forbidden", "message": message}, 403)


# --- health, metrics, docs -------------------------------------------------------------------


INDEX_LINKS = {
    "openapi": "/openapi.json",
    "health": "/healthz",
    "ready": "/readyz",
    "metrics": "/metrics",
    "flows": "/v1/flows",
    "web_pages": "/ui/",
}


def api_middlewares() -> list[Middleware]:
    """Request ids and logs, errors as JSON, who asks and may they: outermost first."""
    return [_request_context, _errors, _who_asks]


async def index(request: web.Request) -> web.Response:
    """A browser is sent to the web pages (the sign-in on the way when needed); any other
    client (curl, an API client) gets a small index of where things are."""
    if "text/html" in request.headers.get("Accept", ""):
        raise web.HTTPSeeOther("/ui/", headers={"Vary": "Accept"})
    answer = json_answer({"service": "smsbot", "version": __version__, "links": INDEX_LINKS})
    answer.headers["Vary"] = "Accept"
    return answer


async def healthz(request: web.Request) -> web.Response:
    return json_answer({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    gateway = _gateway(request)
    checks = await gateway.readiness()
    ready = all(checks.values())
    answer = {"status": "ready" if ready else "not_ready", "checks": checks}
    answer["webhooks"] = gateway.config.webhook_signing
    answer["provider"] = "down" if gateway.sender.circuit.is_open else "up"
    return json_answer(answer, 200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    body = await _gateway(request).render_metrics()
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


async def openapi(request: web.Request) -> web.Response:
    return json_answer(openapi_document())


async def list_flows(request: web.Request) -> web.Response:
    flows = [
        {
            "id": flow.id,
            "version": flow.version,
            "title": dict(flow.title.by_lang),
            "languages": list(flow.languages),
            "triggers": list(flow.triggers),
            "questions": len(flow.questions),
        }
        for flow in _gateway(request).catalog.flows()
    ]
    return json_answer({"flows": flows})


# --- events ----------------------------------------------------------------------------------


async def post_events(request: web.Request) -> web.Response:
    gateway = _gateway(request)
    source = authenticate_source(request, gateway.config.source_tokens)
    if source is None:
        log.warning("events_unauthorized")
        return web.json_response(
            {"error": "unauthorized", "message": "a valid bearer token is required"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="smsbot"'},
        )
    structlog.contextvars.bind_contextvars(source=source)
    wait = request.app[LIMITS].empty(source)
    if wait:
        return limited_answer(request, gateway, source, wait)
    try:
        data = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        return _bad_request([{"field": "body", "message": f"not valid JSON: {error}"}])
    events, errors = _parse_events(data, source, gateway)
    if errors:
        log.info("events_rejected", errors=len(errors))
        return _bad_request(errors)
    wait = request.app[LIMITS].take(source, len(events))
    if wait:
        return limited_answer(request, gateway, source, wait)
    gateway.metrics.source_requests.labels(source=source, answer="accepted").inc()
    results = await gateway.intake.submit(events)
    return json_answer({"results": results}, 202)


def limited_answer(
    request: web.Request, gateway: Gateway, source: str, wait: float
) -> web.Response:
    """429 with Retry-After: the source posted beyond its rate and burst; nothing was kept."""
    limits = request.app[LIMITS]
    gateway.metrics.source_requests.labels(source=source, answer="limited").inc()
    refused = limits.refusals_to_log(source)
    if refused:
        limit = limits.limits[source]
        log.warning(
            "events_limited",
            refused_requests=refused,
            rate_per_second=limit.rate_per_second,
            burst=limit.burst,
            hint=f"raise [sources.{source}] rate_per_second or burst, or slow the source",
        )
    message = f"source {source!r} is over its limit; nothing was kept, post again later"
    answer = json_answer({"error": "rate_limited", "message": message, "retry_after": wait}, 429)
    answer.headers["Retry-After"] = retry_after(wait)
    return answer


def _parse_events(data: object, source: str, gateway: Gateway) -> tuple[list[Any], list[Any]]:
    try:
        items = parse_events_body(data)
    except EventError as error:
        return [], [{"field": e.field, "message": e.message} for e in error.errors]
    known = gateway.known_event_types()
    needs = needs_by_type(gateway.catalog.flows())
    events, errors = [], []
    for index, item in enumerate(items):
        try:
            events.append(
                parse_event(
                    item,
                    source=source,
                    default_region=gateway.config.survey.default_region,
                    known_types=known,
                    now=gateway.clock.now(),
                    needs=needs,
                )
            )
        except EventError as error:
            errors += [
                {"index": index, "field": e.field, "message": e.message} for e in error.errors
            ]
    return events, errors


def authenticate_source(request: web.Request, tokens: Any) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    found = None
    for source, expected in tokens.items():
        if hmac.compare_digest(token.strip().encode(), str(expected).encode()):
            found = source
    return found


def _bad_request(errors: list[Any]) -> web.Response:
    return json_answer({"error": "invalid", "errors": errors}, 400)


# --- SMS API webhooks --------------------------------------------------------------------------


async def _sms_params(request: web.Request, endpoint: str) -> dict[str, str] | web.Response:
    """Read and authenticate an SMS API webhook: its params, or the answer to give."""
    gateway = _gateway(request)
    try:
        params = vw.extract_params(
            request.method, request.content_type, dict(request.query), await request.read()
        )
    except vw.PayloadError as error:
        return _refuse(gateway, endpoint, 400, "malformed", str(error))
    secret = gateway.config.vonage.signature_secret
    if secret:
        check = vw.verify_sms_signature(
            params, secret, gateway.config.vonage.signature_method, now=gateway.clock.now()
        )
        if not check.ok:
            return _refuse(gateway, endpoint, 401, check.reason, "signature check failed")
    return params


def _refuse(
    gateway: Gateway, endpoint: str, status: int, reason: str, message: str
) -> web.Response:
    gateway.metrics.webhooks.labels(endpoint=endpoint, answer=str(status)).inc()
    log.warning("webhook_refused", endpoint=endpoint, status=status, reason=reason, detail=message)
    return json_answer({"error": reason, "message": message}, status)


def _accepted(gateway: Gateway, endpoint: str, outcome: str) -> web.Response:
    gateway.metrics.webhooks.labels(endpoint=endpoint, answer="200").inc()
    return json_answer({"status": outcome})


async def _webhook(
    request: web.Request,
    endpoint: str,
    read: Callable[[web.Request, str], Awaitable[Any]],
    parse: Callable[[Any], Any],
    act: Callable[[Gateway, Any], Awaitable[str]],
) -> web.Response:
    """Read (and authenticate), parse, act; every refusal answered and logged the same way."""
    gateway = _gateway(request)
    payload = await read(request, endpoint)
    if isinstance(payload, web.Response):
        return payload
    try:
        parsed = parse(payload)
    except vw.PayloadError as error:
        return _refuse(gateway, endpoint, 400, "malformed", str(error))
    return _accepted(gateway, endpoint, await act(gateway, parsed))


async def _take_inbound(gateway: Gateway, parsed: InboundSms | InboundPart | IgnoredInbound) -> str:
    if isinstance(parsed, IgnoredInbound):
        return (await gateway.inbound.ignored(parsed)).outcome
    if isinstance(parsed, InboundPart):
        result = await gateway.inbound.part(parsed)
        return "part_stored" if result is None else result.outcome
    return (await gateway.inbound.sms(parsed)).outcome


async def _take_receipt(gateway: Gateway, receipt: DeliveryReceipt) -> str:
    return await gateway.inbound.receipt(receipt)


async def sms_inbound(request: web.Request) -> web.Response:
    return await _webhook(request, "sms_inbound", _sms_params, vw.parse_sms_inbound, _take_inbound)


async def sms_status(request: web.Request) -> web.Response:
    return await _webhook(request, "sms_status", _sms_params, vw.parse_sms_receipt, _take_receipt)


# --- Messages API webhooks ---------------------------------------------------------------------


async def _messages_body(request: web.Request, endpoint: str) -> dict[str, Any] | web.Response:
    gateway = _gateway(request)
    raw = await request.read()
    secret = gateway.config.vonage.signature_secret
    if secret:
        check = vw.verify_messages_jwt(
            request.headers.get("Authorization"), raw, secret, now=gateway.clock.now()
        )
        if not check.ok:
            return _refuse(gateway, endpoint, 401, check.reason, "signature check failed")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        return _refuse(gateway, endpoint, 400, "malformed", f"not valid JSON: {error}")
    if not isinstance(body, dict):
        return _refuse(gateway, endpoint, 400, "malformed", "expected a JSON object")
    return body


async def messages_inbound(request: web.Request) -> web.Response:
    return await _webhook(
        request, "messages_inbound", _messages_body, vw.parse_messages_inbound, _take_inbound
    )


async def messages_status(request: web.Request) -> web.Response:
    return await _webhook(
        request, "messages_status", _messages_body, vw.parse_messages_status, _take_receipt
    )


# --- the simulator -----------------------------------------------------------------------------


async def simulator_inbound(request: web.Request) -> web.Response:
    gateway = _gateway(request)
    if not gateway.simulated:
        raise web.HTTPNotFound()
    try:
        sms = gateway.simulated_sms(await request.json())
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        return _bad_request([{"field": "body", "message": str(error)}])
    result = await gateway.inbound.sms(sms)
    return json_answer({"status": result.outcome, "conversation_id": result.conversation_id})


async def simulator_messages(request: web.Request) -> web.Response:
    gateway = _gateway(request)
    if not gateway.simulated:
        raise web.HTTPNotFound()
    phone = request.query.get("phone", "")
    try:
        messages = await gateway.sent_to(phone)
    except ValueError as error:
        return _bad_request([{"field": "phone", "message": str(error)}])
    return json_answer({"phone": phone, "messages": messages})
