"""What both SDK-in-threads transports share: a thread pool, one SDK client per thread, errors.

smsbot sends with aiohttp now (smsbot.providers.vonage.wire); this path is kept for
`bench/send_client.py` and the tests that hold both to the same guarantees. `digits` and
`map_error` (for the SDK models' validation errors) serve both.

The SDK is synchronous (requests), so sends run in a bounded pool of threads and the event loop
never waits on the network. Each thread has its own SDK client: the SDK keeps one mutable header
dict per client (the Authorization and Content-Type of the last call), so clients are never
shared between threads or between the two APIs.

Every client is built with `max_retries=0` and `pool_maxsize=1` (one thread uses it, so one
connection is all it needs). Both matter: urllib3 then never retries, and the SDK's own loop,
which re-sends a request whose connection closed without an answer (`RemoteDisconnected`) up to
`pool_maxsize` times (10 by default: the same SMS ten times), runs once. Our outbox does the
retrying, with the same client reference.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pydantic
import requests
import vonage
from vonage_http_client import errors as http_errors
from vonage_utils.errors import VonageError

from smsbot.providers.base import SendError, VonageSettings
from smsbot.providers.vonage.wire import http_error

__all__ = ["SDK_ERRORS", "ThreadedClient", "digits", "map_error"]

T = TypeVar("T")

# What the SDK and requests raise for a send that did not go through. Anything else is a bug and
# propagates (the sender logs it loudly and retries).
SDK_ERRORS: tuple[type[Exception], ...] = (
    VonageError,
    requests.RequestException,
    pydantic.ValidationError,
)


def digits(phone: str) -> str:
    """E.164 as the Vonage APIs want it: digits only, no '+'."""
    return "".join(ch for ch in phone if ch.isdigit())


def _quiet_sdk_logger() -> None:
    # At DEBUG the SDK logs every request with its headers (Basic credentials, JWTs) and body
    # (phone numbers, texts). Keep it at INFO unless someone configured it on purpose.
    logger = logging.getLogger("vonage")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


class ThreadedClient:
    """Runs SDK calls in a bounded thread pool, each thread with its own client."""

    def __init__(
        self,
        settings: VonageSettings,
        *,
        threads: int,
        auth: Callable[[], Any],
        gate: Callable[[], None] | None = None,
    ) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        self.settings = settings
        self._auth = auth
        self._gate = gate  # paces requests in the worker thread, right before the wire
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="vonage")
        self._local = threading.local()
        self._clients: list[Any] = []
        self._lock = threading.Lock()
        self._closed = False
        _quiet_sdk_logger()

    def client(self) -> Any:
        """This thread's client (made on first use)."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = vonage.Vonage(self._auth(), http_client_options=self._options())
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _options(self) -> Any:
        s = self.settings
        return vonage.HttpClientOptions(
            api_host=s.api_host,
            rest_host=s.rest_host,
            timeout=max(1, math.ceil(s.timeout_seconds)),  # the SDK takes whole seconds only
            pool_connections=1,
            pool_maxsize=1,
            max_retries=0,
        )

    async def call(self, work: Callable[[Any], T]) -> T:
        """Run `work(client)` in the pool; the event loop stays free meanwhile."""
        if self._closed:
            raise SendError("the transport is closed", retryable=True, code="closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: self._run(work))

    def _run(self, work: Callable[[Any], T]) -> T:
        client = self.client()
        if self._gate is not None:
            self._gate()
        return work(client)

    async def close(self) -> None:
        """Wait for sends under way, then close every client's connections."""
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown)
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:  # the SDK has no close(); its requests session has
            session = getattr(client.http_client, "_session", None)
            if session is not None:
                session.close()


def map_error(error: Exception) -> SendError:
    """An SDK or network error as a SendError that says whether a retry can help."""
    if isinstance(error, requests.RequestException):
        return _network_error(error)
    if isinstance(error, http_errors.HttpRequestError):
        return _http_error(error)
    if isinstance(error, pydantic.ValidationError):
        return _invalid(error)
    return SendError(f"{type(error).__name__}: {error}", retryable=False, code="rejected")


def _network_error(error: requests.RequestException) -> SendError:
    # A read timeout: Vonage got the request and may well have sent the SMS, so the sender
    # waits for its delivery receipt before trying again. A connection that failed or broke
    # is tried again at once: most likely nothing went out (and the same client_ref is used).
    if isinstance(error, requests.ReadTimeout):
        return SendError(f"timed out: {error}", retryable=True, code="timeout", maybe_sent=True)
    if isinstance(error, requests.Timeout):  # ConnectTimeout: nothing reached Vonage
        return SendError(f"timed out: {error}", retryable=True, code="timeout")
    if isinstance(error, requests.exceptions.SSLError):
        return SendError(f"TLS failed: {error}", retryable=True, code="tls")
    if isinstance(error, requests.ConnectionError):
        return SendError(f"connection failed: {error}", retryable=True, code="connection")
    return SendError(f"request failed: {error}", retryable=True, code="connection")


def _http_error(error: http_errors.HttpRequestError) -> SendError:
    status = int(getattr(error.response, "status_code", 0) or 0)
    if isinstance(error, http_errors.RateLimitedError):
        status = 429
    return http_error(status, _problem(error.response))


def _problem(response: Any) -> str:
    """The title and detail of an RFC 7807 error body, if there is one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    words = [str(body[key]) for key in ("title", "detail") if body.get(key)]
    return f" ({': '.join(words)})" if words else ""


def _invalid(error: pydantic.ValidationError) -> SendError:
    fields = {str(e["loc"][0]) for e in error.errors() if e.get("loc")}
    reason = f"the SDK refused the message: {error.error_count()} problem(s) in {sorted(fields)}"
    code = "invalid_number" if "to" in fields else "rejected"
    return SendError(reason, retryable=False, code=code)
