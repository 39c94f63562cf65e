"""What one endpoint's OpenAPI description is made of: an `Operation` with its answers.

Each module that adds API routes declares an `OPERATIONS` tuple beside them (`smsbot.http.reports`,
`smsbot.http.feedback`, and `smsbot.http.openapi.operations` for the routes `smsbot.http.app` adds);
`smsbot.http.openapi.document` assembles them with the named schemas into `/openapi.json`.

An Operation cannot be made without what an integrator needs: a camelCase `operation_id`
(generated clients name their functions after it: `listFlows` -> `list_flows`), a known tag,
a summary and a description. Bodies and answers name their schema with `ref("Name")`, a schema
of `smsbot.http.openapi.schemas.SCHEMAS`, so generated models get that name.

This module imports nothing of smsbot's, so route modules can import it freely.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "SECURITY_SCHEMES",
    "TAGS",
    "UNAUTHORIZED",
    "Answer",
    "Body",
    "Operation",
    "Param",
    "list_of",
    "one_of",
    "problem",
    "ref",
]

Schema = dict[str, Any]
ExampleLoader = Callable[[str], Schema]  # an example's name -> its Example Object

# The groups an operation belongs to, in the order the reference page shows them.
TAGS: dict[str, str] = {
    "events": "A service's system tells smsbot that a service happened; smsbot decides whether "
    "to send the citizen a survey.",
    "flows": "The survey flows the gateway runs, and the event types that start them.",
    "reports": "Survey figures per unit, service or other group; small groups are suppressed.",
    "feedback": "Citizens' free-text feedback, with tags suggested by rules and decided by people.",
    "webhooks": "What Vonage posts to smsbot: citizens' replies and delivery receipts. Not for "
    "integrators to call; documented so the contract can be tested.",
    "health": "Liveness, readiness and metrics for operators, and this document.",
    "simulator": 'The built-in SMS simulator (`[transport] kind = "simulator"`): play the '
    "citizen without a phone. Answers 404 with any other transport.",
}

SECURITY_SCHEMES: dict[str, Schema] = {
    "sourceToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The token of the event source that posts: `Authorization: Bearer "
        "<token>`. Each source has its own, set by the operator in the environment as "
        "`SMSBOT_TOKEN_<SOURCE>`; the source's name is recorded with every event it posts.",
    },
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A person's API token (`smsbot tokens add EMAIL --name NAME`; it "
        "starts with `smsbot_pat_`) as `Authorization: Bearer <token>`. It carries the "
        "person's roles and units: an analyst sees every unit, a unit manager only hers "
        "(another unit, or grouping by unit, answers 403), and every call is audited. "
        "Until the first admin exists, the bootstrap admin token (`SMSBOT_SERVER__ADMIN_TOKEN`) "
        "works too.",
    },
    "vonageSmsSignature": {
        "type": "apiKey",
        "in": "query",
        "name": "sig",
        "description": "Vonage's signed SMS API webhooks: the fields `sig`, `timestamp` and "
        "`nonce` come with the others (in the query for GET, in the body for POST). `sig` is "
        "the HMAC (SHA-256 by default, `[vonage] signature_method`) of the other fields, keyed "
        "with the signature secret (`SMSBOT_VONAGE__SIGNATURE_SECRET`); a `timestamp` more "
        "than 5 minutes away is refused. A real transport without a secret refuses to start "
        "unless the operator sets `[vonage] allow_unsigned_webhooks = true`.",
    },
    "vonageMessagesJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Vonage's signed Messages API webhooks: `Authorization: Bearer <JWT>`, "
        "an HS256 token signed with the signature secret (`SMSBOT_VONAGE__SIGNATURE_SECRET`) "
        "whose `payload_hash` is the SHA-256 of the body and whose `iat` is recent. A real "
        "transport without a secret refuses to start unless the operator sets "
        "`[vonage] allow_unsigned_webhooks = true`.",
    },
}

_OPERATION_ID = re.compile(r"[a-z]+(?:[A-Z][a-z0-9]*)+")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def ref(name: str) -> Schema:
    """The named schema `name` of components/schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def list_of(name: str, **limits: int) -> Schema:
    return {"type": "array", "items": ref(name), **limits}


def one_of(*schemas: Schema) -> Schema:
    return {"oneOf": list(schemas)}


@dataclass(frozen=True)
class Answer:
    """One status code's answer: a JSON body of a named schema (or `media` with `schema`)."""

    description: str
    schema: Schema | None = None
    media: str = "application/json"
    examples: tuple[str, ...] = ()  # names in smsbot/openapi/examples/
    headers: Mapping[str, Schema] = field(default_factory=dict)

    def to_openapi(self, load: ExampleLoader) -> Schema:
        answer: Schema = {"description": self.description}
        if self.schema is not None:
            answer["content"] = {self.media: _media(self.schema, self.examples, load)}
        if self.headers:
            answer["headers"] = {name: {"schema": s} for name, s in self.headers.items()}
        return answer


@dataclass(frozen=True)
class Body:
    """A request body: one schema, accepted as each of `media`."""

    schema: Schema
    description: str
    media: tuple[str, ...] = ("application/json",)
    required: bool = True
    examples: tuple[str, ...] = ()

    def to_openapi(self, load: ExampleLoader) -> Schema:
        return {
            "description": self.description,
            "required": self.required,
            "content": {media: _media(self.schema, self.examples, load) for media in self.media},
        }


@dataclass(frozen=True)
class Param:
    """A path or query parameter."""

    name: str
    where: str  # "path" or "query"
    description: str
    schema: Schema = field(default_factory=lambda: {"type": "string"})
    required: bool = False
    repeatable: bool = False  # ?attr=a&attr=b

    def to_openapi(self) -> Schema:
        param: Schema = {
            "name": self.name,
            "in": self.where,
            "required": self.required or self.where == "path",
            "description": self.description,
            "schema": self.schema,
        }
        if self.repeatable:
            param |= {"schema": {"type": "array", "items": self.schema}, "explode": True}
            param["style"] = "form"
        return param


def _media(schema: Schema, examples: tuple[str, ...], load: ExampleLoader) -> Schema:
    media: Schema = {"schema": schema}
    if examples:
        media["examples"] = {name: load(name) for name in examples}
    return media


@dataclass(frozen=True)
class Operation:
    """One method on one path, described for people and for client generators."""

    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    description: str
    answers: Mapping[int, Answer]
    body: Body | None = None
    params: tuple[Param, ...] = ()
    security: tuple[str, ...] = ()  # any one of these schemes
    unsigned_allowed: bool = False  # the security applies only when a secret is configured

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            where = f"{self.method} {self.path}"
            raise ValueError(f"OpenAPI operation {where}: " + "; ".join(problems))

    def problems(self) -> list[str]:
        """What is missing or wrong, each saying what to give."""
        unknown = [name for name in self.security if name not in SECURITY_SCHEMES]
        checks = (
            (self.method in _METHODS, f"method: one of {', '.join(_METHODS)}"),
            (
                bool(_OPERATION_ID.fullmatch(self.operation_id)),
                f"operation_id {self.operation_id!r}: camelCase, verb first (e.g. listFlows)",
            ),
            (self.tag in TAGS, f"tag {self.tag!r}: one of {', '.join(TAGS)}"),
            (bool(self.summary.strip()), "summary: a short line for the reference page"),
            (bool(self.description.strip()), "description: what it does, and for whom"),
            (bool(self.answers), "answers: at least one status code"),
            (not unknown, f"security {unknown}: names of {', '.join(SECURITY_SCHEMES)}"),
        )
        return [message for ok, message in checks if not ok]

    def to_openapi(self, load: ExampleLoader) -> Schema:
        operation: Schema = {
            "operationId": self.operation_id,
            "tags": [self.tag],
            "summary": self.summary,
            "description": self.description,
        }
        if self.params:
            operation["parameters"] = [param.to_openapi() for param in self.params]
        if self.body is not None:
            operation["requestBody"] = self.body.to_openapi(load)
        operation["responses"] = {
            str(status): answer.to_openapi(load) for status, answer in sorted(self.answers.items())
        }
        if self.security:
            operation["security"] = [{name: []} for name in self.security]
            if self.unsigned_allowed:
                operation["security"].append({})
        return operation


def problem(description: str, *examples: str) -> Answer:
    """An answer that refuses: a `Problem`."""
    return Answer(description, ref("Problem"), examples=examples)


UNAUTHORIZED = problem("the token or signature is missing or wrong")
FORBIDDEN = problem(
    "the token's person may not do this: her roles lack the right, or the unit is not hers "
    "(a unit manager); the attempt is audited"
)
