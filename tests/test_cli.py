"""The `smsbot` command as a service designer uses it: flows check and chat."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsbot.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(str(p) for p in (ROOT / "flows").glob("*.yaml") if p.name != "tags.yaml")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SMSBOT_DATABASE__PATH": str(tmp_path / "chat.db"),
        "SMSBOT_FLOWS__DIR": str(ROOT / "flows"),
        "SMSBOT_PRIVACY__PSEUDONYM_KEY": "k",
        "SMSBOT_CONFIG": str(ROOT / "config.toml"),
    }


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_shipped_flows_pass_the_check(env: dict[str, str]) -> None:
    code, out, err = run(env, "flows", "check", *SHIPPED)
    assert (code, out) == (0, "")
    assert f"{len(SHIPPED)} file(s) checked: 0 error(s), 0 warning(s)" in err


def test_a_broken_flow_fails_with_located_messages(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "visit.yaml"
    text = (ROOT / "flows" / "health-visit.yaml").read_text()
    broken.write_text(text.replace("preset: csat", "min: 9\n    max: 8", 1))
    code, out, _ = run(env, "flows", "check", str(broken))
    assert code == 1
    assert "max (8) must be greater than min (9)" in out
    line = out.split(":")[1]
    assert line.isdigit() and int(line) > 1


def test_chat_holds_a_whole_conversation_and_stores_it(env: dict[str, str]) -> None:
    flow = str(ROOT / "flows" / "contact-centre.yaml")
    replies = "2\nnej\n1\nnej\nJag hittade inget på webben\n"
    code, out, _ = run(env, "chat", flow, "--lang", "sv", "--event-field", "unit=KC", stdin=replies)
    assert code == 0, out
    assert out.count("bot › ") >= 6
    assert "[1 SMS, GSM-7," in out
    assert "you › nej" in out
    assert "conversation completed" in out
    with sqlite3.connect(env["SMSBOT_DATABASE__PATH"]) as db:
        answers = db.execute("SELECT question_id, raw_text FROM answers ORDER BY id").fetchall()
        status = db.execute("SELECT status, unit FROM conversations").fetchall()
    assert [a[1] for a in answers] == replies.splitlines()
    assert status == [("completed", "KC")]


def test_chat_end_of_input_expires_the_conversation(env: dict[str, str]) -> None:
    flow = str(ROOT / "flows" / "health-visit.yaml")
    code, out, _ = run(env, "chat", flow, "--lang", "fi", stdin="4\n")
    assert code == 0
    assert "expired" in out
    with sqlite3.connect(env["SMSBOT_DATABASE__PATH"]) as db:
        assert db.execute("SELECT status, language FROM conversations").fetchall() == [
            ("expired", "fi")
        ]


def test_chat_refuses_a_flow_with_errors(env: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "x.yaml"
    broken.write_text("format: 1\nid: x\n")
    code, _, err = run(env, "chat", str(broken))
    assert code == 1
    assert "x.yaml" in err


def test_a_config_error_names_the_key(env: dict[str, str]) -> None:
    code, _, err = run({**env, "SMSBOT_SERVER__PORT": "abc"}, "flows", "check")
    assert code == 1
    assert "SMSBOT_SERVER__PORT" in err
