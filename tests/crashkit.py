"""What the crash tests share: `smsbot serve` as a real process we can kill -9, and its set-up.

The gateway sends through the real SDK to our fake Vonage (tests/fakevonage.py), which posts
delivery receipts back as Vonage does (retrying until 2xx).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from smsbot.providers.vonage.webhooks import sign_sms_params
from tests.fakevonage import FakeVonage
from tests.harness import OUR_NUMBER, ROOT, SECRET, TOKEN, gateway_env, wait_for

__all__ = [
    "ANSWERS",
    "Crowd",
    "Process",
    "expected_texts",
    "flows_without_schedule",
    "free_port",
    "log_events",
    "process_env",
    "ready",
    "serving",
    "settled",
    "stored",
]


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


def process_env(tmp: Path, fake: FakeVonage, port: int, **overrides: str) -> dict[str, str]:
    """The environment of a `smsbot serve` process sending to `fake`, on `port`."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")},
        **gateway_env(
            tmp,
            **{
                "SMSBOT_TRANSPORT__KIND": "vonage-sms",
                "SMSBOT_VONAGE__REST_HOST": fake.host,
                "SMSBOT_SERVER__PORT": str(port),
                "SMSBOT_SENDING__UNCERTAIN_GRACE": "5s",
                "SMSBOT_FLOWS__DIR": str(flows_without_schedule(tmp / "flows")),
                "SMSBOT_CONFIG": str(ROOT / "config.toml"),
                **overrides,
            },
        ),
        "REQUESTS_CA_BUNDLE": fake.ca_path,
    }


@asynccontextmanager
async def serving(
    tmp: Path, fake_options: dict[str, Any] | None = None, **env: str
) -> AsyncIterator[tuple[Process, FakeVonage, str]]:
    """A fake Vonage posting signed receipts back, and a `smsbot serve` (not started) for it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    options: dict[str, Any] = {"receipt_workers": 4, **(fake_options or {})}
    async with FakeVonage(
        tmp, receipts_to=f"{url}/webhooks/vonage/status", receipt_secret=SECRET, **options
    ) as fake:
        process = Process(process_env(tmp, fake, port, **env), tmp / "gateway.log")
        try:
            yield process, fake, url
        finally:
            process.stop()


class Process:
    """`smsbot serve` as a child process, its output appended to `log` across restarts."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

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
        self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(15)


async def ready(url: str, seconds: float = 20) -> None:
    async def answers() -> bool:
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as r:
                return r.status == 200
        except aiohttp.ClientError:
            return False

    await wait_for(answers, what="the gateway to be ready", seconds=seconds)


def log_events(log: Path, name: str) -> list[dict[str, Any]]:
    """The gateway's JSON log lines with `"event": name`, across every restart."""
    found = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if f'"{name}"' not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == name:
            found.append(record)
    return found


# --- a crowd of citizens going through the contact-centre flow ----------------------------------

UNIT = "Kontaktcenter"
ANSWERS = ("6", "ja", "3", "nej", "Snabbt och vänligt bemötande")  # ces, solved, reason, ...


def expected_texts() -> list[str]:
    """What each citizen gets, in order, when answering `ANSWERS` in Swedish."""
    flow = yaml.safe_load((ROOT / "flows" / "contact-centre.yaml").read_text())
    questions = {q["id"]: q["text"]["sv"] for q in flow["questions"]}
    asked = ("ces", "solved", "reason", "web_first", "comment_other")  # ces 6, solved: no comment
    return [
        flow["opening"]["sv"].format(unit=UNIT),
        *(questions[q] for q in asked),
        flow["closing"]["sv"],
    ]


@dataclass
class Citizen:
    n: int
    phone: str
    event_acked: bool = False
    replies: list[dict[str, str]] = field(default_factory=list)  # the acknowledged ones
    pending: dict[str, str] | None = None  # signed once, posted again as is until acknowledged

    @property
    def acked(self) -> int:
        return len(self.replies)


class Crowd:
    """Citizens posting their event, then answering each question once it reaches them.

    A post that fails or times out (the gateway was killed) is posted again, unchanged, as
    Vonage retries a webhook and a source system retries an event: only acknowledgements count.
    """

    def __init__(self, url: str, fake: FakeVonage, size: int, tag: str, *, copies: int = 1) -> None:
        self.url, self.fake, self.tag = url, fake, tag
        self.copies = copies  # each event and reply posted this many times at once
        self.citizens = [Citizen(n, f"+467017{n:05d}") for n in range(size)]
        self.posts = 0  # every attempt, acknowledged or not
        self.refused: list[str] = []  # answers other than acknowledgements and "not yet"
        self.answers: Counter[str] = Counter()  # what the gateway said: "answered", "duplicate"

    @property
    def done(self) -> bool:
        return all(c.acked == len(ANSWERS) for c in self.citizens)

    @property
    def replies_acked(self) -> int:
        return sum(c.acked for c in self.citizens)

    async def all_closed(self, seconds: float) -> None:
        """Wait until every citizen has had every SMS of the flow, the closing last."""
        expected = len(expected_texts())

        async def closed() -> bool:
            return all(len(self.fake.sent_to(c.phone)) >= expected for c in self.citizens)

        await wait_for(closed, what="every closing SMS", seconds=seconds)

    async def run(self, seconds: float) -> None:
        timeout = aiohttp.ClientTimeout(total=3)
        deadline = time.monotonic() + seconds
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while not self.done:
                assert time.monotonic() < deadline, f"the crowd did not finish in {seconds} s"
                await asyncio.gather(*(self._next(http, c) for c in self.citizens))
                await asyncio.sleep(0.05)

    async def _next(self, http: aiohttp.ClientSession, citizen: Citizen) -> None:
        if not citizen.event_acked:
            citizen.event_acked = await self._post_event(http, citizen)
        elif citizen.acked < len(ANSWERS) and self._asked(citizen) > citizen.acked:
            signed = citizen.pending or self._signed_reply(citizen)
            citizen.pending = signed
            if await self._post_reply(http, signed):
                citizen.replies.append(signed)
                citizen.pending = None

    def _asked(self, citizen: Citizen) -> int:
        """How many questions have reached this citizen (the opening comes with the first)."""
        return len(self.fake.sent_to(citizen.phone.lstrip("+"))) - 1

    def _signed_reply(self, citizen: Citizen) -> dict[str, str]:
        params = {
            "msisdn": citizen.phone.lstrip("+"),
            "to": OUR_NUMBER,
            "messageId": f"{self.tag}-{citizen.n}-{citizen.acked}",
            "text": ANSWERS[citizen.acked],
            "type": "text",
            "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        }
        return sign_sms_params(params, SECRET, "sha256", timestamp=int(time.time()))

    async def _post_event(self, http: aiohttp.ClientSession, citizen: Citizen) -> bool:
        body = {
            "id": f"{self.tag}-{citizen.n}",
            "type": "contact.closed",
            "phone": citizen.phone,
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "unit": UNIT,
            "service": "Bygglov",
        }
        headers = {"Authorization": f"Bearer {TOKEN}"}
        return await self._post(http, "/v1/events", {"json": body, "headers": headers}, 202)

    async def _post_reply(self, http: aiohttp.ClientSession, signed: dict[str, str]) -> bool:
        return await self._post(http, "/webhooks/vonage/inbound", {"data": signed}, 200)

    async def _post(
        self, http: aiohttp.ClientSession, path: str, how: dict[str, Any], acked: int
    ) -> bool:
        copies = [self._post_once(http, path, how, acked) for _ in range(self.copies)]
        return any(await asyncio.gather(*copies))

    async def _post_once(
        self, http: aiohttp.ClientSession, path: str, how: dict[str, Any], acked: int
    ) -> bool:
        self.posts += 1
        try:
            async with http.post(self.url + path, **how) as answer:
                status = answer.status
                text = await answer.text()
        except (aiohttp.ClientError, TimeoutError):
            return False  # killed mid-request, or not up yet: post it again
        if status != acked and status != 503:
            self.refused.append(f"{path}: {status} {text[:200]}")
        if status == acked:
            self.answers[_status_of(text)] += 1
        return status == acked


def _status_of(text: str) -> str:
    """The `status` (a webhook) or first `decision` (an event) in the gateway's answer."""
    try:
        body = json.loads(text)
        return str(body.get("status") or body["results"][0]["decision"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return "?"


async def settled(fake: FakeVonage, database: Path, seconds: float = 30) -> None:
    """Wait until every receipt is taken and no SMS is left queued, sending or uncertain:
    from then on nothing more can go out."""

    async def nothing_pending() -> bool:
        return fake.receipts_pending == 0 and stored(database)["unsettled"] == []

    await wait_for(nothing_pending, what="the outbox and the receipts to settle", seconds=seconds)


def stored(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What the gateway stored, read straight from its SQLite file."""
    with sqlite3.connect(database) as db:
        return {
            "answers": db.execute(
                "SELECT c.phone, a.question_id, a.raw_text FROM answers a"
                " JOIN conversations c ON c.id = a.conversation_id ORDER BY a.id"
            ).fetchall(),
            "replies": db.execute(
                "SELECT provider_ref FROM messages WHERE direction = 'in'"
            ).fetchall(),
            "conversations": db.execute(
                "SELECT phone, status FROM conversations ORDER BY phone"
            ).fetchall(),
            "events": db.execute("SELECT source_id, decision FROM events").fetchall(),
            "unsettled": db.execute(
                "SELECT id, status FROM messages WHERE direction = 'out'"
                " AND status IN ('queued', 'sending', 'uncertain')"
            ).fetchall(),
        }
