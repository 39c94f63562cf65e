"""Realistic report data: thousands of surveys as plain records, and a writer into a real database.

`generate()` makes events, conversations, messages and answers with a seeded random.Random: four
units (plus a tiny one with exactly 4 surveys), three languages, three flows, skipped events by
reason, drop-offs, opt-outs, expiries, undeliverable openings, bad replies and retries, comments,
`wait_seconds` (as JSON numbers, as digit strings, missing or junk) and `age_group` attributes,
message prices and segments. `generate(trial=True)` makes the same kind of data as trials, with
ids and numbers of their own, to write beside real data. `write()` inserts them with plain SQL.
Tests compute the expected figures from the records in plain Python.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
import yaml

from smsbot.engine.definition import build_flow
from smsbot.engine.model import Flow
from smsbot.storage.sqlite.db import Database, open_database, ts

START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 60
NOW = START + timedelta(days=DAYS + 1)
UNITS = ("Vårdcentral Norr", "Vårdcentral Syd", "Kontaktcenter", "Terveysasema Kajaani")
TINY_UNIT = "Hyrynsalmi"
SERVICES = {
    "Vårdcentral Norr": "primary-care",
    "Vårdcentral Syd": "primary-care",
    "Kontaktcenter": "contact-centre",
    "Terveysasema Kajaani": "primary-care",
    TINY_UNIT: "primary-care",
}
LANGUAGES = ("sv", "fi", "en")
CHANNELS = ("phone", "visit", "chat")
AGE_GROUPS = ("18-34", "35-64", "65+")
SKIP_REASONS = ("fatigue", "opted_out", "busy", "too_old", "invalid")
PHONE_PREFIX = "+4670555"
TRIAL_PHONE_PREFIX = "+4670666"
TRIAL_EVENT_IDS = 1_000_000  # added to a trial dataset's event ids


def _flow(data: dict[str, Any]) -> Flow:
    base = {
        "format": 1,
        "languages": list(LANGUAGES),
        "expires_after": "48h",
        "title": data["id"],
        "triggers": [f"{data['id']}.done"],
        "opening": "Hej! Det är gratis att svara. Svara STOPP för att avsluta.",
        "closing": "Tack!",
    }
    flow, problems = build_flow({**base, **data})
    assert flow is not None, problems
    return flow


def write_flow_files(directory: Path, flows: Mapping[str, Flow]) -> Path:
    """The flows as YAML files in `directory` (made), for a gateway to run the same flows."""
    directory.mkdir()
    for flow_id, flow in flows.items():
        text = yaml.safe_dump(dict(flow.source), allow_unicode=True)
        (directory / f"{flow_id}.yaml").write_text(text)
    return directory


def flows() -> dict[str, Flow]:
    visit = _flow(
        {
            "id": "visit",
            "questions": [
                {"id": "csat", "type": "scale", "preset": "csat", "text": "Nöjd? 1-5"},
                {"id": "solved", "type": "yesno", "means": "resolution", "text": "Löst?"},
                {
                    "id": "reason",
                    "type": "choice",
                    "text": "Varför? 1 Fråga 2 Ansökan 3 Klagomål",
                    "options": [
                        {"id": "question", "label": "Fråga"},
                        {"id": "application", "label": "Ansökan"},
                        {"id": "complaint", "label": "Klagomål"},
                    ],
                },
                {
                    "id": "why",
                    "type": "text",
                    "optional": True,
                    "when": "csat <= 2 or solved == no",
                    "text": "Vad kunde vi göra bättre?",
                },
            ],
        }
    )
    contact = _flow(
        {
            "id": "contact",
            "questions": [
                {
                    "id": "ces",
                    "type": "scale",
                    "preset": "ces",
                    "text": "Lätt? 1-7",
                    "label": {"sv": "Lätt att få hjälp", "fi": "Avun helppous", "en": "Ease"},
                },
                {
                    "id": "solved",
                    "type": "yesno",
                    "means": "resolution",
                    "text": "Löst?",
                    "label": {"sv": "Löst direkt", "fi": "Hoitui kerralla", "en": "Resolved"},
                },
                {
                    "id": "web_first",
                    "type": "yesno",
                    "text": "Webben först?",
                    "label": {"sv": "Webben först", "fi": "Verkko ensin", "en": "Web first"},
                },
            ],
        }
    )
    recommend = _flow(
        {
            "id": "recommend",
            "questions": [
                {"id": "nps", "type": "scale", "preset": "nps", "text": "Rekommendera? 0-10"},
                {"id": "note", "type": "info", "text": "Svaren kopplas inte till dig."},
                {"id": "staff", "type": "scale", "min": 1, "max": 5, "text": "Personalen? 1-5"},
                {"id": "comment", "type": "text", "optional": True, "text": "Något mer?"},
            ],
        }
    )
    return {flow.id: flow for flow in (visit, contact, recommend)}


@dataclass
class Message:
    direction: str
    purpose: str
    status: str
    question_id: str | None = None
    segments: int | None = None
    price: float | None = None
    currency: str | None = None
    at: datetime = START


@dataclass
class Answer:
    question_id: str
    kind: str
    value: int | str | None
    problem: str | None = None
    comment: str | None = None
    at: datetime = START


@dataclass
class Conversation:
    id: str
    flow_id: str
    unit: str
    service: str
    channel: str
    language: str
    attributes: dict[str, object]
    created_at: datetime
    status: str = "active"
    first_reply_at: datetime | None = None
    ended_at: datetime | None = None
    messages: list[Message] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    trial: bool = False

    def understood(self, question_id: str) -> Answer | None:
        found = [a for a in self.answers if a.question_id == question_id and a.problem is None]
        return found[-1] if found else None


@dataclass
class Event:
    id: int
    flow_id: str
    unit: str
    service: str
    channel: str
    language: str
    attributes: dict[str, object]
    received_at: datetime
    decision: str
    reason: str
    conversation_id: str | None = None
    trial: bool = False


@dataclass
class Dataset:
    flows: dict[str, Flow]
    conversations: list[Conversation]
    events: list[Event]
    loose_messages: list[Message]  # help texts to unknown numbers: no conversation


def _attributes(rng: random.Random) -> dict[str, object]:
    attributes: dict[str, object] = {"age_group": rng.choice(AGE_GROUPS)}
    wait = int(rng.expovariate(1 / 240))
    roll = rng.random()
    if roll < 0.70:
        attributes["wait_seconds"] = wait
    elif roll < 0.82:
        attributes["wait_seconds"] = str(wait)  # some systems send numbers as text
    elif roll < 0.86:
        attributes["wait_seconds"] = "n/a"
    return attributes


def _wait(attributes: dict[str, object]) -> float | None:
    value = attributes.get("wait_seconds")
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str) and value.isdigit():
        return float(value)
    return None


class _Builder:
    def __init__(self, seed: int, trial: bool = False) -> None:
        self.rng = random.Random(seed)
        self.flows = flows()
        self.conversations: list[Conversation] = []
        self.events: list[Event] = []
        self.trial = trial

    def out(self, conv: Conversation, purpose: str, at: datetime, qid: str | None = None) -> None:
        rng = self.rng
        status = rng.choices(("delivered", "sent", "queued"), (90, 8, 2))[0]
        segments = rng.choice((1, 1, 1, 2))
        price = None if rng.random() < 0.05 else round(0.0575 * segments, 4)
        currency = rng.choice(("EUR", "EUR", "EUR", "SEK")) if price is not None else None
        if currency == "SEK" and price is not None:
            price = round(price * 11, 4)
        conv.messages.append(Message("out", purpose, status, qid, segments, price, currency, at))

    def event(self, i: int, unit: str, received: datetime) -> Event:
        rng = self.rng
        roll = rng.random()
        decision, reason = "started", "now"
        if roll < 0.14:
            decision, reason = "skipped", rng.choice(SKIP_REASONS)
        elif roll < 0.18:
            decision, reason = "scheduled", "quiet_hours"
        return Event(
            id=i + 1 + (TRIAL_EVENT_IDS if self.trial else 0),
            flow_id=rng.choice(sorted(self.flows)),
            unit=unit,
            service=SERVICES[unit],
            channel=rng.choice(CHANNELS),
            language=rng.choices(LANGUAGES, (5, 4, 1))[0],
            attributes=_attributes(rng),
            received_at=received,
            decision=decision,
            reason=reason,
            trial=self.trial,
        )

    def conversation(self, event: Event) -> Conversation:
        created = event.received_at + timedelta(seconds=self.rng.randint(0, 600))
        conv = Conversation(
            id=f"{'trial' if self.trial else 'conv'}-{len(self.conversations):05d}",
            flow_id=event.flow_id,
            unit=event.unit,
            service=event.service,
            channel=event.channel,
            language=event.language,
            attributes=event.attributes,
            created_at=created,
            trial=self.trial,
        )
        event.conversation_id = conv.id
        self.conversations.append(conv)
        self.run(conv)
        return conv

    def run(self, conv: Conversation) -> None:
        rng = self.rng
        if rng.random() < 0.07:
            conv.messages.append(Message("out", "opening", "failed", at=conv.created_at))
            conv.status, conv.ended_at = "undeliverable", conv.created_at + timedelta(minutes=5)
            return
        self.out(conv, "opening", conv.created_at)
        recent = conv.created_at > NOW - timedelta(days=3)
        reply_rate = 0.35 if conv.unit == "Kontaktcenter" else 0.5
        if rng.random() >= reply_rate:
            self.out(conv, "question", conv.created_at, self.flows[conv.flow_id].questions[0].id)
            if not recent:
                conv.status, conv.ended_at = "expired", conv.created_at + timedelta(hours=48)
            return
        delay = int(rng.expovariate(1 / 4000)) + rng.randint(5, 60)
        if rng.random() < 0.06:  # the next day
            delay = rng.randint(80_000, 150_000)
        conv.first_reply_at = conv.created_at + timedelta(seconds=delay)
        self.answer_all(conv, recent)

    def answer_all(self, conv: Conversation, recent: bool) -> None:
        rng = self.rng
        flow = self.flows[conv.flow_id]
        at = conv.created_at
        values: dict[str, int | str] = {}
        for index, question in enumerate(flow.questions):
            if question.id == "why" and not _needs_why(values):
                continue
            self.out(conv, "info" if question.kind.value == "info" else "question", at, question.id)
            if question.kind.value == "info":
                continue
            at = conv.first_reply_at if index == 0 and conv.first_reply_at else at
            if index > 0 and rng.random() < 0.09:
                if recent and rng.random() < 0.5:
                    return  # still waiting for the reply
                conv.status = "opted_out" if rng.random() < 0.3 else "expired"
                conv.ended_at = at + timedelta(hours=48 if conv.status == "expired" else 1)
                if conv.status == "opted_out":
                    conv.messages.append(Message("in", "reply", "received", at=conv.ended_at))
                    self.cancelled_next(conv, flow, index)
                return
            if index == 0 and rng.random() < 0.04:  # STOP as the very first reply
                conv.messages.append(Message("in", "reply", "received", at=at))
                conv.status, conv.ended_at = "opted_out", at
                return
            at = self.reply(conv, question.id, question.kind.value, values, at)
        self.out(conv, "closing", at)
        conv.status, conv.ended_at = "completed", at

    def cancelled_next(self, conv: Conversation, flow: Flow, index: int) -> None:
        """Sometimes the next question was already queued when STOP came: it is cancelled."""
        if index + 1 < len(flow.questions) and self.rng.random() < 0.5:
            nxt = flow.questions[index + 1].id
            at = conv.ended_at or conv.created_at
            conv.messages.append(Message("out", "question", "cancelled", nxt, 1, at=at))

    def reply(
        self, conv: Conversation, qid: str, kind: str, values: dict[str, int | str], at: datetime
    ) -> datetime:
        rng = self.rng
        conv.messages.append(Message("in", "reply", "received", at=at))
        if rng.random() < 0.1:
            conv.answers.append(Answer(qid, kind, None, problem="not_understood", at=at))
            self.out(conv, "retry", at, qid)
            at += timedelta(seconds=rng.randint(10, 300))
            conv.messages.append(Message("in", "reply", "received", at=at))
        value = self.value(conv, qid, values)
        values[qid] = value
        comment = "kön var lång" if kind == "scale" and rng.random() < 0.08 else None
        conv.answers.append(Answer(qid, kind, value, comment=comment, at=at))
        return at + timedelta(seconds=rng.randint(10, 900))

    def value(self, conv: Conversation, qid: str, values: dict[str, int | str]) -> int | str:
        rng = self.rng
        wait = _wait(conv.attributes) or 200.0
        if qid == "csat":
            return max(1, min(5, round(5.2 - wait / 250 + rng.gauss(0, 0.9))))
        if qid == "ces":
            return max(1, min(7, round(6.5 - wait / 200 + rng.gauss(0, 1.2))))
        if qid == "nps":
            return max(0, min(10, round(8.5 - wait / 200 + rng.gauss(0, 2))))
        if qid == "staff":
            return rng.randint(2, 5)
        if qid == "solved":
            high = int(values.get("csat", values.get("ces", 4)))
            return "yes" if rng.random() < (0.85 if high >= 4 else 0.4) else "no"
        if qid == "web_first":
            return rng.choice(("yes", "no"))
        if qid == "reason":
            return rng.choices(("question", "application", "complaint"), (6, 3, 1))[0]
        return rng.choice(("personalen var trevlig", "lång väntan", "bra", "hälsade inte"))


def _needs_why(values: dict[str, int | str]) -> bool:
    csat = values.get("csat")
    return (isinstance(csat, int) and csat <= 2) or values.get("solved") == "no"


def generate(seed: int = 20261123, surveys: int = 3000, *, trial: bool = False) -> Dataset:
    """About `surveys` events over four units in DAYS days, plus TINY_UNIT with 4 surveys;
    with `trial`, every event and conversation is a trial (ids and numbers of their own)."""
    builder = _Builder(seed, trial)
    rng = builder.rng
    i = 0
    while sum(1 for e in builder.events if e.decision == "started") < surveys:
        unit = rng.choices(UNITS, (4, 3, 5, 2))[0]
        received = START + timedelta(seconds=rng.randint(0, DAYS * 86400))
        event = builder.event(i, unit, received)
        builder.events.append(event)
        if event.decision == "started":
            builder.conversation(event)
        i += 1
    for n in range(6):  # the tiny unit: 4 surveys and 2 skipped events
        event = builder.event(i, TINY_UNIT, START + timedelta(days=10 + n))
        event.decision, event.reason = ("started", "now") if n < 4 else ("skipped", "fatigue")
        builder.events.append(event)
        if event.decision == "started":
            builder.conversation(event)
        i += 1
    loose = [Message("out", "help", "delivered", None, 1, 0.0575, "EUR") for _ in range(7)]
    return Dataset(builder.flows, builder.conversations, builder.events, loose)


# --- writing -------------------------------------------------------------------------------------


async def write(conn: aiosqlite.Connection, data: Dataset) -> None:
    """Insert everything with plain SQL, in one transaction."""
    await conn.execute("BEGIN")
    await _insert(conn, data)
    await conn.commit()


def database_with(path: Path, data: Dataset) -> Path:
    """A new database file at `path` (migrated by smsbot itself) holding `data`."""

    async def fill() -> None:
        db = await open_database(path)
        try:
            await write(db.conn, data)
        finally:
            await db.close()

    asyncio.run(fill())
    return path


async def write_through(db: Database, data: Dataset) -> None:
    """Insert everything as one of a running gateway's own transactions, so that its periodic
    jobs, which share the connection, never find a transaction of ours open."""
    async with db.transaction() as conn:
        await _insert(conn, data)


async def _insert(conn: aiosqlite.Connection, data: Dataset) -> None:
    await conn.executemany(
        "INSERT OR IGNORE INTO flow_versions (flow_id, version, definition, first_seen)"
        " VALUES (?, ?, ?, ?)",
        [(f.id, f.version, json.dumps(dict(f.source)), ts(START)) for f in data.flows.values()],
    )
    event_ids = {e.conversation_id: e.id for e in data.events if e.conversation_id}
    await conn.executemany(
        _INSERT_CONVERSATION,
        [
            _conversation_row(i, c, data, event_ids.get(c.id))
            for i, c in enumerate(data.conversations)
        ],
    )
    await conn.executemany(_INSERT_EVENT, [_event_row(e) for e in data.events])
    messages, answers = [], []
    for i, conv in enumerate(data.conversations):
        phone = _phone(i, conv)
        messages += [_message_row(conv.id, phone, m) for m in conv.messages]
        version = data.flows[conv.flow_id].version
        answers += [_answer_row(conv, version, a) for a in conv.answers]
    messages += [_message_row(None, "+46709999999", m) for m in data.loose_messages]
    await conn.executemany(_INSERT_MESSAGE, messages)
    await conn.executemany(_INSERT_ANSWER, answers)


_INSERT_CONVERSATION = (
    "INSERT INTO conversations (id, flow_id, flow_version, phone, respondent, sender, language,"
    " status, step, state, event_id, unit, service, channel, attributes, created_at, updated_at,"
    " first_reply_at, ended_at, trial)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, '{}', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EVENT = (
    "INSERT INTO events (id, source, source_id, type, occurred_at, received_at, phone, respondent,"
    " unit, service, channel, language, attributes, flow_id, decision, reason, conversation_id,"
    " answer, trial)"
    " VALUES (?, 'test', ?, 'visit.done', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?)"
)


def _phone(i: int, c: Conversation) -> str:
    """A number of its own for a trial dataset's conversation (whether marked trial or not)."""
    return f"{TRIAL_PHONE_PREFIX if c.id.startswith('trial') else PHONE_PREFIX}{i:05d}"


_INSERT_MESSAGE = (
    "INSERT INTO messages (conversation_id, direction, phone, body, purpose, question_id,"
    " segments, status, price, currency, created_at, updated_at)"
    " VALUES (?, ?, ?, 'text', ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_ANSWER = (
    "INSERT INTO answers (conversation_id, flow_id, flow_version, question_id, kind, value_num,"
    " value_text, raw_text, comment, problem, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _conversation_row(
    i: int, c: Conversation, data: Dataset, event_id: int | None
) -> tuple[object, ...]:
    return (
        c.id,
        c.flow_id,
        data.flows[c.flow_id].version,
        _phone(i, c),
        f"resp-{'t' if c.id.startswith('trial') else ''}{i}",
        "+46700000000",
        c.language,
        c.status,
        event_id,
        c.unit,
        c.service,
        c.channel,
        json.dumps(c.attributes, ensure_ascii=False),
        ts(c.created_at),
        ts(c.ended_at or c.created_at),
        ts(c.first_reply_at) if c.first_reply_at else None,
        ts(c.ended_at) if c.ended_at else None,
        int(c.trial),
    )


def _event_row(e: Event) -> tuple[object, ...]:
    return (
        e.id,
        f"src-{e.id}",
        ts(e.received_at - timedelta(minutes=5)),
        ts(e.received_at),
        f"{PHONE_PREFIX}9{e.id:04d}",
        f"resp-e{e.id}",
        e.unit,
        e.service,
        e.channel,
        e.language,
        json.dumps(e.attributes, ensure_ascii=False),
        e.flow_id,
        e.decision,
        e.reason,
        e.conversation_id,
        int(e.trial),
    )


def _message_row(conversation_id: str | None, phone: str, m: Message) -> tuple[object, ...]:
    return (
        conversation_id,
        m.direction,
        phone,
        m.purpose,
        m.question_id,
        m.segments if m.direction == "out" else None,
        m.status,
        m.price,
        m.currency,
        ts(m.at),
        ts(m.at),
    )


def _answer_row(c: Conversation, version: str, a: Answer) -> tuple[object, ...]:
    num = float(a.value) if isinstance(a.value, int) else None
    text = a.value if isinstance(a.value, str) else None
    return (
        c.id,
        c.flow_id,
        version,
        a.question_id,
        a.kind,
        num,
        text,
        str(a.value) if a.value is not None else "hmm",
        a.comment,
        a.problem,
        ts(a.at),
    )


AVOIDABLE_WHEN = "web_first == yes and ces >= 5"


def marked_flows(flows: Mapping[str, Flow]) -> dict[str, Flow]:
    """The generated flows with avoidable demand marked: visit's option "question"
    (`avoidable: true`) and contact's `avoidable_when: AVOIDABLE_WHEN`. Reports read answers
    by flow and question id, so they read the generated data through these as well."""
    visit = json.loads(json.dumps(dict(flows["visit"].source)))
    for option in next(q for q in visit["questions"] if q["id"] == "reason")["options"]:
        option["avoidable"] = option["id"] == "question"
    contact = {**flows["contact"].source, "avoidable_when": AVOIDABLE_WHEN}
    return {**flows, "visit": _flow(visit), "contact": _flow(contact)}
