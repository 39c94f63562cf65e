"""/ui/webhooks: an admin's subscriptions to results out, their deliveries, and replays.

    GET  /ui/webhooks                              subscriptions, the add form, recent deliveries
    POST /ui/webhooks                              add one: the page shows its secret, once
    POST /ui/webhooks/{id}/remove                  stop it (its waiting deliveries are cancelled)
    POST /ui/webhooks/deliveries/{id}/replay       deliver again, with the same webhook-id

The same checks and audit entries as `smsbot webhooks` (smsbot.gateway.subscriptions).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from smsbot.gateway import subscriptions
from smsbot.gateway.access import person_of, remote_of
from smsbot.gateway.runner import Gateway
from smsbot.people.accounts import Actor
from smsbot.storage.webhooks import EVENT_TYPES
from smsbot.webui.render import render

__all__ = ["routes"]

PATH = "/ui/webhooks"
SHOWN = 50


def routes(gateway: Gateway) -> list[web.RouteDef]:
    pages = _Pages(gateway)
    return [
        web.get(PATH, pages.show),
        web.post(PATH, pages.add),
        web.post(PATH + r"/{id:\d{1,12}}/remove", pages.remove),
        web.post(PATH + r"/deliveries/{id:\d{1,12}}/replay", pages.replay),
    ]


class _Pages:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    async def show(self, request: web.Request) -> web.Response:
        return await self._page(request)

    async def add(self, request: web.Request) -> web.Response:
        form = await request.post()
        events = [str(e) for e in form.getall("event", [])]
        try:
            new = subscriptions.parse(
                str(form.get("url", "")),
                events,
                str(form.get("unit", "")),
                send_phone=form.get("send_phone") == "yes",
            )
        except subscriptions.SubscriptionError as error:
            return await self._page(request, problems=[f"{error}."], status=400, form=form)
        store, now = self.gateway.parts.store, self.gateway.clock.now()
        subscription_id = await subscriptions.add(store, _actor(request), new, now)
        return await self._page(request, created=(subscription_id, new.secret), status=201)

    async def remove(self, request: web.Request) -> web.StreamResponse:
        subscription_id = int(request.match_info["id"])
        return await self._change(
            request,
            subscriptions.remove(
                self.gateway.parts.store, _actor(request), subscription_id, self.gateway.clock.now()
            ),
        )

    async def replay(self, request: web.Request) -> web.StreamResponse:
        delivery_id = int(request.match_info["id"])
        return await self._change(
            request,
            subscriptions.replay(
                self.gateway.parts.store, _actor(request), delivery_id, self.gateway.clock.now()
            ),
        )

    async def _change(self, request: web.Request, change: Any) -> web.StreamResponse:
        try:
            await change
        except subscriptions.SubscriptionError as error:
            return await self._page(request, problems=[f"{error}."], status=404)
        raise web.HTTPSeeOther(PATH)

    async def _page(
        self,
        request: web.Request,
        *,
        problems: list[str] | None = None,
        created: tuple[int, str] | None = None,
        status: int = 200,
        form: Any = None,
    ) -> web.Response:
        async with self.gateway.parts.store.read() as tx:
            subs = await tx.webhooks.subscriptions()
            recent = await tx.webhooks.deliveries(limit=SHOWN)
        return await render(
            request,
            "webhooks.html",
            status=status,
            subscriptions=subs,
            deliveries=recent,
            event_types=EVENT_TYPES,
            problems=problems or [],
            created=created,
            form=form or {},
            shown=SHOWN,
        )


def _actor(request: web.Request) -> Actor:
    person = person_of(request)
    assert person is not None  # the guard let only a signed-in admin in
    if not person.id:  # the bootstrap admin token
        return Actor(person.name, remote_of(request))
    return Actor.of(person, remote_of(request))
