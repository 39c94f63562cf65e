"""/ui/flows over real HTTP: findings listed with file:line, under the flow or the file."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import ManualClock
from tests.harness import ROOT, gateway_env, running_gateway, signed_in

TOKEN = "flows-admin-token-7a1e"
CONTACT_CENTRE = ROOT / "flows" / "contact-centre.yaml"


async def pages(flows: Path, clock: ManualClock, *paths: str) -> list[str]:
    """The pages at `paths`, signed in, from a gateway running the flows in `flows`."""
    env = gateway_env(flows.parent, SMSBOT_SERVER__ADMIN_TOKEN=TOKEN, SMSBOT_FLOWS__DIR=str(flows))
    found = []
    async with running_gateway(env, clock) as gw, signed_in(gw.url, TOKEN) as (browser, _):
        for path in paths:
            async with browser.get(gw.url + path) as answer:
                assert answer.status == 200, path
                found.append(await answer.text())
    return found


async def test_a_broken_file_is_listed_with_its_located_error(
    tmp_path: Path, clock: ManualClock
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(CONTACT_CENTRE, flows)
    (flows / "broken.yaml").write_text("id: broken\nversion: 1\nquestions: [\n")
    [page] = await pages(flows, clock, "/ui/flows")
    assert 'href="/ui/flows/contact-centre"' in page
    listed = page.split("Files that could not be loaded", 1)[1]
    assert f"{flows / 'broken.yaml'}:4: could not read YAML" in listed


async def test_a_file_clashing_with_a_loaded_flow_is_reported_under_that_flow(
    tmp_path: Path, clock: ManualClock
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(CONTACT_CENTRE, flows / "a.yaml")
    shutil.copy(CONTACT_CENTRE, flows / "b.yaml")
    page, index = await pages(flows, clock, "/ui/flows/contact-centre", "/ui/flows")
    assert f"{flows / 'b.yaml'}:4: flow id &#39;contact-centre&#39; is already used" in page
    assert "Files that could not be loaded" not in index


async def test_unsigned_webhooks_are_named_on_the_flows_page_and_in_readyz(
    tmp_path: Path, clock: ManualClock
) -> None:
    unsigned = {
        "SMSBOT_TRANSPORT__KIND": "vonage-sms",
        "SMSBOT_VONAGE__SIGNATURE_SECRET": "",
        "SMSBOT_VONAGE__ALLOW_UNSIGNED_WEBHOOKS": "true",
    }
    signed = {"SMSBOT_TRANSPORT__KIND": "vonage-sms"}
    cases = [
        ({}, False, "simulator"),
        (signed, False, "signed"),
        (unsigned, True, "unsigned_allowed"),
    ]
    for overrides, banner, said in cases:
        env = gateway_env(tmp_path, SMSBOT_SERVER__ADMIN_TOKEN=TOKEN, **overrides)
        async with running_gateway(env, clock) as gw, signed_in(gw.url, TOKEN) as (browser, _):
            async with browser.get(gw.url + "/ui/flows") as answer:
                page = await answer.text()
            async with browser.get(gw.url + "/readyz") as answer:
                ready = await answer.json()
        assert ("Webhooks are not verified" in page) is banner
        assert ready["webhooks"] == said
