"""The provider's circuit as a table: what happened when, and what the sender may do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smsbot.gateway.circuit import CircuitSettings, ProviderCircuit, about_the_provider
from smsbot.providers.base import SendError

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SETTINGS = CircuitSettings(
    opens_after=3, first_probe=timedelta(seconds=5), max_probe=timedelta(seconds=30)
)

# steps: (seconds after T0, what happened: "fail" | "ok" | "probe" | "ask"), expected: what
# `ask` (allowance) answers at that moment, in order
CASES = [
    ("closed: no limit", [(0, "ask")], [None]),
    ("two failures leave it closed", [(0, "fail"), (1, "fail"), (2, "ask")], [None]),
    (
        "a success resets the count",
        [(0, "fail"), (1, "fail"), (2, "ok"), (3, "fail"), (4, "ask")],
        [None],
    ),
    (
        "three in a row open it: nothing until the first probe",
        [(0, "fail"), (0, "fail"), (0, "fail"), (4, "ask"), (5, "ask")],
        [0, 1],
    ),
    ("one probe at a time", [(0, "fail"), (0, "fail"), (0, "fail"), (5, "probe"), (6, "ask")], [0]),
    (
        "a failed probe doubles the wait",
        [
            (0, "fail"),
            (0, "fail"),
            (0, "fail"),
            (5, "probe"),
            (5, "fail"),
            (14, "ask"),
            (15, "ask"),
        ],
        [0, 1],
    ),
    (
        "the wait grows to its cap",
        [
            (0, "fail"),
            (0, "fail"),
            (0, "fail"),
            (5, "probe"),
            (5, "fail"),
            (15, "probe"),
            (15, "fail"),
            (35, "probe"),
            (35, "fail"),
            (64, "ask"),
            (65, "ask"),
        ],
        [0, 1],
    ),
    (
        "an answer closes it",
        [(0, "fail"), (0, "fail"), (0, "fail"), (5, "probe"), (5, "ok"), (6, "ask")],
        [None],
    ),
]


@pytest.mark.parametrize(("steps", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_circuit_opens_probes_and_closes(
    steps: list[tuple[int, str]], expected: list[int | None]
) -> None:
    circuit, asked = ProviderCircuit(SETTINGS), []
    for seconds, what in steps:
        now = T0 + timedelta(seconds=seconds)
        if what == "fail":
            circuit.failed(now)
        elif what == "ok":
            circuit.answered(now)
        elif what == "probe":
            assert circuit.allowance(now) == 1
            circuit.probing()
        else:
            asked.append(circuit.allowance(now))
    assert asked == expected


def test_it_says_when_it_opened_and_how_long_it_was_down() -> None:
    circuit = ProviderCircuit(SETTINGS)
    opened = [circuit.failed(T0) for _ in range(4)]
    assert opened == [False, False, True, False]
    assert circuit.answered(T0 + timedelta(minutes=30)) == timedelta(minutes=30)
    assert circuit.answered(T0 + timedelta(minutes=31)) is None


@pytest.mark.parametrize(
    ("code", "retryable", "provider"),
    [
        ("timeout", True, True),
        ("connection", True, True),
        ("http_5xx", True, True),
        ("http_429", True, True),
        ("throttled", True, True),
        ("auth", False, True),  # refused credentials: no message can go
        ("invalid_number", False, False),
        ("rejected", False, False),
    ],
)
def test_what_is_about_the_provider_and_what_about_the_message(
    code: str, retryable: bool, provider: bool
) -> None:
    assert about_the_provider(SendError("x", retryable=retryable, code=code)) is provider
