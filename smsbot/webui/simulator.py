"""/ui/simulator: a phone-shaped chat with a flow, through the real engine and the simulator.

    GET  /ui/simulator?flow=ID     choose a flow, a language and event fields; the chat so far
    POST /ui/simulator/start       start a conversation on a fictitious number (form fields
                                   flow, language, unit, service, field_<name>)
    POST /ui/simulator/reply       the citizen's reply (field `text`), as an inbound SMS
    GET  /ui/simulator/chat        the chat as JSON, for the page's script to poll

A trial starts the survey at once, as `smsbot chat` does: the flow's delay, quiet hours and
the fatigue rule are for real citizens, and a newcomer at night must be able to try it. The
reply goes through the same path as a provider's inbound webhook, and the bot's answers are
sent by the simulator transport, so what the page shows is what a phone would get. Numbers
come from the range set aside for fiction; the page works only with the simulator transport
(with Vonage it would text those numbers for real). The start form is filled in with what the
person last started the chosen flow with in this session, else with the flow's `example` event
values.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from smsbot.domain import InboundSms
from smsbot.engine.model import Flow
from smsbot.gateway.runner import Gateway
from smsbot.gateway.surveys import StartRequest
from smsbot.phones import fiction_numbers
from smsbot.webui.auth import session_id_of
from smsbot.webui.phone import (
    MAX_REPLY,
    Bubble,
    StartForm,
    bubbles,
    parse_start,
    start_values,
)
from smsbot.webui.render import render

__all__ = ["routes"]

PATH = "/ui/simulator"
SETTLE_SECONDS = 3.0  # a reply waits this long at most for the bot's answer to go out


@dataclass(frozen=True)
class Trial:
    phone: str
    conversation_id: str
    flow_id: str
    language: str


def routes(gateway: Gateway) -> list[web.RouteDef]:
    page = _Simulator(gateway)
    return [
        web.get(PATH, page.show),
        web.post(PATH + "/start", page.start),
        web.post(PATH + "/reply", page.reply),
        web.get(PATH + "/chat", page.chat),
    ]


class _Simulator:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.trials: dict[str, Trial] = {}  # per signed-in session
        self.typed: dict[str, dict[str, dict[str, str]]] = {}  # session -> flow -> values

    @property
    def flows(self) -> dict[str, Flow]:
        return {flow.id: flow for flow in self.gateway.catalog.flows()}

    async def show(self, request: web.Request, problems: list[str] | None = None) -> web.Response:
        trial = self.trials.get(session_id_of(request))
        wanted = request.query.get("flow") or (trial.flow_id if trial else "")
        flows = self.flows
        flow = flows.get(wanted) or next(iter(flows.values()), None)
        typed = self.typed.get(session_id_of(request), {})
        context: dict[str, Any] = {
            "flows": list(flows.values()),
            "flow": flow,
            "values": start_values(flow, typed.get(flow.id)) if flow else {},
            "problems": problems or [],
            "simulated": self.gateway.simulated,
            "trial": trial,
            "max_reply": MAX_REPLY,
            "chat": await self._chat(trial) if trial else None,
        }
        return await render(request, "simulator.html", status=400 if problems else 200, **context)

    async def start(self, request: web.Request) -> web.StreamResponse:
        if not self.gateway.simulated:
            return await self.show(request, [NOT_SIMULATED])
        form = {k: str(v) for k, v in (await request.post()).items()}
        parsed, problems = parse_start(form, self.flows)
        if parsed is None:
            return await self.show(request, problems)
        self.typed.setdefault(session_id_of(request), {})[parsed.flow.id] = parsed.values()
        trial = await self._start(parsed)
        if trial is None:
            return await self.show(request, ["Every test number is busy; try again shortly."])
        self.trials[session_id_of(request)] = trial
        await self._settle(trial)
        raise web.HTTPSeeOther(PATH + "#phone")

    async def _start(self, form: StartForm) -> Trial | None:
        for phone in fiction_numbers():
            request = StartRequest(
                flow=form.flow,
                phone=phone,
                language=form.language,
                sender=self.gateway.config.vonage.from_number,
                unit=form.unit,
                service=form.service,
                channel="simulator",
                attributes=form.attributes,
                trial=True,
            )
            started = await self.gateway.parts.surveys.start(request)
            if started.conversation_id is not None:
                self.gateway.sender.wake.set()
                return Trial(phone, started.conversation_id, form.flow.id, form.language)
        return None

    async def reply(self, request: web.Request) -> web.StreamResponse:
        trial = self.trials.get(session_id_of(request))
        form = await request.post()
        text = str(form.get("text", ""))[:MAX_REPLY]
        if trial is None:
            return await self._answer(request, None, ["Start a conversation first."])
        if not text.strip():
            return await self._answer(request, trial, ["Type a reply first."])
        sms = InboundSms(
            trial.phone,
            self.gateway.config.vonage.from_number,
            text,
            f"ui-sim-{secrets.token_hex(8)}",
        )
        await self.gateway.inbound.sms(sms)
        await self._settle(trial)
        return await self._answer(request, trial, [])

    async def _answer(
        self, request: web.Request, trial: Trial | None, problems: list[str]
    ) -> web.StreamResponse:
        if "application/json" in request.headers.get("Accept", ""):
            body = await self._chat(trial) if trial else {"messages": [], "status": None}
            return web.json_response(
                {**body, "problems": problems}, status=400 if problems else 200
            )
        if problems:
            return await self.show(request, problems)
        raise web.HTTPSeeOther(PATH + "#reply")

    async def chat(self, request: web.Request) -> web.Response:
        trial = self.trials.get(session_id_of(request))
        body = await self._chat(trial) if trial else {"messages": [], "status": None}
        return web.json_response(body, headers={"Cache-Control": "no-store"})

    async def _chat(self, trial: Trial) -> dict[str, Any]:
        async with self.gateway.parts.store.read() as tx:
            found = await tx.trials.chat(trial.phone, trial.conversation_id)
        shown: list[Bubble] = bubbles(found.messages)
        return {
            "phone": trial.phone,
            "status": found.status,
            "messages": [b.to_dict() for b in shown],
        }

    async def _settle(self, trial: Trial) -> None:
        """Wait (briefly) until nothing is queued for the phone: the page then shows the
        bot's answer without a second request."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_SECONDS
        while loop.time() < deadline:
            async with self.gateway.parts.store.read() as tx:
                if not await tx.trials.sending_to(trial.phone):
                    return
            await asyncio.sleep(0.05)


NOT_SIMULATED = (
    "The phone simulator works only with the built-in simulator transport "
    '([transport] kind = "simulator"): with Vonage it would text the test numbers for real.'
)
