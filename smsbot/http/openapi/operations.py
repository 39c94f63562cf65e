"""The operations of the routes `smsbot.http.app` adds: health, flows, events, webhooks, simulator.

(The reports and feedback routes declare theirs beside their handlers, in `smsbot.http.reports`
and `smsbot.http.feedback`.)
"""

from __future__ import annotations

from dataclasses import replace

from smsbot.gateway.service_events import MAX_EVENTS
from smsbot.http.openapi.schemas import SCHEMAS
from smsbot.http.openapi.spec import (
    UNAUTHORIZED,
    Answer,
    Body,
    Operation,
    Param,
    list_of,
    one_of,
    problem,
    ref,
)

__all__ = ["OPERATIONS"]

_TOO_LARGE = problem("the body is over `[server] max_body_bytes`")
_WEBHOOK_TAKEN = Answer(
    "taken, or a duplicate with no second effect (Vonage then stops retrying)", ref("WebhookAnswer")
)
_STORAGE_UNAVAILABLE = problem(
    "storage cannot take writes now (disk full, read-only, I/O error, locked): nothing was"
    " kept; send it again after `Retry-After` seconds"
)
_WEBHOOK_ANSWERS = {
    200: _WEBHOOK_TAKEN,
    400: problem("a payload smsbot will never accept (Vonage should not retry it)"),
    401: UNAUTHORIZED,
    503: _STORAGE_UNAVAILABLE,
}


def _sms_api_query(schema: str) -> tuple[Param, ...]:
    """An SMS API webhook sent as GET: the schema's fields as query parameters."""
    properties = SCHEMAS[schema]["properties"]
    return tuple(
        Param(name, "query", f"see {schema}", required=name in SCHEMAS[schema]["required"])
        for name in properties
    )


def _sms_api(path: str, schema: str, what: str, operation_id: str) -> tuple[Operation, ...]:
    description = (
        f"Vonage's SMS API posts {what} here, as a GET query, a POST form or POST JSON"
        f" (whichever the account is set to). Point the account's webhook at `{path}`."
    )
    post = Operation(
        method="POST",
        path=path,
        operation_id=operation_id,
        tag="webhooks",
        summary=f"Vonage SMS API: {what}",
        description=description,
        body=Body(
            ref(schema),
            "the webhook's fields, as a form or as JSON",
            media=("application/x-www-form-urlencoded", "application/json"),
            required=False,
            examples=(_example_name(schema),),
        ),
        answers={**_WEBHOOK_ANSWERS, 413: _TOO_LARGE},
        security=("vonageSmsSignature",),
        unsigned_allowed=True,
    )
    get = replace(
        post,
        method="GET",
        operation_id=f"{operation_id}ByQuery",
        summary=f"Vonage SMS API: {what} (as a GET query)",
        body=None,
        params=_sms_api_query(schema),
        answers=_WEBHOOK_ANSWERS,
    )
    return get, post


def _example_name(schema: str) -> str:
    return {"VonageSmsInbound": "vonage_sms_inbound", "VonageSmsReceipt": "vonage_sms_receipt"}[
        schema
    ]


def _messages_api(path: str, schema: str, what: str, operation_id: str, example: str) -> Operation:
    return Operation(
        method="POST",
        path=path,
        operation_id=operation_id,
        tag="webhooks",
        summary=f"Vonage Messages API: {what}",
        description=f"Vonage's Messages API posts {what} here as JSON. Point the application's"
        f" webhook at `{path}`.",
        body=Body(ref(schema), "the webhook as Vonage sends it", examples=(example,)),
        answers={**_WEBHOOK_ANSWERS, 413: _TOO_LARGE},
        security=("vonageMessagesJwt",),
        unsigned_allowed=True,
    )


_HEALTH = (
    Operation(
        method="GET",
        path="/",
        operation_id="getIndex",
        tag="health",
        summary="Where things are",
        description="An index for API clients (links to this document, health, metrics and"
        " flows). A browser (Accept names text/html) is sent to the web pages instead.",
        answers={
            200: Answer("links", ref("Index")),
            303: Answer(
                "to /ui/ (Accept names text/html)",
                headers={"Location": {"type": "string"}},
            ),
        },
    ),
    Operation(
        method="GET",
        path="/healthz",
        operation_id="checkLiveness",
        tag="health",
        summary="Is the process alive?",
        description="Answers 200 while the process runs; for a liveness probe.",
        answers={200: Answer("alive", ref("Liveness"))},
    ),
    Operation(
        method="GET",
        path="/readyz",
        operation_id="checkReadiness",
        tag="health",
        summary="Can the gateway work?",
        description="200 when the database answers and a transport is configured, 503 (with"
        " the failing check) otherwise; for a readiness probe or a load balancer.",
        answers={
            200: Answer("ready", ref("Readiness")),
            503: Answer("not ready", ref("Readiness")),
        },
    ),
    Operation(
        method="GET",
        path="/metrics",
        operation_id="getMetrics",
        tag="health",
        summary="Prometheus metrics",
        description="Counters and gauges in Prometheus' text format: events by decision,"
        " conversations by state, messages by status, webhooks by answer, the send queue.",
        answers={200: Answer("the metrics", {"type": "string"}, media="text/plain")},
    ),
    Operation(
        method="GET",
        path="/openapi.json",
        operation_id="getOpenApiDocument",
        tag="health",
        summary="This document",
        description="The OpenAPI 3.1 document of every endpoint; `/docs` shows it as a page."
        " Generate a client from it in your own language.",
        answers={200: Answer("the document", ref("OpenApiDocument"))},
    ),
)

_FLOWS = (
    Operation(
        method="GET",
        path="/v1/flows",
        operation_id="listFlows",
        tag="flows",
        summary="The survey flows",
        description="Every flow the gateway runs: its version (a hash of its file), languages,"
        " and the event types (`triggers`) that start it. Post events of those types.",
        answers={200: Answer("the flows", ref("FlowList"), examples=("flows",))},
    ),
)

_EVENTS = (
    Operation(
        method="POST",
        path="/v1/events",
        operation_id="postEvents",
        tag="events",
        summary="Tell smsbot that services happened",
        description="One event, or a list of up to 1000 (a nightly batch). Each gets a"
        " decision, in order: `started` (the survey's first SMS is on its way), `scheduled`"
        " (held for quiet hours or the flow's delay; `due_at` says until when) or `skipped`"
        " (with a reason: opted_out, busy, fatigue, too_old). Posting an event id again gives"
        " the same decision and no second survey, so retry freely. A list with a bad event"
        " is refused whole, with every problem per field and index; nothing of it is stored."
        " Each source is held to its own rate and burst (429 with `Retry-After` beyond them).",
        body=Body(
            one_of(ref("ServiceEvent"), list_of("ServiceEvent", maxItems=MAX_EVENTS)),
            "one event, or a list",
            examples=("event", "events", "invalid_event"),
        ),
        answers={
            202: Answer(
                "decided and stored: one decision per event, in order",
                ref("Decisions"),
                examples=("decisions",),
            ),
            400: problem("what is wrong, per field (and per index in a list)", "problems"),
            401: UNAUTHORIZED,
            413: _TOO_LARGE,
            503: _STORAGE_UNAVAILABLE,
            429: problem(
                "the source posted beyond its limit (`[sources.<name>] rate_per_second` events a"
                " second, `burst` at once); nothing was stored: post again after `Retry-After`"
                " seconds"
            ),
        },
        security=("sourceToken",),
    ),
    Operation(
        method="POST",
        path="/v1/sources/{source}/events",
        operation_id="postSourceEvent",
        tag="events",
        summary="A platform's own webhook, mapped to an event",
        description="For a source whose `[sources.<name>] mapping` names a mapping file"
        " (mappings/genesys-cloud.yaml, mappings/zendesk.yaml): the platform posts its own"
        " JSON (a call ended, a ticket solved) and the file says which payloads are events and"
        " where each field comes from. The event is then taken as on `/v1/events`: a repeat"
        " gets the same decision and no second survey. A payload the mapping does not take"
        " (another topic or status) is answered 200 `ignored`, so the platform does not retry"
        " it. A mapping with `signature: zendesk` also checks Zendesk's signature.",
        params=(Param("source", "path", "the source's name, as in `[sources.<name>]`"),),
        body=Body(ref("PlatformPayload"), "the platform's webhook body, as it sends it"),
        answers={
            202: Answer("the event, decided and stored", ref("Decisions")),
            200: Answer("not an event of this mapping: nothing stored", ref("IgnoredPayload")),
            400: problem("the mapped event's problems, each naming the payload path it came from"),
            401: UNAUTHORIZED,
            404: problem("the source has no mapping: post its events to `/v1/events`"),
            413: _TOO_LARGE,
            429: problem("the source posted beyond its limit; nothing was stored"),
            503: problem("the source's mapping did not load, or storage cannot take writes"),
        },
        security=("sourceToken",),
    ),
)

_WEBHOOKS = (
    *_sms_api(
        "/webhooks/vonage/inbound",
        "VonageSmsInbound",
        "an inbound SMS (or one part of a long one)",
        "receiveSmsInbound",
    ),
    *_sms_api(
        "/webhooks/vonage/status", "VonageSmsReceipt", "a delivery receipt", "receiveSmsReceipt"
    ),
    _messages_api(
        "/webhooks/vonage/messages/inbound",
        "VonageMessagesInbound",
        "an inbound SMS",
        "receiveMessagesInbound",
        "vonage_messages_inbound",
    ),
    _messages_api(
        "/webhooks/vonage/messages/status",
        "VonageMessagesStatus",
        "the status of an SMS smsbot sent",
        "receiveMessagesStatus",
        "vonage_messages_status",
    ),
)

_NO_SIMULATOR = problem("the gateway does not run the simulator transport")
_SIMULATOR = (
    Operation(
        method="POST",
        path="/simulator/inbound",
        operation_id="simulateReply",
        tag="simulator",
        summary="Play the citizen: send the gateway an SMS",
        description="The SMS is handled as if it came from the provider: the engine answers,"
        " and the simulator takes the answer (read it with listSimulatedMessages).",
        body=Body(ref("SimulatedSms"), "the citizen's SMS", examples=("simulated_sms",)),
        answers={
            200: Answer("handled", ref("SimulatorAnswer"), examples=("simulator_answer",)),
            400: problem("not an SMS"),
            404: _NO_SIMULATOR,
        },
    ),
    Operation(
        method="GET",
        path="/simulator/messages",
        operation_id="listSimulatedMessages",
        tag="simulator",
        summary="What the gateway sent to a number",
        description="Every SMS sent to the number, oldest first, with its encoding and segments.",
        params=(Param("phone", "query", "the citizen's number", required=True),),
        answers={
            200: Answer("the messages", ref("SentMessages"), examples=("sent_messages",)),
            400: problem("not a phone number"),
            404: _NO_SIMULATOR,
        },
    ),
)

OPERATIONS: tuple[Operation, ...] = (*_HEALTH, *_FLOWS, *_EVENTS, *_WEBHOOKS, *_SIMULATOR)
