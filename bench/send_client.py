"""Sending SMS to the fake Vonage on loopback: the SDK in threads against aiohttp on the loop.

    python -m bench.send_client [--sends 2000] [--concurrency 10] [--rounds 5] [--api sms]

The fake provider (bench.provider: TLS, kept-alive connections, the real SMS API and Messages
API answers) runs in a process of its own, so this process's CPU is the client's alone. Each
round builds each transport with `threads=concurrency`, warms it up (connections made), then
sends `--sends` SMS from `concurrency` workers, as the gateway's sender does, and takes the
wall time and this process's CPU time (user + system, every thread). The two transports take
turns, in alternating order, so that a change in the machine's load falls on both.

It prints, per transport and API, SMS a second and CPU milliseconds per SMS (min / median /
max over the rounds), the machine's load average before and after, and with `--json PATH`
writes the same figures there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smsbot.domain import Outgoing
from smsbot.providers.base import SendError, Transport, VonageSettings
from smsbot.providers.vonage.messages_api import SdkMessagesTransport, VonageMessagesTransport
from smsbot.providers.vonage.sms_api import SdkSmsTransport, VonageSmsTransport

ROOT = Path(__file__).resolve().parent.parent
Maker = Callable[..., Transport]
MAKERS: dict[tuple[str, str], Maker] = {
    ("sdk-threads", "sms"): SdkSmsTransport,
    ("aiohttp", "sms"): VonageSmsTransport,
    ("sdk-threads", "messages"): SdkMessagesTransport,
    ("aiohttp", "messages"): VonageMessagesTransport,
}
BODY = "Tack! Hur nöjd var du med besöket? Svara med en siffra 1-5."


@dataclass
class Figures:
    rates: list[float] = field(default_factory=list)  # SMS a second
    cpu_ms: list[float] = field(default_factory=list)  # CPU milliseconds per SMS
    failed: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "sms_per_s": _spread(self.rates),
            "cpu_ms_per_sms": _spread(self.cpu_ms),
            "failed": self.failed,
        }


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def _private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()


def _settings(host: str) -> VonageSettings:
    return VonageSettings(
        api_key="bench",
        api_secret="bench-secret",
        from_number="46701740000",
        application_id="bench-app",
        private_key=_private_key(),
        rest_host=host,
        api_host=host,
        timeout_seconds=10,
    )


def _message(n: int) -> Outgoing:
    return Outgoing(n, f"c{n}", f"+4670{n % 10_000_000:07d}", BODY, "question", "GSM-7", 1, 1)


async def _round(maker: Maker, settings: VonageSettings, sends: int, concurrency: int) -> Figures:
    transport = maker(settings, threads=concurrency)
    figures = Figures()
    try:
        await asyncio.gather(*(transport.send(_message(i)) for i in range(concurrency)))
        todo = iter(range(sends))

        async def worker() -> None:
            for n in todo:
                try:
                    await transport.send(_message(n))
                except SendError:
                    figures.failed += 1

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await transport.close()
    figures.rates.append(sends / wall)
    figures.cpu_ms.append(cpu * 1000 / sends)
    return figures


async def run(args: argparse.Namespace, host: str) -> dict[str, Figures]:
    settings = _settings(host)
    apis = ["sms", "messages"] if args.api == "both" else [args.api]
    results: dict[str, Figures] = {}
    for index in range(args.rounds):
        order = ["sdk-threads", "aiohttp"] if index % 2 == 0 else ["aiohttp", "sdk-threads"]
        for api in apis:
            for impl in order:
                one = await _round(MAKERS[impl, api], settings, args.sends, args.concurrency)
                total = results.setdefault(f"{impl} {api}", Figures())
                total.rates += one.rates
                total.cpu_ms += one.cpu_ms
                total.failed += one.failed
                print(
                    f"  round {index + 1} {impl:11} {api:8} {one.rates[0]:8.0f} SMS/s"
                    f" {one.cpu_ms[0]:7.3f} CPU ms/SMS",
                    flush=True,
                )
    return results


def _start_provider(directory: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    log = (directory / "provider.log").open("wb")
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.provider", str(directory)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    ready = directory / "provider.json"
    deadline = time.monotonic() + 30
    while not ready.exists():
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            raise SystemExit(f"the fake provider did not start: see {directory / 'provider.log'}")
        time.sleep(0.05)
    return child, json.loads(ready.read_text())


def _stop(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _report(results: dict[str, Figures], args: argparse.Namespace, load: list[str]) -> None:
    print(
        f"\n{args.sends} SMS per round, {args.concurrency} at once, {args.rounds} rounds;"
        f" load average before {load[0]}, after {load[1]} ({os.cpu_count()} CPUs)"
    )
    print(f"{'transport':24} {'SMS/s min / median / max':>28} {'CPU ms/SMS min / median':>26}")
    for name, figures in results.items():
        r, c = figures.summary()["sms_per_s"], figures.summary()["cpu_ms_per_sms"]
        print(
            f"{name:24} {r['min']:8.0f} / {r['median']:6.0f} / {r['max']:6.0f}"
            f" {c['min']:14.3f} / {c['median']:7.3f}"
            + (f"  ({figures.failed} failed)" if figures.failed else "")
        )
    if args.json:
        summary = {name: figures.summary() for name, figures in results.items()}
        document = {"sends": args.sends, "concurrency": args.concurrency, "load": load}
        Path(args.json).write_text(json.dumps({**document, "results": summary}, indent=2) + "\n")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--api", choices=["sms", "messages", "both"], default="sms")
    parser.add_argument("--json", default="", help="also write the figures to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="send-client-") as tmp:
        child, ready = _start_provider(Path(tmp))
        try:
            os.environ["REQUESTS_CA_BUNDLE"] = ready["ca"]
            before = _load()
            results = asyncio.run(run(args, ready["host"]))
            _report(results, args, [before, _load()])
        finally:
            _stop(child)


if __name__ == "__main__":
    main()
