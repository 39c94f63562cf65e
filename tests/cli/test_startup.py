"""Starting and stopping `smsbot serve` as a real process: every start-up failure is one line
that names what is wrong and the setting to change, and the process exits at once."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.crashkit import free_port
from tests.harness import ROOT

EXIT_SECONDS = 20  # far more than a failing start needs; it used to hang until SIGTERM


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str

    @property
    def problems(self) -> list[str]:
        """The lines of stderr that are not JSON log records."""
        return [line for line in self.stderr.splitlines() if line and not _is_log(line)]

    @property
    def logged(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.stderr.splitlines() if _is_log(line)]


def _is_log(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def base_env(tmp: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    env.update(
        {
            "SMSBOT_CONFIG": str(ROOT / "config.toml"),
            "SMSBOT_DATABASE__PATH": str(tmp / "var" / "smsbot.db"),
            "SMSBOT_SERVER__PORT": str(free_port()),
            "SMSBOT_PRIVACY__PSEUDONYM_KEY": "test-key",
            "SMSBOT_LOGGING__FORMAT": "json",
        }
    )
    env.update(overrides)
    return env


def smsbot(env: dict[str, str], *args: str, stdin: str = "", cwd: Path = ROOT) -> Finished:
    done = subprocess.run(
        [sys.executable, "-c", "from smsbot.cli import main; main()", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=EXIT_SECONDS,
    )
    return Finished(done.returncode, done.stdout, done.stderr)


@contextmanager
def port_taken() -> Iterator[int]:
    """A port someone else listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return pem.decode()


def unwritable_folder(tmp: Path) -> Path:
    """A folder this process may not create files in (root may write anywhere but in /sys)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


def a_file(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def newer_database(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 999")
    return path


# (name, environment given the test's folder, what the one line says)
Setup = Callable[[Path], dict[str, str]]
FAILURES: list[tuple[str, Setup, list[str]]] = [
    (
        "database folder blocked by a file",
        lambda tmp: {"SMSBOT_DATABASE__PATH": str(a_file(tmp, "var", "x") / "smsbot.db")},
        ["cannot create the database folder", "/var", "is a file", "SMSBOT_DATABASE__PATH"],
    ),
    (
        "database folder not writable",
        lambda tmp: {"SMSBOT_DATABASE__PATH": str(unwritable_folder(tmp) / "smsbot.db")},
        ["smsbot.db", "SMSBOT_DATABASE__PATH"],
    ),
    (
        "database path is a folder",
        lambda tmp: {"SMSBOT_DATABASE__PATH": str(tmp)},
        [f"the database path {'{tmp}'} is a folder", "SMSBOT_DATABASE__PATH"],
    ),
    (
        "database file is not a database",
        lambda tmp: {"SMSBOT_DATABASE__PATH": str(a_file(tmp, "notes.db", "x" * 5000))},
        ["notes.db is not an SQLite database", "SMSBOT_DATABASE__PATH"],
    ),
    (
        "database newer than this smsbot",
        lambda tmp: {"SMSBOT_DATABASE__PATH": str(newer_database(tmp / "future.db"))},
        ["future.db has schema 999, newer than this smsbot's", "SMSBOT_DATABASE__PATH"],
    ),
    (
        "flows folder missing",
        lambda tmp: {"SMSBOT_FLOWS__DIR": str(tmp / "no-flows")},
        ["the flows folder", "no-flows does not exist", "SMSBOT_FLOWS__DIR"],
    ),
    (
        "config file missing",
        lambda tmp: {"SMSBOT_CONFIG": str(tmp / "nope.toml")},
        ["nope.toml: configuration file not found"],
    ),
    (
        "SMS API without credentials",
        lambda tmp: {"SMSBOT_TRANSPORT__KIND": "vonage-sms"},
        ["Vonage SMS API", "SMSBOT_VONAGE__API_KEY", "SMSBOT_VONAGE__API_SECRET"],
    ),
    (
        "Messages API key file missing",
        lambda tmp: {
            "SMSBOT_TRANSPORT__KIND": "vonage-messages",
            "SMSBOT_VONAGE__APPLICATION_ID": "app",
            "SMSBOT_VONAGE__PRIVATE_KEY": str(tmp / "private.key"),
        },
        ["private.key", "cannot be read", "SMSBOT_VONAGE__PRIVATE_KEY"],
    ),
    (
        "Messages API key not a key",
        lambda tmp: {
            "SMSBOT_TRANSPORT__KIND": "vonage-messages",
            "SMSBOT_VONAGE__APPLICATION_ID": "app",
            "SMSBOT_VONAGE__PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnot a key\n",
        },
        ["not a PEM private key", "SMSBOT_VONAGE__PRIVATE_KEY"],
    ),
    (
        "CA bundle missing",
        lambda tmp: {
            "SMSBOT_TRANSPORT__KIND": "vonage-messages",
            "SMSBOT_VONAGE__APPLICATION_ID": "app",
            "SMSBOT_VONAGE__PRIVATE_KEY": private_key_pem(),
            "REQUESTS_CA_BUNDLE": str(tmp / "ca.pem"),
        },
        ["REQUESTS_CA_BUNDLE", "ca.pem", "does not exist"],
    ),
    (
        "CA bundle not certificates",
        lambda tmp: {
            "SMSBOT_TRANSPORT__KIND": "vonage-sms",
            "SMSBOT_VONAGE__API_KEY": "key",
            "SMSBOT_VONAGE__API_SECRET": "secret",
            "REQUESTS_CA_BUNDLE": str(a_file(tmp, "ca.pem", "hello")),
        },
        ["REQUESTS_CA_BUNDLE", "ca.pem", "not a PEM file of CA certificates"],
    ),
    (
        "real transport without a webhook signature secret",
        lambda tmp: {
            "SMSBOT_TRANSPORT__KIND": "vonage-sms",
            "SMSBOT_VONAGE__API_KEY": "key",
            "SMSBOT_VONAGE__API_SECRET": "secret",
        },
        [
            "transport vonage-sms would accept unsigned webhooks",
            "forged STOP",
            "set SMSBOT_VONAGE__SIGNATURE_SECRET",
            "SMSBOT_VONAGE__ALLOW_UNSIGNED_WEBHOOKS=true",
        ],
    ),
    (
        "Messages API without a webhook signature secret",
        lambda tmp: {
            "SMSBOT_TRANSPORT__KIND": "vonage-messages",
            "SMSBOT_VONAGE__APPLICATION_ID": "app",
            "SMSBOT_VONAGE__PRIVATE_KEY": private_key_pem(),
        },
        ["transport vonage-messages would accept unsigned webhooks"],
    ),
]


@pytest.mark.parametrize(("setup", "says"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES])
def test_a_start_up_failure_is_one_line_and_the_process_exits(
    tmp_path: Path, setup: Setup, says: list[str]
) -> None:
    finished = smsbot(base_env(tmp_path, **setup(tmp_path)), "serve")
    assert finished.code != 0
    assert "Traceback" not in finished.stderr
    assert len(finished.problems) == 1, finished.stderr
    for words in says:
        assert words.replace("{tmp}", str(tmp_path)) in finished.problems[0], finished.stderr


def test_a_port_in_use_is_one_line_naming_it(tmp_path: Path) -> None:
    with port_taken() as port:
        finished = smsbot(base_env(tmp_path, SMSBOT_SERVER__PORT=str(port)), "serve")
    assert finished.code != 0
    assert finished.problems == [f"Error: port {port} is in use (set SMSBOT_SERVER__PORT)"]
    assert "Traceback" not in finished.stderr
    assert not (tmp_path / "var").exists()  # the port is bound before the database is opened
    starting = finished.logged[0]
    assert (starting["event"], starting["config"], starting["database"]) == (
        "gateway_starting",
        str(ROOT / "config.toml"),
        str(tmp_path / "var" / "smsbot.db"),
    )


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("192.0.2.1", "cannot listen on 192.0.2.1: not an address of this machine"),
        ("no-such-host.invalid", "cannot listen on no-such-host.invalid: unknown host"),
    ],
)
def test_a_host_we_cannot_listen_on_is_one_line(tmp_path: Path, host: str, says: str) -> None:
    finished = smsbot(base_env(tmp_path, SMSBOT_SERVER__HOST=host), "serve")
    assert finished.code != 0
    assert finished.problems == [f"Error: {says} (set SMSBOT_SERVER__HOST)"]


# --- a second gateway on the same database --------------------------------------------------


@dataclass
class Running:
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    folder: Path


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """`smsbot serve` running on its own SQLite file, shared by the tests below."""
    folder = tmp_path_factory.mktemp("running")
    env = base_env(folder, SMSBOT_TOKEN_DEMO="demo")
    first = serve_in_background(env, folder / "first.log")
    try:
        _wait_ready(f"http://127.0.0.1:{env['SMSBOT_SERVER__PORT']}/readyz")
        yield Running(env, first, folder)
    finally:
        first.terminate()
        first.wait(15)


def serve_in_background(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`smsbot serve` as a child process, its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from smsbot.cli import main; main()", "serve"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )


def _wait_ready(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer 200 in {seconds} s")


def test_unsigned_webhooks_start_only_when_allowed_and_every_start_says_so(tmp_path: Path) -> None:
    env = base_env(
        tmp_path,
        SMSBOT_TRANSPORT__KIND="vonage-sms",
        SMSBOT_VONAGE__API_KEY="key",
        SMSBOT_VONAGE__API_SECRET="secret",
        SMSBOT_VONAGE__ALLOW_UNSIGNED_WEBHOOKS="true",
    )
    logged = tmp_path / "serve.log"
    process = serve_in_background(env, logged)
    try:
        url = f"http://127.0.0.1:{env['SMSBOT_SERVER__PORT']}/readyz"
        _wait_ready(url)
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert json.load(answer)["webhooks"] == "unsigned_allowed"
        deadline = time.monotonic() + 30  # /readyz answers a moment before the start is logged
        while '"gateway_started"' not in logged.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(15)
    events = [json.loads(line) for line in logged.read_text().splitlines() if _is_log(line)]
    [warning] = [e for e in events if e["event"] == "webhooks_unsigned_allowed"]
    assert warning["level"] == "warning"
    assert warning["setting"] == "vonage.allow_unsigned_webhooks"
    [started] = [e for e in events if e["event"] == "gateway_started"]
    assert started["webhooks"] == "unsigned_allowed"


def test_a_second_gateway_on_the_same_database_refuses_naming_the_first(running: Running) -> None:
    env = running.env
    second = smsbot({**env, "SMSBOT_SERVER__PORT": str(free_port())}, "serve")
    assert second.code != 0
    database = env["SMSBOT_DATABASE__PATH"]
    assert second.problems == [
        f"Error: the database {database} is in use by another gateway (pid {running.process.pid}, "
        f"listening on port {env['SMSBOT_SERVER__PORT']}): stop it first, or set "
        "SMSBOT_DATABASE__PATH to use another database"
    ]
    assert running.process.poll() is None  # the first one runs on


EVENTS = (
    "id,type,phone,occurred_at,unit,service\n"
    "e1,contact.closed,070-174 06 50,2026-11-23T10:15:00+01:00,KC,Bygglov\n"
)
CONTACT_CENTRE = str(ROOT / "flows" / "contact-centre.yaml")


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("report", "--format", "json"), ""),
        (("export", "answers", "--format", "csv"), ""),
        (("feedback", "list"), ""),
        (("chat", CONTACT_CENTRE, "--event-field", "unit=KC", "--phone", "070-174 06 51"), "6\n"),
        (("events", "import", "{events}"), ""),
    ],
    ids=["report", "export", "feedback", "chat", "events import"],
)
def test_other_commands_share_the_database_with_a_running_gateway(
    running: Running, args: tuple[str, ...], stdin: str
) -> None:
    events = a_file(running.folder, "events.csv", EVENTS)
    command = [arg.replace("{events}", str(events)) for arg in args]
    finished = smsbot(running.env, *command, stdin=stdin)
    assert finished.code == 0, finished.stderr
    assert "Traceback" not in finished.stderr
    assert running.process.poll() is None
    if args[0] == "chat":  # every SMS shown here: none was taken and sent by the gateway
        assert finished.stdout.count("bot › ") == 3, finished.stdout  # opening, ces, solved
