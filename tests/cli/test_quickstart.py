"""The README's quick start, run as written: its shell block's commands (curl) against a real
`smsbot serve` started by `make run`, at whatever hour the test runs.

The one change made to the commands is the port: the gateway listens on a free port instead of
8080 (which another gateway on the machine may hold), through `SMSBOT_SERVER__PORT`, and the
commands' `localhost:8080` follows it. The database is a file of the test's own. Everything
else is `make run`'s: its environment (the `demo` token, `demo-admin`), the shipped
config.toml, the shipped flows and the simulator transport. The real clock runs, so at night
this is also the test that the quick start's trial event is not held by quiet hours; the same
at a fixed 23:30 is `test_at_2330_a_trial_starts_at_once_and_the_same_real_event_waits` in
tests/gateway/test_trials.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
README_PORT = "localhost:8080"


def quick_start_block(readme: str) -> str:
    """The shell block of the README's quick start that talks to the gateway."""
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    [block] = [b for b in blocks if "curl" in b]
    return str(block)


def commands(block: str) -> list[str]:
    """The block's commands as a shell reads them: continued lines (a trailing backslash, or
    an open quote) joined, comments kept for the shell to drop."""
    found: list[str] = []
    current = ""
    for line in block.splitlines():
        current = f"{current}\n{line}" if current else line
        if current.endswith("\\") or not _complete(current):
            continue
        if current.strip():
            found.append(current)
        current = ""
    assert not current, f"an unfinished command in the README: {current!r}"
    return found


def _complete(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:  # "No closing quotation"
        return False
    return True


def test_the_quick_start_block_is_read_as_three_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    found = commands(quick_start_block(readme))
    assert [c.split()[0] for c in found] == ["curl", "curl", "curl"]
    assert "/v1/events" in found[0] and "/simulator/messages" in found[1]
    assert "/simulator/inbound" in found[2]


# --- the gateway, as `make run` starts it -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_env(port: int, database: Path) -> dict[str, str]:
    """The caller's environment without any smsbot setting (make run sets its own), plus the
    port and the database file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    env["SMSBOT_SERVER__PORT"] = str(port)
    env["SMSBOT_DATABASE__PATH"] = str(database)
    return env


def _wait_until_up(port: int, gateway: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if gateway.poll() is not None:
            raise AssertionError(f"make run stopped: {log.read_text('utf-8')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the gateway did not come up: {log.read_text('utf-8')[-2000:]}")


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    """`make run` (the virtual environment taken as it is: `-o` keeps make from rebuilding
    it), in its own process group, stopped with SIGTERM as Ctrl-C would."""
    port, database, log = _free_port(), tmp_path / "smsbot.db", tmp_path / "gateway.log"
    with log.open("wb") as out:
        gateway = subprocess.Popen(
            [
                "make",
                "--no-print-directory",
                "-o",
                ".venv/.installed",
                "-o",
                ".venv/.installed-run",
                "run",
            ],
            cwd=ROOT,
            env=_run_env(port, database),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(port, gateway, log)
        yield port, database, log
    finally:
        os.killpg(gateway.pid, signal.SIGTERM)
        try:
            gateway.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(gateway.pid, signal.SIGKILL)
            gateway.wait()


def _shell(command: str, port: int) -> Any:
    done = subprocess.run(
        ["bash", "-c", command.replace(README_PORT, f"localhost:{port}")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, (command, done.stderr)
    return json.loads(done.stdout)


def _until(check: Any, seconds: float = 10.0) -> Any:
    """Run `check` until it gives something true, as a person would look again."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_the_quick_start_as_written(make_run: tuple[int, Path, Path]) -> None:
    port, database, log = make_run
    post, look, answer = commands(quick_start_block((ROOT / "README.md").read_text("utf-8")))

    [decided] = _shell(post, port)["results"]
    assert (decided["decision"], decided["reason"], decided.get("trial")) == (
        "started",
        "trial",
        True,
    )

    def got() -> list[dict[str, Any]]:
        return list(_shell(look, port)["messages"])

    received = _until(got)
    assert received and received[0]["purpose"] == "opening", received
    assert received[0]["conversation_id"] == decided["conversation_id"]
    assert "Kontaktcenter Örebro" in received[0]["body"]

    taken = _shell(answer, port)
    assert taken == {"status": "answered", "conversation_id": decided["conversation_id"]}

    with sqlite3.connect(database) as conn:
        stored = conn.execute("SELECT question_id, value_num FROM answers").fetchall()
        trial = conn.execute("SELECT trial FROM conversations").fetchall()
    assert stored == [("ces", 6.0)] and trial == [(1,)]
    started = [line for line in log.read_text("utf-8").splitlines() if '"event_started"' in line]
    assert len(started) == 1 and json.loads(started[0])["trial"] is True
