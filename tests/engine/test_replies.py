"""Citizens' replies, as tables: (reply, what it should be understood as)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsbot.engine.replies import (
    Parsed,
    is_skip,
    match_keyword,
    normalize,
    parse_choice,
    parse_scale,
    parse_text,
    parse_yesno,
)


def problem(name: str) -> Parsed:
    return Parsed(None, None, name)


# --- scale ----------------------------------------------------------------------------------

SCALE_1_TO_5 = [
    # plain, and with spaces and punctuation around
    ("4", Parsed(4)),
    (" 4!", Parsed(4)),
    ("5.", Parsed(5)),
    ("(3)", Parsed(3)),
    ("4?", Parsed(4)),
    ("  2  ", Parsed(2)),
    ("\t1\n", Parsed(1)),
    ("4 :)", Parsed(4)),
    # "out of": only when the denominator is the scale's top
    ("4/5", Parsed(4)),
    ("4 / 5", Parsed(4)),
    ("4 av 5", Parsed(4)),
    ("4 of 5", Parsed(4)),
    ("4 out of 5 stars", Parsed(4, "stars")),
    ("5/5 bra", Parsed(5, "bra")),
    ("fyra av fem", Parsed(4)),
    ("4/10", Parsed(4, "/10")),
    ("4 av 7 tycker jag", Parsed(4, "av 7 tycker jag")),
    # other Unicode digits
    ("４", Parsed(4)),
    ("４！", Parsed(4)),
    ("٤", Parsed(4)),
    ("⁴", Parsed(4)),
    # number words, any case
    ("fyra", Parsed(4)),
    ("Fyra", Parsed(4)),
    ("FYRA!", Parsed(4)),
    ("neljä", Parsed(4)),
    ("four", Parsed(4)),
    ("fem stjärnor", Parsed(5, "stjärnor")),
    ("Kolme, ihan ok", Parsed(3, "ihan ok")),
    ("en femma", Parsed(5)),
    ("En trea, tyvärr", Parsed(3, "tyvärr")),
    # a number, then a comment
    ("2 long queue", Parsed(2, "long queue")),
    ("3, personalen var trevlig", Parsed(3, "personalen var trevlig")),
    ("4 - ok", Parsed(4, "ok")),
    ("4 – ok", Parsed(4, "ok")),
    ("3 lång kö", Parsed(3, "lång kö")),
    ("1: Ingen Svarade", Parsed(1, "Ingen Svarade")),
    ("4 (bra)", Parsed(4, "(bra)")),
    ("5👍", Parsed(5, "👍")),
    ("4 en bra dag", Parsed(4, "en bra dag")),
    ("4 one of the best", Parsed(4, "one of the best")),
    ("4st", Parsed(4, "st")),
    # out of range
    ("9", problem("out_of_range")),
    ("0", problem("out_of_range")),
    ("10", problem("out_of_range")),
    ("tio", problem("out_of_range")),
    ("99999999999999999999999999", problem("out_of_range")),
    # decimals are never read as whole numbers
    ("4,5", problem("decimal")),
    ("4.5", problem("decimal")),
    ("3,5 typ", problem("decimal")),
    (".5", problem("decimal")),
    ("4½", problem("decimal")),
    ("３．５", problem("decimal")),
    # two numbers
    ("3 4", problem("ambiguous")),
    ("3-4", problem("ambiguous")),
    ("3–4", problem("ambiguous")),
    ("3, 4", problem("ambiguous")),
    ("3 eller 4", problem("ambiguous")),
    ("3 or 4", problem("ambiguous")),
    ("3 tai 4", problem("ambiguous")),
    ("fyra fem", problem("ambiguous")),
    ("4 five", problem("ambiguous")),
    # empty and unreadable
    ("", problem("empty")),
    ("   ", problem("empty")),
    ("\n\t", problem("empty")),
    ("\u200b", problem("empty")),
    ("hmm", problem("unreadable")),
    ("I give it 4", problem("unreadable")),
    ("betyg 4", problem("unreadable")),
    ("😀", problem("unreadable")),
    ("👍👍", problem("unreadable")),
    ("?!", problem("unreadable")),
]


@pytest.mark.parametrize(("reply", "expected"), SCALE_1_TO_5)
def test_scale_1_to_5(reply: str, expected: Parsed) -> None:
    assert expected == parse_scale(reply, 1, 5)


NUMBER_WORDS = [
    # Swedish
    ("noll", 0),
    ("ett", 1),
    ("en", 1),
    ("två", 2),
    ("tva", 2),
    ("tre", 3),
    ("fyra", 4),
    ("fem", 5),
    ("sex", 6),
    ("sju", 7),
    ("åtta", 8),
    ("atta", 8),
    ("nio", 9),
    ("tio", 10),
    # Finnish
    ("nolla", 0),
    ("yksi", 1),
    ("kaksi", 2),
    ("kolme", 3),
    ("neljä", 4),
    ("nelja", 4),
    ("viisi", 5),
    ("kuusi", 6),
    ("seitsemän", 7),
    ("seitseman", 7),
    ("kahdeksan", 8),
    ("yhdeksän", 9),
    ("yhdeksan", 9),
    ("kymmenen", 10),
    ("kymppi", 10),
    # English
    ("zero", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    # any case, and decomposed letters (a + combining diaeresis)
    ("TVÅ", 2),
    ("Seitsemän", 7),
    ("ATTA", 8),
    ("nelja\u0308", 4),
]


@pytest.mark.parametrize(("word", "value"), NUMBER_WORDS)
def test_number_words(word: str, value: int) -> None:
    assert Parsed(value) == parse_scale(word, 0, 10)


SCALE_0_TO_10 = [
    ("0", Parsed(0)),
    ("10", Parsed(10)),
    ("10!", Parsed(10)),
    ("10 bästa någonsin", Parsed(10, "bästa någonsin")),
    ("10/10", Parsed(10)),
    ("10 av 10", Parsed(10)),
    ("4/5", Parsed(4, "/5")),
    ("007", Parsed(7)),
    ("11", problem("out_of_range")),
    ("100", problem("out_of_range")),
    ("4,5", problem("decimal")),
    ("1 0", problem("ambiguous")),
]


@pytest.mark.parametrize(("reply", "expected"), SCALE_0_TO_10)
def test_scale_0_to_10(reply: str, expected: Parsed) -> None:
    assert expected == parse_scale(reply, 0, 10)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("-1", Parsed(-1)), ("−2", Parsed(-2)), ("1", Parsed(1)), ("-3", problem("out_of_range"))],
)
def test_a_minus_sign_counts_only_on_scales_below_zero(reply: str, expected: Parsed) -> None:
    assert expected == parse_scale(reply, -2, 2)


def test_a_leading_dash_is_punctuation_on_ordinary_scales() -> None:
    assert Parsed(3) == parse_scale("-3", 1, 5)


def test_a_long_reply_keeps_the_whole_comment() -> None:
    comment = "Det var en lång väntan, ＆ personalen… " * 60
    reply = "3 " + comment
    assert len(reply) > 2000
    assert Parsed(3, comment.strip()) == parse_scale(reply, 1, 5)


def test_the_comment_is_the_original_text() -> None:
    # NFKC is only used to understand the value; the comment keeps what was written.
    assert Parsed(4, "Ｈｅｊ ﬁne") == parse_scale("４ Ｈｅｊ ﬁne", 1, 5)


# --- yes / no -------------------------------------------------------------------------------

YESNO = [
    # Swedish yes
    ("ja", Parsed("yes")),
    ("Ja!", Parsed("yes")),
    ("JA", Parsed("yes")),
    ("japp", Parsed("yes")),
    ("jajamän", Parsed("yes")),
    ("jo", Parsed("yes")),
    ("jepp", Parsed("yes")),
    ("visst", Parsed("yes")),
    ("absolut", Parsed("yes")),
    # Finnish yes
    ("kyllä", Parsed("yes")),
    ("kylla", Parsed("yes")),
    ("KYLLÄ.", Parsed("yes")),
    ("joo", Parsed("yes")),
    ("juu", Parsed("yes")),
    ("jep", Parsed("yes")),
    ("jees", Parsed("yes")),
    ("on", Parsed("yes")),
    ("oli", Parsed("yes")),
    # English yes
    ("yes", Parsed("yes")),
    ("y", Parsed("yes")),
    ("Yeah", Parsed("yes")),
    ("yep", Parsed("yes")),
    ("yup", Parsed("yes")),
    ("sure", Parsed("yes")),
    # Swedish no
    ("nej", Parsed("no")),
    ("Nej.", Parsed("no")),
    ("nä", Parsed("no")),
    ("nää", Parsed("no")),
    ("nix", Parsed("no")),
    ("nope", Parsed("no")),
    # Finnish no
    ("ei", Parsed("no")),
    ("en", Parsed("no")),
    ("eipä", Parsed("no")),
    ("ei ollut", Parsed("no")),
    ("Ei ollut!", Parsed("no")),
    # English no
    ("no", Parsed("no")),
    ("n", Parsed("no")),
    ("NOPE", Parsed("no")),
    ("nah", Parsed("no")),
    ("not really", Parsed("no")),
    # emoji, with any skin tone
    ("👍", Parsed("yes")),
    ("👍🏻", Parsed("yes")),
    ("👍🏿", Parsed("yes")),
    ("👍🏽 bra", Parsed("yes", "bra")),
    ("👎", Parsed("no")),
    ("👎🏼", Parsed("no")),
    ("✅", Parsed("yes")),
    ("✔️", Parsed("yes")),
    ("❌", Parsed("no")),
    # letters said long
    ("jaaa", Parsed("yes")),
    ("jooo", Parsed("yes")),
    ("neeej", Parsed("no")),
    ("noooo", Parsed("no")),
    # a comment after the answer
    ("nej, fick ringa igen", Parsed("no", "fick ringa igen")),
    ("Ja tack", Parsed("yes", "tack")),
    ("Ja, men det tog tid", Parsed("yes", "men det tog tid")),
    ("ei ollut jonoa", Parsed("no", "jonoa")),
    ("not really, I had to call again", Parsed("no", "I had to call again")),
    ("En saanut apua", Parsed("no", "saanut apua")),
    ("Kyllä, jo eilen", Parsed("yes", "jo eilen")),
    ("Ja, en gång till", Parsed("yes", "en gång till")),
    ("Ei, ja jouduin soittamaan", Parsed("no", "ja jouduin soittamaan")),
    ("kyllä no", Parsed("yes", "no")),
    ("ja 2", Parsed("yes", "2")),
    # both
    ("ja nej", problem("ambiguous")),
    ("nej ja", problem("ambiguous")),
    ("yes/no", problem("ambiguous")),
    ("ja och nej", problem("ambiguous")),
    ("kyllä ja ei", problem("ambiguous")),
    ("👍👎", problem("ambiguous")),
    # neither
    ("kanske", problem("unreadable")),
    ("vet inte", problem("unreadable")),
    ("not", problem("unreadable")),
    ("2", problem("unreadable")),
    ("1 ja", problem("unreadable")),
    ("😀", problem("unreadable")),
    ("jarå", problem("unreadable")),
    ("", problem("empty")),
    ("  ", problem("empty")),
]


@pytest.mark.parametrize(("reply", "expected"), YESNO)
def test_yes_no(reply: str, expected: Parsed) -> None:
    assert expected == parse_yesno(reply)


# --- choice ---------------------------------------------------------------------------------

OPTIONS = [
    ("question", ["Fråga", "undra"]),
    ("application", ["Ansökan"]),
    ("complaint", ["Klagomål"]),
    ("other", ["Något annat", "annat"]),
    ("phone", ["Telefon"]),
    ("queue", ["Telefonkö"]),
]

CHOICE = [
    # by number
    ("2", Parsed("application")),
    ("2.", Parsed("application")),
    ("(2)", Parsed("application")),
    ("２", Parsed("application")),
    ("2 om bostadsbidrag", Parsed("application", "om bostadsbidrag")),
    ("1 - undrar över en faktura", Parsed("question", "undrar över en faktura")),
    ("7", problem("out_of_range")),
    ("0", problem("out_of_range")),
    ("1,3", problem("ambiguous")),
    ("1 och 3", problem("ambiguous")),
    ("1 3", problem("ambiguous")),
    # by label or word: the whole reply, in any case, with or without diacritics
    ("ansökan", Parsed("application")),
    ("ANSÖKAN", Parsed("application")),
    ("ansokan", Parsed("application")),
    ("Klagomål!", Parsed("complaint")),
    ("fraga", Parsed("question")),
    # the first word(s), then a comment
    ("Ansökan om bygglov", Parsed("application", "om bygglov")),
    ("något annat", Parsed("other")),
    ("Något annat: parkeringen", Parsed("other", "parkeringen")),
    ("annat", Parsed("other")),
    ("fråga om ansökan", Parsed("question", "om ansökan")),
    # an option word of four or more letters that begins the first word
    ("undrar", Parsed("question")),
    ("Undrade bara", Parsed("question", "bara")),
    ("telefonen", Parsed("phone")),
    # an exact word beats a word that only begins it; more words beat fewer
    ("telefonkö", Parsed("queue")),
    ("telefon", Parsed("phone")),
    # two options
    ("klagomål och fråga", problem("ambiguous")),
    ("ansökan, klagomål", problem("ambiguous")),
    # neither
    ("tel", problem("unreadable")),
    ("ansökningen", problem("unreadable")),
    ("hmm", problem("unreadable")),
    ("två", problem("unreadable")),
    ("👍", problem("unreadable")),
    ("", problem("empty")),
]


@pytest.mark.parametrize(("reply", "expected"), CHOICE)
def test_choice(reply: str, expected: Parsed) -> None:
    assert expected == parse_choice(reply, OPTIONS)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("2", Parsed("b")), ("a", Parsed("a")), ("x", problem("ambiguous"))],
)
def test_the_same_word_on_two_options_is_ambiguous(reply: str, expected: Parsed) -> None:
    assert expected == parse_choice(reply, [("a", ["a", "x"]), ("b", ["b", "X"])])


# --- free text ------------------------------------------------------------------------------

TEXT = [
    ("Bra!", Parsed("Bra!")),
    ("  hej  ", Parsed("hej")),
    ("Rad ett\nRad två", Parsed("Rad ett\nRad två")),
    ("4", Parsed("4")),
    ("", problem("empty")),
    ("   \n\t", problem("empty")),
]


@pytest.mark.parametrize(("reply", "expected"), TEXT)
def test_free_text(reply: str, expected: Parsed) -> None:
    assert expected == parse_text(reply)


def test_free_text_is_never_cut() -> None:
    reply = "Väntetiden var för lång. " * 200
    assert Parsed(reply.strip()) == parse_text(reply)


# --- skip, keywords, normalize --------------------------------------------------------------

SKIP = [
    ("-", True),
    (" - ", True),
    ("--", True),
    ("—", True),
    ("–", True),
    ("skip", True),
    ("SKIP!", True),
    ("pass", True),
    ("hoppa över", True),
    ("Hoppa  över.", True),
    ("hoppa", True),
    ("ohita", True),
    ("Ohi", True),
    ("nej", False),
    ("skip it", False),
    ("hoppa över frågan om väntetid", False),
    ("?", False),
    ("", False),
]


@pytest.mark.parametrize(("reply", "expected"), SKIP)
def test_skip_replies(reply: str, expected: bool) -> None:
    assert expected == is_skip(reply)


STOP_AND_HELP = ["STOP", "STOPP", "SLUTA", "LOPETA", "HELP", "HJÄLP", "APUA"]

KEYWORDS = [
    ("stop", "STOP"),
    (" Stopp! ", "STOPP"),
    ("SLUTA.", "SLUTA"),
    ("LOPETA.", "LOPETA"),
    ("lopeta", "LOPETA"),
    ("Ｓｔｏｐ", "STOP"),
    ("hjälp?", "HJÄLP"),
    ("HJÄLP", "HJÄLP"),
    ("hjalp", "HJÄLP"),
    ("apua!!", "APUA"),
    ("stop waiting so long", None),
    ("stoppa kön", None),
    ("stopp stopp", None),
    ("nej", None),
    ("!!!", None),
    ("", None),
]


@pytest.mark.parametrize(("reply", "expected"), KEYWORDS)
def test_keywords_count_only_as_the_whole_reply(reply: str, expected: str | None) -> None:
    assert expected == match_keyword(reply, STOP_AND_HELP)


def test_a_keyword_is_returned_upper_cased_as_given() -> None:
    assert match_keyword("Hjälp", ["hjälp"]) == "HJÄLP"


NORMALIZE = [
    ("  Hej   DÅ\t", "hej då"),
    ("４５", "45"),
    ("ＡＢＣ", "abc"),
    ("Straße", "strasse"),
    ("a\nb", "a b"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), NORMALIZE)
def test_normalize(text: str, expected: str) -> None:
    assert expected == normalize(text)


# --- no reply breaks the parsers ------------------------------------------------------------

PIECES = [
    "4", "10", "0", "４", "٤", "½", ",", ".", "/", "-", " ", "  ", "av", "of", "or", "och", "ja",
    "nej", "ei", "ollut", "en", "femma", "fyra", "kyllä", "👍", "🏽", "\ufe0f", "\u0308", "ﬁ",
    "ansökan", "annat", "😀", "\u200b", "\n", "ß", "İ",
]  # fmt: skip

replies = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(PIECES)).map("".join))


def _well_formed(parsed: Parsed, reply: str) -> None:
    assert parsed.ok == (parsed.problem is None)
    assert parsed.ok == (parsed.value is not None)
    assert parsed.problem in (None, "empty", "unreadable", "out_of_range", "decimal", "ambiguous")
    if parsed.comment is not None:
        assert parsed.ok
        assert parsed.comment in reply  # cut from the original text, never rewritten
        assert parsed.comment == parsed.comment.strip()


@given(replies)
def test_no_reply_breaks_the_parsers(reply: str) -> None:
    for parsed in (
        parse_scale(reply, 1, 5),
        parse_scale(reply, 0, 10),
        parse_scale(reply, -2, 2),
        parse_yesno(reply),
        parse_choice(reply, OPTIONS),
        parse_text(reply),
    ):
        _well_formed(parsed, reply)
    scale = parse_scale(reply, 1, 5)
    assert not scale.ok or scale.value in range(1, 6)
    choice = parse_choice(reply, OPTIONS)
    assert not choice.ok or choice.value in {option_id for option_id, _ in OPTIONS}
    assert parse_yesno(reply).value in (None, "yes", "no")


@given(replies)
def test_skip_and_keywords_never_raise(reply: str) -> None:
    assert is_skip(reply) in (True, False)
    assert match_keyword(reply, STOP_AND_HELP) in (None, *STOP_AND_HELP)
    assert normalize(reply) == normalize(reply).strip()
