"""Citizens' replies, as tables: (reply, expected value, expected comment or problem)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsbot.engine.replies import (
    Parsed,
    is_skip,
    match_keyword,
    parse_choice,
    parse_scale,
    parse_text,
    parse_yesno,
)

SCALE = [
    ("4", Parsed(4)),
    (" 4!", Parsed(4)),
    ("5.", Parsed(5)),
    ("(3)", Parsed(3)),
    ("4/5", Parsed(4)),
    ("4 / 5", Parsed(4)),
    ("4 av 5", Parsed(4)),
    ("4 of 5", Parsed(4)),
    ("fyra", Parsed(4)),
    ("Fyra", Parsed(4)),
    ("neljä", Parsed(4)),
    ("nelja", Parsed(4)),
    ("four", Parsed(4)),
    ("två", Parsed(2)),
    ("tva", Parsed(2)),
    ("kaksi", Parsed(2)),
    ("ett", Parsed(1)),
    ("yksi", Parsed(1)),
    ("fem stjärnor", Parsed(5, "stjärnor")),
    ("４", Parsed(4)),
    ("2 long queue", Parsed(2, "long queue")),
    ("3, personalen var trevlig", Parsed(3, "personalen var trevlig")),
    ("4 - ok", Parsed(4, "ok")),
    ("4,5", Parsed(None, None, "decimal")),
    ("4.5", Parsed(None, None, "decimal")),
    ("9", Parsed(None, None, "out_of_range")),
    ("0", Parsed(None, None, "out_of_range")),
    ("3 4", Parsed(None, None, "ambiguous")),
    ("3-4", Parsed(None, None, "ambiguous")),
    ("", Parsed(None, None, "empty")),
    ("   ", Parsed(None, None, "empty")),
    ("hmm", Parsed(None, None, "unreadable")),
    ("I give it 4", Parsed(None, None, "unreadable")),
    ("😀", Parsed(None, None, "unreadable")),
]


@pytest.mark.parametrize(("reply", "expected"), SCALE)
def test_scale_1_to_5(reply: str, expected: Parsed) -> None:
    assert parse_scale(reply, 1, 5) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("0", Parsed(0)), ("10", Parsed(10)), ("tio", Parsed(10)), ("kymmenen", Parsed(10)),
     ("10/10", Parsed(10)), ("11", Parsed(None, None, "out_of_range"))],
)  # fmt: skip
def test_scale_0_to_10(reply: str, expected: Parsed) -> None:
    assert parse_scale(reply, 0, 10) == expected


def test_a_long_reply_keeps_the_whole_comment() -> None:
    reply = "3 " + "Det var en lång väntan. " * 90
    parsed = parse_scale(reply, 1, 5)
    assert parsed.value == 3
    assert parsed.comment == reply[2:].strip()
    assert len(reply) > 2000


YESNO = [
    ("ja", Parsed("yes")),
    ("Ja!", Parsed("yes")),
    ("japp", Parsed("yes")),
    ("jo", Parsed("yes")),
    ("kyllä", Parsed("yes")),
    ("kylla", Parsed("yes")),
    ("joo", Parsed("yes")),
    ("juu", Parsed("yes")),
    ("yes", Parsed("yes")),
    ("Yeah", Parsed("yes")),
    ("👍", Parsed("yes")),
    ("👍🏽 bra", Parsed("yes", "bra")),
    ("nej", Parsed("no")),
    ("nej, fick ringa igen", Parsed("no", "fick ringa igen")),
    ("ei", Parsed("no")),
    ("ei ollut", Parsed("no")),
    ("no", Parsed("no")),
    ("not really", Parsed("no")),
    ("👎", Parsed("no")),
    ("Ja, men det tog tid", Parsed("yes", "men det tog tid")),
    ("ja nej", Parsed(None, None, "ambiguous")),
    ("kanske", Parsed(None, None, "unreadable")),
    ("2", Parsed(None, None, "unreadable")),
    ("", Parsed(None, None, "empty")),
]


@pytest.mark.parametrize(("reply", "expected"), YESNO)
def test_yes_no(reply: str, expected: Parsed) -> None:
    assert parse_yesno(reply) == expected


OPTIONS = [
    ("question", ["Fråga", "undra"]),
    ("application", ["Ansökan"]),
    ("complaint", ["Klagomål"]),
    ("other", ["Något annat", "annat"]),
]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("2", Parsed("application")),
        ("2.", Parsed("application")),
        ("ansökan", Parsed("application")),
        ("ANSÖKAN", Parsed("application")),
        ("Klagomål!", Parsed("complaint")),
        ("2 om bostadsbidrag", Parsed("application", "om bostadsbidrag")),
        ("undrar", Parsed("question")),
        ("något annat", Parsed("other")),
        ("5", Parsed(None, None, "out_of_range")),
        ("hmm", Parsed(None, None, "unreadable")),
        ("", Parsed(None, None, "empty")),
    ],
)
def test_choice(reply: str, expected: Parsed) -> None:
    assert parse_choice(reply, OPTIONS) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("Bra!", Parsed("Bra!")), ("  hej  ", Parsed("hej")), ("", Parsed(None, None, "empty"))],
)
def test_free_text(reply: str, expected: Parsed) -> None:
    assert parse_text(reply) == expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("stop", "STOP"), (" Stopp! ", "STOPP"), ("SLUTA.", "SLUTA"), ("lopeta", "LOPETA"),
     ("stop waiting so long", None), ("stoppa kön", None), ("", None)],
)  # fmt: skip
def test_stop_words_count_only_as_the_whole_reply(reply: str, expected: str | None) -> None:
    assert match_keyword(reply, ["STOP", "STOPP", "SLUTA", "LOPETA"]) == expected


def test_help_word_with_a_nordic_letter() -> None:
    assert match_keyword("hjälp?", ["HELP", "HJÄLP", "APUA"]) == "HJÄLP"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("-", True), ("skip", True), ("Hoppa över", True), ("ohita", True), ("nej", False)],
)
def test_skip_replies(reply: str, expected: bool) -> None:
    assert is_skip(reply) is expected


@given(st.text(max_size=300))
def test_no_reply_breaks_the_parsers(reply: str) -> None:
    results = [
        parse_scale(reply, 1, 7),
        parse_scale(reply, 0, 10),
        parse_yesno(reply),
        parse_choice(reply, OPTIONS),
        parse_text(reply),
    ]
    for parsed in results:
        assert parsed.ok != (parsed.problem is not None)
