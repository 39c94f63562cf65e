"""Phone numbers: what a refusal says, the same in the API, the import and `smsbot chat`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from smsbot.cli import main
from smsbot.phones import FICTION, PhoneError, fictional_phone, parse_phone
from tests.conftest import ManualClock
from tests.harness import ROOT, gateway_env, running_gateway

# (as written, default region, the whole message)
REFUSED = [
    (
        "0401234567",
        "SE",
        "not a mobile number: read as +46 40 123 45 67, a Swedish landline (a number without "
        "a country code is read as SE); a Finnish number needs +358: +358 40 1234567",
    ),
    (
        "08-123 456 78",
        "SE",
        "not a mobile number: read as +46 8 123 456 78, a Swedish landline (a number without "
        "a country code is read as SE); a Finnish number needs +358",
    ),
    (
        "020-123 45 67",
        "SE",
        "not a mobile number: read as +46 20 123 45 67, a Swedish toll-free number (a number "
        "without a country code is read as SE); a Finnish number needs +358",
    ),
    (
        "0701740642",
        "FI",
        "not a mobile number: read as +358 70 1740642, a Finnish company switchboard number "
        "(a number without a country code is read as FI); a Swedish number needs +46: "
        "+46 70 174 06 42",
    ),
    (
        "+46 8 123 456 78",
        "SE",
        "not a mobile number: +46 8 123 456 78 is a Swedish landline; surveys go out by SMS",
    ),
    ("070-1", "SE", "not a valid phone number: read as +46 0701, which is too short"),
    ("+46 70 174 06 42 99 99", "SE", "not a valid phone number: +46 7017406429999 is too long"),
    (
        "x",
        "SE",
        "not a phone number: the string supplied did not seem to be a phone number",
    ),
]


@pytest.mark.parametrize(("text", "region", "message"), REFUSED)
def test_a_refused_number_says_how_it_was_read(text: str, region: str, message: str) -> None:
    with pytest.raises(PhoneError) as refused:
        parse_phone(text, region)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("070-174 06 42", "SE", "+46701740642"),
        ("040 1234567", "FI", "+358401234567"),
        ("+358 40 1234567", "SE", "+358401234567"),
        ("00358401234567", "SE", "+358401234567"),
    ],
)
def test_a_mobile_number_is_kept_as_e164(text: str, region: str, e164: str) -> None:
    assert parse_phone(text, region) == e164


def test_a_landline_is_taken_where_mobiles_are_not_required() -> None:
    assert parse_phone("08-123 456 78", "SE", mobile_only=False) == "+46812345678"


# --- the same message wherever the number comes in ------------------------------------------

FINNISH_MOBILE_WRITTEN_NATIONALLY = "0401234567"
SAID = (
    "not a mobile number: read as +46 40 123 45 67, a Swedish landline (a number without a "
    "country code is read as SE); a Finnish number needs +358: +358 40 1234567"
)


EVENT = {
    "id": "e1",
    "type": "contact.closed",
    "phone": FINNISH_MOBILE_WRITTEN_NATIONALLY,
    "occurred_at": "2026-11-23T10:00:00+01:00",
    "unit": "KC",
    "service": "Bygglov",
}


async def test_the_api_says_how_it_read_the_number(tmp_path: Path, clock: ManualClock) -> None:
    async with running_gateway(gateway_env(tmp_path), clock) as gateway:
        status, body = await gateway.post_events(EVENT)
    assert (status, body["errors"]) == (400, [{"index": 0, "field": "phone", "message": SAID}])


def cli_env(tmp_path: Path) -> dict[str, str]:
    return {
        "SMSBOT_CONFIG": str(ROOT / "config.toml"),
        "SMSBOT_DATABASE__PATH": str(tmp_path / "cli.db"),
        "SMSBOT_PRIVACY__PSEUDONYM_KEY": "k",
    }


def test_the_import_says_the_same(tmp_path: Path) -> None:
    rows = tmp_path / "events.csv"
    rows.write_text(",".join(EVENT) + "\n" + ",".join(EVENT.values()) + "\n", encoding="utf-8")
    imported = CliRunner().invoke(main, ["events", "import", str(rows)], env=cli_env(tmp_path))
    assert f"{rows}:2: phone: {SAID}" in imported.stdout


def test_chat_says_the_same(tmp_path: Path) -> None:
    flow = str(ROOT / "flows" / "contact-centre.yaml")
    args = ["chat", flow, "--event-field", "unit=KC", "--phone", FINNISH_MOBILE_WRITTEN_NATIONALLY]
    chatted = CliRunner().invoke(main, args, env=cli_env(tmp_path), input="")
    assert (chatted.exit_code, chatted.stderr.splitlines()[-1]) == (1, f"Error: {SAID}")


def test_the_fiction_range_is_texted_like_any_swedish_mobile_and_is_the_regulators_range() -> None:
    """PTS sets aside 070-174 06 05 to 070-174 06 99 for fiction; the simulator and `smsbot
    chat` draw from it, so each must be a number smsbot texts as it would a citizen's."""
    assert FICTION[0] == "+46701740605" and FICTION[-1] == "+46701740699" and len(FICTION) == 95
    assert all(parse_phone(number, "SE") == number for number in FICTION)
    assert {fictional_phone() for _ in range(400)} <= set(FICTION)
