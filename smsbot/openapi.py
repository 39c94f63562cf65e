"""The OpenAPI 3.1 document of the gateway's HTTP endpoints (kept true by tests)."""

from __future__ import annotations

from typing import Any

from smsbot import __version__
from smsbot.web_feedback import OPENAPI_PATHS as FEEDBACK_PATHS
from smsbot.web_reports import OPENAPI_PATHS as REPORT_PATHS

__all__ = ["openapi_document"]

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "index": {"type": "integer"},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

_EVENT = {
    "type": "object",
    "required": ["id", "type", "phone", "occurred_at", "unit", "service"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": ["string", "integer"], "description": "the source's own id (idempotency)"},
        "type": {"type": "string", "examples": ["contact.closed"]},
        "phone": {"type": "string", "examples": ["+46701740642", "070-174 06 42"]},
        "occurred_at": {"type": "string", "format": "date-time"},
        "unit": {"type": "string", "maxLength": 200},
        "service": {"type": "string", "maxLength": 200},
        "channel": {"type": "string", "maxLength": 50},
        "language": {"type": "string", "enum": ["sv", "fi", "en"]},
        "attributes": {
            "type": "object",
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        },
        "journey": {
            "type": "object",
            "required": ["id", "step"],
            "properties": {"id": {"type": "string"}, "step": {"type": ["string", "integer"]}},
        },
    },
}

_DECISION = {
    "type": "object",
    "required": ["id", "decision", "reason"],
    "properties": {
        "id": {"type": "string"},
        "decision": {"type": "string", "enum": ["started", "scheduled", "skipped"]},
        "reason": {"type": "string"},
        "conversation_id": {"type": "string"},
        "due_at": {"type": "string", "format": "date-time"},
        "repeated": {"type": "boolean"},
    },
}

_STATUS = {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "malformed", 401: "not authenticated", 404: "not here", 413: "body too large"}
    return {str(code): _json(_ERROR, text[code]) for code in codes}


_FORM_SMS = {
    "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
    "application/json": {"schema": {"type": "object"}},
}


def _sms_webhook(summary: str) -> dict[str, Any]:
    """An SMS API webhook: GET query or POST form/JSON, signed when a secret is configured."""
    answer = {"200": _json(_STATUS, "taken (or a duplicate, with no second effect)")}
    post = {
        "summary": summary,
        "requestBody": {"content": _FORM_SMS},
        "responses": {**answer, **_errors(400, 401, 413)},
    }
    get = {"summary": summary, "responses": {**answer, **_errors(400, 401)}}
    return {"get": get, "post": post}


def _messages_webhook(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
            "responses": {
                "200": _json(_STATUS, "taken (or a duplicate)"),
                **_errors(400, 401, 413),
            },
        }
    }


_INDEX = {
    "type": "object",
    "required": ["service", "version", "links"],
    "properties": {
        "service": {"type": "string"},
        "version": {"type": "string"},
        "links": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


def _paths() -> dict[str, Any]:
    return {
        "/": {
            "get": {
                "summary": "where things are: an index for API clients; a browser (Accept: "
                "text/html) is sent to the web pages",
                "responses": {
                    "200": _json(_INDEX, "links to this document, health, metrics, flows"),
                    "303": {
                        "description": "to /ui/ (Accept names text/html)",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                    },
                },
            }
        },
        "/healthz": {"get": {"summary": "alive", "responses": {"200": _json(_STATUS, "alive")}}},
        "/readyz": {
            "get": {
                "summary": "database reachable and transport configured",
                "responses": {"200": _json(_STATUS, "ready"), "503": _json(_STATUS, "not ready")},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {"description": "text", "content": {"text/plain": {"schema": {}}}}
                },
            }
        },
        "/openapi.json": {
            "get": {"summary": "this document", "responses": {"200": _json({}, "OpenAPI")}}
        },
        "/v1/flows": {
            "get": {
                "summary": "the loaded flows",
                "responses": {"200": _json(_FLOWS, "flows")},
            }
        },
        "/v1/events": {
            "post": {
                "summary": "service events: one or a list; each gets a decision",
                "security": [{"bearer": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    _EVENT,
                                    {"type": "array", "items": _EVENT, "maxItems": 1000},
                                ]
                            }
                        }
                    },
                },
                "responses": {
                    "202": _json(
                        {
                            "type": "object",
                            "required": ["results"],
                            "properties": {"results": {"type": "array", "items": _DECISION}},
                        },
                        "decided, one result per event, in order",
                    ),
                    **_errors(400, 401, 413),
                },
            }
        },
        "/webhooks/vonage/inbound": _sms_webhook("Vonage SMS API: an inbound SMS (or one part)"),
        "/webhooks/vonage/status": _sms_webhook("Vonage SMS API: a delivery receipt"),
        "/webhooks/vonage/messages/inbound": _messages_webhook("Vonage Messages API: inbound"),
        "/webhooks/vonage/messages/status": _messages_webhook("Vonage Messages API: status"),
        "/simulator/inbound": {
            "post": {
                "summary": "the simulator: a citizen's reply, as if it came by SMS",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _SIM_IN}},
                },
                "responses": {"200": _json(_STATUS, "handled"), **_errors(400, 404)},
            }
        },
        "/simulator/messages": {
            "get": {
                "summary": "the simulator: what was sent to a number, oldest first",
                "parameters": [
                    {"name": "phone", "in": "query", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": _json(_SIM_OUT, "messages"), **_errors(400, 404)},
            }
        },
    }


_FLOWS = {
    "type": "object",
    "required": ["flows"],
    "properties": {
        "flows": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "version", "languages", "triggers"],
                "properties": {
                    "id": {"type": "string"},
                    "version": {"type": "string"},
                    "title": {"type": "object"},
                    "languages": {"type": "array", "items": {"type": "string"}},
                    "triggers": {"type": "array", "items": {"type": "string"}},
                    "questions": {"type": "integer"},
                },
            },
        }
    },
}

_SIM_IN = {
    "type": "object",
    "required": ["from", "text"],
    "properties": {
        "from": {"type": "string"},
        "to": {"type": "string"},
        "text": {"type": "string"},
    },
}

_SIM_OUT = {
    "type": "object",
    "required": ["phone", "messages"],
    "properties": {
        "phone": {"type": "string"},
        "messages": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "conversation_id": {"type": ["string", "null"]},
                    "body": {"type": "string"},
                    "purpose": {"type": "string"},
                    "status": {"type": "string"},
                    "encoding": {"type": "string"},
                    "segments": {"type": "integer"},
                    "created_at": {"type": "string"},
                },
            },
        },
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "smsbot gateway", "version": __version__},
        "paths": {**_paths(), **FEEDBACK_PATHS, **REPORT_PATHS},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
