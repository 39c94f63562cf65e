"""Storage that cannot take writes: 503 with Retry-After, a distinct log line, /readyz not
ready, no log line claiming what was not stored; writes resume once it can again.

A full disk is made with SQLite's `PRAGMA max_page_count` on the gateway's writing connection
(the file may not grow past its pages: SQLite answers SQLITE_FULL, as on a full filesystem).
A read-only database is made with `PRAGMA query_only` (SQLite answers SQLITE_READONLY, as for a
file the process may not write). An I/O error (SQLITE_IOERR) takes the same path, by its
result code; it is not made here (that needs a failing disk or a fault-injecting VFS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import structlog

from smsbot.bootstrap.parts import database_of
from tests.conftest import ManualClock
from tests.harness import OUR_NUMBER, Running, gateway_env, running_gateway
from tests.suite_summary import tally

EVENTS = 12


def an_event(n: int) -> dict[str, Any]:
    return {
        "id": f"storage-{n}",
        "type": "contact.closed",
        "phone": f"+4670123{n:04d}",
        "occurred_at": "2026-11-23T08:59:00+00:00",
        "unit": "Kontaktcenter",
        "service": "Bygglov",
    }


async def ready(gw: Running) -> tuple[int, dict[str, Any]]:
    async with gw.http.get(f"{gw.url}/readyz") as answer:
        return answer.status, await answer.json()


async def cut_writes(gw: Running, how: str) -> None:
    conn = database_of(gw.gateway.parts).conn
    if how == "disk_full":
        async with conn.execute("PRAGMA page_count") as cur:
            pages = (await cur.fetchone())[0]
        await conn.execute(f"PRAGMA max_page_count = {pages}")
    else:
        await conn.execute("PRAGMA query_only = ON")


async def restore_writes(gw: Running, how: str) -> None:
    conn = database_of(gw.gateway.parts).conn
    if how == "disk_full":
        await conn.execute("PRAGMA max_page_count = 1073741823")
    else:
        await conn.execute("PRAGMA query_only = OFF")


@pytest.mark.parametrize("how", ["disk_full", "read_only"])
async def test_storage_that_cannot_write_answers_503_claims_nothing_and_recovers(
    tmp_path: Path, clock: ManualClock, how: str
) -> None:
    async with running_gateway(gateway_env(tmp_path), clock) as gw:
        await cut_writes(gw, how)
        with structlog.testing.capture_logs() as logs:
            refused = [await gw.post_events([an_event(n)]) for n in range(EVENTS)]
            while_failing = await ready(gw)
            inbound = await gw.sms_webhook("inbound", _sms(gw, 1))
        await restore_writes(gw, how)
        accepted = [await gw.post_events([an_event(n)]) for n in range(EVENTS)]
        after = await ready(gw)
        stored = await gw.query("SELECT COUNT(*) AS n FROM events")

    assert {status for status, _ in refused} == {503}
    assert {body["error"] for _, body in refused} == {"storage_unavailable"}
    # Vonage retries a 503 later. A full file may still take a write small enough for room
    # left in its pages (a 200 then means it was stored, like any other).
    assert inbound[0] == 503 or (how == "disk_full" and inbound[0] == 200)
    failures = [e for e in logs if e["event"] == "storage_unavailable"]
    assert len(failures) == EVENTS + (inbound[0] == 503)
    assert {e["cause"] for e in failures} == {how}
    assert {e["log_level"] for e in failures} == {"error"}
    claims = [e for e in logs if str(e["event"]).startswith("event_")]
    assert claims == []  # nothing logged as done that was not stored
    assert not [e for e in logs if e["event"] == "request_failed"]  # not reported as a bug
    assert while_failing[0] == 503 and while_failing[1]["checks"]["writes"] is False
    assert {status for status, _ in accepted} == {202}  # retried with the same ids: taken now
    assert after[0] == 200 and after[1]["checks"]["writes"] is True
    assert stored == [{"n": EVENTS}]
    answered_503 = len(refused) + (inbound[0] == 503)
    tally("storage", f"requests answered 503 while {how.replace('_', ' ')}", answered_503)
    tally("storage", "false log lines", len(claims))
    tally("storage", "retried and stored after", len(accepted))
    tally("storage", "lost", EVENTS - stored[0]["n"])


def _sms(gw: Running, n: int) -> dict[str, str]:
    return {
        "msisdn": f"4670123{n:04d}",
        "to": OUR_NUMBER,
        "messageId": f"storage-sms-{n}",
        "text": "5",
        "type": "text",
        "message-timestamp": gw.clock.now().strftime("%Y-%m-%d %H:%M:%S"),
    }
