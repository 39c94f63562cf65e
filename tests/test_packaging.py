"""A non-editable install carries every file smsbot reads at run time: the wheel built from the
project holds each file under smsbot/ that is not Python (templates, static files, the OpenAPI
examples and the docs page, py.typed). Building takes some seconds, hence `slow`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _data_files() -> set[str]:
    package = ROOT / "smsbot"
    return {
        path.relative_to(ROOT).as_posix()
        for path in package.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }


@pytest.mark.slow
def test_the_wheel_holds_every_file_read_at_run_time(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the project
    shutil.copytree(ROOT / "smsbot", source / "smsbot", ignore=shutil.ignore_patterns("*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(source), "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("smsbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = _data_files()
    assert {"smsbot/webui/templates/base.html", "smsbot/http/openapi/static/docs.html"} <= expected
    assert expected - names == set()
