"""The Makefile: `make run` installs what running needs, `make test` the development tools too.

`make -n` prints what make would run without running it, in a copy of the Makefile beside a
copy of pyproject.toml (so no virtual environment is touched).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV_INSTALL = "-e '.[dev]'"
RUN_INSTALL = "-e ."


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml"):
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
