"""`POST /v1/sources/{source}/events`: a platform's own webhook, mapped to one service event.

The source authenticates with its bearer token (`SMSBOT_TOKEN_<NAME>`), as on `/v1/events`, and
a mapping whose file says `signature: zendesk` also checks the platform's own signature. Then
the payload is mapped (`smsbot.gateway.mappings`) and the event taken like a posted one.
Answers: 202 with the event's result; 200 `ignored` for a payload the mapping does not take
(another topic: the platform must not retry it); 400 naming each problem, with the payload
path it came from; 401 for a bad token or signature; 404 for a source without a mapping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import structlog
from aiohttp import web

from smsbot.config import Config
from smsbot.gateway.mappings import (
    Ignored,
    Mapped,
    PlatformMapping,
    apply_mapping,
    load_mapping,
)
from smsbot.gateway.runner import GATEWAY
from smsbot.gateway.service_events import EventError, needs_by_type, parse_event
from smsbot.http.app import LIMITS, authenticate_source, limited_answer
from smsbot.http.responses import json_answer
from smsbot.logs import get_logger

__all__ = ["MAPPINGS", "add_source_routes", "zendesk_signature"]

log = get_logger("smsbot.http.sources")
MAPPINGS = web.AppKey("source_mappings", dict[str, PlatformMapping])
ZENDESK_SIGNATURE = "X-Zendesk-Webhook-Signature"
ZENDESK_TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"


def add_source_routes(app: web.Application, config: Config) -> None:
    """The route, and each source's mapping (a mapping with problems is logged and its source
    answers 503; `smsbot serve` refuses to start with one, see bootstrap.startup)."""
    mappings: dict[str, PlatformMapping] = {}
    for name, source in config.sources.items():
        if not source.mapping:
            continue
        mapping, findings = load_mapping(Path(source.mapping))
        if mapping is None:
            log.error("mapping_not_loaded", source=name, problems=[str(f) for f in findings])
            continue
        mappings[name] = mapping
    app[MAPPINGS] = mappings
    app.router.add_post("/v1/sources/{source}/events", post_source_event)


async def post_source_event(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    name = request.match_info["source"]
    source = authenticate_source(request, gateway.config.source_tokens)
    if source is None or source != name:
        log.warning("source_event_unauthorized", source=name)
        return json_answer(
            {"error": "unauthorized", "message": f"source {name!r}'s bearer token is required"},
            401,
        )
    structlog.contextvars.bind_contextvars(source=source)
    mapping = request.app[MAPPINGS].get(source)
    if mapping is None:
        return _no_mapping(gateway.config, source)
    wait = request.app[LIMITS].take(source, 1)
    if wait:
        return limited_answer(request, gateway, source, wait)
    body = await request.read()
    refused = _check_signature(mapping, gateway.config, source, request, body)
    if refused is not None:
        return refused
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        return _bad_request([{"field": "body", "message": f"not valid JSON: {error}"}])
    if not isinstance(payload, dict):
        message = f"expected a JSON object ({mapping.platform}'s webhook body)"
        return _bad_request([{"field": "body", "message": message}])
    mapped = apply_mapping(mapping, payload)
    if isinstance(mapped, Ignored):
        log.info("source_event_ignored", platform=mapping.platform, reason=mapped.reason)
        return json_answer({"result": "ignored", "reason": mapped.reason}, 200)
    try:
        event = parse_event(
            mapped.event,
            source=source,
            default_region=gateway.config.survey.default_region,
            known_types=gateway.known_event_types(),
            now=gateway.clock.now(),
            needs=needs_by_type(gateway.catalog.flows()),
        )
    except EventError as error:
        problems = [_problem(e.field, e.message, mapped, mapping) for e in error.errors]
        log.info("source_event_rejected", platform=mapping.platform, errors=len(problems))
        return _bad_request(problems)
    gateway.metrics.source_requests.labels(source=source, answer="accepted").inc()
    results = await gateway.intake.submit([event])
    return json_answer({"results": results}, 202)


def _problem(field: str, message: str, mapped: Mapped, mapping: PlatformMapping) -> dict[str, str]:
    """`phone (from detail.eventBody.ani): not a mobile number ...`, or for a value a table
    lacks: `unit (from group): 'Kundtjänst Väst' is not in the table in mappings/x.yaml`."""
    top = field.split(".", 1)[0]
    origin = mapped.sources.get(top)
    named = f"{field} (from {origin})" if origin and origin != "a constant" else field
    missed = mapped.misses.get(top)
    if missed is not None:
        message = f"{missed!r} is not in its table in {mapping.file} (add it, or a default)"
    return {"field": field, "message": f"{named}: {message}"}


def _no_mapping(config: Config, source: str) -> web.Response:
    declared = bool(config.sources[source].mapping) if source in config.sources else False
    if declared:
        message = f"source {source!r}'s mapping did not load; see the gateway's log"
        return json_answer({"error": "mapping_not_loaded", "message": message}, 503)
    message = f"source {source!r} has no mapping; post its events to /v1/events"
    return json_answer({"error": "no_mapping", "message": message}, 404)


def _check_signature(
    mapping: PlatformMapping, config: Config, source: str, request: web.Request, body: bytes
) -> web.Response | None:
    if mapping.signature != "zendesk":
        return None
    secret = config.sources[source].signing_secret or ""
    stamp = request.headers.get(ZENDESK_TIMESTAMP, "")
    given = request.headers.get(ZENDESK_SIGNATURE, "")
    if secret and stamp and hmac.compare_digest(given, zendesk_signature(secret, stamp, body)):
        return None
    log.warning("source_event_bad_signature", platform=mapping.platform, signed=bool(given))
    message = f"the {mapping.platform} signature ({ZENDESK_SIGNATURE}) does not match"
    return json_answer({"error": "unauthorized", "message": message}, 401)


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, timestamp + body)), as Zendesk documents it."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _bad_request(errors: list[dict[str, str]]) -> web.Response:
    return json_answer({"error": "invalid", "errors": errors}, 400)
