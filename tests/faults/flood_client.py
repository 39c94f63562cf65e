"""An integration posting events in a loop, as its own process (tests/faults/test_flood.py).

python tests/faults/flood_client.py URL TOKEN SECONDS CLIENTS  -> one JSON line of counts
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp


async def flood(url: str, token: str, seconds: float, clients: int) -> dict[str, Any]:
    counts: dict[str, Any] = {"sent": 0, "accepted": 0, "refused": 0, "retry_after": []}
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"}

    async def client(http: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            n = counts["sent"]
            counts["sent"] += 1
            body = {
                "id": f"flood-{n}",
                "type": "contact.closed",
                "phone": f"+4670123{n % 10000:04d}",
                "occurred_at": "2026-11-23T08:59:00+00:00",
                "unit": "Kontaktcenter",
                "service": "Bygglov",
            }
            async with http.post(f"{url}/v1/events", json=body, headers=headers) as answer:
                if answer.status == 202:
                    counts["accepted"] += 1
                else:
                    counts["refused"] += 1
                    counts["retry_after"].append([answer.status, answer.headers.get("Retry-After")])

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return counts


if __name__ == "__main__":
    url, token, seconds, clients = sys.argv[1:5]
    print(json.dumps(asyncio.run(flood(url, token, float(seconds), int(clients)))))
