"""A fake Vonage on loopback, speaking TLS, for the real SDK (or the gateway) to talk to.

    async with FakeVonage() as fake:              # or FakeVonage(tmp_path): where the CA goes
        os.environ["REQUESTS_CA_BUNDLE"] = fake.ca_path   # monkeypatch.setenv in tests
        settings = VonageSettings(..., rest_host=fake.host, api_host=fake.host)

    with FakeVonage(tmp_path) as fake:            # from synchronous code: runs in its own thread
        subprocess.run([...], env={**os.environ, **fake.env})

TLS: the SDK always builds `https://{host}{path}`, so the fake serves HTTPS with a certificate for
127.0.0.1 from a throwaway trustme CA, written to `fake.ca_path`. The SDK's `requests` session
trusts it through the `REQUESTS_CA_BUNDLE` environment variable, which requests reads on every
request (so it can be set after the client is made; a subprocess gets it from `fake.env`). It
replaces the default CA bundle for the whole process.

Endpoints:
- `POST /sms/json` (form, as the SDK sends it): credentials as HTTP Basic (what the SDK sends),
  `api_key`/`api_secret` in the form, or `api_key` + `sig` (checked when `signature_secret` is
  set). Wrong credentials answer status "4", a wrong signature status "14", as Vonage does.
  Success is one `messages` entry per part (160/153 GSM-7 septets, 70/67 UCS-2 units when
  `type=unicode`).
- `POST /v1/messages` (JSON): needs `Authorization: Bearer <JWT>` (the payload's
  `application_id` is checked when `application_id` is set); answers 202 `{"message_uuid"}`.

Scripted answers, one per request, then `fake.default` ("ok") for ever:
`fake.script(["ok", "throttle", "http429", "http500", "slow:2.5", "drop", "reject", "auth",
"partial", "status:7"])`. "throttle" is status 1 on the SMS API and HTTP 429 on the Messages
API; "reject" status 6 / HTTP 422; "auth" HTTP 401; "status:N" that SMS API status; "partial"
accepts the first part of a long text and throttles the rest; "slow:N" waits N seconds and then
accepts (also when the client has given up by then: as with Vonage, a timed-out send may still
go out); "drop" closes the connection without an answer. Each answer closes its connection,
unless `keep_alive=True` (then a client reuses it, as with Vonage). `fake.rate_limit(per_second=30)`
throttles requests beyond that many in any sliding second and counts them in `fake.throttled`.

Fault phases, by time rather than by request: `fake.phase("http500", share=0.7, seed=1)` answers
each request from now on with that answer (any of the scripted ones) with probability `share`,
drawn from a seeded generator, until `fake.phase(None)`. Scripted answers go first.

Records: `fake.requests` (every request), `fake.sent` (accepted messages only),
`fake.sent_to(number)`, `fake.count_by_client_ref()` (values > 1 are double sends). With
`receipts_to` set, a delivery receipt for each SMS API message is posted there (signed with
`receipt_secret`, if set) and retried until the receiver answers 2xx, like Vonage.
`receipt_statuses` (default just "delivered") are the receipts per message, e.g. ("accepted",
"buffered", "delivered"); `receipt_copies` posts each of them that many times; `receipt_shuffle`
(a seed) posts pending receipts in random order instead of first-in first-out, so a "delivered"
can come before the "accepted" of the same message; `receipt_workers` posts that many at once.
`fake.receipt_answers` counts the receiver's answers (its JSON `status`, or `HTTP n`);
`fake.receipts_pending` is what is still to be delivered; `fake.receipts_taken` lists
(messageId, status) in the order the receiver took them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import math
import random
import secrets
import ssl
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import trustme
from aiohttp import web

__all__ = ["FakeVonage", "Request", "Sent", "segments", "sign_params"]

# GSM 03.38: the basic table (one septet) and the extension table (escape + char: two).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")

_STATUS_TEXT = {
    "1": "Throughput Rate Exceeded - please wait [ 30 ] and retry",
    "2": "Missing api_key",
    "3": "Invalid to address",
    "4": "Bad Credentials",
    "5": "Internal Error",
    "6": "Invalid Message",
    "7": "Number barred",
    "9": "Partner quota exceeded",
    "14": "Invalid Signature",
}


def segments(text: str, *, unicode: bool) -> int:
    """How many SMS parts a text takes (as the fake bills it; independent of smsbot's code)."""
    if unicode:
        units, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    else:
        units, single, multi = sum(2 if c in _GSM_EXTENDED else 1 for c in text), 160, 153
    return 1 if units <= single else math.ceil(units / multi)


def _is_gsm(text: str) -> bool:
    return all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text)


def sign_params(params: Mapping[str, str], secret: str, method: str = "sha256") -> str:
    """Vonage's SMS API signature: sorted `&key=value` ('&' and '=' in values as '_'), then an
    HMAC with the secret, or for method "md5hash" the MD5 of that string with the secret added.
    """
    text = "".join(
        f"&{k}={str(v).replace('&', '_').replace('=', '_')}"
        for k, v in sorted(params.items())
        if k != "sig"
    )
    if method == "md5hash":
        return hashlib.md5((text + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), text.encode(), getattr(hashlib, method)).hexdigest()


@web.middleware
async def _no_keep_alive(request: web.Request, handler: Any) -> web.StreamResponse:
    """Each answer closes its connection, so nothing is left open when the fake stops."""
    response: web.StreamResponse = await handler(request)
    response.force_close()
    return response


@dataclass
class Request:
    """One request as received (whatever the answer)."""

    path: str
    data: dict[str, Any]  # the form (SMS API) or the JSON body (Messages API)
    time: float  # time.monotonic()
    answer: str  # the scripted answer it got
    authorization: str = ""

    @property
    def form(self) -> dict[str, Any]:
        return self.data if self.path == "/sms/json" else {}

    @property
    def json(self) -> dict[str, Any]:
        return self.data if self.path == "/v1/messages" else {}

    @property
    def client_ref(self) -> str | None:
        ref = self.data.get("client-ref") or self.data.get("client_ref")
        return str(ref) if ref else None

    @property
    def to(self) -> str:
        return str(self.data.get("to", ""))

    @property
    def text(self) -> str:
        return str(self.data.get("text", ""))

    @property
    def type(self) -> str:
        """SMS API `type` as sent ("text" if absent); Messages API `sms.encoding_type`."""
        if self.path == "/v1/messages":
            return str((self.data.get("sms") or {}).get("encoding_type", "auto"))
        return str(self.data.get("type") or "text")


@dataclass
class Sent:
    """A message the fake accepted (would have gone to the citizen)."""

    path: str
    to: str
    text: str
    client_ref: str | None
    type: str  # "text" | "unicode" (SMS API: as requested; Messages API: as detected)
    message_id: str  # the first part's message-id, or the message_uuid
    parts: int


@dataclass
class FakeVonage:
    directory: Path | None = None  # where the CA file goes; a temporary directory if None
    default: str = "ok"
    price: str = "0.0333"
    # Credentials checked when set; when None, any non-empty credentials pass.
    api_key: str | None = None
    api_secret: str | None = None
    signature_secret: str | None = None
    signature_method: str = "sha256"
    application_id: str | None = None
    receipts_to: str | None = None  # the gateway's SMS API status webhook
    receipt_secret: str | None = None
    receipt_statuses: tuple[str, ...] = ("delivered",)
    receipt_copies: int = 1
    receipt_shuffle: int | None = None  # a seed: post pending receipts in random order
    receipt_workers: int = 1
    keep_alive: bool = False  # keep connections open between answers, as Vonage does
    requests: list[Request] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    throttled: int = 0
    slow_now: int = 0  # "slow" answers being waited out now, and the most at once
    slow_peak: int = 0
    receipt_answers: Counter[str] = field(default_factory=Counter)
    receipts_taken: list[tuple[str, str]] = field(default_factory=list)  # (messageId, status)

    def __post_init__(self) -> None:
        self._script: deque[str] = deque()
        self._limit: float | None = None
        self._window: deque[float] = deque()
        self._pending_receipts: deque[dict[str, str]] = deque()
        self._posting = 0
        self._receipt_rng = random.Random(self.receipt_shuffle)
        self._phase: tuple[str, float, random.Random] | None = None
        self._receipt_task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port = 0

    # --- control --------------------------------------------------------------------------

    def script(self, answers: list[str]) -> None:
        """Queue answers, one per request, before `default` takes over again."""
        self._script.extend(answers)

    def phase(self, answer: str | None, share: float = 1.0, seed: int = 0) -> None:
        """Answer each request `answer` with probability `share` from now on (None: stop)."""
        self._phase = None if answer is None else (answer, share, random.Random(seed))

    def rate_limit(self, per_second: float | None) -> None:
        """Throttle requests beyond `per_second` in any sliding second (None: no limit)."""
        self._limit = per_second
        self._window.clear()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ca_path(self) -> str:
        if self.directory is None:
            raise RuntimeError("start the fake first: the CA is written when it starts")
        return str(self.directory / "fake-vonage-ca.pem")

    @property
    def env(self) -> dict[str, str]:
        """What a client process needs in its environment to trust the fake."""
        return {"REQUESTS_CA_BUNDLE": self.ca_path}

    def sent_to(self, number: str) -> list[Sent]:
        digits = number.lstrip("+")
        return [s for s in self.sent if s.to.lstrip("+") == digits]

    def count_by_client_ref(self) -> Counter[str | None]:
        return Counter(s.client_ref for s in self.sent)

    @property
    def receipts_pending(self) -> int:
        """Receipts queued or being posted: 0 when the receiver has taken every one."""
        return len(self._pending_receipts) + self._posting

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> FakeVonage:
        if self.directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="fakevonage-")
            self.directory = Path(self._tmp.name)
        app = web.Application(middlewares=[] if self.keep_alive else [_no_keep_alive])
        app.router.add_post("/sms/json", self._sms)
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._tls())
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._receipt_task = asyncio.create_task(self._post_receipts())
        return self

    def _tls(self) -> ssl.SSLContext:
        ca = trustme.CA()
        ca.cert_pem.write_to_path(self.ca_path)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context

    async def __aexit__(self, *exc: object) -> None:
        if self._receipt_task is not None:
            self._receipt_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._receipt_task
        if self._runner is not None:
            await self._runner.cleanup()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self.directory = None

    def start(self) -> FakeVonage:
        """Start in a thread of its own, with its own event loop (for synchronous callers)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fake-vonage", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.__aenter__(), self._loop).result(timeout=30)
        return self

    def stop(self) -> None:
        """Stop what `start()` started."""
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.__aexit__(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
        self._loop, self._thread = None, None

    def __enter__(self) -> FakeVonage:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- behaviour ------------------------------------------------------------------------

    def _next_answer(self) -> str:
        if self._over_limit():
            self.throttled += 1
            return "throttle"
        if self._script:
            return self._script.popleft()
        if self._phase is not None:
            answer, share, rng = self._phase
            if rng.random() < share:
                return answer
        return self.default

    def _over_limit(self) -> bool:
        if self._limit is None:
            return False
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self._limit:
            return True
        self._window.append(now)
        return False

    async def _misbehave(self, request: web.Request, answer: str) -> web.Response | None:
        """The scripted misbehaviour common to both APIs, or None to go on."""
        if answer.startswith("slow:"):
            self.slow_now += 1
            self.slow_peak = max(self.slow_peak, self.slow_now)
            try:
                await asyncio.sleep(float(answer.split(":", 1)[1]))
            finally:
                self.slow_now -= 1
            return None
        if answer == "drop":
            assert request.transport is not None
            request.transport.close()
            # aiohttp's own path for a connection gone mid-request: nothing is written back.
            raise asyncio.CancelledError
        statuses = {"http429": 429, "http500": 500, "auth": 401}
        if answer in statuses:
            title = {429: "Too Many Requests", 500: "Internal Error", 401: "Unauthorized"}
            status = statuses[answer]
            return web.json_response({"title": title[status]}, status=status)
        return None

    # --- SMS API ----------------------------------------------------------------------------

    async def _sms(self, request: web.Request) -> web.Response:
        data = {k: str(v) for k, v in (await request.post()).items()}
        answer = self._next_answer()
        authorization = request.headers.get("Authorization", "")
        self.requests.append(Request("/sms/json", data, time.monotonic(), answer, authorization))
        refused = self._sms_credentials(data, authorization)
        if refused is not None:
            return _sms_status(refused)
        early = await self._misbehave(request, answer)
        if early is not None:
            return early
        if answer == "throttle":
            return _sms_status("1")
        if answer == "reject":
            return _sms_status("6")
        if answer.startswith("status:"):
            return _sms_status(answer.split(":", 1)[1])
        return web.json_response(self._accept_sms(data, partial=answer == "partial"))

    def _sms_credentials(self, data: dict[str, str], authorization: str) -> str | None:
        """The refusal status for bad credentials, or None."""
        key, secret = _basic(authorization) or (data.get("api_key"), data.get("api_secret"))
        if not key:
            return "2"
        if self.api_key is not None and key != self.api_key:
            return "4"
        if "sig" in data and not secret:
            return self._signature_status(data)
        if not secret or (self.api_secret is not None and secret != self.api_secret):
            return "4"
        return None

    def _signature_status(self, data: dict[str, str]) -> str | None:
        if self.signature_secret is None:
            return None
        expected = sign_params(data, self.signature_secret, self.signature_method)
        return None if hmac.compare_digest(expected, data["sig"].lower()) else "14"

    def _accept_sms(self, data: dict[str, str], *, partial: bool = False) -> dict[str, Any]:
        text, unicode = data.get("text", ""), data.get("type") == "unicode"
        parts = segments(text, unicode=unicode)
        ids = [uuid.uuid4().hex[:16].upper() for _ in range(parts)]
        ref = data.get("client-ref")
        messages = [self._sms_part(data, message_id) for message_id in ids]
        if partial and parts > 1:
            for part in messages[1:]:
                part.clear()
                part.update({"status": "1", "error-text": _STATUS_TEXT["1"]})
        else:
            to = data.get("to", "")
            kind = "unicode" if unicode else "text"
            self.sent.append(Sent("/sms/json", to, text, ref, kind, ids[0], parts))
            self._queue_receipt(data, ids[0])
        return {"message-count": str(parts), "messages": messages}

    def _sms_part(self, data: dict[str, str], message_id: str) -> dict[str, str]:
        part = {
            "to": data.get("to", ""),
            "message-id": message_id,
            "status": "0",
            "remaining-balance": "10.0",
            "message-price": self.price,
            "network": "24001",
        }
        if data.get("client-ref"):
            part["client-ref"] = data["client-ref"]
        return part

    # --- delivery receipts ------------------------------------------------------------------

    def _queue_receipt(self, data: dict[str, str], message_id: str) -> None:
        for status in self.receipt_statuses:
            receipt = {
                "msisdn": data.get("to", ""),
                "to": data.get("from", ""),
                "messageId": message_id,
                "status": status,
                "err-code": "0",
                "price": self.price,
                "client-ref": data.get("client-ref", ""),
                "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            }
            self._pending_receipts.extend(dict(receipt) for _ in range(self.receipt_copies))

    def _signed_receipt(self, receipt: dict[str, str]) -> dict[str, str]:
        if not self.receipt_secret:
            return receipt
        signed = {**receipt, "timestamp": str(int(time.time())), "nonce": secrets.token_hex(8)}
        signed["sig"] = sign_params(signed, self.receipt_secret, "sha256")
        return signed

    async def _post_receipts(self) -> None:
        """Like Vonage: a delivery receipt per message, retried until the receiver answers 2xx."""
        async with aiohttp.ClientSession() as http:
            workers = max(1, self.receipt_workers)
            await asyncio.gather(*(self._receipt_worker(http) for _ in range(workers)))

    async def _receipt_worker(self, http: aiohttp.ClientSession) -> None:
        while True:
            if not self._pending_receipts or self.receipts_to is None:
                await asyncio.sleep(0.05)
                continue
            receipt = self._take_receipt()
            self._posting += 1
            try:
                delivered = await self._post_receipt(http, self.receipts_to, receipt)
            finally:
                self._posting -= 1
            if not delivered:
                self._pending_receipts.appendleft(receipt)  # retried first, as before
                await asyncio.sleep(0.2)

    def _take_receipt(self) -> dict[str, str]:
        if self.receipt_shuffle is None:
            return self._pending_receipts.popleft()
        index = self._receipt_rng.randrange(len(self._pending_receipts))
        receipt = self._pending_receipts[index]
        del self._pending_receipts[index]
        return receipt

    async def _post_receipt(
        self, http: aiohttp.ClientSession, url: str, receipt: dict[str, str]
    ) -> bool:
        try:
            async with http.post(url, data=self._signed_receipt(receipt)) as response:
                text = await response.text()
        except aiohttp.ClientError:
            return False
        if not 200 <= response.status < 300:
            return False
        try:
            answer = json.loads(text).get("status")
        except (ValueError, AttributeError):
            answer = None
        self.receipt_answers[str(answer or f"HTTP {response.status}")] += 1
        self.receipts_taken.append((receipt["messageId"], receipt["status"]))
        return True

    # --- Messages API -----------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            data = json.loads(await request.read())
        except ValueError:
            return _problem(400, "Bad Request")
        answer = self._next_answer()
        authorization = request.headers.get("Authorization", "")
        self.requests.append(Request("/v1/messages", data, time.monotonic(), answer, authorization))
        if not self._jwt_ok(authorization):
            return _problem(401, "Unauthorized")
        early = await self._misbehave(request, answer)
        if early is not None:
            return early
        if answer == "throttle":
            return _problem(429, "Too Many Requests")
        if answer == "reject" or answer.startswith("status:"):
            return _problem(422, "Invalid params", "The value of one or more parameters is invalid")
        return self._accept_message(data)

    def _jwt_ok(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or token.count(".") != 2:
            return False
        try:
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, binascii.Error):
            return False
        if self.application_id is None:
            return bool(claims.get("application_id"))
        return bool(claims.get("application_id") == self.application_id)

    def _accept_message(self, data: dict[str, Any]) -> web.Response:
        message_uuid = str(uuid.uuid4())
        text = str(data.get("text", ""))
        encoding = str((data.get("sms") or {}).get("encoding_type", "auto"))
        unicode = encoding == "unicode" or (encoding == "auto" and not _is_gsm(text))
        self.sent.append(
            Sent(
                "/v1/messages",
                str(data.get("to", "")),
                text,
                data.get("client_ref"),
                "unicode" if unicode else "text",
                message_uuid,
                segments(text, unicode=unicode),
            )
        )
        return web.json_response({"message_uuid": message_uuid}, status=202)


def _basic(authorization: str) -> tuple[str, str] | None:
    scheme, _, encoded = authorization.partition(" ")
    if scheme != "Basic":
        return None
    try:
        key, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (ValueError, binascii.Error):
        return None
    return key, secret


def _sms_status(status: str) -> web.Response:
    """An SMS API refusal: HTTP 200 with a non-zero status, as Vonage answers."""
    error = {"status": status, "error-text": _STATUS_TEXT.get(status, "Error")}
    return web.json_response({"message-count": "1", "messages": [error]})


def _problem(status: int, title: str, detail: str = "") -> web.Response:
    body = {"type": f"https://developer.vonage.com/api-errors#{status}", "title": title}
    if detail:
        body["detail"] = detail
    return web.json_response(body, status=status)
