"""The OpenAPI document's rules, checked per operation; a failure says what to add, and where.

Every operation has an operationId (camelCase: generated clients name functions after it), one
of the declared tags, a summary and a description; every JSON body and answer is a named
schema of components/schemas (so generated models get that name); every $ref resolves and
every named schema is used; the routes behind the admin token say so.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from smsbot.http.openapi.document import openapi_document
from smsbot.people.rights import Right
from smsbot.people.routes import rule_for

DOCUMENT = openapi_document()
OPERATIONS = {
    f"{method.upper()} {path}": operation
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
}
WHERE = (
    "in its Operation (the OPERATIONS beside the route: smsbot/openapi/operations.py,"
    " smsbot/web_reports.py, smsbot/web_feedback.py)"
)
SCHEMAS = "smsbot/openapi/schemas.py"
REF = "#/components/schemas/"


def _problems(operation: dict[str, Any]) -> list[str]:
    tags = {tag["name"] for tag in DOCUMENT["tags"]}
    checks = (
        (
            re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", operation.get("operationId", "")),
            "an operationId, camelCase and verb first (listFlows)",
        ),
        (len(operation.get("tags", [])) == 1 and operation["tags"][0] in tags, f"a tag of {tags}"),
        (operation.get("summary"), "a summary"),
        (operation.get("description"), "a description"),
    )
    return [f"give it {what}" for ok, what in checks if not ok]


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_operation_is_named_tagged_and_described(name: str) -> None:
    problems = _problems(OPERATIONS[name])
    assert not problems, f"{name}: " + "; ".join(problems) + f" {WHERE}"


def _named(schema: dict[str, Any]) -> bool:
    """A $ref to a named schema, an array of one, or a choice between such."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _named(schema.get("items", {}))
    choices = schema.get("oneOf") or schema.get("anyOf")
    return bool(choices) and all(_named(choice) for choice in choices)


def _json_media(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """'request body' / 'answer 200' -> its media type objects that carry JSON or a form."""
    found = {"request body": operation.get("requestBody", {}).get("content", {})}
    for status, answer in operation["responses"].items():
        found[f"answer {status}"] = answer.get("content", {})
    return {
        f"{where} ({media})": content
        for where, contents in found.items()
        for media, content in contents.items()
        if "json" in media or "form" in media
    }


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_body_and_answer_is_a_named_schema(name: str) -> None:
    inline = [
        where
        for where, media in _json_media(OPERATIONS[name]).items()
        if not _named(media["schema"])
    ]
    assert not inline, (
        f"{name}: {', '.join(inline)}: the schema is written inline; add it to SCHEMAS in"
        f" {SCHEMAS} under a name of the domain and use ref('Name') {WHERE}"
    )


def test_operation_ids_are_unique() -> None:
    ids = [operation["operationId"] for operation in OPERATIONS.values()]
    assert sorted(set(ids)) == sorted(ids)


def test_every_ref_resolves_and_every_named_schema_is_used() -> None:
    text = json.dumps(DOCUMENT)
    used = set(re.findall(rf'"{REF}([A-Za-z]+)"', text))
    named = set(DOCUMENT["components"]["schemas"])
    assert used - named == set(), f"refs to schemas that {SCHEMAS} does not name"
    assert named - used == set(), f"named schemas that nothing uses: remove them from {SCHEMAS}"


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_routes_behind_a_token_say_which(name: str) -> None:
    method, path = name.split(" ", 1)
    source_paths = ("/v1/events", "/v1/sources/{source}/events")
    expected = [{"sourceToken": []}] if path in source_paths else None
    if isinstance(rule_for(method, path), Right):  # a person's token (smsbot.people.routes)
        expected = [{"adminToken": []}]
    if path.startswith("/webhooks/"):
        assert OPERATIONS[name]["security"][-1] == {}, "unsigned when no secret is configured"
        return
    assert OPERATIONS[name].get("security") == expected, name
