"""Template conversations, made by the real service (intake, engine, storage) in the target
database, to be cloned by `bench.clone` into as many as a scale point needs.

A template is one citizen's rows as the gateway writes them: the event, the conversation, its
messages (out and in), answers, feedback and its suggested tags, timers, and an opt-out when
they said STOP. Messages
that the sender would have sent are then marked as the sender and a delivery receipt leave them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.citizens import OUR_NUMBER, Citizen, event, make_citizens
from smsbot.bootstrap.parts import Parts, database_of, open_parts
from smsbot.config import Config
from smsbot.feedback.review import suggest_new
from smsbot.feedback.taxonomy import load_taxonomy
from smsbot.gateway.intake import Intake
from smsbot.gateway.runner import sending_rules
from smsbot.gateway.service_events import parse_event
from smsbot.metrics import Metrics


class SetClock:
    """The service's clock, moved by hand: a template's messages happen over minutes or days."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class Template:
    phone: str
    respondent: str


DELIVERED = (
    "UPDATE messages SET status = 'delivered', attempts = 1, client_ref = 'smsbot-' || id,"
    " provider_ref = lower(hex(randomblob(8))), price = 0.0333, updated_at = created_at"
    " WHERE direction = 'out' AND status = 'queued'"
)


class Maker:
    """Makes templates through the service; `kind` keeps their event and message references
    apart from another kind's in the same database (waiting ones on top of the history)."""

    def __init__(self, parts: Parts, clock: SetClock, config: Config, kind: str) -> None:
        self.parts, self.clock, self.kind = parts, clock, kind
        self.intake = Intake(
            parts.surveys, sending_rules(config), Metrics(), sender_number=OUR_NUMBER
        )
        self.known = {t for f in parts.catalog.flows() for t in f.triggers}
        self.region = config.survey.default_region
        self.count = 0

    async def start(self, citizen: Citizen) -> Template:
        self.count += 1
        data = event(citizen, f"template-{self.kind}-{self.count}")
        data["occurred_at"] = (self.clock.at - timedelta(minutes=3)).isoformat()
        parsed = parse_event(
            data,
            source="demo",
            default_region=self.region,
            known_types=self.known,
            now=self.clock.at,
        )
        await self.intake.submit([parsed])
        respondent = self.parts.surveys.pseudonyms.respondent(citizen.phone)
        return Template(citizen.phone, respondent)

    async def reply(self, citizen: Citizen, text: str, minutes: float = 1.5) -> str:
        self.clock.at += timedelta(minutes=minutes)
        self.count += 1
        result = await self.parts.surveys.receive(
            citizen.phone,
            text,
            sender=OUR_NUMBER,
            provider_ref=f"template-{self.kind}-in-{self.count}",
        )
        return result.outcome

    async def deliver_all(self) -> None:
        async with database_of(self.parts).transaction() as conn:
            await conn.execute(DELIVERED)

    async def suggest_tags(self) -> None:
        """What the gateway's tag task does within a minute of new feedback."""
        taxonomy = load_taxonomy(Path(self.parts.config.flows.dir) / "tags.yaml")
        await suggest_new(self.parts.store, taxonomy, now=self.clock.at)

    async def expire(self, citizen: Citizen) -> None:
        """No more answers: a day later the expiry timer ends the conversation."""
        self.clock.at += timedelta(hours=25)
        sql = "SELECT id, step FROM conversations WHERE phone = ? AND status = 'active'"
        async with database_of(self.parts).conn.execute(sql, (citizen.phone,)) as cur:
            row = await cur.fetchone()
        if row is not None:
            await self.parts.surveys.expire(row["id"], row["step"])
            await _close_timer(self.parts, row["id"], self.clock.at)


async def _close_timer(parts: Parts, conversation_id: str, now: datetime) -> None:
    async with database_of(parts).transaction() as conn:
        await conn.execute(
            "UPDATE timers SET done_at = ? WHERE conversation_id = ? AND done_at IS NULL",
            (now.isoformat(timespec="milliseconds"), conversation_id),
        )


async def waiting(
    config: Config, count: int, first_phone: int, *, delivered: bool
) -> list[Template]:
    """Conversations just started: opening and first question delivered (or still queued)."""
    clock = SetClock()
    parts = await open_parts(config, clock=clock)
    try:
        maker = Maker(parts, clock, config, "waiting")
        made = [await maker.start(c) for c in make_citizens(first_phone, count, 7).values()]
        if delivered:
            await maker.deliver_all()
        return made
    finally:
        await parts.close()


async def history(config: Config, count: int, first_phone: int, days: int) -> list[Template]:
    """Whole conversations spread over the last `days` days: most completed, some expired
    part-way, some stopped, some with a reply not understood, some people asked again."""
    clock = SetClock()
    parts = await open_parts(config, clock=clock)
    rng = random.Random(11)
    start = datetime.now(UTC) - timedelta(days=days)
    try:
        maker = Maker(parts, clock, config, "history")
        made = []
        for n, citizen in enumerate(make_citizens(first_phone, count, 13).values()):
            clock.at = start + timedelta(days=days * n / count, hours=rng.uniform(8, 16))
            made.append(await maker.start(citizen))
            await _converse(maker, citizen, rng)
        await maker.deliver_all()
        await maker.suggest_tags()
        return made
    finally:
        await parts.close()


async def _converse(maker: Maker, citizen: Citizen, rng: random.Random) -> None:
    roll = rng.random()
    asked = ("ces", "solved", "reason", "web_first", "comment")
    stop_at = rng.randint(1, 4) if roll < 0.15 else len(asked)
    if roll < 0.05:
        await maker.reply(citizen, "vet inte riktigt", minutes=rng.uniform(0.5, 30))
    for n, question in enumerate(asked):
        if n == stop_at:
            if roll < 0.03:
                await maker.reply(citizen, "STOPP")
            else:
                await maker.expire(citizen)
            return
        await maker.reply(citizen, citizen.answers[question], minutes=rng.uniform(0.3, 20))
    if roll > 0.9:  # the same person, a new contact a week later: skipped (fatigue)
        maker.clock.at += timedelta(days=7)
        await maker.start(citizen)
