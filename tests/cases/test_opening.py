"""Follow-up cases open in the unit of work that ends the conversation, on a real SQLite file
with the shipped contact-centre flow; a refused consent leaves no number in the case, and the
purge clears a consented number once the case has been closed for the retention period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from smsbot.bootstrap.parts import Parts, database_of
from smsbot.gateway.cases import case_payload
from smsbot.gateway.surveys import StartRequest
from smsbot.privacy.retention import purge
from smsbot.storage.cases import CaseQuery
from tests.conftest import ManualClock
from tests.privacy.test_purge import everything_as_text, file_bytes, forms

PHONE = "+46701740642"
UNHAPPY = ["2", "nej", "1", "nej", "Lång kö och ingen svarade"]  # ces 2: the rule holds
HAPPY = ["7", "ja", "2", "nej", "Snabbt och vänligt"]


async def _sent(parts: Parts, phone: str = PHONE) -> list[str]:
    async with parts.store.write() as tx:
        queued = await tx.outbox.queued_for_phone(phone)
        for message in queued:
            await tx.outbox.mark_sent(message.id, f"ref-{message.id}", parts.surveys.clock.now())
    return [m.body for m in queued]


async def _converse(
    parts: Parts, replies: list[str], phone: str = PHONE, unit: str = "Kontaktcenter Örebro"
) -> list[str]:
    flow = parts.catalog.get("contact-centre")
    assert flow is not None
    request = StartRequest(flow=flow, phone=phone, unit=unit, service="Bygglov")
    assert (await parts.surveys.start(request)).conversation_id
    texts = await _sent(parts, phone)
    for reply in replies:
        await parts.surveys.receive(phone, reply)
        texts += await _sent(parts, phone)
    return texts


async def _cases(parts: Parts) -> list[Any]:
    async with parts.store.read() as tx:
        return await tx.cases.find(CaseQuery(closed=True))


async def test_a_happy_citizen_opens_no_case_and_is_not_asked(parts: Parts) -> None:
    texts = await _converse(parts, HAPPY)
    assert not any("ringa" in t for t in texts)
    assert await _cases(parts) == []


async def test_consent_keeps_the_number_in_the_units_case(parts: Parts) -> None:
    texts = await _converse(parts, [*UNHAPPY, "ja"])
    assert "Får vi ringa dig om ditt ärende? Svara ja eller nej." in texts
    [case] = await _cases(parts)
    assert (case.unit, case.rule_id, case.state) == ("Kontaktcenter Örebro", "unresolved", "open")
    assert case.consent and case.phone == PHONE and case.callable
    assert case.due_at > case.opened_at
    assert case_payload(case).get("phone") is None
    assert case_payload(case, with_phone=True)["phone"] == PHONE
    async with parts.store.read() as tx:
        answers = await tx.cases.answers(case.id)
    assert ("ces", "2") in [(a.question_id, a.value) for a in answers]


async def test_refused_consent_leaves_no_number_in_the_case(parts: Parts) -> None:
    await _converse(parts, [*UNHAPPY, "nej"])
    [case] = await _cases(parts)
    assert not case.consent and case.phone is None and not case.callable
    payload = repr(case_payload(case, with_phone=True))
    async with database_of(parts).conn.execute("SELECT * FROM cases") as cur:
        row = repr([tuple(r) for r in await cur.fetchall()])
    for form in forms(PHONE):
        assert form not in payload and form not in row


async def test_an_unanswered_consent_opens_an_anonymous_case_on_expiry(
    parts: Parts, clock: ManualClock
) -> None:
    await _converse(parts, UNHAPPY)
    assert await _cases(parts) == []  # still waiting for the consent reply
    clock.advance(hours=25)
    async with parts.store.read() as tx:
        due = await tx.timers.due(clock.now(), 10)
    for timer in due:
        await parts.surveys.expire(timer.conversation_id, timer.step)
    [case] = await _cases(parts)
    assert not case.consent and case.phone is None


async def test_a_closed_case_loses_its_number_after_retention_down_to_the_bytes(
    parts: Parts, clock: ManualClock
) -> None:
    await _converse(parts, [*UNHAPPY, "ja"])
    [case] = await _cases(parts)
    async with parts.store.write() as tx:
        assert await tx.cases.take(case.id, "Anna", None, clock.now())
        assert await tx.cases.close(case.id, "reached_resolved", "Anna", None, clock.now())
        assert not await tx.cases.close(case.id, "not_reached", "Anna", None, clock.now())
    db = database_of(parts)
    await purge(parts.store, retention_seconds=3600, now=clock.now())
    [kept] = await _cases(parts)
    assert kept.phone == PHONE  # closed less than the retention period ago
    counts = await purge(parts.store, retention_seconds=0, now=clock.now() + timedelta(seconds=1))
    assert counts.cases == 1
    [closed] = await _cases(parts)
    assert closed.phone is None and closed.outcome == "reached_resolved"
    assert closed.first_contact_at is not None
    text = await everything_as_text(db.conn)
    on_disk = file_bytes(db)
    for form in forms(PHONE):
        assert form not in text
        assert form.lstrip("+").encode() not in on_disk, form
