"""A system that subscribes to smsbot's webhooks: a real aiohttp server on loopback that checks
each delivery's signature with the `standardwebhooks` library, as an integrator would.

`script` decides each answer in turn (a status, or ("slow", seconds) to answer 200 late); when
it runs out, every delivery gets 200. `down()` closes the port; `up()` opens it again.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from standardwebhooks.webhooks import Webhook

__all__ = ["Received", "Receiver", "free_port"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Received:
    webhook_id: str
    body: bytes
    payload: dict[str, Any]  # as `Webhook.verify` returned it: the signature held


@dataclass
class Receiver:
    secret: str = ""
    script: list[Any] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    accepted: list[Received] = field(default_factory=list)  # answered 2xx
    posts: int = 0
    refused_signatures: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def ids(self) -> Counter[str]:
        return Counter(r.webhook_id for r in self.accepted)

    async def up(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks", self._take)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def down(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _take(self, request: web.Request) -> web.Response:
        self.posts += 1
        body = await request.read()
        try:
            payload = Webhook(self.secret).verify(body, dict(request.headers))
        except Exception:
            self.refused_signatures += 1
            return web.Response(status=400, text="bad signature")
        answer = self.script.pop(0) if self.script else 200
        if isinstance(answer, tuple):  # ("slow", seconds): answer 200, late
            await asyncio.sleep(answer[1])
            answer = 200
        if 200 <= answer < 300:
            self.accepted.append(Received(request.headers["webhook-id"], body, payload))
        return web.Response(status=answer, text=json.dumps({"status": answer}))
