"""A source posting in a loop is held to its limit; the other sources and the webhooks go on.

Two phases against a real gateway on loopback: a calm source and the provider's webhooks
alone, then the same with a flooding source (several clients posting as fast as they can).
The flood is answered 429 with Retry-After beyond its rate and burst, keeps nothing it was
refused, and what it got through stays within its budget; every calm event and every webhook
is accepted. The latencies of both phases are printed in the suite's summary line (a
benchmark measures speed; this test measures that nothing is starved or lost).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conftest import ManualClock
from tests.harness import OUR_NUMBER, ROOT, Running, gateway_env, running_gateway
from tests.suite_summary import SUITE, tally

FLOOD = {"rate": 40.0, "burst": 20}
SOURCES = f"""
[sources.flood]
description = "An integration posting in a loop"
rate_per_second = {FLOOD["rate"]}
burst = {FLOOD["burst"]}

[sources.calm]
description = "A well-behaved integration"
"""
CALM_TOKEN, FLOOD_TOKEN = "calm-token-1", "flood-token-1"


def an_event(name: str, n: int) -> dict[str, Any]:
    return {
        "id": f"{name}-{n}",
        "type": "contact.closed",
        "phone": f"+4670123{n % 10000:04d}",
        "occurred_at": "2026-11-23T08:59:00+00:00",
        "unit": "Kontaktcenter",
        "service": "Bygglov",
    }


class Phase:
    """Latencies (ms) and answers of the calm source and the webhooks over one phase."""

    def __init__(self) -> None:
        self.calm: list[float] = []
        self.webhooks: list[float] = []
        self.answers: list[int] = []

    def p95(self, values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1]


async def calm_traffic(gw: Running, phase: Phase, seconds: float, start: int) -> None:
    deadline, n = time.monotonic() + seconds, start
    while time.monotonic() < deadline:
        n += 1
        began = time.perf_counter()
        status, _ = await gw.post_events(an_event("calm", n), token=CALM_TOKEN)
        phase.calm.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        answer, _ = await gw.sms_webhook("inbound", _inbound(gw, n))
        phase.webhooks.append((time.perf_counter() - began) * 1000)
        phase.answers += [status, answer]
        await asyncio.sleep(0.03)


def _inbound(gw: Running, n: int) -> dict[str, str]:
    moment = datetime.fromtimestamp(gw.clock.now().timestamp(), UTC)
    return {
        "msisdn": f"4670999{n % 10000:04d}",
        "to": OUR_NUMBER,
        "messageId": f"flood-test-{n}",
        "text": "hej",
        "type": "text",
        "message-timestamp": moment.strftime("%Y-%m-%d %H:%M:%S"),
    }


async def flood_from_another_process(url: str, seconds: float, clients: int = 6) -> Any:
    """An integration posting in a loop, as its own process (its work is not ours)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("flood_client.py")),
        url,
        FLOOD_TOKEN,
        str(seconds),
        str(clients),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    return json.loads(out)


async def test_a_flooding_source_is_held_to_its_limit_and_starves_nobody(
    tmp_path: Path, clock: ManualClock
) -> None:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text() + SOURCES)
    env = gateway_env(tmp_path, SMSBOT_TOKEN_CALM=CALM_TOKEN, SMSBOT_TOKEN_FLOOD=FLOOD_TOKEN)
    alone, flooded = Phase(), Phase()
    async with running_gateway(env, clock, config) as gw:
        await calm_traffic(gw, alone, 1.5, 0)
        began = time.monotonic()
        flood, _ = await asyncio.gather(
            flood_from_another_process(gw.url, 3.0), calm_traffic(gw, flooded, 3.0, 10**4)
        )
        elapsed = time.monotonic() - began
        stored = await gw.query("SELECT source, COUNT(*) AS n FROM events GROUP BY source")
        metrics = (await gw.gateway.render_metrics()).decode()

    by_source = {row["source"]: row["n"] for row in stored}
    assert set(alone.answers + flooded.answers) == {200, 202}  # nothing calm was refused
    assert by_source["calm"] == len(alone.calm) + len(flooded.calm)
    assert flood["refused"] > 0
    assert {tuple(r) for r in flood["retry_after"]} == {(429, "1")}
    assert by_source["flood"] == flood["accepted"]  # nothing refused was kept
    assert flood["accepted"] <= FLOOD["burst"] + FLOOD["rate"] * elapsed + 1
    limited = (
        f'smsbot_source_requests_total{{answer="limited",source="flood"}} {flood["refused"]}.0'
    )
    assert limited in metrics

    tally("flood", "flood requests", flood["sent"])
    tally("flood", "refused with 429", flood["refused"])
    tally("flood", "calm events and webhooks accepted", len(flooded.answers) + len(alone.answers))
    tally("flood", "lost", len(alone.calm) + len(flooded.calm) - by_source["calm"])
    SUITE.summary(
        "flood",
        "p95 alone/during the flood: calm events "
        f"{alone.p95(alone.calm):.0f}/{flooded.p95(flooded.calm):.0f} ms, webhooks "
        f"{alone.p95(alone.webhooks):.0f}/{flooded.p95(flooded.webhooks):.0f} ms",
    )
