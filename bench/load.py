"""The load driver: a bounded pool of HTTP workers, and simulated citizens fed by the provider.

Every request (events, inbound replies, delivery receipts) goes through `Driver`: at most
`concurrency` in flight, optionally paced to a fixed rate, each one timed from sending until
its answer's body is read. A 5xx or a dropped connection is tried again (as Vonage retries),
at most `MAX_TRIES` times; every loop here is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.citizens import Citizen, Script, event, inbound_body, receipt_body
from bench.procs import self_cpu_s
from bench.stats import latency_ms, sustained_rate

MAX_TRIES = 3
FORM = "application/x-www-form-urlencoded"
INBOUND = "/webhooks/vonage/inbound"
STATUS = "/webhooks/vonage/status"
EVENT_BATCH = 100


@dataclass(frozen=True)
class Job:
    kind: str  # inbound | status | events
    path: str
    body: bytes
    content_type: str = FORM


class Pacer:
    """Starts requests evenly at `rate` a second (an open-loop offered load)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(self.next, now)
        self.next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    done_at: list[float] = field(default_factory=list)  # webhooks answered 2xx
    answers: Counter[str] = field(default_factory=Counter)  # "kind status"
    retried: int = 0
    failed: int = 0
    first: float = 0.0
    last: float = 0.0

    def webhook_latencies(self) -> list[float]:
        return self.latencies["inbound"] + self.latencies["status"]


class Driver:
    """A pool of workers posting jobs from a queue; `record` keeps the webhooks for replay."""

    def __init__(
        self, http: aiohttp.ClientSession, url: str, concurrency: int, rate: float | None = None
    ) -> None:
        self.http, self.url, self.concurrency = http, url, concurrency
        self.pacer = Pacer(rate) if rate else None
        self.queue: asyncio.Queue[tuple[Job, int]] = asyncio.Queue()
        self.tally = Tally()
        self.recorded: list[Job] = []
        self.record = False
        self._workers: list[asyncio.Task[None]] = []

    def put(self, job: Job) -> None:
        if self.record and job.kind != "events":
            self.recorded.append(job)
        self.queue.put_nowait((job, 1))

    def start(self) -> None:
        self.tally.first = time.monotonic()
        self._workers = [asyncio.create_task(self._work()) for _ in range(self.concurrency)]

    async def drain(self, deadline: float) -> bool:
        """Wait until every job is answered (True) or the deadline passes (False)."""
        try:
            await asyncio.wait_for(self.queue.join(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _work(self) -> None:
        while True:
            job, attempt = await self.queue.get()
            try:
                if self.pacer is not None and job.kind != "events":
                    await self.pacer.wait()
                await self._post(job, attempt)
            finally:
                self.queue.task_done()

    async def _post(self, job: Job, attempt: int) -> None:
        started = time.monotonic()
        status = 0
        try:
            headers = {"Content-Type": job.content_type, **_auth(job)}
            async with self.http.post(self.url + job.path, data=job.body, headers=headers) as r:
                await r.read()
                status = r.status
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        self._count(job, attempt, status, started, time.monotonic())

    def _count(self, job: Job, attempt: int, status: int, started: float, ended: float) -> None:
        tally = self.tally
        tally.answers[f"{job.kind} {status}"] += 1
        if 200 <= status < 300:
            tally.latencies[job.kind].append(ended - started)
            if job.kind != "events":
                tally.done_at.append(ended)
            tally.last = max(tally.last, ended)
        elif (status == 0 or status >= 500) and attempt < MAX_TRIES:
            tally.retried += 1
            self.queue.put_nowait((job, attempt + 1))
        else:
            tally.failed += 1


TOKEN = "bench-token"


def _auth(job: Job) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"} if job.kind == "events" else {}


class Provider:
    """The fake provider's control port: what was sent, counts, reset."""

    def __init__(self, http: aiohttp.ClientSession, control_url: str) -> None:
        self.http, self.url = http, control_url
        self.cursor = 0

    async def new_sent(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.url}/sent", params={"after": self.cursor}) as r:
            data = await r.json()
        self.cursor = int(data["next"])
        return list(data["sent"])

    async def stats(self) -> dict[str, Any]:
        async with self.http.get(f"{self.url}/stats") as r:
            return dict(await r.json())

    async def reset(self, rate: float | None) -> None:
        query = {"rate": "none" if rate is None else str(rate)}
        async with self.http.post(f"{self.url}/reset", params=query) as r:
            await r.read()
        self.cursor = 0


@dataclass
class LoadResult:
    conversations: int
    completed: int
    webhooks: int
    seconds: float
    tally: Tally
    driver_cpu_s: float
    finished: bool

    def figures(self) -> dict[str, Any]:
        hooks = self.tally.webhook_latencies()
        return {
            "conversations": self.conversations,
            "completed": self.completed,
            "finished_in_time": self.finished,
            "webhooks": self.webhooks,
            "seconds": round(self.seconds, 2),
            "webhooks_per_s": round(self.webhooks / self.seconds, 1) if self.seconds else 0.0,
            "sustained_webhooks_per_s": round(sustained_rate(self.tally.done_at), 1),
            "conversations_per_s": round(self.completed / self.seconds, 2) if self.seconds else 0,
            **latency_ms(hooks),
            "events": {"requests": len(self.tally.latencies["events"]), **self._events()},
            "answers": dict(self.tally.answers),
            "retried": self.tally.retried,
            "failed": self.tally.failed,
            "driver_cpu_s": round(self.driver_cpu_s, 2),
        }

    def _events(self) -> dict[str, float]:
        return latency_ms(self.tally.latencies["events"])


class Conversations:
    """Citizens through the whole flow: events in, every SMS answered and receipted."""

    def __init__(
        self, driver: Driver, provider: Provider, script: Script, citizens: dict[str, Citizen]
    ) -> None:
        self.driver, self.provider, self.script = driver, provider, script
        self.citizens = citizens
        self.completed = 0
        self.replies = 0
        self.prefix = f"bench-{time.monotonic_ns():x}"

    async def run(self, limit_s: float, poll_s: float = 0.02) -> LoadResult:
        """Until every conversation is completed and every request answered, or `limit_s`."""
        deadline = time.monotonic() + limit_s
        cpu = self_cpu_s()
        self.driver.start()
        try:
            self._post_events()
            while time.monotonic() < deadline and self.completed < len(self.citizens):
                for sent in await self.provider.new_sent():
                    self._on_sent(sent)
                await asyncio.sleep(poll_s)
            drained = await self.driver.drain(deadline)
        finally:
            await self.driver.stop()
        result = _result(self.driver.tally, self_cpu_s() - cpu, drained)
        result.conversations, result.completed = len(self.citizens), self.completed
        result.finished = drained and self.completed == len(self.citizens)
        return result

    def _post_events(self) -> None:
        people = list(self.citizens.values())
        for start in range(0, len(people), EVENT_BATCH):
            batch = [
                event(c, f"{self.prefix}-ev-{start + i}")
                for i, c in enumerate(people[start : start + EVENT_BATCH])
            ]
            body = json.dumps(batch).encode()
            self.driver.put(Job("events", "/v1/events", body, "application/json"))

    def _on_sent(self, sent: dict[str, Any]) -> None:
        self.driver.put(Job("status", STATUS, receipt_body(sent["to"], sent["id"], sent["ref"])))
        citizen = self.citizens.get(str(sent["to"]))
        if citizen is None or citizen.done:
            return
        question = self.script.question_of(sent["text"])
        if question is not None:
            self.replies += 1
            citizen.asked.append(question)
            message_id = f"{self.prefix}-in-{self.replies}"
            body = inbound_body(citizen, citizen.answers[question], message_id)
            self.driver.put(Job("inbound", INBOUND, body))
        elif self.script.is_closing(sent["text"]):
            citizen.done = True
            self.completed += 1


async def replay(driver: Driver, jobs: list[Job], limit_s: float) -> LoadResult:
    """The same requests again, as fast as the pool allows (for the ceiling)."""
    cpu = self_cpu_s()
    driver.start()
    try:
        for job in jobs:
            driver.put(job)
        drained = await driver.drain(time.monotonic() + limit_s)
    finally:
        await driver.stop()
    return _result(driver.tally, self_cpu_s() - cpu, drained)


def _result(tally: Tally, cpu: float, finished: bool) -> LoadResult:
    seconds = (tally.last or time.monotonic()) - tally.first
    return LoadResult(0, 0, len(tally.done_at), seconds, tally, cpu, finished)
