"""Shared fixtures: a real configuration, a real SQLite file, a clock we move by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smsbot.bootstrap.parts import Parts, open_parts
from smsbot.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.suite_summary"]  # the fault and bad-input suite's summary lines
# Markers by folder, so that no test of these folders goes without one (see pyproject's markers).
MARKERS_BY_FOLDER = {"faults": "slow", "browser": "browser"}
# Single long tests elsewhere (over ten seconds on a quiet machine), kept out of `make check`.
SLOW_TESTS = {  # by name, every parameter of it
    "results/test_export.py::test_a_large_export_streams_in_constant_memory",
    # each waits out a provider time-out or an uncertain send's grace (about 2 s)
    "providers/test_transport.py::test_a_timed_out_send_may_still_go_out",
    "providers/test_gateway_vonage.py::test_a_restart_gives_an_uncertain_send_the_whole_grace_again",
    "providers/test_gateway_vonage.py::test_a_timed_out_send_without_a_receipt_goes_again_after_the_grace",
    "providers/test_gateway_vonage.py::test_a_timed_out_send_is_settled_by_its_receipt_not_sent_twice",
}
SLOW_FILES = {"cli/test_startup.py"}  # starts `smsbot serve` as a process, once a test


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    for item in items:
        if not item.path.is_relative_to(tests):
            continue
        where = item.path.relative_to(tests)
        if where.parts[0] in MARKERS_BY_FOLDER:
            item.add_marker(MARKERS_BY_FOLDER[where.parts[0]])
        name = getattr(item, "originalname", item.name)
        if f"{where.as_posix()}::{name}" in SLOW_TESTS or where.as_posix() in SLOW_FILES:
            item.add_marker("slow")


@dataclass
class ManualClock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment

    def advance(self, **kwargs: float) -> None:
        self.moment += timedelta(**kwargs)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(
        ROOT / "config.toml",
        environ={
            "SMSBOT_DATABASE__PATH": str(tmp_path / "smsbot.db"),
            "SMSBOT_FLOWS__DIR": str(ROOT / "flows"),
            "SMSBOT_PRIVACY__PSEUDONYM_KEY": "test-key",
            "SMSBOT_LOGGING__FORMAT": "json",
        },
    )


@pytest.fixture
async def parts(config: Config, clock: ManualClock) -> AsyncIterator[Parts]:
    opened = await open_parts(config, clock=clock)
    assert opened.findings == [], opened.findings
    yield opened
    await opened.close()
