"""`smsbot users`, `smsbot tokens` and `smsbot audit` on a real database file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsbot.cli import main
from tests.suite_summary import tally

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a good long password"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SMSBOT_DATABASE__PATH": str(tmp_path / "people.db"),
        "SMSBOT_FLOWS__DIR": str(ROOT / "flows"),
        "SMSBOT_PRIVACY__PSEUDONYM_KEY": "k",
        "SMSBOT_CONFIG": str(ROOT / "config.toml"),
    }


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def add_anna(env: dict[str, str]) -> None:
    code, out, _ = run(
        env, "users", "add", "--name", "Anna Berg", "--email", "anna@example.org",
        "--role", "unit-manager", "--unit", "Akuten", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0 and "unit_manager of Akuten" in out


def test_users_are_added_listed_changed_and_disabled(env: dict[str, str]) -> None:
    add_anna(env)
    code, out, _ = run(env, "users", "set-roles", "anna@example.org", "--role", "analyst")
    assert code == 0 and "anna@example.org: analyst" in out
    assert run(env, "users", "disable", "anna@example.org")[0] == 0
    code, out, _ = run(env, "users", "list")
    assert "anna@example.org\tdisabled\tanalyst" in out
    code, _, err = run(env, "users", "disable", "nobody@example.org")
    assert code == 1 and "no person with the e-mail nobody@example.org" in err


def test_a_bad_password_or_role_is_refused_in_words(env: dict[str, str]) -> None:
    args = ("users", "add", "--name", "B", "--email", "b@example.org")
    code, _, err = run(env, *args, "--role", "analyst", stdin="short\n")
    assert code == 1 and "at least 12 characters" in err
    code, _, err = run(env, *args, "--role", "unit_manager", "--no-password")
    assert code == 1 and "needs at least one unit" in err
    assert "b@example.org" not in run(env, "users", "list")[1]


def test_the_password_is_never_an_argument(env: dict[str, str]) -> None:
    code, _, err = run(env, "users", "add", "--password", "x", "--name", "B", "--email", "b@x.org")
    assert code == 2 and "No such option '--password'" in err


def test_a_token_is_shown_once_and_listed_without_its_secret(env: dict[str, str]) -> None:
    add_anna(env)
    code, out, err = run(env, "tokens", "add", "anna@example.org", "--name", "power-bi")
    secret = out.strip()
    assert code == 0 and secret.startswith("smsbot_pat_") and "not shown again" in err
    code, out, _ = run(env, "tokens", "list")
    assert "power-bi" in out and "valid" in out and secret not in out
    assert run(env, "tokens", "revoke", "1")[0] == 0
    assert "revoked" in run(env, "tokens", "list")[1]
    code, _, err = run(env, "tokens", "revoke", "1")
    assert code == 1 and "no valid token 1" in err


def test_audit_lists_changes_and_verify_finds_a_deleted_row(
    env: dict[str, str], tmp_path: Path
) -> None:
    add_anna(env)
    run(env, "tokens", "add", "anna@example.org", "--name", "bi")
    run(env, "users", "disable", "anna@example.org")
    code, out, _ = run(env, "audit")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["action"] for r in rows] == ["person_disabled", "token_issued", "person_added"]
    assert all(r["who"].startswith("cli (") for r in rows)
    code, out, _ = run(env, "audit", "--format", "csv", "--action", "token_issued")
    assert out.splitlines()[0].startswith("id,at,action,who") and len(out.splitlines()) == 2
    code, _, err = run(env, "audit", "verify")
    assert code == 0 and "whole: 3 entries" in err
    with sqlite3.connect(tmp_path / "people.db") as conn:
        conn.execute("DELETE FROM audit_log WHERE id = 2")
    code, out, err = run(env, "audit", "verify")
    assert code == 1 and "entry 2 was removed" in out and "NOT whole" in err
    tally("people", "audit rows deleted and found by verify")


def test_an_export_and_a_purge_are_audited(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "users", "list")[0] == 0  # makes the database
    code, _, err = run(env, "export", "feedback", "--format", "jsonl", "--flow", "contact")
    assert code == 0, err
    assert run(env, "purge", "--retention", "0s")[0] == 0
    code, out, _ = run(env, "audit")
    purge, export = (json.loads(line) for line in out.splitlines())
    assert export["action"] == "export" and export["target"] == "feedback"
    detail = json.loads(export["detail"])
    assert detail["rows"] == 0 and detail["filters"]["flow"] == "contact"
    assert purge["action"] == "purge" and json.loads(purge["detail"])["retention_seconds"] == 0
    assert "+46" not in out
