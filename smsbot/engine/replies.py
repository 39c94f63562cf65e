"""Understanding a citizen's messy SMS reply: numbers, number words, yes/no, options, free text.

Pure and table-tested. Only a leading value counts ("2 long queue" is 2 with the comment
"long queue"); "I give it 4" is not understood, so the person gets the retry text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Parsed",
    "is_skip",
    "match_keyword",
    "normalize",
    "parse_choice",
    "parse_scale",
    "parse_text",
    "parse_yesno",
]


@dataclass(frozen=True)
class Parsed:
    value: int | str | None
    comment: str | None = None
    problem: str | None = None  # empty | unreadable | out_of_range | decimal | ambiguous

    @property
    def ok(self) -> bool:
        return self.problem is None and self.value is not None


def _problem(problem: str) -> Parsed:
    return Parsed(None, None, problem)


_NUMBER_WORDS: dict[str, int] = {}
for _value, _words in enumerate(
    [
        "noll nolla zero",
        "ett en yksi one",
        "två tva kaksi two",
        "tre kolme three",
        "fyra neljä nelja four",
        "fem viisi five",
        "sex kuusi six",
        "sju seitsemän seitseman seven",
        "åtta atta kahdeksan eight",
        "nio yhdeksän yhdeksan nine",
        "tio kymmenen ten",
    ]
):
    _NUMBER_WORDS.update(dict.fromkeys(_words.split(), _value))

_YES = "ja japp jajamän jo jepp visst javisst jadå absolut kyllä kylla joo juu jep jees on oli kyl"
_YES_EN = "yes y yeah yep yup sure yea"
_NO = "nej nä nää nix nope ei en eipä eipa no n nah"
_PHRASES: dict[tuple[str, ...], str] = {
    **{(w,): "yes" for w in f"{_YES} {_YES_EN}".split()},
    **{(w,): "no" for w in _NO.split()},
    ("ei", "ollut"): "no",
    ("en", "saanut"): "no",
    ("not", "really"): "no",
    ("inte", "riktigt"): "no",
    ("ja", "tack"): "yes",
}
_EMOJI = {"👍": "yes", "✅": "yes", "✔": "yes", "👎": "no", "❌": "no"}
_SKIN_TONES = "".join(chr(c) for c in range(0x1F3FB, 0x1F400))
_SKIP_WORDS = {"skip", "pass", "hoppa", "hoppa över", "hoppa over", "ohita", "ohi", "skippa"}

_LEADING_NUMBER = re.compile(r"^[\W_]*?(\d+)(?:([.,])(\d+))?")
_OUT_OF = re.compile(r"^\s*(?:/|av|of|out of|kautta|/)\s*(\d+)\s*[\W_]*$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_SEPARATORS = " \t\n\r,.;:!?-–—)(/*\"'"


def normalize(text: str) -> str:
    """NFKC (full-width digits become ASCII), case-folded, white space collapsed and trimmed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _comment(rest: str) -> str | None:
    cleaned = rest.strip().lstrip(_SEPARATORS).strip()
    return cleaned or None


# --- scale ----------------------------------------------------------------------------------


def parse_scale(text: str, lo: int, hi: int) -> Parsed:
    nf = _nfkc(text)
    if not nf:
        return _problem("empty")
    number = _leading_number(nf, hi)
    if number is None:
        return _problem("unreadable")
    if isinstance(number, str):
        return _problem(number)
    value, rest = number
    if not lo <= value <= hi:
        return _problem("out_of_range")
    return Parsed(value, _comment(rest))


def _leading_number(nf: str, hi: int) -> tuple[int, str] | str | None:
    """(value, the rest) from a leading number or number word; a problem name; or None."""
    match = _LEADING_NUMBER.match(nf)
    if match is None:
        return _leading_word(nf)
    if match.group(3) is not None:
        return "decimal"
    rest = nf[match.end() :]
    out_of = _OUT_OF.match(rest)
    if out_of is not None and int(out_of.group(1)) == hi:
        rest = ""
    if rest.strip(_SEPARATORS + " ")[:1].isdigit() and not rest.strip().startswith(("/", "av")):
        return "ambiguous"
    return int(match.group(1)), rest


def _leading_word(nf: str) -> tuple[int, str] | None:
    match = _WORD.search(nf)
    if match is None or nf[: match.start()].strip(_SEPARATORS):
        return None
    value = _NUMBER_WORDS.get(match.group().casefold())
    if value is None:
        return None
    return value, nf[match.end() :]


# --- yes / no -------------------------------------------------------------------------------


def parse_yesno(text: str) -> Parsed:
    nf = _nfkc(text)
    if not nf:
        return _problem("empty")
    emoji = _emoji_answer(nf)
    if emoji is not None:
        return emoji
    tokens = list(_WORD.finditer(nf))
    if not tokens or nf[: tokens[0].start()].strip(_SEPARATORS):
        return _problem("unreadable")
    matched = _match_phrase([t.group().casefold() for t in tokens])
    if matched is None:
        return _problem("unreadable")
    value, length = matched
    following = _match_phrase([t.group().casefold() for t in tokens[length : length + 2]])
    if following is not None and following[0] != value:
        return _problem("ambiguous")
    return Parsed(value, _comment(nf[tokens[length - 1].end() :]))


def _emoji_answer(nf: str) -> Parsed | None:
    first = nf.lstrip(_SEPARATORS)[:1]
    if first not in _EMOJI:
        return None
    rest = nf.lstrip(_SEPARATORS)[1:].lstrip(_SKIN_TONES + "\ufe0f")
    return Parsed(_EMOJI[first], _comment(rest))


def _match_phrase(words: Sequence[str]) -> tuple[str, int] | None:
    for length in (2, 1):
        value = _PHRASES.get(tuple(words[:length])) if len(words) >= length else None
        if value is not None:
            return value, length
    return None


# --- choice ---------------------------------------------------------------------------------


def parse_choice(text: str, options: Sequence[tuple[str, Sequence[str]]]) -> Parsed:
    nf = _nfkc(text)
    if not nf:
        return _problem("empty")
    if _LEADING_NUMBER.match(nf):
        number = parse_scale(nf, 1, len(options))
        if number.ok and isinstance(number.value, int):
            return Parsed(options[number.value - 1][0], number.comment)
        return number
    return _choice_by_word(nf, options)


def _choice_by_word(nf: str, options: Sequence[tuple[str, Sequence[str]]]) -> Parsed:
    reply = normalize(nf).strip(_SEPARATORS)
    found: dict[str, int] = {}
    for option_id, words in options:
        for word in words:
            length = _word_match(reply, normalize(word))
            if length:
                found[option_id] = max(found.get(option_id, 0), length)
    if not found:
        return _problem("unreadable")
    if len(found) > 1:
        return _problem("ambiguous")
    option_id, length = next(iter(found.items()))
    return Parsed(option_id, _comment(_skip_words(nf, length)))


def _word_match(reply: str, word: str) -> int:
    """How many words of the reply the option word takes (0: no match)."""
    if not word:
        return 0
    count = len(word.split())
    head = reply.split()[:count]
    if " ".join(head).strip(_SEPARATORS) == word:
        return count
    first = reply.split()[0] if reply.split() else ""
    if len(word) >= 4 and first.startswith(word):
        return 1
    return 0


def _skip_words(nf: str, count: int) -> str:
    tokens = list(_WORD.finditer(nf))
    return nf[tokens[count - 1].end() :] if len(tokens) >= count else ""


# --- free text, skipping, keywords ----------------------------------------------------------


def parse_text(text: str) -> Parsed:
    stripped = text.strip()
    if not stripped:
        return _problem("empty")
    return Parsed(stripped)


def is_skip(text: str) -> bool:
    stripped = text.strip()
    if stripped in ("-", "–", "—", "--"):
        return True
    return normalize(stripped).strip(_SEPARATORS) in _SKIP_WORDS


def match_keyword(text: str, keywords: Iterable[str]) -> str | None:
    """The keyword, when the whole reply is that keyword (case, spaces, punctuation aside)."""
    reply = _strip_marks(normalize(text))
    for keyword in keywords:
        if reply and reply == normalize(keyword):
            return keyword.upper()
    return None


def _strip_marks(text: str) -> str:
    """Trim punctuation and symbols from both ends."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] in "PSZ":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PSZ":
        end -= 1
    return text[start:end]
