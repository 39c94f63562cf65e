"""The feedback inbox page, /ui/feedback: read feedback, confirm, remove or add tags.

    GET  /ui/feedback?unit=..&tag=..&untagged=1&lang=sv&page=2     the list, 50 a page
    POST /ui/feedback/{id}/confirm|remove|add?<the same filters>   form field `tag`

Every change goes through `review.tag` / `review.untag` (as the JSON API and the CLI do), so
the tags' history records the signed-in user and the time. A change answers 303 back to the
same filtered page at the item (`#f-12`) with `done=12.confirm.waiting`, which the page turns
into a status line; so the page works without JavaScript. `static/inbox.js` adds keyboard
shortcuts on top.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from smsbot.feedback.review import (
    FeedbackNotFound,
    UnknownTags,
    check_tags,
    feedback_units,
    list_feedback,
    tag,
    untag,
)
from smsbot.feedback.taxonomy import Taxonomy
from smsbot.gateway.access import person_of, scoped_unit
from smsbot.gateway.runner import Gateway
from smsbot.people.rights import Right, may, units_seen
from smsbot.storage.accounts import Person
from smsbot.webui import inbox_view as view
from smsbot.webui.render import render

__all__ = ["routes"]

_NO_TAGS = Taxonomy(())


def routes(gateway: Gateway) -> list[web.RouteDef]:
    page = _Inbox(gateway)
    return [
        web.get(view.PATH, page.show),
        web.post(view.PATH + r"/{id:\d{1,12}}/{action:confirm|remove|add}", page.change),
    ]


class _Inbox:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    @property
    def taxonomy(self) -> Taxonomy:
        return self.gateway.taxonomy or _NO_TAGS

    async def show(self, request: web.Request) -> web.Response:
        filters, problems = view.parse_filters(request.query, self.taxonomy)
        filters = _scoped(request, filters)
        done = view.parse_done(request.query.get("done"), self.taxonomy)
        return await self._page(request, filters, problems, done=done)

    async def change(self, request: web.Request) -> web.StreamResponse:
        filters, _ = view.parse_filters(request.query, self.taxonomy)
        filters = _scoped(request, filters)
        feedback_id = int(request.match_info["id"])
        action = _action(request.match_info["action"])
        form = await request.post()
        tag_id = str(form.get("tag", "")).strip()
        problems = self._check(tag_id)
        if problems:
            return await self._page(request, filters, problems, status=400)
        change = untag if action == "remove" else tag
        try:
            await change(
                self.gateway.parts.store,
                self.taxonomy,
                feedback_id,
                [tag_id],
                who=_user(request),
                now=self.gateway.clock.now(),
            )
        except FeedbackNotFound as error:
            return await self._page(request, filters, [str(error)], status=404)
        done = view.Done(feedback_id, action, tag_id)
        raise web.HTTPSeeOther(view.return_url(filters, done))

    def _check(self, tag_id: str) -> list[str]:
        if not tag_id:
            return ["Choose a tag first."]
        try:
            check_tags(self.taxonomy, [tag_id])
        except UnknownTags as error:
            return [f"{problem}." for problem in error.problems]
        return []

    async def _page(
        self,
        request: web.Request,
        filters: view.Filters,
        problems: list[str],
        *,
        done: view.Done | None = None,
        status: int = 200,
    ) -> web.Response:
        context = await self._context(filters, done, _person(request))
        heading = "The change was not made" if status != 200 else "Not all filters apply"
        return await render(
            request,
            "inbox.html",
            status=status,
            problems=problems,
            problems_heading=heading,
            **context,
        )

    async def _context(
        self, filters: view.Filters, done: view.Done | None, person: Person
    ) -> dict[str, Any]:
        store = self.gateway.parts.store
        items = await list_feedback(
            store,
            untagged=filters.untagged,
            unit=filters.unit,
            tag=filters.tag,
            limit=view.PAGE_SIZE + 1,
            offset=filters.offset,
        )
        timezone = self.gateway.config.survey.timezone
        flows = {flow.id: flow for flow in self.gateway.catalog.flows()}
        rows = [
            view.row(i, self.taxonomy, filters.lang, timezone, flows)
            for i in items[: view.PAGE_SIZE]
        ]
        return {
            "path": view.PATH,
            "filters": filters,
            "back": filters.query(),
            "clear_url": view.Filters(lang=filters.lang).url(),
            "units": _units_for(person, await feedback_units(store)),
            "tag_groups": view.add_options(self.taxonomy, filters.lang),
            "languages": list(view.LANGUAGE_NAMES.items()),
            "rows": rows,
            "summary": view.summary(filters, len(rows)),
            "note": view.done_note(done, self.taxonomy, filters.lang, rows) if done else "",
            "saved_id": done.feedback_id if done else None,
            "previous_url": filters.url(page=filters.page - 1) if filters.page > 1 else "",
            "next_url": filters.url(page=filters.page + 1) if len(items) > view.PAGE_SIZE else "",
            "tagging_ready": self.gateway.taxonomy is not None,
            "may_tag": may(person, Right.TAG_FEEDBACK),
            "script_url": "/ui/static/inbox.js",
        }


def _action(text: str) -> view.Action:
    return next(a for a in view.ACTIONS if a == text)


def _person(request: web.Request) -> Person:
    person = person_of(request)
    assert person is not None  # the guard let only a signed-in person in
    return person


def _user(request: web.Request) -> str:
    """Who changed the tags, as the tags' history keeps it: the signed-in person."""
    person = _person(request)
    return person.describe() if person.id else person.name


def _scoped(request: web.Request, filters: view.Filters) -> view.Filters:
    """A unit manager sees her units' feedback only (another unit: 403, audited)."""
    person = _person(request)
    if units_seen(person, Right.VIEW_FEEDBACK) is None:
        return filters
    return replace(filters, unit=scoped_unit(person, Right.VIEW_FEEDBACK, filters.unit))


def _units_for(person: Person, units: list[str]) -> list[str]:
    seen = units_seen(person, Right.VIEW_FEEDBACK)
    return units if seen is None else [u for u in units if u in seen]
