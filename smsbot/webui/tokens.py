"""/ui/tokens: a person's own API tokens for the JSON API (reports, feedback).

    GET  /ui/tokens                  her tokens: name, expiry, state (never the secret)
    POST /ui/tokens                  form `name`, `days`: a new token, shown once on the answer
    POST /ui/tokens/{id}/revoke      stops one of her tokens at once

A token carries her roles and units, and is stored only as its SHA-256 (smsbot.people.accounts).
The answer that shows a new token is not cached (`Cache-Control: no-store`, as every page).
"""

from __future__ import annotations

from aiohttp import web

from smsbot.gateway.access import person_of, remote_of
from smsbot.gateway.runner import Gateway
from smsbot.people import accounts
from smsbot.people.accounts import Actor
from smsbot.storage.accounts import Person
from smsbot.webui.render import render

__all__ = ["routes"]

PATH = "/ui/tokens"


def routes(gateway: Gateway) -> list[web.RouteDef]:
    page = _Tokens(gateway)
    return [
        web.get(PATH, page.show),
        web.post(PATH, page.add),
        web.post(PATH + r"/{id:\d{1,12}}/revoke", page.revoke),
    ]


class _Tokens:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def show(self, request: web.Request) -> web.Response:
        return await self._page(request)

    async def add(self, request: web.Request) -> web.Response:
        person = _person(request)
        form = await request.post()
        name = str(form.get("name", "")).strip()
        days_text = str(form.get("days", "90")).strip()
        if not person.id:
            return await self._page(request, ["Sign in as a person to have API tokens."], 400)
        if not days_text.isdigit():
            return await self._page(request, ["Days: a whole number from 1 to 366."], 400)
        try:
            token, secret = await accounts.issue_token(
                self.gateway.parts.store, Actor.of(person, remote_of(request)), person, name,
                int(days_text), self.gateway.clock.now(),
            )  # fmt: skip
        except ValueError as error:
            return await self._page(request, [f"{str(error).capitalize()}."], 400)
        return await self._page(request, new=(token.name, secret))

    async def revoke(self, request: web.Request) -> web.StreamResponse:
        person = _person(request)
        token_id = int(request.match_info["id"])
        mine = {t.id for t in await self._mine(person)}
        if token_id not in mine:
            raise web.HTTPNotFound()
        actor = Actor.of(person, remote_of(request))
        await accounts.revoke_token(
            self.gateway.parts.store, actor, token_id, self.gateway.clock.now()
        )
        raise web.HTTPSeeOther(PATH)

    async def _mine(self, person: Person) -> list[accounts.ApiToken]:
        if not person.id:
            return []
        async with self.gateway.parts.store.read() as tx:
            return await tx.people.tokens(person.id)

    async def _page(
        self,
        request: web.Request,
        problems: list[str] | None = None,
        status: int = 200,
        new: tuple[str, str] | None = None,
    ) -> web.Response:
        person = _person(request)
        now = self.gateway.clock.now()
        rows = [
            (t, "revoked" if t.revoked else "expired" if t.expires_at <= now else "valid")
            for t in await self._mine(person)
        ]
        return await render(
            request, "tokens.html", status=status, rows=rows, problems=problems or [], new=new,
            is_person=bool(person.id),
        )  # fmt: skip


def _person(request: web.Request) -> Person:
    person = person_of(request)
    assert person is not None  # the guard let only a signed-in person in
    return person
