"""A fake Vonage on loopback, speaking TLS, for the real SDK to talk to.

The SDK always builds `https://{host}{path}`; `host` is "127.0.0.1:PORT". The certificate comes
from a throwaway CA made by trustme; the SDK's requests session trusts it through the
`REQUESTS_CA_BUNDLE` environment variable (set it to `fake.ca_path`).

Behaviour is scripted: `fake.script(["throttle", "http500", "slow:2", "drop", "reject"])` queues
answers, one per request, then `fake.default` ("ok") for the rest. `fake.rate_limit(30)` answers
Throttled beyond 30 requests in any sliding second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import trustme
from aiohttp import web

from smsbot.engine.sms_text import Encoding, measure
from smsbot.transport.vonage_webhooks import sign_sms_params


@web.middleware
async def _no_keep_alive(request: web.Request, handler: Any) -> web.StreamResponse:
    """Each answer closes its connection, so nothing is left open when the fake stops."""
    response: web.StreamResponse = await handler(request)
    response.force_close()
    return response


@dataclass
class Request:
    path: str
    data: dict[str, Any]
    at: float
    answer: str

    @property
    def client_ref(self) -> str | None:
        return self.data.get("client-ref") or self.data.get("client_ref")

    @property
    def to(self) -> str:
        return str(self.data.get("to", ""))

    @property
    def text(self) -> str:
        return str(self.data.get("text", ""))


@dataclass
class Sent:
    path: str
    to: str
    text: str
    client_ref: str | None
    type: str
    message_id: str
    parts: int


@dataclass
class FakeVonage:
    directory: Path
    default: str = "ok"
    requests: list[Request] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    throttled: int = 0
    price: str = "0.0333"

    receipts_to: str | None = None  # the gateway's status webhook: receipts go there
    receipt_secret: str | None = None

    def __post_init__(self) -> None:
        self._pending_receipts: deque[dict[str, str]] = deque()
        self._receipt_task: asyncio.Task[None] | None = None
        self._script: deque[str] = deque()
        self._limit: float | None = None
        self._window: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- control --------------------------------------------------------------------------

    def script(self, answers: list[str]) -> None:
        self._script.extend(answers)

    def rate_limit(self, per_second: float) -> None:
        self._limit = per_second

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ca_path(self) -> str:
        return str(self.directory / "fake-vonage-ca.pem")

    def sent_to(self, number: str) -> list[Sent]:
        digits = number.lstrip("+")
        return [s for s in self.sent if s.to.lstrip("+") == digits]

    def count_by_client_ref(self) -> Counter[str | None]:
        return Counter(s.client_ref for s in self.sent)

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> FakeVonage:
        ca = trustme.CA()
        ca.cert_pem.write_to_path(self.ca_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        app = web.Application(middlewares=[_no_keep_alive])
        app.router.add_post("/sms/json", self._sms)
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        self._receipt_task = asyncio.create_task(self._post_receipts())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._receipt_task is not None:
            self._receipt_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._receipt_task
        if self._runner is not None:
            await self._runner.cleanup()

    # --- behaviour ------------------------------------------------------------------------

    def _next_answer(self) -> str:
        if self._limit is not None and self._over_limit():
            self.throttled += 1
            return "throttle"
        return self._script.popleft() if self._script else self.default

    def _over_limit(self) -> bool:
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if self._limit is not None and len(self._window) >= self._limit:
            return True
        self._window.append(now)
        return False

    async def _answer(self, request: web.Request, answer: str) -> web.Response | None:
        """The scripted misbehaviour, or None to answer normally."""
        if answer.startswith("slow:"):
            await asyncio.sleep(float(answer.split(":", 1)[1]))
            return None
        if answer == "drop":
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError
        if answer == "http429":
            return web.json_response({"title": "Too Many Requests"}, status=429)
        if answer == "http500":
            return web.json_response({"title": "Internal Error"}, status=500)
        if answer == "auth":
            return web.json_response({"title": "Unauthorized"}, status=401)
        return None

    async def _sms(self, request: web.Request) -> web.Response:
        data = dict(await request.post())
        answer = self._next_answer()
        self.requests.append(Request("/sms/json", data, time.monotonic(), answer))
        early = await self._answer(request, answer)
        if early is not None:
            return early
        if answer in ("throttle", "reject"):
            status, error = (
                ("1", "Throughput Rate Exceeded")
                if answer == "throttle"
                else ("6", "Invalid Message")
            )
            body = {"message-count": "1", "messages": [{"status": status, "error-text": error}]}
            return web.json_response(body)
        return web.json_response(self._accept_sms(data))

    async def _post_receipts(self) -> None:
        """Like Vonage: a delivery receipt per message, retried until the gateway answers 2xx."""
        async with aiohttp.ClientSession() as http:
            while True:
                if not self._pending_receipts or self.receipts_to is None:
                    await asyncio.sleep(0.05)
                    continue
                receipt = self._pending_receipts[0]
                if self.receipt_secret:
                    receipt = sign_sms_params(
                        receipt, self.receipt_secret, "sha256", timestamp=int(time.time())
                    )
                try:
                    async with http.post(self.receipts_to, data=receipt) as response:
                        delivered = 200 <= response.status < 300
                except aiohttp.ClientError:
                    delivered = False
                if delivered:
                    self._pending_receipts.popleft()
                else:
                    await asyncio.sleep(0.2)

    def _queue_receipt(self, data: dict[str, Any], message_id: str) -> None:
        self._pending_receipts.append(
            {
                "msisdn": str(data.get("to")),
                "to": str(data.get("from")),
                "messageId": message_id,
                "status": "delivered",
                "err-code": "0",
                "price": self.price,
                "client-ref": str(data.get("client-ref") or ""),
                "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            }
        )

    def _accept_sms(self, data: dict[str, Any]) -> dict[str, Any]:
        text = str(data.get("text", ""))
        cost = measure(text)
        unicode = data.get("type") == "unicode" or cost.encoding is Encoding.UCS2
        parts = cost.segments
        ids = [uuid.uuid4().hex[:16].upper() for _ in range(parts)]
        ref = data.get("client-ref")
        self.sent.append(
            Sent("/sms/json", str(data.get("to")), text, ref, "unicode" if unicode else "text",
                 ids[0], parts)
        )  # fmt: skip
        self._queue_receipt(data, ids[0])
        messages = [
            {
                "to": data.get("to"),
                "message-id": message_id,
                "status": "0",
                "remaining-balance": "10.0",
                "message-price": self.price,
                "network": "24001",
                **({"client-ref": ref} if ref else {}),
            }
            for message_id in ids
        ]
        return {"message-count": str(parts), "messages": messages}

    async def _messages(self, request: web.Request) -> web.Response:
        data = json.loads(await request.read())
        answer = self._next_answer()
        self.requests.append(Request("/v1/messages", data, time.monotonic(), answer))
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"title": "Unauthorized"}, status=401)
        early = await self._answer(request, answer)
        if early is not None:
            return early
        if answer == "throttle":
            return web.json_response({"title": "Too Many Requests"}, status=429)
        if answer == "reject":
            return web.json_response({"title": "Invalid params"}, status=422)
        uuid_ = str(uuid.uuid4())
        text = str(data.get("text", ""))
        self.sent.append(
            Sent("/v1/messages", str(data.get("to")), text, data.get("client_ref"), "text",
                 uuid_, measure(text).segments)
        )  # fmt: skip
        return web.json_response({"message_uuid": uuid_}, status=202)
