"""Runtime pieces tried on smsbot under the quick conversation load, side by side.

    python -m bench.variants default uvloop orjson [ROUNDS]

Each variant is `smsbot serve` started with a few lines run first: `uvloop` installs uvloop's
event loop policy, `orjson` renders the JSON log lines with orjson (structlog's JSONRenderer
with orjson.dumps). Every round runs each variant once, alternating, on a fresh copy of the
history, with the quick load (120 conversations, 64 in flight); it prints webhooks and SMS a
second, CPU milliseconds per webhook, SQL statements and hand-offs per webhook, and what other
processes took of the machine meanwhile (% of one core). Needs `pip install uvloop orjson`.
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from bench import phases
from bench.history import History, prepare
from bench.lab import Lab, close_lab, open_lab
from bench.procs import spawn, wait_http

_ORJSON = """
import orjson, structlog, smsbot.logs as logs
def dumps(obj, default=None, **kw): return orjson.dumps(obj, default=default).decode()
plain = logs._renderer
def renderer(format, stream):
    found = plain(format, stream)
    if isinstance(found, structlog.processors.JSONRenderer):
        return structlog.processors.JSONRenderer(serializer=dumps)
    return found
logs._renderer = renderer
"""
FIRST = {"default": "", "uvloop": "import uvloop; uvloop.install()\n", "orjson": _ORJSON}
SERVE = "from smsbot.cli import main; main()"


async def one(lab: Lab, http: aiohttp.ClientSession, variant: str, n: int, history: History) -> str:
    db = lab.tmp / f"{variant}-{n}.db"
    history.copy_to(db)
    env = lab.gateway_env(db, **phases.FAST_SENDING, **phases.COUNTING)
    child = spawn(variant, ["-c", FIRST[variant] + SERVE, "serve"], env, lab.tmp / f"{n}.log")
    try:
        await wait_http(child, f"{lab.url}/readyz")
        await phases.first_purge_done(child)
        run = phases.Run(phases.PHONES_LOAD + n * 1000, phases.QUICK.conversations)
        f, _ = await phases.conversations(lab, child, http, phases.QUICK, run)
    finally:
        child.stop()
        lab.drop(db)
    return (
        f"{variant:8} {f['webhooks_per_s']:7.1f} webhooks/s {f['sms_per_s']:6.1f} SMS/s"
        f" {f['cpu_ms_per_webhook']:6.3f} ms CPU/webhook"
        f" {f.get('statements_per_webhook')} SQL {f.get('handoffs_per_webhook')} hand-offs"
        f" (others {f['other_processes_cpu_pct']:.0f} %)"
    )


async def main(variants: list[str], rounds: int) -> None:
    lab = await open_lab()
    try:
        made = await prepare(lambda db: lab.config(lab.gateway_env(db)), phases.QUICK.answers)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=72)) as http:
            for n in range(rounds):
                for k, variant in enumerate(variants):
                    print(await one(lab, http, variant, n * 10 + k, made), flush=True)
    finally:
        close_lab(lab, False)


if __name__ == "__main__":
    names = [a for a in sys.argv[1:] if a in FIRST] or ["default", "uvloop"]
    count = next((int(a) for a in sys.argv[1:] if a.isdigit()), 2)
    asyncio.run(main(names, count))
