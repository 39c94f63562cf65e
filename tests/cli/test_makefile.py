"""The Makefile: `make run` installs what running needs, `make test` the development tools too.

`make -n` prints what make would run without running it, in a copy of the Makefile beside a
copy of pyproject.toml (so no virtual environment is touched).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV_INSTALL = "-e '.[dev]'"
RUN_INSTALL = "-e ."
CONSTRAINED = "-c constraints.txt"
FAST_TESTS = '-m "not slow and not browser"'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def planned(project: Path, target: str) -> str:
    """What `make TARGET` would run, as make prints it with -n (dry run)."""
    done = subprocess.run(
        ["make", "-n", target, "CHROMIUM=/bin/sh"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def pip_installs(plan: str) -> list[str]:
    return [line for line in plan.splitlines() if "pip install" in line and "-e " in line]


def test_make_run_installs_the_runtime_dependencies_only(project: Path) -> None:
    installs = pip_installs(planned(project, "run"))
    assert len(installs) == 1, installs
    assert installs[0].rstrip().endswith(RUN_INSTALL)
    assert "[dev]" not in installs[0]


@pytest.mark.parametrize("target", ["test", "lint", "types", "unit", "bench"])
def test_the_development_targets_install_the_tools(project: Path, target: str) -> None:
    installs = pip_installs(planned(project, target))
    assert any(DEV_INSTALL in line for line in installs), installs


def test_make_test_after_make_run_still_installs_the_tools(project: Path) -> None:
    venv = project / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    for stamp in (venv / ".installed-run", venv / "bin" / "smsbot"):
        stamp.touch()  # what `make run` leaves behind
    installs = pip_installs(planned(project, "test"))
    assert any(DEV_INSTALL in line for line in installs), installs
    assert pip_installs(planned(project, "run")) == []  # and `make run` needs nothing more


@pytest.mark.parametrize("target", ["run", "test", "check"])
def test_every_install_is_held_to_the_constraints_file(project: Path, target: str) -> None:
    installs = pip_installs(planned(project, target))
    assert installs, target
    assert all(CONSTRAINED in line for line in installs), installs


def _installed(project: Path) -> None:
    """A .venv whose two stamps are newer than pyproject.toml and constraints.txt."""
    venv = project / ".venv"
    (venv / "bin").mkdir(parents=True)
    for made in (venv / "bin" / "python", venv / ".installed-run", venv / ".installed"):
        made.touch()
    old = (venv / "bin" / "python").stat().st_mtime - 60
    for name in ("pyproject.toml", "constraints.txt"):
        os.utime(project / name, (old, old))


def test_a_changed_constraints_file_reinstalls(project: Path) -> None:
    _installed(project)
    assert pip_installs(planned(project, "run")) == []
    assert pip_installs(planned(project, "check")) == []
    (project / "constraints.txt").touch()  # newer than both stamps
    assert len(pip_installs(planned(project, "run"))) == 1
    assert any(DEV_INSTALL in line for line in pip_installs(planned(project, "check")))


def test_make_check_runs_lint_types_and_the_fast_tests_only(project: Path) -> None:
    _installed(project)
    plan = planned(project, "check").splitlines()
    for tool in ("ruff check", "ruff format --check", "lint-imports", "mypy"):
        assert any(tool in line for line in plan), (tool, plan)
    pytests = [line for line in plan if ".venv/bin/pytest" in line]
    assert len(pytests) == 1, plan
    assert FAST_TESTS in pytests[0]


def test_make_test_runs_every_test(project: Path) -> None:
    _installed(project)
    plan = planned(project, "test").splitlines()
    assert "lint-imports" in " ".join(plan)
    pytests = [line for line in plan if ".venv/bin/pytest" in line]
    assert len(pytests) == 1, plan
    assert " -m " not in pytests[0] and " -n " not in pytests[0]


def test_make_lock_writes_the_constraints_from_a_fresh_install(project: Path) -> None:
    plan = planned(project, "lock")
    assert "pip install --quiet -e '.[dev]'" in plan
    assert CONSTRAINED not in plan  # the newest allowed versions, not the old ones
    assert "pip freeze --exclude-editable >> constraints.txt" in plan
