"""The feedback JSON API: list free-text feedback, confirm/add tags, reject tags.

    GET    /v1/feedback?untagged=true&unit=..&tag=..&limit=50&offset=0
    POST   /v1/feedback/{id}/tags          {"tags": ["waiting"], "by": "Anna"}
    DELETE /v1/feedback/{id}/tags/{tag}?by=Anna

No answer ever holds a phone number (feedback rows have none). The admin token check is added
around these routes by the app (`add_feedback_routes` adds only the routes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from smsbot.feedback.review import (
    FeedbackNotFound,
    TagChange,
    UnknownTags,
    check_tags,
    list_feedback,
    tag,
    untag,
)
from smsbot.feedback.taxonomy import Taxonomy
from smsbot.gateway.access import person_of, scoped_unit
from smsbot.http.openapi.spec import (
    FORBIDDEN,
    UNAUTHORIZED,
    Answer,
    Body,
    Operation,
    Param,
    problem,
    ref,
)
from smsbot.http.responses import json_answer
from smsbot.people.rights import Right, units_seen
from smsbot.storage.ports import Store

__all__ = ["OPERATIONS", "FeedbackContext", "add_feedback_routes"]

MAX_LIMIT = 500
MAX_TAGS = 20


@dataclass(frozen=True)
class FeedbackContext:
    store: Store
    taxonomy: Taxonomy
    clock: Callable[[], datetime]


GetContext = Callable[[web.Request], FeedbackContext]


class _BadRequest(Exception):
    def __init__(self, error: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error, self.message, self.status = error, message, status


def add_feedback_routes(app: web.Application, get_context: GetContext) -> None:
    """Add the three routes; `get_context` gives the store, taxonomy and clock per request."""
    handlers = _Handlers(get_context)
    app.router.add_get("/v1/feedback", handlers.list_items)
    app.router.add_post(r"/v1/feedback/{id:\d+}/tags", handlers.add_tags)
    app.router.add_delete(r"/v1/feedback/{id:\d+}/tags/{tag}", handlers.remove_tag)


class _Handlers:
    def __init__(self, get_context: GetContext) -> None:
        self.get_context = get_context

    async def list_items(self, request: web.Request) -> web.Response:
        context = self.get_context(request)
        try:
            query = _list_query(request, context.taxonomy)
        except _BadRequest as error:
            return _error(error)
        person = person_of(request)
        if person is not None and units_seen(person, Right.VIEW_FEEDBACK) is not None:
            query["unit"] = scoped_unit(person, Right.VIEW_FEEDBACK, query["unit"])
        items = await list_feedback(context.store, **query)
        return json_answer(
            {
                "feedback": [item.to_dict() for item in items],
                "limit": query["limit"],
                "offset": query["offset"],
            }
        )

    async def add_tags(self, request: web.Request) -> web.Response:
        context = self.get_context(request)
        try:
            tags, typed = _tag_body(await _body(request), context.taxonomy)
            who = _signed(request) or _who(typed)
            return await _change(context, request, tags, who, remove=False)
        except _BadRequest as error:
            return _error(error)

    async def remove_tag(self, request: web.Request) -> web.Response:
        context = self.get_context(request)
        try:
            tag_id = request.match_info["tag"]
            _known(context.taxonomy, [tag_id])
            who = _signed(request) or _who(request.query.get("by"))
            return await _change(context, request, [tag_id], who, remove=True)
        except _BadRequest as error:
            return _error(error)


async def _change(
    context: FeedbackContext, request: web.Request, tags: list[str], who: str, *, remove: bool
) -> web.Response:
    feedback_id = int(request.match_info["id"])
    if feedback_id > MAX_ID:  # no such row, and SQLite's integers end here
        raise _BadRequest("not_found", f"no feedback item {feedback_id}", 404)
    change = untag if remove else tag
    try:
        done = await change(
            context.store, context.taxonomy, feedback_id, tags, who=who, now=context.clock()
        )
    except FeedbackNotFound as error:
        raise _BadRequest("not_found", str(error), 404) from error
    except UnknownTags as error:
        raise _BadRequest("unknown_tag", str(error)) from error
    return json_answer({"feedback": done.item.to_dict(), "changes": _changes(done.changes)})


MAX_ID = 2**63 - 1


def _changes(changes: list[TagChange]) -> list[dict[str, str]]:
    return [{"tag": c.tag, "action": c.action} for c in changes]


def _error(error: _BadRequest) -> web.Response:
    return json_answer({"error": error.error, "message": error.message}, error.status)


_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no", ""}


def _list_query(request: web.Request, taxonomy: Taxonomy) -> dict[str, Any]:
    q = request.query
    untagged = q.get("untagged", "false").strip().lower()
    if untagged not in _TRUE | _FALSE:
        raise _BadRequest("invalid_query", "untagged: expected true or false")
    tag_id = q.get("tag") or None
    if tag_id is not None:
        _known(taxonomy, [tag_id])
    return {
        "untagged": untagged in _TRUE,
        "unit": q.get("unit") or None,
        "tag": tag_id,
        "limit": _int(q.get("limit"), "limit", default=50, low=1, high=MAX_LIMIT),
        "offset": _int(q.get("offset"), "offset", default=0, low=0, high=10**9),
    }


def _int(text: str | None, name: str, *, default: int, low: int, high: int) -> int:
    if text is None or text == "":
        return default
    if not text.strip().isdigit() or not low <= int(text) <= high:
        raise _BadRequest("invalid_query", f"{name}: expected a whole number {low}-{high}")
    return int(text)


def _known(taxonomy: Taxonomy, tags: list[str]) -> None:
    try:
        check_tags(taxonomy, tags)
    except UnknownTags as error:
        raise _BadRequest("unknown_tag", str(error)) from error


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _BadRequest("invalid_json", "the body is not JSON") from None


def _tag_body(body: Any, taxonomy: Taxonomy) -> tuple[list[str], object]:
    if not isinstance(body, dict):
        raise _BadRequest("invalid_body", 'expected {"tags": [...], "by": "name"}')
    tags = body.get("tags")
    if (
        not isinstance(tags, list)
        or not tags
        or len(tags) > MAX_TAGS
        or not all(isinstance(t, str) for t in tags)
    ):
        raise _BadRequest("invalid_body", f"tags: expected a list of 1-{MAX_TAGS} tag ids")
    _known(taxonomy, tags)
    return tags, body.get("by")


def _signed(request: web.Request) -> str:
    """The person whose API token asks (the tags' history records her, not a typed name)."""
    person = person_of(request)
    return person.describe() if person is not None and person.id else ""


def _who(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise _BadRequest("invalid_body", "by: say who decides (a name, up to 100 characters)")
    return value.strip()


# --- OpenAPI (assembled into /openapi.json by smsbot.http.openapi.document) ---------------

_ID = Param("id", "path", "the feedback item's id", {"type": "integer"})
_UNKNOWN = problem("malformed, or a tag the taxonomy does not have")
_NOT_FOUND = problem("no feedback item with this id")

OPERATIONS = (
    Operation(
        method="GET",
        path="/v1/feedback",
        operation_id="listFeedback",
        tag="feedback",
        summary="Free-text feedback with its tags",
        description="Citizens' free-text feedback, newest first, with every tag: suggested by"
        " the taxonomy's rules, confirmed or rejected by a person. Never a phone number.",
        params=(
            Param("untagged", "query", "only feedback no person has tagged", {"type": "boolean"}),
            Param("unit", "query", "only this unit"),
            Param("tag", "query", "only with this tag, suggested or confirmed"),
            Param(
                "limit",
                "query",
                "at most this many (default 50)",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            ),
            Param("offset", "query", "skip this many", {"type": "integer", "minimum": 0}),
        ),
        answers={
            200: Answer("the feedback", ref("FeedbackPage"), examples=("feedback_page",)),
            400: problem("a filter that cannot be used"),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
        },
        security=("adminToken",),
    ),
    Operation(
        method="POST",
        path="/v1/feedback/{id}/tags",
        operation_id="tagFeedback",
        tag="feedback",
        summary="Confirm suggested tags, or add tags",
        description="A suggested tag becomes confirmed; another tag is added, confirmed."
        " Records who decided and when.",
        params=(_ID,),
        body=Body(ref("TagRequest"), "the tags and who decides", examples=("tag_request",)),
        answers={
            200: Answer("tagged", ref("TagResult"), examples=("tag_result",)),
            400: _UNKNOWN,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: _NOT_FOUND,
        },
        security=("adminToken",),
    ),
    Operation(
        method="DELETE",
        path="/v1/feedback/{id}/tags/{tag}",
        operation_id="untagFeedback",
        tag="feedback",
        summary="Reject a tag",
        description="The tag is marked rejected (the rules will not suggest it again for this"
        " item). Records who decided and when.",
        params=(
            _ID,
            Param("tag", "path", "the tag's id"),
            Param("by", "query", "who decides (a name)", required=True),
        ),
        answers={
            200: Answer("rejected", ref("TagResult")),
            400: _UNKNOWN,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: _NOT_FOUND,
        },
        security=("adminToken",),
    ),
)
