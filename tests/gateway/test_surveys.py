"""The survey service on a real SQLite file: conversations, answers, feedback, keywords."""

from __future__ import annotations

from typing import Any

import pytest

from smsbot.bootstrap.parts import Parts, database_of, open_parts
from smsbot.config import Config
from smsbot.domain import InboundPart
from smsbot.engine.definition import build_flow
from smsbot.flows.catalog import FlowCatalog
from smsbot.gateway.inbound import Inbound
from smsbot.gateway.surveys import StartRequest
from smsbot.metrics import Metrics
from smsbot.storage.sqlite import db as db_module
from smsbot.storage.sqlite import schema
from smsbot.storage.sqlite.db import open_database
from smsbot.storage.sqlite.schema import MIGRATIONS
from tests.conftest import ManualClock

PHONE = "+46701740642"


async def rows(parts: Parts, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with database_of(parts).conn.execute(sql, args) as cur:
        return [dict(r) for r in await cur.fetchall()]


async def outgoing(parts: Parts, phone: str = PHONE) -> list[str]:
    """What is queued for the phone, marked sent as a transport would."""
    async with parts.store.write() as tx:
        queued = await tx.outbox.queued_for_phone(phone)
        for message in queued:
            await tx.outbox.mark_sent(message.id, f"ref-{message.id}", parts.surveys.clock.now())
    return [m.body for m in queued]


async def start(parts: Parts, flow_id: str = "contact-centre", **kwargs: Any) -> str:
    flow = parts.catalog.get(flow_id)
    assert flow is not None
    request = StartRequest(
        flow=flow, phone=PHONE, unit="Kontaktcenter", service="Bygglov", **kwargs
    )
    result = await parts.surveys.start(request)
    assert result.conversation_id is not None, result
    return result.conversation_id


async def test_a_complete_conversation_is_stored(parts: Parts) -> None:
    conversation_id = await start(parts)
    first = await outgoing(parts)
    assert len(first) == 2  # the opening and the first question
    replies = ["2 lång kö", "nej", "1", "nej", "Svårt att hitta på webben", "nej"]  # no call
    outcomes = []
    for reply in replies:
        outcomes.append((await parts.surveys.receive(PHONE, reply)).outcome)
        await outgoing(parts)
    conversation = (await rows(parts, "SELECT * FROM conversations"))[0]
    assert conversation["id"] == conversation_id
    assert conversation["status"] == "completed"
    assert conversation["ended_at"] is not None
    answers = await rows(
        parts, "SELECT question_id, value_num, value_text, raw_text, comment FROM answers"
    )
    assert answers[0] == {
        "question_id": "ces",
        "value_num": 2.0,
        "value_text": None,
        "raw_text": "2 lång kö",
        "comment": "lång kö",
    }
    assert [a["raw_text"] for a in answers] == replies
    feedback = await rows(parts, "SELECT question_id, text, unit, language FROM feedback")
    assert {"question_id": "ces", "text": "lång kö", "unit": "Kontaktcenter", "language": "sv"} in (
        feedback
    )
    inbound = await rows(parts, "SELECT body FROM messages WHERE direction = 'in' ORDER BY id")
    assert [m["body"] for m in inbound] == replies
    assert outcomes[-1] == "completed"


async def test_a_repeated_provider_reference_has_no_second_effect(parts: Parts) -> None:
    await start(parts)
    await outgoing(parts)
    first = await parts.surveys.receive(PHONE, "5", provider_ref="abc")
    again = await parts.surveys.receive(PHONE, "5", provider_ref="abc")
    assert (first.outcome, again.outcome) == ("answered", "duplicate")
    assert len(await rows(parts, "SELECT * FROM answers")) == 1
    assert len(await outgoing(parts)) == 1


async def test_stop_opts_out_for_good_and_confirms_once(parts: Parts) -> None:
    await start(parts)
    await outgoing(parts)
    result = await parts.surveys.receive(PHONE, " Stopp! ")
    assert result.outcome == "opted_out"
    confirmation = await outgoing(parts)
    assert len(confirmation) == 1
    status = await rows(parts, "SELECT status FROM conversations")
    assert status == [{"status": "opted_out"}]
    opt_outs = await rows(parts, "SELECT respondent FROM opt_outs")
    assert len(opt_outs) == 1 and PHONE not in opt_outs[0]["respondent"]
    flow = parts.catalog.get("contact-centre")
    assert flow is not None
    again = await parts.surveys.start(StartRequest(flow=flow, phone=PHONE))
    assert again.reason == "opted_out"


async def test_a_sentence_with_stop_in_it_is_feedback(parts: Parts) -> None:
    await start(parts)
    await outgoing(parts)
    result = await parts.surveys.receive(PHONE, "stop waiting so long")
    assert result.outcome == "retry"
    assert await rows(parts, "SELECT text FROM feedback") == [{"text": "stop waiting so long"}]


async def test_help_answers_without_moving_the_conversation(parts: Parts) -> None:
    await start(parts)
    await outgoing(parts)
    before = await rows(parts, "SELECT step FROM conversations")
    result = await parts.surveys.receive(PHONE, "hjälp")
    assert result.outcome == "help"
    assert len(await outgoing(parts)) == 2  # the help text, then the question again
    assert await rows(parts, "SELECT step FROM conversations") == before


@pytest.mark.parametrize(
    ("language", "word", "answers"),
    [("sv", "HJÄLP", []), ("fi", "apua", ["6"]), ("en", "Help", ["6", "yes"])],
)
async def test_help_repeats_the_question_waiting_for_an_answer(
    parts: Parts, language: str, word: str, answers: list[str]
) -> None:
    await start(parts, language=language)
    for answer in answers:
        await outgoing(parts)
        await parts.surveys.receive(PHONE, answer)
    asked = (await outgoing(parts))[-1]
    await parts.surveys.receive(PHONE, word)
    help_text = getattr(parts.config.texts, f"help_{language}")
    assert await outgoing(parts) == [help_text, asked]
    await parts.surveys.receive(PHONE, "2")  # and the answer still goes to that question
    answered = await rows(parts, "SELECT question_id, raw_text FROM answers ORDER BY id")
    assert answered[-1]["raw_text"] == "2" and len(answered) == len(answers) + 1


async def test_help_without_a_conversation_is_the_help_text_alone(parts: Parts) -> None:
    await parts.surveys.receive(PHONE, "help")
    assert await outgoing(parts) == [parts.config.texts.help_sv]


async def test_a_reply_from_an_unknown_number_is_stored_not_answered(parts: Parts) -> None:
    result = await parts.surveys.receive("+46701740699", "5")
    assert result.outcome == "unknown"
    assert await outgoing(parts, "+46701740699") == []
    stored = await rows(parts, "SELECT body, conversation_id FROM messages WHERE direction = 'in'")
    assert stored == [{"body": "5", "conversation_id": None}]


async def test_one_active_conversation_per_person(parts: Parts) -> None:
    await start(parts)
    flow = parts.catalog.get("health-visit")
    assert flow is not None
    second = await parts.surveys.start(StartRequest(flow=flow, phone=PHONE))
    assert second.reason == "busy"


async def test_expiry_timer_ends_a_silent_conversation(parts: Parts, clock: ManualClock) -> None:
    conversation_id = await start(parts)
    timers = await rows(parts, "SELECT kind, step FROM timers WHERE done_at IS NULL")
    assert [t["kind"] for t in timers] == ["expire"]
    clock.advance(hours=25)
    assert await parts.surveys.expire(conversation_id, timers[0]["step"])
    assert await rows(parts, "SELECT status FROM conversations") == [{"status": "expired"}]


async def test_a_stale_expiry_timer_does_nothing(parts: Parts) -> None:
    conversation_id = await start(parts)
    timers = await rows(parts, "SELECT step FROM timers")
    await parts.surveys.receive(PHONE, "5")
    assert not await parts.surveys.expire(conversation_id, timers[0]["step"])
    assert await rows(parts, "SELECT status FROM conversations") == [{"status": "active"}]


async def test_a_conversation_finishes_on_the_version_it_started_with(
    parts: Parts, tmp_path: Any
) -> None:
    """The file changes (a question removed) and the gateway restarts mid-conversation."""
    await start(parts)
    await outgoing(parts)
    await parts.surveys.receive(PHONE, "6")
    await outgoing(parts)
    old = parts.catalog.get("contact-centre")
    assert old is not None
    source = dict(old.source)
    source["questions"] = [q for q in source["questions"] if q["id"] != "reason"]  # type: ignore[attr-defined]
    changed, problems = build_flow(source)
    assert changed is not None, problems
    parts.surveys.catalog = FlowCatalog([changed])  # as after a restart with the new file
    await parts.surveys.receive(PHONE, "nej")  # 'solved' -> next is 'reason' in the old version
    asked = await outgoing(parts)
    assert asked == [old.question("reason").text.get("sv", "sv")]


async def test_the_database_is_migrated_and_versioned(parts: Parts) -> None:
    assert await database_of(parts).schema_version() >= 2
    again = await open_database(database_of(parts).path)
    assert await again.schema_version() == await database_of(parts).schema_version()
    await again.close()
    mode = await rows(parts, "PRAGMA journal_mode")
    assert mode == [{"journal_mode": "wal"}]


async def test_a_long_sms_part_stored_before_the_upgrade_still_completes_its_message(
    config: Config, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """inbound_parts is rebuilt, keyed by the provider's ids: a part in flight survives it."""
    before = MIGRATIONS[: MIGRATIONS.index(schema._PARTS_BY_PROVIDER_ID)]
    monkeypatch.setattr(db_module, "MIGRATIONS", before)
    old = await open_database(config.database.path)
    first, second = "Jag väntade länge i kön ", "men fick bra hjälp till slut."
    async with old.transaction() as conn:
        await conn.execute(
            "INSERT INTO inbound_parts (phone, sender, concat_ref, total, part, text,"
            " provider_ref, received_at) VALUES (?, 'smsbot', '9', 2, 1, ?, 'p-1', ?)",
            (PHONE, first, clock.now().isoformat()),
        )
    await old.close()
    monkeypatch.undo()
    parts = await open_parts(config, clock=clock)
    try:
        flow = parts.catalog.get("contact-centre")
        assert flow is not None
        await parts.surveys.start(StartRequest(flow, PHONE, sender="smsbot", unit="Kontaktcenter"))
        inbound = Inbound(parts.surveys, Metrics())
        result = await inbound.part(InboundPart(PHONE, "smsbot", second, "p-2", "9", 2, 2))
        assert result is not None and result.outcome == "retry"  # not a 1-7: asked again
        raw = await rows(parts, "SELECT raw_text FROM answers")
        assert raw == [{"raw_text": first + second}]
    finally:
        await parts.close()
