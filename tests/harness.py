"""A real gateway on loopback for end-to-end tests: real HTTP, real SQLite, the real SDK."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp.test_utils import TestServer

from smsbot.bootstrap.parts import database_of
from smsbot.bootstrap.serve import build_gateway
from smsbot.bootstrap.web import build_app
from smsbot.config import load_config
from smsbot.gateway.runner import Gateway
from smsbot.providers.vonage.webhooks import sign_messages_body, sign_sms_params
from smsbot.storage.sqlite.db import ts
from tests.conftest import ManualClock

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-token"
SECRET = "webhook-signature-secret-of-32-bytes-or-more"
OUR_NUMBER = "46701740000"


def gateway_env(tmp: Path, **overrides: str) -> dict[str, str]:
    env = {
        "SMSBOT_DATABASE__PATH": str(tmp / "gateway.db"),
        "SMSBOT_FLOWS__DIR": str(ROOT / "flows"),
        "SMSBOT_PRIVACY__PSEUDONYM_KEY": "test-key",
        "SMSBOT_LOGGING__FORMAT": "json",
        "SMSBOT_TOKEN_DEMO": TOKEN,
        "SMSBOT_VONAGE__API_KEY": "abcd1234",
        "SMSBOT_VONAGE__API_SECRET": "api-secret",
        "SMSBOT_VONAGE__SIGNATURE_SECRET": SECRET,
        "SMSBOT_VONAGE__SIGNATURE_METHOD": "sha256",
        "SMSBOT_VONAGE__FROM_NUMBER": OUR_NUMBER,
        "SMSBOT_SENDING__BACKOFF_SECONDS": "0",
        "SMSBOT_SENDING__RATE_PER_SECOND": "500",
        "SMSBOT_SURVEY__QUIET_START": "00:00",
        "SMSBOT_SURVEY__QUIET_END": "00:00",
    }
    env.update(overrides)
    return env


@dataclass
class Running:
    gateway: Gateway
    http: aiohttp.ClientSession
    url: str
    clock: ManualClock

    async def post_events(self, body: object, token: str = TOKEN) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        async with self.http.post(f"{self.url}/v1/events", json=body, headers=headers) as r:
            return r.status, await _body(r)

    async def sms_webhook(
        self, path: str, params: Mapping[str, str], how: str = "form", sign: bool = True
    ) -> tuple[int, Any]:
        """An SMS API webhook as Vonage sends it: GET query, POST form or POST JSON."""
        signed = self.sign(params) if sign else dict(params)
        url = f"{self.url}/webhooks/vonage/{path}"
        if how == "get":
            request = self.http.get(f"{url}?{urlencode(signed)}")
        elif how == "json":
            request = self.http.post(url, json=signed)
        else:
            request = self.http.post(url, data=signed)
        async with request as r:
            return r.status, await _body(r)

    def sign(self, params: Mapping[str, str]) -> dict[str, str]:
        stamp = int(self.clock.now().timestamp())
        return sign_sms_params(dict(params), SECRET, "sha256", timestamp=stamp)

    async def messages_webhook(
        self, path: str, body: object, iat: int | None = None
    ) -> tuple[int, Any]:
        """A Messages API webhook as Vonage sends it, its JWT issued at `iat` (default: now on
        the gateway's clock, against which the gateway checks it)."""
        raw = json.dumps(body).encode()
        stamp = int(self.clock.now().timestamp()) if iat is None else iat
        headers = {
            "Authorization": sign_messages_body(raw, SECRET, iat=stamp),
            "Content-Type": "application/json",
        }
        url = f"{self.url}/webhooks/vonage/messages/{path}"
        async with self.http.post(url, data=raw, headers=headers) as r:
            return r.status, await _body(r)

    async def query(self, sql: str, *args: object) -> list[dict[str, Any]]:
        async with database_of(self.gateway.parts).conn.execute(sql, args) as cur:
            return [dict(row) for row in await cur.fetchall()]

    async def settle(self) -> None:
        """Let the sender send what is due now (it runs in the background)."""
        for _ in range(3):
            self.gateway.sender.wake.set()
            await asyncio.sleep(0.05)
        await wait_for(self._outbox_idle, what="the outbox to empty")

    async def _outbox_idle(self) -> bool:
        sender = self.gateway.sender
        if sender.circuit.allowance(self.gateway.clock.now()) == 0 and not sender._in_flight:
            return True  # the provider is down and no probe is due: nothing can go now
        now = ts(self.gateway.clock.now())
        rows = await self.query(
            "SELECT COUNT(*) AS n FROM messages WHERE direction = 'out'"
            " AND status IN ('queued', 'sending') AND due_at <= ?"
            " AND phone NOT IN (SELECT phone FROM messages"  # held behind an uncertain send
            "   WHERE direction = 'out' AND status = 'uncertain' AND due_at > ?)",
            now,
            now,
        )
        return rows[0]["n"] == 0 and not self.gateway.sender._in_flight


async def _body(response: aiohttp.ClientResponse) -> Any:
    text = await response.text()
    try:
        return json.loads(text)
    except ValueError:
        return text


async def wait_for(check: Callable[[], Any], *, what: str, seconds: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@asynccontextmanager
async def running_gateway(
    env: dict[str, str], clock: ManualClock, config_file: Path = ROOT / "config.toml"
) -> AsyncIterator[Running]:
    config = load_config(config_file, environ=env)
    gateway = await build_gateway(config, clock=clock)
    server = TestServer(build_app(gateway), host="127.0.0.1")
    await server.start_server()
    await gateway.start()
    async with aiohttp.ClientSession() as http:
        try:
            yield Running(gateway, http, str(server.make_url("")).rstrip("/"), clock)
        finally:
            await server.close()
            await gateway.stop()


@asynccontextmanager
async def signed_in(
    url: str, token: str, page: str = "/ui/flows"
) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    """A client that keeps cookies for 127.0.0.1 as a browser does, signed in to the web
    pages with `token`, and the CSRF token `page` carries."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.post(url + "/ui/login", data={"token": token}) as answer:
            assert answer.status == 200, answer.status
        async with browser.get(url + page) as answer:
            assert answer.status == 200, answer.status
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', await answer.text())
        assert csrf, f"no CSRF token on {page}"
        yield browser, csrf[1]
