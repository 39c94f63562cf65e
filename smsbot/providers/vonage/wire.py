"""Posting to Vonage with aiohttp, on the event loop: no thread pool, no hand-off per SMS.

What the SDK-in-threads path guaranteed, and how it holds here:

- **No hidden re-send.** aiohttp retries a request on a reused connection that the server
  closed only for idempotent methods (GET, PUT, DELETE...), never for a POST, and we never loop:
  one `send` is at most one request. A dropped connection is `connection`, retryable, and the
  outbox retries it with the same client reference.
- **Timeouts.** `timeout_seconds` bounds making the connection (TCP and TLS: `connect`) and
  each wait for the answer's bytes (`sock_read`), as requests' (connect, read) timeout did. A
  connection that could not be made is `timeout` (nothing reached Vonage); a late answer is
  `timeout` with `maybe_sent` (Vonage may have sent it: a receipt, not a second send, settles it).
- **TLS.** Verified against `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE` when set (as requests
  did), else `SSL_CERT_FILE`/`SSL_CERT_DIR` when set (OpenSSL's own variables), else certifi's
  bundle (what requests used by default).
- **Proxies.** `HTTPS_PROXY`/`https_proxy` and `NO_PROXY` (credentials in the proxy's URL or
  in `.netrc`), read once when the session is made, not on every request as requests did (and
  as aiohttp's `trust_env` does, in a worker thread).
- **Parallelism.** At most `threads` requests at once, on as many kept-alive connections.
- **Pacing.** The gate runs right before the request is written: `await gate.wait()` if it has
  one (smsbot.gateway.pacing.WireGate does), else the blocking `gate()` in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import certifi
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

from smsbot.providers.base import SendError, VonageSettings

__all__ = ["Answer", "WireClient", "ca_context", "http_error"]

_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")  # what requests read, in its order


@dataclass(frozen=True)
class Answer:
    """A 2xx answer: its status and its body, parsed as JSON."""

    status: int
    body: Any


def ca_context(environ: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """A verifying client TLS context that trusts the CAs smsbot's sends have always trusted."""
    env = os.environ if environ is None else environ
    named = next((env[name] for name in _CA_VARIABLES if env.get(name)), None)
    if named is not None:
        if os.path.isdir(named):
            return ssl.create_default_context(capath=named)
        return ssl.create_default_context(cafile=named)
    if env.get("SSL_CERT_FILE") or env.get("SSL_CERT_DIR"):  # OpenSSL's own variables
        return ssl.create_default_context(
            cafile=env.get("SSL_CERT_FILE") or None, capath=env.get("SSL_CERT_DIR") or None
        )
    return ssl.create_default_context(cafile=certifi.where())


class WireClient:
    """One aiohttp session for one Vonage API, made on the first send (in the running loop)."""

    def __init__(
        self,
        settings: VonageSettings,
        *,
        threads: int,
        gate: Callable[[], None] | None = None,
    ) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        self.settings = settings
        self._threads = threads
        self._gate = gate
        self._slots = asyncio.Semaphore(threads)  # waiting for a slot is not the connect timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, tuple[URL | None, aiohttp.BasicAuth | None]] = {}
        self._under_way = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    async def post(self, url: str, *, body: bytes, content_type: str, authorization: str) -> Answer:
        """POST once; a 2xx answer's JSON, or a SendError that says whether to retry."""
        if self._closed:
            raise SendError("the transport is closed", retryable=True, code="closed")
        self._under_way += 1
        self._idle.clear()
        try:
            async with self._slots:
                await self._wait_for_gate()
                return await self._post(url, body, content_type, authorization)
        finally:
            self._under_way -= 1
            if self._under_way == 0:
                self._idle.set()

    async def _wait_for_gate(self) -> None:
        if self._gate is None:
            return
        wait = getattr(self._gate, "wait", None)
        if wait is not None:
            await wait()
        else:
            await asyncio.to_thread(self._gate)

    async def _post(self, url: str, body: bytes, content_type: str, authorization: str) -> Answer:
        session = self._open()
        proxy, proxy_auth = self._proxy(url)
        headers = {"Content-Type": content_type, "Authorization": authorization}
        try:
            async with session.post(
                url, data=body, headers=headers, proxy=proxy, proxy_auth=proxy_auth
            ) as response:
                text = await response.read()
                status = response.status
        except (aiohttp.ClientError, ssl.SSLError, TimeoutError) as error:
            raise wire_error(error) from error
        if not 200 <= status < 300:
            raise http_error(status, _problem(text))
        try:
            return Answer(status, json.loads(text))
        except ValueError:  # it answered 2xx: it may well have taken the message
            raise SendError(
                f"HTTP {status} with a body that is not JSON",
                retryable=True,
                code="connection",
                maybe_sent=True,
            ) from None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            seconds = max(1.0, float(self.settings.timeout_seconds))
            connector = aiohttp.TCPConnector(limit=self._threads, ssl=ca_context())
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": "smsbot (aiohttp)", "Accept": "application/json"},
            )
        return self._session

    def _proxy(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        found = self._proxies.get(url)
        if found is None:
            try:
                found = get_env_proxy_for_url(URL(url))
            except LookupError:
                found = (None, None)
            self._proxies[url] = found
        return found

    async def close(self) -> None:
        """Refuse new sends, wait for those under way (their timeouts bound it), then close."""
        self._closed = True
        await self._idle.wait()
        if self._session is not None:
            await self._session.close()
            self._session = None


def wire_error(error: BaseException) -> SendError:
    """A network failure as a SendError: only a late answer may hide a send."""
    if isinstance(error, aiohttp.ConnectionTimeoutError):  # nothing reached Vonage
        return SendError(f"timed out connecting: {error}", retryable=True, code="timeout")
    if isinstance(error, TimeoutError):  # the request went out; the answer did not come back
        return SendError(
            f"timed out waiting for the answer: {error}",
            retryable=True,
            code="timeout",
            maybe_sent=True,
        )
    if isinstance(error, aiohttp.ClientSSLError | ssl.SSLError):
        return SendError(f"TLS failed: {error}", retryable=True, code="tls")
    return SendError(
        f"connection failed: {type(error).__name__}: {error}", retryable=True, code="connection"
    )


def http_error(status: int, problem: str = "") -> SendError:
    """A non-2xx answer as a SendError (the same codes as the SDK's errors gave)."""
    detail = f"HTTP {status}{problem}"
    if status == 429:
        return SendError(f"rate limited: {detail}", retryable=True, code="http_429")
    if status in (401, 403):
        return SendError(f"not authorised: {detail}", retryable=False, code="auth")
    if status >= 500:
        return SendError(f"provider error: {detail}", retryable=True, code="http_5xx")
    return SendError(f"refused: {detail}", retryable=False, code="rejected")


def _problem(text: bytes) -> str:
    """The title and detail of an RFC 7807 error body, if there is one."""
    try:
        body = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    words = [str(body[key]) for key in ("title", "detail") if body.get(key)]
    return f" ({': '.join(words)})" if words else ""
