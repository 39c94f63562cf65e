"""The necessary-work app: only the work a webhook cannot do without, as a yardstick for smsbot.

    python -m bench.necessary PORT DATABASE PROVIDER_HOST CA_FILE

For each signed SMS API inbound webhook: read the form, check its SHA-256 HMAC signature with
smsbot's own check (`verify_sms_signature`, the same secret and method the load signs with),
then one durable unit of work: read the citizen's active conversation (one lookup in smsbot's
own index, standing for "where is this conversation"), insert the inbound message and the
next outgoing message (status `sending`). Units share COMMITs (smsbot's own writer thread,
`storage.sqlite.threads`: group commit, `BEGIN IMMEDIATE`, WAL, `synchronous=FULL`). 200
only after the COMMIT. Then the SMS goes to the provider's SMS API (POST /sms/json) with one
aiohttp session (keep-alive, TLS), and its result ("sent" with the provider's id, or
"failed") is recorded in batches of units.

For each signed delivery receipt: the same check, then one durable unit that updates the
message the receipt is about (by the provider's id), then 200.

No engine, no flow, no logging, no metrics: whatever smsbot does beyond this is its overhead.
It writes into smsbot's own `messages` table on a copy of the same history, so its indexes are
as deep as smsbot's. The counts it keeps are read at GET /counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import ssl
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench.citizens import API_KEY, OUR_NUMBER, SECRET
from smsbot.providers.vonage.webhooks import extract_params, verify_sms_signature
from smsbot.storage.sqlite.db import connect
from smsbot.storage.sqlite.threads import Writer

API_SECRET = "bench-api-secret"
NEXT_TEXT = (
    "Tack! Hur lätt var det att få hjälp med ditt ärende idag? Svara med en siffra från 1"
    " (mycket svårt) till 7 (mycket lätt)."
)
RESULT_BATCH_S = 0.005  # results wait at most this long to share a unit
SENDERS = 64  # SMS in flight to the provider at most (connections kept alive)


Outgoing = tuple[int, str]  # the outgoing message's id and client ref


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def take_inbound(params: dict[str, str]) -> Callable[[sqlite3.Connection], Outgoing | None]:
    """The webhook's unit: where the citizen is, the inbound message, the next outgoing one."""
    phone, ref, text = "+" + params["msisdn"], params["messageId"], params.get("text", "")
    sender = "+" + params.get("to", "")

    def work(conn: sqlite3.Connection) -> Outgoing | None:
        now = _now()
        last = conn.execute(
            "SELECT id, step FROM conversations WHERE phone = ? AND sender = ?"
            " AND status = 'active'",
            (phone, sender),
        ).fetchone()
        conversation, step = (last[0], (last[1] or 0) + 1) if last else (None, 1)
        kept = conn.execute(
            "INSERT OR IGNORE INTO messages (conversation_id, direction, phone, body, purpose,"
            " status, provider_ref, created_at, updated_at)"
            " VALUES (?, 'in', ?, ?, 'reply', 'received', ?, ?, ?)",
            (conversation, phone, text, ref, now, now),
        )
        if not kept.rowcount:  # a webhook sent again: answered, nothing more to send
            return None
        client_ref = uuid.uuid4().hex
        out = conn.execute(
            "INSERT INTO messages (conversation_id, direction, phone, body, purpose, step,"
            " status, priority, attempts, client_ref, created_at, updated_at)"
            " VALUES (?, 'out', ?, ?, 'question', ?, 'sending', 0, 1, ?, ?, ?)",
            (conversation, phone, NEXT_TEXT, step, client_ref, now, now),
        )
        return int(out.lastrowid or 0), client_ref

    return work


def take_receipt(params: dict[str, str]) -> Any:
    status, ref = params.get("status", ""), params["messageId"]

    def work(conn: sqlite3.Connection) -> int:
        cur = conn.execute(
            "UPDATE messages SET status = ?, updated_at = ? WHERE provider_ref = ?"
            " AND direction = 'out'",
            (status, _now(), ref),
        )
        return cur.rowcount

    return work


def record_results(results: list[tuple[int, str, str | None]]) -> Any:
    def work(conn: sqlite3.Connection) -> None:
        now = _now()
        conn.executemany(
            "UPDATE messages SET status = ?, provider_ref = ?, updated_at = ? WHERE id = ?",
            [(status, ref, now, message_id) for message_id, status, ref in results],
        )

    return work


class App:
    def __init__(self, db: Path, provider_host: str, ca: str) -> None:
        self.writer = Writer(lambda: connect(db), name=db.name)
        self.provider = f"https://{provider_host}/sms/json"
        self.tls = ssl.create_default_context(cafile=ca)
        self.http: aiohttp.ClientSession | None = None
        self.counts = {"inbound": 0, "receipts": 0, "receipts_matched": 0, "sent": 0, "failed": 0}
        self.results: list[tuple[int, str, str | None]] = []
        self.flusher: asyncio.Task[None] | None = None
        self.sending: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(SENDERS)

    async def start(self, app: web.Application) -> None:
        self.writer.start()
        connector = aiohttp.TCPConnector(limit=SENDERS, ssl=self.tls)
        self.http = aiohttp.ClientSession(connector=connector)

    async def stop(self, app: web.Application) -> None:
        if self.sending:
            await asyncio.gather(*self.sending, return_exceptions=True)
        if self.flusher is not None:
            await self.flusher
        if self.http is not None:
            await self.http.close()
        await self.writer.close()

    async def _params(self, request: web.Request) -> dict[str, str] | None:
        body = await request.read()
        params = extract_params(request.method, request.content_type, request.query, body)
        check = verify_sms_signature(params, SECRET, "sha256", now=datetime.now(UTC))
        return params if check.ok else None

    async def inbound(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        if params is None:
            return web.Response(status=401)
        outgoing = await self.writer.run(take_inbound(params))
        if outgoing is None:
            return web.Response(text="ok")
        self.counts["inbound"] += 1
        task = asyncio.create_task(self._send(*outgoing, "+" + params["msisdn"]))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)
        return web.Response(text="ok")

    async def receipt(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        if params is None:
            return web.Response(status=401)
        matched = await self.writer.run(take_receipt(params))
        self.counts["receipts"] += 1
        self.counts["receipts_matched"] += matched
        return web.Response(text="ok")

    async def _send(self, message_id: int, client_ref: str, to: str) -> None:
        form = {
            "api_key": API_KEY,
            "api_secret": API_SECRET,
            "from": OUR_NUMBER,
            "to": to.lstrip("+"),
            "text": NEXT_TEXT,
            "type": "unicode",
            "client-ref": client_ref,
        }
        assert self.http is not None
        async with self.slots:
            try:
                async with self.http.post(self.provider, data=form) as response:
                    answer = await response.json(content_type=None)
                part = answer["messages"][0]
                ok = part.get("status") == "0"
                result = ("sent", str(part["message-id"])) if ok else ("failed", None)
            except (aiohttp.ClientError, TimeoutError, KeyError, ValueError):
                result = ("failed", None)  # smsbot would record it as uncertain
        self.counts[result[0]] += 1
        self.results.append((message_id, *result))
        if self.flusher is None:
            self.flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(RESULT_BATCH_S)
        batch, self.results, self.flusher = self.results, [], None
        await self.writer.run(record_results(batch))

    async def report(self, request: web.Request) -> web.Response:
        busy = {"in_flight": len(self.sending), "results_waiting": len(self.results)}
        return web.json_response({**self.counts, **busy, "commits": self.writer.commits})


async def ready(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build(db: Path, provider_host: str, ca: str) -> web.Application:
    state = App(db, provider_host, ca)
    app = web.Application()
    app.on_startup.append(state.start)
    app.on_cleanup.append(state.stop)
    app.router.add_post("/webhooks/vonage/inbound", state.inbound)
    app.router.add_post("/webhooks/vonage/status", state.receipt)
    app.router.add_get("/counts", state.report)
    app.router.add_get("/readyz", ready)
    return app


async def main(port: int, db: Path, provider_host: str, ca: str) -> None:
    runner = web.AppRunner(build(db, provider_host, ca), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    with contextlib.suppress(asyncio.CancelledError):
        await stop.wait()
    started = time.monotonic()
    await runner.cleanup()
    print(f"stopped in {time.monotonic() - started:.2f}s", flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]))
