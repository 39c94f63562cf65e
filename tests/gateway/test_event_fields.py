"""An event without a field its flow's texts use ({queue_minutes}, {channel}) is refused with the
field named, never surveyed with a hole in a text: in the API, the import and the simulator; a
scheduled survey whose flow has since come to need a field is skipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from smsbot.cli import main
from tests.conftest import ManualClock
from tests.harness import ROOT, gateway_env, running_gateway

MISSING = "required: flow 'contact-centre' uses {queue_minutes} in its texts"


def contact_centre(folder: Path, *, field: bool, delay: str | None = None) -> Path:
    """The shipped contact-centre flow (no quiet hours), its closing using {queue_minutes}."""
    folder.mkdir(parents=True, exist_ok=True)
    data = yaml.safe_load((ROOT / "flows" / "contact-centre.yaml").read_text(encoding="utf-8"))
    data["schedule"] = {"delay": delay} if delay else {}
    if field:
        data["fields"] = ["queue_minutes"]
        data["closing"] = {
            lang: f"{text} ({{queue_minutes}} min)" for lang, text in data["closing"].items()
        }
    (folder / "contact-centre.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    return folder


def event(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"e{n}",
        "type": "contact.closed",
        "phone": f"+4670174065{n}",
        "occurred_at": "2026-11-23T09:00:00+00:00",
        "unit": "Kontaktcenter",
        "service": "Bygglov",
        **extra,
    }


async def test_the_api_refuses_the_event_naming_the_field(
    tmp_path: Path, clock: ManualClock
) -> None:
    flows = contact_centre(tmp_path / "flows", field=True)
    async with running_gateway(gateway_env(tmp_path, SMSBOT_FLOWS__DIR=str(flows)), clock) as gw:
        status, body = await gw.post_events([event(1, attributes={"queue_minutes": 4}), event(2)])
        assert (status, body["errors"]) == (
            400,
            [{"index": 1, "field": "attributes.queue_minutes", "message": MISSING}],
        )
        assert await gw.query("SELECT id FROM events") == []  # all or nothing
        status, body = await gw.post_events(event(1, attributes={"queue_minutes": 4}))
        assert (status, body["results"][0]["decision"]) == (202, "started")


def test_the_import_keeps_the_good_rows_and_names_the_field(tmp_path: Path) -> None:
    flows = contact_centre(tmp_path / "flows", field=True)
    rows = tmp_path / "events.csv"
    header = "id,type,phone,occurred_at,unit,service,attributes.queue_minutes\n"
    rows.write_text(
        header
        + "e1,contact.closed,070-174 06 51,2026-11-23T09:00:00+00:00,KC,Bygglov,4\n"
        + "e2,contact.closed,070-174 06 52,2026-11-23T09:00:00+00:00,KC,Bygglov,\n",
        encoding="utf-8",
    )
    env = {
        "SMSBOT_CONFIG": str(ROOT / "config.toml"),
        "SMSBOT_DATABASE__PATH": str(tmp_path / "import.db"),
        "SMSBOT_FLOWS__DIR": str(flows),
        "SMSBOT_PRIVACY__PSEUDONYM_KEY": "k",
        "SMSBOT_SURVEY__MAX_AGE": "3650d",
    }
    result = CliRunner().invoke(main, ["events", "import", str(rows)], env=env)
    assert result.exit_code == 1
    assert "2 row(s) read, 1 rejected" in result.stdout
    assert f"  {rows}:3: attributes.queue_minutes: {MISSING}" in result.stdout.splitlines()


async def test_a_scheduled_survey_whose_flow_now_needs_a_field_is_skipped(
    tmp_path: Path, clock: ManualClock
) -> None:
    before = contact_centre(tmp_path / "before", field=False, delay="10m")
    async with running_gateway(gateway_env(tmp_path, SMSBOT_FLOWS__DIR=str(before)), clock) as gw:
        status, body = await gw.post_events(event(1))
        assert (status, body["results"][0]["decision"]) == (202, "scheduled")
    after = contact_centre(tmp_path / "after", field=True, delay="10m")  # edited, then restarted
    clock.advance(minutes=11)
    async with running_gateway(gateway_env(tmp_path, SMSBOT_FLOWS__DIR=str(after)), clock) as gw:
        await gw.gateway.intake.start_scheduled()
        stored = await gw.query("SELECT decision, reason, conversation_id FROM events")
        assert stored == [
            {"decision": "skipped", "reason": "missing_field", "conversation_id": None}
        ]
        assert await gw.query("SELECT id FROM messages") == []
