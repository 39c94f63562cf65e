"""The fake Vonage in a process of its own, with a plain-HTTP control port for the driver.

    python -m bench.provider DIRECTORY   # writes DIRECTORY/provider.json when ready; until SIGTERM

It is `tests.fakevonage.FakeVonage` (TLS, the real SMS API answers, `rate_limit`), with one
change: connections are kept alive, as Vonage's are, so the gateway's sender reuses its connections
instead of paying a TLS handshake per SMS. It posts no delivery receipts: the driver does,
so that they are counted and timed like every other webhook.

Control (http://127.0.0.1:CONTROL): `GET /sent?after=N` the accepted SMS from index N on;
`GET /stats` counts and the accepted-send times; `POST /reset?rate=30|none` clears the records
and sets the sliding-window rate limit.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from aiohttp import web

from tests.fakevonage import FakeVonage


class KeepAliveFake(FakeVonage):
    """FakeVonage without its close-every-connection middleware; no receipt poster."""

    async def __aenter__(self) -> KeepAliveFake:
        assert self.directory is not None
        app = web.Application()
        app.router.add_post("/sms/json", self._sms)
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._tls())
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self


def control_app(fake: FakeVonage) -> web.Application:
    async def sent(request: web.Request) -> web.Response:
        after = int(request.query.get("after", "0"))
        items = [
            {"to": s.to, "text": s.text, "id": s.message_id, "ref": s.client_ref}
            for s in fake.sent[after:]
        ]
        return web.json_response({"next": after + len(items), "sent": items})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "requests": len(fake.requests),
                "accepted": len(fake.sent),
                "throttled": fake.throttled,
                "accepted_times": [r.time for r in fake.requests if r.answer == "ok"],
                "request_times": [r.time for r in fake.requests],
            }
        )

    async def reset(request: web.Request) -> web.Response:
        fake.requests.clear()
        fake.sent.clear()
        fake.throttled = 0
        rate = request.query.get("rate", "none")
        fake.rate_limit(None if rate == "none" else float(rate))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/sent", sent)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    return app


async def main(directory: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with KeepAliveFake(directory) as fake:
        runner = web.AppRunner(control_app(fake), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        control = int(runner.addresses[0][1])
        ready = {"host": fake.host, "control": control, "ca": fake.ca_path}
        partial = directory / "provider.json.part"
        partial.write_text(json.dumps(ready))
        partial.rename(directory / "provider.json")
        await stop.wait()
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
