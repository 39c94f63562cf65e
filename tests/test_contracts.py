"""The import contracts (pyproject's [tool.importlinter]): they hold today, and they fail, naming
the contract, when a module breaks one. `lint-imports` runs on a copy of the package with one
wrong import added, so the real tree is never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS: list[dict[str, Any]] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
    "importlinter"
]["contracts"]


def _lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}  # the copy's smsbot before the installed one
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _contract(contract_id: str) -> dict[str, Any]:
    return next(c for c in CONTRACTS if c["id"] == contract_id)


def test_the_contracts_hold_today() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


BREAKS = [
    ("engine-pure", "smsbot/engine/leak.py", "from smsbot import config"),
    ("providers-no-storage", "smsbot/providers/leak.py", "from smsbot.storage import ports"),
    ("http-webui-apart", "smsbot/webui/leak.py", "from smsbot.http import app"),
    ("sqlite-behind-bootstrap", "smsbot/results/leak.py", "from smsbot.storage.sqlite import tx"),
    ("layers", "smsbot/gateway/leak.py", "from smsbot.http import app"),
]


@pytest.mark.parametrize(("contract_id", "module", "line"), BREAKS, ids=[b[0] for b in BREAKS])
def test_a_wrong_import_breaks_its_contract(
    tmp_path: Path, contract_id: str, module: str, line: str
) -> None:
    shutil.copytree(ROOT / "smsbot", tmp_path / "smsbot", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / module).write_text(f"{line}  # a wrong import, on purpose\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    broken = _contract(contract_id)["name"]
    assert f"{broken} BROKEN" in " ".join(result.stdout.split())
    leak = module.removesuffix(".py").replace("/", ".")
    assert leak in result.stdout


def _top_level_parts() -> set[str]:
    package = ROOT / "smsbot"
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    packages = {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    return {f"smsbot.{name}" for name in modules | packages}


def test_the_engine_contract_names_every_other_part_of_smsbot() -> None:
    """A new top-level module is forbidden to the engine too, unless it is the domain types."""
    allowed = {"smsbot.engine", "smsbot.domain"}
    assert set(_contract("engine-pure")["forbidden_modules"]) == _top_level_parts() - allowed
