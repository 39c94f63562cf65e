"""`smsbot webhooks` on a real database file: add, list, deliveries, replay, remove."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsbot.bootstrap.store import opened_store
from smsbot.cli import main
from smsbot.gateway import deliveries

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SMSBOT_DATABASE__PATH": str(tmp_path / "hooks.db"),
        "SMSBOT_FLOWS__DIR": str(ROOT / "flows"),
        "SMSBOT_PRIVACY__PSEUDONYM_KEY": "k",
        "SMSBOT_CONFIG": str(ROOT / "config.toml"),
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["webhooks", *args], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def queue_a_case(env: dict[str, str]) -> None:
    async def queue() -> None:
        async with opened_store(env["SMSBOT_DATABASE__PATH"]) as store, store.write() as tx:
            now = datetime.now(UTC)
            await deliveries.enqueue(tx, "case.opened", {"case_id": "c1"}, "Akuten", now=now)

    asyncio.run(queue())


def test_a_subscription_is_added_listed_delivered_replayed_and_removed(
    env: dict[str, str],
) -> None:
    code, out, _ = run(env, "add", "https://crm.example.org/in", "--event", "case.opened")
    secret = re.search(r"secret \(shown once.*\): (whsec_\S+)", out)
    assert code == 0 and "added webhook 1 -> https://crm.example.org/in" in out and secret
    code, out, _ = run(env, "list")
    assert out == "1\tactive\thttps://crm.example.org/in\tcase.opened\tevery unit\n"
    assert secret[1] not in out
    queue_a_case(env)
    code, out, _ = run(env, "deliveries", "--status", "pending")
    assert re.match(r"1\tmsg_[0-9a-f]{24}\twebhook 1\tcase.opened\tpending\t0 attempt\(s\)", out)
    with sqlite3.connect(env["SMSBOT_DATABASE__PATH"]) as db:
        db.execute("UPDATE webhook_deliveries SET status = 'failed', last_error = 'HTTP 500'")
    code, out, _ = run(env, "replay", "1")
    assert code == 0 and out == "delivery 1 queued again\n"
    assert "\tpending\t" in run(env, "deliveries")[1]
    assert run(env, "remove", "1")[:2] == (0, "removed webhook 1\n")
    assert "\tcancelled\t" in run(env, "deliveries")[1]
    assert run(env, "list")[1].startswith("1\tdisabled (removed)\t")
    with sqlite3.connect(env["SMSBOT_DATABASE__PATH"]) as db:
        actions = [row[0] for row in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["webhook_added", "webhook_replayed", "webhook_removed"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("add", "crm.example.org", "--event", "case.opened"), "must be http(s)://host/path"),
        (("add", "https://x.example.org", "--event", "case.done"), "'case.done' is not one of"),
        (("remove", "7"), "no subscription 7: see `webhooks list`"),
        (("replay", "7"), "no delivery 7 to an active subscription"),
    ],
)
def test_mistakes_are_refused_in_words(
    env: dict[str, str], args: tuple[str, ...], error: str
) -> None:
    code, _, err = run(env, *args)
    assert code != 0 and error in err
