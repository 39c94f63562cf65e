"""The API against its own contract: schemathesis generates requests from /openapi.json and
checks every answer against the documented status codes, content types and schemas.

The gateway runs for real on loopback (its own event loop in a thread); schemathesis calls it
with `requests`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from smsbot.http.openapi.document import openapi_document
from tests.conftest import ManualClock
from tests.harness import TOKEN, gateway_env, running_gateway
from tests.suite_summary import seen, tally

ADMIN = "admin-token-for-contract-tests"
schema = schemathesis.openapi.from_dict(openapi_document())
DOCUMENTED = {
    (method, path)
    for path, item in openapi_document()["paths"].items()
    for method in item
    if method in ("get", "post", "put", "patch", "delete")
}


class GatewayThread:
    """A gateway on loopback, run by its own event loop in a background thread."""

    def __init__(self, tmp: Path) -> None:
        self.env = gateway_env(
            tmp, SMSBOT_TRANSPORT__KIND="simulator", SMSBOT_SERVER__ADMIN_TOKEN=ADMIN
        )
        self.url = ""
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        clock = ManualClock(datetime.now(UTC))
        async with running_gateway(self.env, clock) as running:
            self.url = running.url
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> GatewayThread:
        self._thread.start()
        assert self._ready.wait(20), "the gateway did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayThread]:
    with GatewayThread(tmp_path_factory.mktemp("contract")) as running:
        yield running


def _headers(path: str) -> dict[str, Any]:
    if path.startswith(("/v1/feedback", "/v1/reports")):
        return {"Authorization": f"Bearer {ADMIN}"}
    if path == "/v1/events":
        return {"Authorization": f"Bearer {TOKEN}"}
    return {}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_contract(case: Any, gateway: GatewayThread) -> None:
    if (case.method.lower(), case.path) in DOCUMENTED:
        seen("contract", "documented operations", f"{case.method} {case.path}")
    else:
        tally("contract", "requests with an undocumented method")
    tally("contract", "requests")
    try:
        case.call_and_validate(base_url=gateway.url, headers=_headers(case.path), checks=CHECKS)
    except Exception:
        tally("contract", "answers off the contract")
        raise
    tally("contract", "answers off the contract", 0)


# What the contract promises: never a 5xx, and every answer's status code, content type,
# headers and body as documented. (Schemathesis's acceptance heuristics are left out: the
# schema cannot say which strings are phone numbers, so it would call every 400 for an
# invalid number a wrongly rejected request.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.unsupported_method,
]
