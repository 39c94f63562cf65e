"""The OpenAPI document: every route module's operations with the named schemas."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import cache
from typing import Any

from smsbot import __version__
from smsbot.http.feedback import OPERATIONS as FEEDBACK_OPERATIONS
from smsbot.http.openapi.examples import example
from smsbot.http.openapi.operations import OPERATIONS as GATEWAY_OPERATIONS
from smsbot.http.openapi.schemas import SCHEMAS
from smsbot.http.openapi.spec import SECURITY_SCHEMES, TAGS, Operation
from smsbot.http.reports import OPERATIONS as REPORT_OPERATIONS

__all__ = ["OPERATIONS", "openapi_document"]

OPERATIONS: tuple[Operation, ...] = (
    *GATEWAY_OPERATIONS,
    *REPORT_OPERATIONS,
    *FEEDBACK_OPERATIONS,
)

DESCRIPTION = """\
smsbot texts citizens a short survey after a service (a call, a visit, a decision), one question
per SMS, and stores their answers and free-text feedback for reports per unit.

A service's system posts **events** (`postEvents`) with its source token; managers and analysts
read **reports** and review **feedback** with the admin token. Vonage posts **webhooks**.

Generate a client in your own language from this document (`/openapi.json`); for Python:

    pip install openapi-python-client
    openapi-python-client generate --url https://HOST/openapi.json
    pip install ./smsbot-gateway-client
"""


def openapi_document() -> dict[str, Any]:
    """The document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())


@cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "smsbot gateway", "version": __version__, "description": DESCRIPTION},
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": _paths(OPERATIONS),
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }


def _paths(operations: Iterable[Operation]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        item = paths.setdefault(operation.path, {})
        method = operation.method.lower()
        if method in item:
            raise ValueError(f"OpenAPI: {operation.method} {operation.path} is declared twice")
        item[method] = operation.to_openapi(example)
    return paths
