"""/ui/flows over real HTTP: files that could not be loaded are listed with file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import aiohttp

from tests.conftest import ManualClock
from tests.harness import ROOT, gateway_env, running_gateway

TOKEN = "flows-admin-token-7a1e"


async def test_a_broken_file_is_listed_with_its_located_error(
    tmp_path: Path, clock: ManualClock
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(ROOT / "flows" / "contact-centre.yaml", flows)
    (flows / "broken.yaml").write_text("id: broken\nversion: 1\nquestions: [\n")
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=TOKEN, SMSBOT_FLOWS__DIR=str(flows))
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        running_gateway(env, clock) as gw,
        aiohttp.ClientSession(cookie_jar=jar) as browser,
    ):
        async with browser.post(gw.url + "/ui/login", data={"token": TOKEN}):
            pass
        async with browser.get(gw.url + "/ui/flows") as answer:
            assert answer.status == 200
            page = await answer.text()
    assert 'href="/ui/flows/contact-centre"' in page
    listed = page.split("Files that could not be loaded", 1)[1]
    assert f"{flows / 'broken.yaml'}:4: could not read YAML" in listed


async def test_a_file_clashing_with_a_loaded_flow_is_reported_under_that_flow(
    tmp_path: Path, clock: ManualClock
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(ROOT / "flows" / "contact-centre.yaml", flows / "a.yaml")
    shutil.copy(ROOT / "flows" / "contact-centre.yaml", flows / "b.yaml")
    env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=TOKEN, SMSBOT_FLOWS__DIR=str(flows))
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        running_gateway(env, clock) as gw,
        aiohttp.ClientSession(cookie_jar=jar) as browser,
    ):
        async with browser.post(gw.url + "/ui/login", data={"token": TOKEN}):
            pass
        async with browser.get(gw.url + "/ui/flows/contact-centre") as answer:
            page = await answer.text()
        async with browser.get(gw.url + "/ui/flows") as answer:
            index = await answer.text()
    assert f"{flows / 'b.yaml'}:4: flow id &#39;contact-centre&#39; is already used" in page
    assert "Files that could not be loaded" not in index
