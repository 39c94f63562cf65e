"""`smsbot chat`: a survey conversation in the terminal, through the real engine and storage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from smsbot.engine.model import Flow
from smsbot.gateway.parts import Parts
from smsbot.gateway.surveys import StartRequest
from smsbot.storage.ports import Tx

__all__ = ["run_chat"]

Echo = Callable[[str], None]


async def run_chat(
    parts: Parts,
    flow: Flow,
    *,
    phone: str,
    language: str | None,
    fields: dict[str, str],
    lines: Iterator[str],
    echo: Echo,
    echo_replies: bool,
) -> int:
    """Run one conversation; replies come from `lines`. Returns the exit status."""
    request = StartRequest(
        flow=flow,
        phone=phone,
        language=language,
        unit=fields.pop("unit", None),
        service=fields.pop("service", None),
        channel=fields.pop("channel", "sms"),
        attributes=fields,
        trial=True,
    )
    async with parts.store.write() as tx:
        started = await parts.surveys.start_in(tx, request)
        if started.conversation_id is None:
            echo(f"smsbot: not started: {_why_not(started.reason, phone)}")
            return 1
        echo(f"conversation {started.conversation_id} with {phone} (flow {flow.id} {flow.version})")
        await _deliver(tx, parts, phone, echo)
    for line in lines:
        reply = line.rstrip("\r\n")
        if echo_replies:
            echo(f"you › {reply}")
        async with parts.store.write() as tx:
            result = await parts.surveys.receive_in(tx, phone, reply)
            await _deliver(tx, parts, phone, echo)
        if result.outcome in ("completed", "opted_out"):
            where = Path(parts.config.database.path)
            echo(f"-- conversation {result.outcome.replace('_', ' ')}; stored in {where}")
            return 0
    return await _expire(parts, started.conversation_id, echo)


async def _deliver(tx: Tx, parts: Parts, phone: str, echo: Echo) -> None:
    """The terminal is the transport: print what is queued for the phone and mark it sent, in
    the transaction that queued it, so that a gateway running on the same database never sees
    it queued (and never texts the number)."""
    for message in await tx.outbox.queued_for_phone(phone):
        cost = f"{message.segments} SMS, {message.encoding}, {len(message.body)} chars"
        echo(f"bot › {message.body}   [{cost}]")
        await tx.outbox.mark_sent(message.id, None, parts.surveys.clock.now())


async def _expire(parts: Parts, conversation_id: str, echo: Echo) -> int:
    async with parts.store.read() as tx:
        conversation = await tx.conversations.get(conversation_id)
    if conversation is not None and conversation.state.active:
        await parts.surveys.expire(conversation_id, conversation.state.step)
        echo("-- no more replies: the conversation expired, as it would with no reply in time")
    return 0


def _why_not(reason: str, phone: str) -> str:
    return {
        "opted_out": f"{phone} has sent STOP and is never texted again; use --phone",
        "busy": f"{phone} already has an active conversation; use --phone",
    }.get(reason, reason)


def read_lines(stream: TextIO) -> Iterator[str]:
    yield from stream
