"""The engine's entry points as data: tests/engine/cases/<entry point>.json (see casekit)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from smsbot.engine import runtime
from tests.engine import casekit
from tests.engine.casekit import ENTRY_POINTS, check_case, load_cases

ALL = [(entry, i) for entry in ENTRY_POINTS for i in range(len(load_cases(entry)))]


@pytest.mark.parametrize(
    ("entry_point", "index"),
    ALL,
    ids=[f"{entry}:{load_cases(entry)[i]['description']}" for entry, i in ALL],
)
def test_case(entry_point: str, index: int) -> None:
    check_case(entry_point, index)


def test_every_entry_point_of_the_runtime_has_cases() -> None:
    exported = {"start", "receive", "expire", "remind", "opt_out", "undeliverable"}
    assert exported <= set(runtime.__all__)
    assert set(ENTRY_POINTS) == exported
    for entry in ENTRY_POINTS:
        assert len(load_cases(entry)) >= 2, entry


def test_every_case_states_what_it_expects() -> None:
    for entry in ENTRY_POINTS:
        for case in load_cases(entry):
            assert {"description", "events", "state"} <= set(case), (entry, case)


def test_the_rewrite_flag_writes_what_the_engine_returned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SMSBOT_REWRITE_CASES", raising=False)
    shutil.copytree(casekit.CASES, tmp_path / "cases")
    monkeypatch.setattr(casekit, "CASES", tmp_path / "cases")
    stale = load_cases("expire")
    right = stale[0]["events"]
    stale[0]["events"] = [{"type": "send", "text": "a stale expectation"}]
    casekit.save_cases("expire", stale)
    with pytest.raises(AssertionError):
        check_case("expire", 0)
    monkeypatch.setenv("SMSBOT_REWRITE_CASES", "1")
    check_case("expire", 0)
    written = json.loads((tmp_path / "cases" / "expire.json").read_text(encoding="utf-8"))
    assert written[0]["events"] == right
    assert written[1:] == load_cases("expire")[1:]
