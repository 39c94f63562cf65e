"""The follow-up cases page, /ui/cases (issue 16): a unit's cases, the soonest due first.

    GET  /ui/cases[?closed=1]              the list (a unit manager: her units; an admin: all)
    GET  /ui/cases/{id}                    one case: what opened it, its notes, the actions
    POST /ui/cases/{id}/take|note|close    take it, write a note (or record a call), close it

A `tel:` link shows only while the citizen's consent holds (the number is kept, the case is not
closed). Every change, and every look at a case, goes in the audit log without the number. A
change answers 303 back to the case (POST/redirect/GET), so the page works without script.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from smsbot.gateway.access import OutOfScope, audit, person_of
from smsbot.gateway.cases import tell
from smsbot.gateway.runner import Gateway
from smsbot.people.rights import Right, may, units_seen
from smsbot.storage.accounts import Person
from smsbot.storage.cases import OUTCOMES, Case, CaseQuery
from smsbot.storage.ports import Tx
from smsbot.webui.render import render

__all__ = ["OUTCOME_NAMES", "routes"]

PATH = "/ui/cases"
OUTCOME_NAMES = {
    "reached_resolved": "Reached, resolved",
    "reached_not_resolved": "Reached, not resolved",
    "not_reached": "Not reached",
    "no_action_needed": "No action needed",
}
_NOTE_CHARACTERS = 2000


def routes(gateway: Gateway) -> list[web.RouteDef]:
    page = _Cases(gateway)
    one = PATH + r"/{id:\d{1,12}}"
    return [
        web.get(PATH, page.index),
        web.get(one, page.show),
        web.post(one + "/take", page.take),
        web.post(one + "/note", page.note),
        web.post(one + "/close", page.close),
    ]


class _Cases:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.gateway.config.survey.timezone)

    async def index(self, request: web.Request) -> web.Response:
        person = _person(request)
        units = units_seen(person, Right.HANDLE_CASES)
        closed = request.query.get("closed") == "1"
        query = CaseQuery(units=None if units is None else tuple(sorted(units)), closed=closed)
        async with self.gateway.parts.store.read() as tx:
            cases = await tx.cases.find(query)
        now = self.gateway.clock.now()
        rows = [self._row(case, now) for case in cases]
        return await render(request, "cases.html", rows=rows, closed=closed, path=PATH)

    async def show(self, request: web.Request, problems: list[str] | None = None) -> web.Response:
        case = await self._case(request)
        async with self.gateway.parts.store.read() as tx:
            notes = await tx.cases.notes(case.id)
            answers = await tx.cases.answers(case.id)
        await audit(request, "case_viewed", detail={"case": case.id, "unit": case.unit or ""})
        context = {
            "case": self._row(case, self.gateway.clock.now()),
            "notes": [(self._when(n.at), n) for n in notes],
            "answers": answers,
            "outcomes": [(o, OUTCOME_NAMES[o]) for o in OUTCOMES],
            "done": request.query.get("done", ""),
            "problems": problems or [],
            "path": PATH,
        }
        return await render(request, "case.html", status=400 if problems else 200, **context)

    async def take(self, request: web.Request) -> web.StreamResponse:
        case = await self._case(request)
        person = _person(request)
        async with self.gateway.parts.store.write() as tx:
            taken = await tx.cases.take(case.id, _who(person), person.id or None, self._now())
            await self._tell(tx, case.id, "case.updated", taken)
        return await self._done(request, case, "taken" if taken else "closed_already")

    async def note(self, request: web.Request) -> web.StreamResponse:
        case = await self._case(request)
        form = await request.post()
        text = str(form.get("text", "")).strip()
        call = form.get("call") == "1"
        if not text and not call:
            return await self.show(request, ["Write a note, or tick that you called."])
        if len(text) > _NOTE_CHARACTERS:
            return await self.show(request, [f"A note holds up to {_NOTE_CHARACTERS} characters."])
        person = _person(request)
        async with self.gateway.parts.store.write() as tx:
            noted = await tx.cases.note(
                case.id, _who(person), person.id or None, text, call=call, now=self._now()
            )
            await self._tell(tx, case.id, "case.updated", noted)
        return await self._done(request, case, "called" if call else "noted")

    async def close(self, request: web.Request) -> web.StreamResponse:
        case = await self._case(request)
        outcome = str((await request.post()).get("outcome", ""))
        if outcome not in OUTCOMES:
            return await self.show(request, ["Choose how the case ends before closing it."])
        person = _person(request)
        async with self.gateway.parts.store.write() as tx:
            closed = await tx.cases.close(
                case.id, outcome, _who(person), person.id or None, self._now()
            )
            await self._tell(tx, case.id, "case.closed", closed)
        return await self._done(request, case, "closed" if closed else "closed_already")

    async def _tell(self, tx: Tx, case_id: int, event_type: str, changed: bool) -> None:
        """The subscribed systems hear of a change in the change's own unit of work."""
        case = await tx.cases.get(case_id) if changed else None
        if case is not None:
            await tell(tx, event_type, case, self._now())

    async def _done(self, request: web.Request, case: Case, what: str) -> web.StreamResponse:
        detail = {"case": case.id, "unit": case.unit or "", "result": what}
        await audit(request, f"case_{request.path.rsplit('/', 1)[-1]}", detail=detail)
        raise web.HTTPSeeOther(f"{PATH}/{case.id}?done={what}")

    async def _case(self, request: web.Request) -> Case:
        """The case asked for: 404 if there is none, 403 (audited) outside the person's units."""
        async with self.gateway.parts.store.read() as tx:
            case = await tx.cases.get(int(request.match_info["id"]))
        if case is None:
            raise web.HTTPNotFound(text="No such case.")
        person = _person(request)
        if case.unit is None and units_seen(person, Right.HANDLE_CASES) is not None:
            raise OutOfScope(None, units_seen(person, Right.HANDLE_CASES) or frozenset())
        if not may(person, Right.HANDLE_CASES, unit=case.unit):
            raise OutOfScope(case.unit, units_seen(person, Right.HANDLE_CASES) or frozenset())
        return case

    def _now(self) -> datetime:
        return self.gateway.clock.now()

    def _when(self, moment: datetime) -> str:
        return moment.astimezone(self.timezone).strftime("%Y-%m-%d %H:%M")

    def _row(self, case: Case, now: datetime) -> dict[str, Any]:
        return {
            "id": case.id,
            "unit": case.unit or "(no unit)",
            "service": case.service or "",
            "flow": case.flow_id,
            "rule": case.rule_id,
            "state": case.state,
            "taken_by": case.taken_by or "",
            "outcome": OUTCOME_NAMES.get(case.outcome or "", ""),
            "opened": self._when(case.opened_at),
            "due": self._when(case.due_at),
            "overdue": case.state != "closed" and case.due_at < now,
            "consent": case.consent,
            "tel": case.phone if case.callable else None,
        }


def _person(request: web.Request) -> Person:
    person = person_of(request)
    assert person is not None  # the guard let only a signed-in person in
    return person


def _who(person: Person) -> str:
    return person.describe() if person.id else person.name
