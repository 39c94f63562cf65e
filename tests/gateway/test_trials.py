"""Trials: conversations and events that try a flow, marked where they are made.

`smsbot chat` and the web phone simulator make trials; a service event with `"trial": true`
starts at once (no delay, quiet hours or maximum age; opt-out and busy still hold; fatigue
neither applies to it nor counts it), and says so in its answer and its log line. A migration
marks what older versions stored.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from click.testing import CliRunner

from smsbot.bootstrap.parts import Parts, database_of, open_parts
from smsbot.cli import events
from smsbot.config import Config
from smsbot.domain import ServiceEvent
from smsbot.gateway.chat import run_chat
from smsbot.gateway.intake import Intake
from smsbot.gateway.policy import Decision, History, decide
from smsbot.gateway.runner import sending_rules
from smsbot.gateway.service_events import EventError, parse_event
from smsbot.http.openapi.document import openapi_document
from smsbot.metrics import Metrics
from smsbot.storage.sqlite import schema
from smsbot.storage.sqlite.db import open_database
from tests.conftest import ROOT, ManualClock
from tests.gateway.test_policy import RULES, flow
from tests.harness import gateway_env, running_gateway, signed_in

CITIZEN = "+46701740642"
# 23:30 in Stockholm on a November evening (CET, UTC+1): inside every shipped flow's quiet hours.
LATE = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)


def event(**changes: Any) -> dict[str, Any]:
    return {
        "id": "call-1",
        "type": "contact.closed",
        "phone": CITIZEN,
        "occurred_at": "2026-11-23T10:15:00+01:00",
        "unit": "Kontaktcenter Örebro",
        "service": "Bygglov",
        "channel": "phone",
        **changes,
    }


# --- the field -------------------------------------------------------------------------------


def parse(data: dict[str, Any], now: datetime = LATE) -> ServiceEvent:
    return parse_event(
        data, source="demo", default_region="SE", known_types={"contact.closed"}, now=now
    )


@pytest.mark.parametrize(
    ("value", "trial"),
    [(True, True), (False, False), (None, False), ("true", True), ("FALSE", False)],
)
def test_trial_is_an_optional_boolean(value: object, trial: bool) -> None:
    """JSON true/false; the words true/false too, since a CSV cell has no type."""
    assert parse(event(trial=value)).trial is trial
    assert parse(event()).trial is False


@pytest.mark.parametrize("value", ["yes", 1, 0, "", [], {"a": 1}])
def test_a_trial_that_is_not_true_or_false_is_refused(value: object) -> None:
    with pytest.raises(EventError) as refused:
        parse(event(trial=value))
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("trial", "expected true or false")
    ]


def test_the_field_is_documented() -> None:
    document = openapi_document()
    event_schema = document["components"]["schemas"]["ServiceEvent"]
    assert event_schema["properties"]["trial"]["type"] == "boolean"
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "| `trial` | no |" in readme


# --- the decision ----------------------------------------------------------------------------

TRIAL_AT_NIGHT = ServiceEvent(
    source="crm",
    source_id="1",
    type="call_closed",
    phone=CITIZEN,
    occurred_at=LATE - timedelta(days=3),  # too old for a real survey
    unit="u",
    service="s",
    trial=True,
)
NONE = History(opted_out=False, active_conversation=False, last_surveyed_at=None)


@pytest.mark.parametrize(
    ("history", "schedule", "expected"),
    [
        (NONE, {}, Decision("start", "trial", None)),
        (NONE, {"delay_seconds": 7 * 86400}, Decision("start", "trial", None)),
        (NONE, {"quiet_start": "00:00", "quiet_end": "23:59"}, Decision("start", "trial", None)),
        (History(False, False, LATE - timedelta(hours=1)), {}, Decision("start", "trial", None)),
        (History(True, False, None), {}, Decision("skip", "opted_out", None)),
        (History(False, True, None), {}, Decision("skip", "busy", None)),
    ],
    ids=["quiet hours and too old", "delay", "flow quiet hours", "fatigue", "opted out", "busy"],
)
def test_a_trial_skips_delay_quiet_hours_age_and_fatigue_but_not_stop_or_busy(
    history: History, schedule: dict[str, object], expected: Decision
) -> None:
    assert decide(TRIAL_AT_NIGHT, flow(**schedule), RULES, history, LATE) == expected


def test_the_same_event_without_trial_keeps_every_rule() -> None:
    real = ServiceEvent(**{**TRIAL_AT_NIGHT.__dict__, "trial": False})
    assert decide(real, flow(), RULES, NONE, LATE) == Decision("skip", "too_old", None)


# --- at the service, at 23:30 Swedish time ------------------------------------------------------


@pytest.fixture
def late() -> ManualClock:
    return ManualClock(LATE)


@pytest.fixture
async def late_parts(config: Config, late: ManualClock) -> Any:
    opened = await open_parts(config, clock=late)
    yield opened
    await opened.close()


def intake_of(parts: Parts) -> Intake:
    config = parts.config
    return Intake(
        parts.surveys, sending_rules(config), Metrics(), sender_number=config.vonage.from_number
    )


async def rows(parts: Parts, sql: str, *args: object) -> list[dict[str, Any]]:
    async with database_of(parts).conn.execute(sql, args) as cur:
        return [dict(row) for row in await cur.fetchall()]


async def test_at_2330_a_trial_starts_at_once_and_the_same_real_event_waits(
    late_parts: Parts,
) -> None:
    intake = intake_of(late_parts)
    occurred = LATE.isoformat()
    real = parse(event(id="real-1", phone="+46701740643", occurred_at=occurred))
    trial = parse(event(id="trial-1", occurred_at=occurred, trial=True))
    with structlog.testing.capture_logs() as logs:
        answers = await intake.submit([real, trial])
        repeated = await intake.submit([trial])
    assert answers[0] == {
        "id": "real-1",
        "decision": "scheduled",
        "reason": "quiet_hours",
        "due_at": "2026-11-24T07:00:00.000+00:00",  # 08:00 in Stockholm
    }
    conversation_id = answers[1].pop("conversation_id")
    assert answers[1] == {"id": "trial-1", "decision": "started", "reason": "trial", "trial": True}
    assert repeated == [{**answers[1], "conversation_id": conversation_id, "repeated": True}]
    decided = [(e["event"], e.get("trial")) for e in logs if e["event"].startswith("event_")]
    assert decided == [
        ("event_scheduled", None),
        ("event_started", True),
        ("event_repeated", True),
    ]
    [stored] = await rows(late_parts, "SELECT trial, status FROM conversations")
    assert stored == {"trial": 1, "status": "active"}
    events = await rows(late_parts, "SELECT source_id, trial, conversation_id FROM events")
    assert events == [
        {"source_id": "real-1", "trial": 0, "conversation_id": None},
        {"source_id": "trial-1", "trial": 1, "conversation_id": conversation_id},
    ]
    sql = "SELECT due_at FROM messages WHERE conversation_id = ? AND purpose = 'opening'"
    assert await rows(late_parts, sql, conversation_id) == [
        {"due_at": "2026-11-23T22:30:00.000+00:00"}  # now, not at 08:00
    ]


async def end(parts: Parts, answer: dict[str, object]) -> None:
    """The conversation expires unanswered (so the number is not busy any more)."""
    conversation_id = str(answer["conversation_id"])
    [row] = await rows(parts, "SELECT step FROM conversations WHERE id = ?", conversation_id)
    assert await parts.surveys.expire(conversation_id, row["step"])


async def test_trials_and_fatigue(late_parts: Parts, late: ManualClock) -> None:
    """A trial does not count towards fatigue, and fatigue does not hold a trial back."""
    intake = intake_of(late_parts)
    late.moment = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm

    def daytime(**changes: Any) -> ServiceEvent:
        return parse(event(occurred_at="2026-11-24T09:00:00+01:00", **changes), late.moment)

    [tried] = await intake.submit([daytime(id="t1", trial=True)])
    await end(late_parts, tried)
    [real] = await intake.submit([daytime(id="r1")])
    assert (real["decision"], real["reason"]) == ("started", "now")
    await end(late_parts, real)
    [again_real] = await intake.submit([daytime(id="r2")])
    assert (again_real["decision"], again_real["reason"]) == ("skipped", "fatigue")
    [again_trial] = await intake.submit([daytime(id="t2", trial=True)])
    assert (again_trial["decision"], again_trial["reason"]) == ("started", "trial")


async def test_a_trial_event_still_honours_stop(late_parts: Parts) -> None:
    intake = intake_of(late_parts)
    [first] = await intake.submit([parse(event(id="t1", trial=True))])
    await late_parts.surveys.receive(CITIZEN, "STOPP")
    [second] = await intake.submit([parse(event(id="t2", trial=True))])
    assert second == {"id": "t2", "decision": "skipped", "reason": "opted_out", "trial": True}
    assert first["decision"] == "started"


# --- where trials are made ---------------------------------------------------------------------


async def test_smsbot_chat_makes_a_trial(parts: Parts) -> None:
    flow_ = parts.catalog.get("contact-centre")
    assert flow_ is not None
    said: list[str] = []
    status = await run_chat(
        parts,
        flow_,
        phone="+46709876543",
        language="sv",
        fields={"unit": "Kontaktcenter"},
        lines=iter(["4\n"]),
        echo=said.append,
        echo_replies=False,
    )
    assert status == 0
    assert await rows(parts, "SELECT trial, channel FROM conversations") == [
        {"trial": 1, "channel": "sms"}
    ]


ADMIN = "trial-admin-token-8"


async def test_the_web_simulator_makes_a_trial(tmp_path: Path, clock: ManualClock) -> None:
    env = gateway_env(
        tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=ADMIN, SMSBOT_TRANSPORT__KIND="simulator"
    )
    async with (
        running_gateway(env, clock) as gw,
        signed_in(gw.url, ADMIN, "/ui/simulator") as (browser, csrf),
    ):
        form = {"csrf_token": csrf, "flow": "health-visit", "language": "sv", "unit": "Kuhmo"}
        async with browser.post(gw.url + "/ui/simulator/start", data=form) as answer:
            assert answer.status == 200
        assert await gw.query("SELECT trial FROM conversations") == [{"trial": 1}]


async def test_an_event_over_http_with_trial(tmp_path: Path, clock: ManualClock) -> None:
    env = gateway_env(tmp_path, SMSBOT_TRANSPORT__KIND="simulator")
    async with running_gateway(env, clock) as gw:
        old = "2026-11-20T10:15:00+01:00"  # too old for a real survey
        status, body = await gw.post_events(
            [event(trial=True, occurred_at=old), event(id="call-2", trial="x", occurred_at=old)]
        )
        assert status == 400
        assert body["errors"] == [
            {"index": 1, "field": "trial", "message": "expected true or false"}
        ]
        status, body = await gw.post_events(event(trial=True, occurred_at=old))
        assert status == 202 and body["results"][0]["trial"] is True
        assert body["results"][0]["reason"] == "trial"
        status, body = await gw.post_events(
            event(id="call-3", phone="+46701740643", occurred_at=old)
        )
        assert body["results"][0]["reason"] == "too_old" and "trial" not in body["results"][0]


def test_events_import_takes_a_trial_column(config: Config, tmp_path: Path) -> None:
    csv_file = tmp_path / "events.csv"
    csv_file.write_text(
        "id,type,phone,occurred_at,unit,service,trial\n"
        "1,contact.closed,+46701740642,2026-01-23T10:15:00+01:00,Akuten,Bygglov,true\n"
        "2,contact.closed,+46701740643,2026-01-23T10:15:00+01:00,Akuten,Bygglov,\n"
        "3,contact.closed,+46701740644,2026-01-23T10:15:00+01:00,Akuten,Bygglov,ja\n",
        "utf-8",
    )
    result = CliRunner().invoke(events, ["import", str(csv_file)], obj=config)
    assert f"{csv_file}:4: trial: expected true or false" in result.output

    async def stored() -> list[tuple[str, int]]:
        db = await open_database(config.database.path)
        try:
            async with db.conn.execute("SELECT source_id, trial FROM events") as cur:
                return [(row[0], row[1]) for row in await cur.fetchall()]
        finally:
            await db.close()

    assert asyncio.run(stored()) == [("1", 1), ("2", 0)]


# --- the migration ---------------------------------------------------------------------------

BEFORE = schema.MIGRATIONS[: schema.MIGRATIONS.index(schema.TRIALS)]
T0 = "2026-10-01T08:00:00.000+00:00"

# conversation id: (phone, channel, started by event id or None, expected trial)
OLD_CONVERSATIONS = {
    "c-event": ("+46701111111", "phone", "e-1", 0),
    "c-scheduled": ("+46701111112", "visit", "e-2", 0),
    "c-purged": (None, "phone", "e-3", 0),
    "c-chat": ("+46701740650", "sms", None, 1),
    "c-chat-own-phone": ("+46709876543", "sms", None, 1),
    "c-simulator": ("+46701740677", "simulator", None, 1),
    "c-purged-trial": (None, "sms", None, 1),
    "c-quick-start": ("+46701740642", "phone", "e-4", 1),
}
# event id: (phone, decision, expected trial)
OLD_EVENTS = {
    "e-1": ("+46701111111", "started", 0),
    "e-2": ("+46701111112", "started", 0),
    "e-3": (None, "started", 0),
    "e-4": ("+46701740642", "started", 1),  # the README's quick start, on a fictional number
    "e-5": ("+46701111113", "skipped", 0),
    "e-6": ("+46701740699", "skipped", 1),
    "e-7": ("+46701740604", "skipped", 0),  # just below the range set aside for fiction
}


@pytest.fixture
def old_database(tmp_path: Path) -> Path:
    """A database made by the migrations before trials, with rows in it."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for script in BEFORE:
        conn.executescript(script)
    conn.execute(f"PRAGMA user_version = {len(BEFORE)}")
    conn.execute("INSERT INTO flow_versions VALUES ('contact-centre', 'v1', '{}', ?)", (T0,))
    started_by = {}
    for cid, (phone, channel, event_id, _) in OLD_CONVERSATIONS.items():
        conn.execute(
            "INSERT INTO conversations (id, flow_id, flow_version, phone, respondent, language,"
            " status, step, state, unit, service, channel, created_at, updated_at)"
            " VALUES (?, 'contact-centre', 'v1', ?, ?, 'sv', 'completed', 3, '{}', 'Akuten',"
            " 'Bygglov', ?, ?, ?)",
            (cid, phone, f"r-{cid}", channel, T0, T0),
        )
        if event_id:
            started_by[event_id] = cid
    for eid, (phone, decision, _) in OLD_EVENTS.items():
        conn.execute(
            "INSERT INTO events (source, source_id, type, occurred_at, received_at, phone,"
            " respondent, unit, service, flow_id, decision, reason, conversation_id, answer)"
            " VALUES ('demo', ?, 'contact.closed', ?, ?, ?, 'r', 'Akuten', 'Bygglov',"
            " 'contact-centre', ?, 'now', ?, '{}')",
            (eid, T0, T0, phone, decision, started_by.get(eid)),
        )
    conn.commit()
    conn.close()
    return path


async def test_the_migration_marks_past_trials(old_database: Path) -> None:
    """A conversation no real service event started is a trial (chat and the simulator never
    had one), and so is anything on a number from the range set aside for fiction."""
    db = await open_database(old_database)
    try:
        assert await db.schema_version() == len(schema.MIGRATIONS)
        async with db.conn.execute("SELECT id, trial FROM conversations") as cur:
            conversations = {row[0]: row[1] for row in await cur.fetchall()}
        async with db.conn.execute("SELECT source_id, trial FROM events") as cur:
            events = {row[0]: row[1] for row in await cur.fetchall()}
    finally:
        await db.close()
    assert conversations == {cid: spec[3] for cid, spec in OLD_CONVERSATIONS.items()}
    assert events == {eid: spec[2] for eid, spec in OLD_EVENTS.items()}


def test_the_migration_leaves_the_report_with_the_real_ones(
    old_database: Path, tmp_path: Path
) -> None:
    from smsbot.cli.report import report
    from smsbot.config import DatabaseConfig, FlowsConfig, PrivacyConfig

    config = Config(
        database=DatabaseConfig(path=str(old_database)),
        flows=FlowsConfig(dir=str(ROOT / "flows")),
        privacy=PrivacyConfig(min_group_size=1),
    )
    out = CliRunner().invoke(report, ["--section", "funnel", "--format", "csv"], obj=config)
    figures = {line.split(",")[2]: line.split(",")[3] for line in out.output.splitlines()[1:]}
    assert (figures["events_received"], figures["surveys_sent"]) == ("5", "3")
    out = CliRunner().invoke(
        report, ["--section", "funnel", "--format", "csv", "--include-trials"], obj=config
    )
    figures = {line.split(",")[2]: line.split(",")[3] for line in out.output.splitlines()[1:]}
    assert (figures["events_received"], figures["surveys_sent"]) == ("7", "8")
