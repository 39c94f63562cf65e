"""Mapping files: what a mistake reads like, and what a payload maps to (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsbot.gateway.mappings import Ignored, Mapped, apply_mapping, load_mapping
from tests.conftest import ManualClock
from tests.gateway.platforms.payloads import genesys_customer_end, zendesk_solved
from tests.harness import ROOT

GOOD = """format: 1
platform: Test
event:
  id: {path: a.id}
  type: {value: contact.closed}
  phone: {path: a.phone}
  occurred_at: {path: a.at}
  unit: {value: north}
  service: {value: s}
"""

# (what is changed in GOOD, the line and message expected)
P = "platform: Test\n"
MISTAKES = [
    ("format: 1", "format: 2", "1: format must be 1 (got 2)"),
    (P, "", "1: platform: the platform's name is required (text)"),
    ("  id: {path: a.id}\n", "", "3: event: 'id' is required (path or value)"),
    ("{path: a.id}", "{path: a..id}", "4: 'a..id' is not a dotted path"),
    ("{path: a.id}", "{path: a.id, value: x}", "4: id: give either path or value"),
    ("{value: north}", "{value: north, table: {}}", "8: unit: a value takes no table"),
    ("{path: a.at}", "{path: a.at, format: iso}", "7: occurred_at: format must be one of"),
    ("  service:", "  servcie:", "9: unknown key 'servcie' in event (did you mean 'service'?)"),
    (P, P + "when:\n  a.kind: {equal: x}\n", "4: when 'a.kind': give one of equals, in"),
    (P, P + "when:\n  a.kind: {matches: '('}\n", "4: when 'a.kind': not a regular expression"),
    (P, P + "signature: hmac\n", "3: signature must be one of zendesk"),
    (P, P + "platform: Again\n", "3: duplicate key 'platform'"),
    ("format: 1", "format: [1", "could not read YAML"),
]


@pytest.mark.parametrize(("old", "new", "expected"), MISTAKES)
def test_a_mistake_in_a_mapping_file_is_named_at_its_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    path = tmp_path / "m.yaml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    mapping, findings = load_mapping(path)
    assert mapping is None
    assert any(expected in str(f) and str(f).startswith(f"{path}:") for f in findings), findings


def test_the_good_file_loads() -> None:
    for name in ("genesys-cloud.yaml", "zendesk.yaml"):
        mapping, findings = load_mapping(ROOT / "mappings" / name)
        assert mapping is not None and findings == []


def test_a_genesys_call_end_maps_to_a_contact_closed_event(clock: ManualClock) -> None:
    mapping, _ = load_mapping(ROOT / "mappings" / "genesys-cloud.yaml")
    assert mapping is not None
    mapped = apply_mapping(mapping, genesys_customer_end(clock.now()))
    assert isinstance(mapped, Mapped)
    assert mapped.event == {
        "id": "5f2a9c1e-7b3d-4e8a-9c6f-0d1e2f3a4b5c",
        "type": "contact.closed",
        "phone": "+46701740642",  # "tel:" stripped
        "occurred_at": clock.now().isoformat(),  # from epoch milliseconds
        "unit": "kundcenter-nord",  # from the queue id, through the table
        "service": "contact-centre",
        "channel": "phone",
        "attributes": {"disconnect": "peer"},
    }
    assert mapped.sources["phone"] == "detail.eventBody.ani"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"topic_kind": "acd.end"}, "detail.topicName matches"),
        ({"media": "CHAT"}, "detail.eventBody.mediaType is one of VOICE, voice"),
    ],
)
def test_what_the_genesys_mapping_does_not_take_is_ignored_with_the_reason(
    clock: ManualClock, change: dict[str, str], why: str
) -> None:
    mapping, _ = load_mapping(ROOT / "mappings" / "genesys-cloud.yaml")
    assert mapping is not None
    result = apply_mapping(mapping, genesys_customer_end(clock.now(), **change))
    assert isinstance(result, Ignored) and why in result.reason


def test_a_queue_missing_from_the_table_is_named(clock: ManualClock) -> None:
    mapping, _ = load_mapping(ROOT / "mappings" / "genesys-cloud.yaml")
    assert mapping is not None
    mapped = apply_mapping(mapping, genesys_customer_end(clock.now(), queue="no-such-queue"))
    assert isinstance(mapped, Mapped)
    assert "unit" not in mapped.event and mapped.misses == {"unit": "no-such-queue"}


def test_a_zendesk_ticket_maps_with_the_default_unit(clock: ManualClock) -> None:
    mapping, _ = load_mapping(ROOT / "mappings" / "zendesk.yaml")
    assert mapping is not None and mapping.signature == "zendesk"
    mapped = apply_mapping(mapping, zendesk_solved(clock.now(), group="Växeln"))
    assert isinstance(mapped, Mapped)
    assert mapped.event["unit"] == "kundcenter"
    assert mapped.event["attributes"] == {"brand": "Örebro kommun"}
    assert isinstance(apply_mapping(mapping, zendesk_solved(clock.now(), status="Open")), Ignored)
