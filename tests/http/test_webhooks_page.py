"""/ui/webhooks for an admin: add (the secret once), see deliveries, replay, remove; audited."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsbot.gateway import deliveries
from smsbot.storage.accounts import AuditQuery
from tests.conftest import ManualClock
from tests.harness import Running, gateway_env, running_gateway
from tests.http.test_people_access import ADMIN_TOKEN, add, browser, sign_in


@pytest.fixture
async def gw(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Running]:
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=ADMIN_TOKEN)
    async with running_gateway(env, clock) as running:
        yield running


async def test_an_admin_adds_sees_replays_and_removes_a_subscription(gw: Running) -> None:
    await add(gw, "admin")
    async with browser() as client:
        csrf = await sign_in(gw, client, "admin@example.org")
        bad = {"csrf_token": csrf, "url": "https://crm.example.org/in", "event": "survey.done"}
        async with client.post(gw.url + "/ui/webhooks", data=bad) as r:
            assert r.status == 400
            assert "no event type &#39;survey.done&#39;" in await r.text()
        form = [
            ("csrf_token", csrf), ("url", "https://crm.example.org/in"),
            ("event", "survey.completed"), ("event", "case.opened"), ("unit", "Akuten"),
        ]  # fmt: skip
        async with client.post(gw.url + "/ui/webhooks", data=form) as r:
            assert r.status == 201
            page = await r.text()
        secret = re.search(r'<code id="secret">(whsec_[A-Za-z0-9+/=]+)</code>', page)
        assert secret is not None
        async with gw.gateway.parts.store.write() as tx:
            data = {"case_id": "c1"}
            await deliveries.enqueue(tx, "case.opened", data, "Akuten", now=gw.clock.now())
        async with client.get(gw.url + "/ui/webhooks") as r:
            page = await r.text()
        assert secret[1] not in page  # shown once
        assert "https://crm.example.org/in" in page and "case.opened, survey.completed" in page
        assert "pending, next" in page
        async with gw.gateway.parts.store.read() as tx:
            (delivery,) = await tx.webhooks.deliveries()
        replay = f"/ui/webhooks/deliveries/{delivery.id}/replay"
        async with client.post(gw.url + replay, data={"csrf_token": csrf}) as r:
            assert r.status == 200 and r.url.path == "/ui/webhooks"  # due now, same id
        missing = gw.url + "/ui/webhooks/deliveries/77/replay"
        async with client.post(missing, data={"csrf_token": csrf}) as r:
            assert r.status == 404 and "no delivery 77" in await r.text()
        async with client.post(gw.url + "/ui/webhooks/1/remove", data={"csrf_token": csrf}) as r:
            assert r.status == 200 and "stopped (removed)" in await r.text()
        async with client.post(gw.url + "/ui/webhooks/9/remove", data={"csrf_token": csrf}) as r:
            assert r.status == 404 and "no subscription 9" in await r.text()
    async with gw.gateway.parts.store.read() as tx:
        (cancelled,) = await tx.webhooks.deliveries()
        entries = await tx.audit.find(AuditQuery())
    assert cancelled.status == "cancelled"
    actions = {e.action: e for e in entries}
    assert actions["webhook_added"].who.startswith("Admin Person")
    assert actions["webhook_added"].detail["events"] == ["case.opened", "survey.completed"]
    assert actions["webhook_removed"].target == "webhook 1"
