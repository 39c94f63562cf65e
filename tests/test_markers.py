"""The markers tests/conftest.py sets by folder (`slow` for tests/faults, `browser` for
tests/browser) and by name (a few long tests elsewhere), so that `make check` leaves them out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from tests import conftest

TESTS = Path(conftest.__file__).resolve().parent


@dataclass
class _Item:
    path: Path
    name: str
    markers: list[str] = field(default_factory=list)

    def add_marker(self, marker: str) -> None:
        self.markers.append(marker)


def _marked(where: str, name: str = "test_something") -> list[str]:
    item = _Item(TESTS / where, name)
    conftest.pytest_collection_modifyitems(cast(Any, [item]))
    return item.markers


@pytest.mark.parametrize(
    ("where", "name", "markers"),
    [
        ("faults/test_crash_rounds.py", "test_x", ["slow"]),
        ("faults/test_security.py", "test_x", ["slow"]),
        ("browser/test_inbox.py", "test_x", ["browser"]),
        ("engine/test_cases.py", "test_x", []),
        ("test_contracts.py", "test_x", []),
        ("results/test_export.py", "test_a_large_export_streams_in_constant_memory", ["slow"]),
        ("results/test_export.py", "test_x", []),
        ("cli/test_startup.py", "test_x", ["slow"]),  # by file: it starts processes
        ("providers/test_transport.py", "test_a_timed_out_send_may_still_go_out", ["slow"]),
        ("providers/test_transport.py", "test_x", []),
    ],
)
def test_markers_by_folder_and_name(where: str, name: str, markers: list[str]) -> None:
    assert _marked(where, name) == markers


def test_every_named_slow_test_exists() -> None:
    for node in conftest.SLOW_TESTS:
        module, name = node.split("::")
        assert f"def {name}(" in (TESTS / module).read_text(encoding="utf-8"), node


def test_the_markers_are_registered(pytestconfig: pytest.Config) -> None:
    registered = " ".join(pytestconfig.getini("markers"))
    assert "slow:" in registered and "browser:" in registered
