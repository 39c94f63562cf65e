from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsbot.domain import ServiceEvent
from smsbot.engine.model import Flow, Schedule, Text
from smsbot.gateway.policy import Decision, History, SendingRules, decide, next_allowed

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HELSINKI = ZoneInfo("Europe/Helsinki")
RULES = SendingRules(
    timezone="Europe/Stockholm",
    quiet_start="21:00",
    quiet_end="08:00",
    max_age_seconds=24 * 3600,
    fatigue_days=30,
)
CLEAN = History(opted_out=False, active_conversation=False, last_surveyed_at=None)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 13:00 in Stockholm (CET)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def flow(**schedule: object) -> Flow:
    text = Text({"sv": "x"})
    return Flow(
        id="f",
        version="1",
        title=text,
        languages=("sv",),
        triggers=("call_closed",),
        expires_after_seconds=86400,
        opening=text,
        closing=text,
        questions=(),
        schedule=Schedule(**schedule),  # type: ignore[arg-type]
    )


def event(occurred_at: datetime) -> ServiceEvent:
    return ServiceEvent(
        source="crm",
        source_id="1",
        type="call_closed",
        phone="+46701740642",
        occurred_at=occurred_at,
        unit="u",
        service="s",
    )


# --- history ---------------------------------------------------------------------------------


HISTORY_CASES = [
    (History(True, True, NOW), "opted_out"),
    (History(False, True, NOW), "busy"),
    (History(False, False, NOW - timedelta(days=29, hours=23)), "fatigue"),
]


@pytest.mark.parametrize(("history", "reason"), HISTORY_CASES)
def test_history_skips(history: History, reason: str) -> None:
    decision = decide(event(NOW), flow(), RULES, history, NOW)
    assert decision == Decision("skip", reason, None)


@pytest.mark.parametrize(
    ("last", "fatigue_days"),
    [(NOW - timedelta(days=30), 30), (NOW - timedelta(minutes=1), 0), (None, 30)],
)
def test_no_fatigue(last: datetime | None, fatigue_days: int) -> None:
    rules = replace(RULES, fatigue_days=fatigue_days)
    history = History(False, False, last)
    assert decide(event(NOW), flow(), rules, history, NOW) == Decision("start", "now", None)


# --- timing ----------------------------------------------------------------------------------

# (occurred_at, now, flow schedule, expected decision)
TIMING_CASES: list[tuple[str, datetime, datetime, dict[str, object], Decision]] = [
    ("right away", NOW - timedelta(minutes=10), NOW, {}, Decision("start", "now", None)),
    (
        "delay",
        utc(2026, 11, 23, 11, 50),
        NOW,
        {"delay_seconds": 3600},
        Decision("schedule", "delay", utc(2026, 11, 23, 12, 50)),
    ),
    (
        "delay already passed",
        utc(2026, 11, 23, 10, 0),
        NOW,
        {"delay_seconds": 3600},
        Decision("start", "now", None),
    ),
    (
        "event a little in the future",
        NOW + timedelta(minutes=3),
        NOW,
        {},
        Decision("schedule", "delay", NOW + timedelta(minutes=3)),
    ),
    (
        "23:00 local goes out at 08:00",
        utc(2026, 11, 23, 22, 0),
        utc(2026, 11, 23, 22, 0),
        {},
        Decision("schedule", "quiet_hours", utc(2026, 11, 24, 7, 0)),
    ),
    (
        "quiet hours start at 21:00",
        utc(2026, 11, 23, 20, 0),
        utc(2026, 11, 23, 20, 0),
        {},
        Decision("schedule", "quiet_hours", utc(2026, 11, 24, 7, 0)),
    ),
    (
        "06:00 local waits until 08:00 the same day",
        utc(2026, 11, 23, 5, 0),
        utc(2026, 11, 23, 5, 0),
        {},
        Decision("schedule", "quiet_hours", utc(2026, 11, 23, 7, 0)),
    ),
    (
        "quiet hours end at 08:00",
        utc(2026, 11, 23, 7, 0),
        utc(2026, 11, 23, 7, 0),
        {},
        Decision("start", "now", None),
    ),
    (
        "a delay into quiet hours",
        utc(2026, 11, 23, 19, 30),
        utc(2026, 11, 23, 19, 30),
        {"delay_seconds": 3600},
        Decision("schedule", "quiet_hours", utc(2026, 11, 24, 7, 0)),
    ),
    (
        "the flow's quiet hours and zone",
        utc(2026, 11, 23, 21, 30),  # 23:30 in Helsinki
        utc(2026, 11, 23, 21, 30),
        {"quiet_start": "22:00", "quiet_end": "07:00", "timezone": "Europe/Helsinki"},
        Decision("schedule", "quiet_hours", utc(2026, 11, 24, 5, 0)),
    ),
    (
        "the flow turns quiet hours off",
        utc(2026, 11, 23, 22, 0),
        utc(2026, 11, 23, 22, 0),
        {"quiet_start": "00:00", "quiet_end": "00:00"},
        Decision("start", "now", None),
    ),
    ("too old on arrival", NOW - timedelta(days=2), NOW, {}, Decision("skip", "too_old", None)),
    (
        "exactly the maximum age",
        NOW - timedelta(days=1),
        NOW,
        {},
        Decision("start", "now", None),
    ),
    (
        "too old after quiet hours (the flow's maximum age)",
        utc(2026, 11, 23, 22, 0),
        utc(2026, 11, 23, 22, 0),
        {"max_age_seconds": 3600},
        Decision("skip", "too_old", None),
    ),
    (
        "too old after the delay",
        utc(2026, 11, 23, 11, 0),
        utc(2026, 11, 23, 11, 0),
        {"delay_seconds": 7200, "max_age_seconds": 3600},
        Decision("skip", "too_old", None),
    ),
    (
        "Helsinki: a delay into a night that falls back (2026-10-25)",
        utc(2026, 10, 24, 20, 0),  # 23:00 EEST
        utc(2026, 10, 24, 20, 0),
        {"delay_seconds": 7200, "timezone": "Europe/Helsinki"},
        Decision("schedule", "quiet_hours", utc(2026, 10, 25, 6, 0)),  # 08:00 EET
    ),
    (
        "Stockholm: a delay across the spring change, no quiet hours",
        utc(2026, 3, 29, 0, 30),  # 01:30 CET
        utc(2026, 3, 29, 0, 30),
        {"delay_seconds": 3600, "quiet_start": "04:00", "quiet_end": "04:00"},
        Decision("schedule", "delay", utc(2026, 3, 29, 1, 30)),  # 03:30 CEST
    ),
]


@pytest.mark.parametrize(
    ("occurred_at", "now", "schedule", "expected"),
    [c[1:] for c in TIMING_CASES],
    ids=[c[0] for c in TIMING_CASES],
)
def test_timing(
    occurred_at: datetime, now: datetime, schedule: dict[str, object], expected: Decision
) -> None:
    assert decide(event(occurred_at), flow(**schedule), RULES, CLEAN, now) == expected


def test_an_event_in_another_offset() -> None:
    occurred = datetime.fromisoformat("2026-11-24T00:15:00+02:00")  # 23:15 in Stockholm
    decision = decide(event(occurred), flow(), RULES, CLEAN, occurred)
    assert decision == Decision("schedule", "quiet_hours", utc(2026, 11, 24, 7, 0))


# --- quiet hours -------------------------------------------------------------------------------

# (moment, quiet_start, quiet_end, zone, expected)
QUIET_CASES: list[tuple[str, datetime, str, str, ZoneInfo, datetime]] = [
    ("daytime", utc(2026, 11, 23, 12), "21:00", "08:00", STOCKHOLM, utc(2026, 11, 23, 12)),
    ("no quiet hours", utc(2026, 11, 23, 23), "08:00", "08:00", STOCKHOLM, utc(2026, 11, 23, 23)),
    ("lunch, in", utc(2026, 11, 23, 11, 30), "12:00", "13:00", STOCKHOLM, utc(2026, 11, 23, 12)),
    (
        "lunch, out",
        utc(2026, 11, 23, 12, 30),
        "12:00",
        "13:00",
        STOCKHOLM,
        utc(2026, 11, 23, 12, 30),
    ),
    (
        "Stockholm, spring forward",
        utc(2026, 3, 28, 22),  # 23:00 CET
        "21:00",
        "08:00",
        STOCKHOLM,
        utc(2026, 3, 29, 6),  # 08:00 CEST
    ),
    (
        "Stockholm, fall back",
        utc(2026, 10, 24, 21),  # 23:00 CEST
        "21:00",
        "08:00",
        STOCKHOLM,
        utc(2026, 10, 25, 7),  # 08:00 CET
    ),
    (
        "Helsinki, spring forward",
        utc(2026, 3, 28, 21),  # 23:00 EET
        "21:00",
        "08:00",
        HELSINKI,
        utc(2026, 3, 29, 5),  # 08:00 EEST
    ),
    (
        "Helsinki, fall back",
        utc(2026, 10, 24, 20),  # 23:00 EEST
        "21:00",
        "08:00",
        HELSINKI,
        utc(2026, 10, 25, 6),  # 08:00 EET
    ),
    (
        "Helsinki, after midnight of the spring change",
        utc(2026, 3, 29, 0, 30),  # 02:30 EET
        "21:00",
        "08:00",
        HELSINKI,
        utc(2026, 3, 29, 5),
    ),
    (
        "an end skipped by the spring change ends at the change",
        utc(2026, 3, 28, 23, 30),  # 00:30 CET; 02:30 does not exist that night
        "00:00",
        "02:30",
        STOCKHOLM,
        utc(2026, 3, 29, 1),  # 03:00 CEST
    ),
    (
        "an end that exists twice ends at the first",
        utc(2026, 10, 24, 22, 30),  # 00:30 CEST
        "00:00",
        "02:30",
        STOCKHOLM,
        utc(2026, 10, 25, 0, 30),  # the first 02:30 (CEST)
    ),
    (
        "in the repeated hour, after the first end: not moved back",
        utc(2026, 10, 25, 1, 10),  # 02:10 CET, the second time round
        "00:00",
        "02:30",
        STOCKHOLM,
        utc(2026, 10, 25, 1, 10),
    ),
]


@pytest.mark.parametrize(
    ("moment", "start", "end", "zone", "expected"),
    [c[1:] for c in QUIET_CASES],
    ids=[c[0] for c in QUIET_CASES],
)
def test_next_allowed(
    moment: datetime, start: str, end: str, zone: ZoneInfo, expected: datetime
) -> None:
    assert next_allowed(moment, start, end, zone) == expected


def test_next_allowed_keeps_the_moments_tzinfo() -> None:
    moment = datetime(2026, 11, 23, 23, 0, tzinfo=STOCKHOLM)
    moved = next_allowed(moment, "21:00", "08:00", STOCKHOLM)
    assert moved.tzinfo is STOCKHOLM
    assert (moved.day, moved.hour, moved.minute) == (24, 8, 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Europe/Nowhere"}, "unknown time zone: 'Europe/Nowhere'"),
        ({"quiet_start": "25:00"}, "not a time of day (HH:MM): '25:00'"),
        ({"quiet_end": "late"}, "not a time of day (HH:MM): 'late'"),
    ],
)
def test_rules_are_checked(change: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        replace(RULES, **change)  # type: ignore[arg-type]
    assert str(caught.value) == message


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    zone=st.sampled_from([STOCKHOLM, HELSINKI, ZoneInfo("Europe/London")]),
)
def test_next_allowed_is_never_earlier_nor_quiet(
    moment: datetime, start: time, end: time, zone: ZoneInfo
) -> None:
    moved = next_allowed(moment, start.strftime("%H:%M"), end.strftime("%H:%M"), zone)
    assert moved >= moment
    wall = moved.astimezone(zone).time()
    quiet = (
        (start <= wall < end) if start < end else (start > end and (wall >= start or wall < end))
    )
    # the second time round a fall-back hour, after the first end, is let through
    repeated_hour = moved == moment and moment.astimezone(zone).fold == 1
    assert not quiet or repeated_hour
    assert moved - moment <= timedelta(hours=25)
