"""kill -9 right after the gateway acknowledged: nothing acknowledged is lost, nothing sent twice.

The gateway runs as a real process (`smsbot serve`) on loopback, sending through the real SDK
to our fake Vonage, which posts delivery receipts back as Vonage does (retrying until 2xx).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from smsbot.transport.vonage_webhooks import sign_sms_params
from tests.fakevonage import FakeVonage
from tests.harness import OUR_NUMBER, ROOT, SECRET, TOKEN, gateway_env, wait_for

PHONES = [f"+4670174{n:04d}" for n in range(605, 617)]  # the range kept for fiction


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flows_without_schedule(directory: Path) -> Path:
    """The shipped contact-centre flow, without quiet hours (CI may run at night)."""
    directory.mkdir()
    data = yaml.safe_load((ROOT / "flows" / "contact-centre.yaml").read_text())
    data.pop("schedule", None)
    (directory / "contact-centre.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    return directory


class Process:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from smsbot.cli import main; main()", "serve"],
                env=self.env,
                stdout=out,
                stderr=out,
                cwd=ROOT,
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(15)


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[Process, FakeVonage, str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with FakeVonage(tmp_path, receipts_to=f"{url}/webhooks/vonage/status") as fake:
        fake.receipt_secret = SECRET
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")},
            **gateway_env(
                tmp_path,
                SMSBOT_TRANSPORT__KIND="vonage-sms",
                SMSBOT_VONAGE__REST_HOST=fake.host,
                SMSBOT_SERVER__PORT=str(port),
                SMSBOT_SENDING__UNCERTAIN_GRACE="2s",
                SMSBOT_FLOWS__DIR=str(flows_without_schedule(tmp_path / "flows")),
                SMSBOT_CONFIG=str(ROOT / "config.toml"),
            ),
            "REQUESTS_CA_BUNDLE": fake.ca_path,
        }
        process = Process(env, tmp_path / "gateway.log")
        try:
            yield process, fake, url
        finally:
            process.stop()


async def ready(url: str) -> None:
    async def answers() -> bool:
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as r:
                return r.status == 200
        except aiohttp.ClientError:
            return False

    await wait_for(answers, what="the gateway to be ready", seconds=20)


def event(n: int, phone: str) -> dict[str, Any]:
    return {
        "id": f"crash-{n}",
        "type": "contact.closed",
        "phone": phone,
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "unit": "Kontaktcenter",
        "service": "Bygglov",
    }


def reply(n: int, phone: str, text: str) -> dict[str, str]:
    params = {
        "msisdn": phone.lstrip("+"),
        "to": OUR_NUMBER,
        "messageId": f"crash-reply-{n}",
        "text": text,
        "type": "text",
        "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }
    return sign_sms_params(params, SECRET, "sha256", timestamp=int(time.time()))


def database(tmp: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp) as db:
        return db.execute("SELECT conversation_id, question_id, raw_text FROM answers").fetchall()


async def each_sent(fake: FakeVonage, per_phone: int) -> None:
    async def done() -> bool:
        return all(len(fake.sent_to(p)) >= per_phone for p in PHONES)

    await wait_for(done, what=f"{per_phone} SMS to every phone", seconds=30)


async def test_acknowledged_events_and_replies_survive_kill_9(
    setup: tuple[Process, FakeVonage, str], tmp_path: Path
) -> None:
    process, fake, url = setup
    headers = {"Authorization": f"Bearer {TOKEN}"}
    process.start()
    await ready(url)
    async with aiohttp.ClientSession() as http:
        for n, phone in enumerate(PHONES):
            async with http.post(f"{url}/v1/events", json=event(n, phone), headers=headers) as r:
                assert r.status == 202
        process.kill()  # the instant after the last acknowledgement
        process.start()
        await ready(url)
        await each_sent(fake, 2)  # the opening and the first question

        for n, phone in enumerate(PHONES):
            status = 0
            async with http.post(f"{url}/webhooks/vonage/inbound", data=reply(n, phone, "6")) as r:
                status = r.status
            assert status == 200
        process.kill()
        process.start()
        await ready(url)
        await each_sent(fake, 3)  # the second question
        await asyncio.sleep(3)  # past the grace for uncertain sends: nothing more may go out

    counts = fake.count_by_client_ref()
    assert sorted(set(counts.values())) == [1], [ref for ref, c in counts.items() if c > 1]
    assert all(len(fake.sent_to(p)) == 3 for p in PHONES)
    stored = database(tmp_path / "gateway.db")
    assert len(stored) == len(PHONES)
    assert {row[1:] for row in stored} == {("ces", "6")}

    process.stop()  # SIGTERM: a graceful stop
    assert process.proc is not None and process.proc.returncode == 0
    assert '"event": "gateway_stopped"' in (tmp_path / "gateway.log").read_text()
