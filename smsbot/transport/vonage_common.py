"""What both Vonage transports share: a thread pool, one SDK client per thread, error mapping.

The SDK is synchronous (requests), so sends run in a bounded pool of threads. Each thread has
its own client: the SDK shares one mutable header dict per client, and a client per thread keeps
requests apart. Every client is built with `max_retries=0` and `pool_maxsize=1`: urllib3 then
never re-POSTs, and the SDK's own retry loop on a dropped connection (it retries up to
`pool_maxsize` times) runs once, so a dropped connection never sends the same SMS twice. Our
outbox does the retrying, with the same client reference.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
import vonage
from vonage_http_client import errors as http_errors

from smsbot.transport.base import SendError, VonageSettings

__all__ = ["ThreadedClient", "map_error"]

T = TypeVar("T")


class ThreadedClient:
    """Runs SDK calls in a bounded thread pool, each thread with its own client."""

    def __init__(self, settings: VonageSettings, *, threads: int, use_jwt: bool) -> None:
        self.settings = settings
        self.use_jwt = use_jwt
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="vonage")
        self._local = threading.local()
        self._clients: list[Any] = []
        self._lock = threading.Lock()

    def client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = vonage.Vonage(self._auth(), http_client_options=self._options())
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _auth(self) -> Any:
        s = self.settings
        if self.use_jwt:
            return vonage.Auth(application_id=s.application_id, private_key=s.private_key)
        return vonage.Auth(api_key=s.api_key, api_secret=s.api_secret)

    def _options(self) -> Any:
        s = self.settings
        return vonage.HttpClientOptions(
            api_host=s.api_host,
            rest_host=s.rest_host,
            timeout=s.timeout_seconds,
            pool_connections=1,
            pool_maxsize=1,
            max_retries=0,
        )

    async def call(self, work: Callable[[Any], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: work(self.client()))

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown)
        for client in self._clients:  # the SDK has no close(): its requests session does
            session = getattr(client.http_client, "_session", None)
            if session is not None:
                session.close()


def map_error(error: Exception) -> SendError:
    """An SDK or network error as a SendError that says whether a retry can help."""
    if isinstance(error, requests.Timeout):
        return SendError(f"timed out: {error}", retryable=True, code="timeout")
    if isinstance(error, requests.ConnectionError):
        return SendError(f"connection failed: {error}", retryable=True, code="connection")
    if isinstance(error, http_errors.RateLimitedError):
        return SendError("rate limited (429)", retryable=True, code="http_429")
    if isinstance(error, http_errors.AuthenticationError | http_errors.ForbiddenError):
        return SendError(f"not authorised: {error}", retryable=False, code="auth")
    if isinstance(error, http_errors.HttpRequestError):
        return _http_error(error)
    return SendError(f"{type(error).__name__}: {error}", retryable=False, code="rejected")


def _http_error(error: Exception) -> SendError:
    response = getattr(error, "response", None)
    status = int(getattr(response, "status_code", 0) or 0)
    if status >= 500:
        return SendError(f"provider error ({status})", retryable=True, code="http_5xx")
    return SendError(f"refused ({status}): {error}", retryable=False, code=f"http_{status}")
