"""Understanding a citizen's messy SMS reply: numbers, number words, yes/no, options, free text.

Pure (no I/O, stdlib only) and table-tested in tests/engine/test_replies.py. Only a *leading* value
counts: "2 long queue" is 2 with the comment "long queue", while "I give it 4" is not
understood, so the person gets the retry text. Comments are cut from the original text, so they
keep their casing and characters, whatever their length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
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

EMPTY = "empty"
UNREADABLE = "unreadable"
OUT_OF_RANGE = "out_of_range"
DECIMAL = "decimal"
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class Parsed:
    """What a reply said: a value (and the text after it), or why it was not understood."""

    value: int | str | None
    comment: str | None = None
    problem: str | None = None  # empty | unreadable | out_of_range | decimal | ambiguous

    @property
    def ok(self) -> bool:
        return self.problem is None and self.value is not None


def _problem(problem: str) -> Parsed:
    return Parsed(None, None, problem)


# --- vocabulary -----------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Case-folded, with diacritics dropped (kyllä -> kylla, två -> tva)."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not _is_mark(c)))


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def _table(groups: Mapping[str, str]) -> dict[str, str]:
    """word -> value, each word also without its diacritics; looked up case-folded."""
    table: dict[str, str] = {}
    for value, words in groups.items():
        for word in words.split():
            table[word] = table[_fold(word)] = value
    return table


_NUMBER_WORDS: dict[str, int] = {
    word: int(value)
    for word, value in _table(
        {
            "0": "noll nolla zero",
            "1": "ett en yksi yks one etta ykkönen",
            "2": "två kaksi kaks two tvåa kakkonen",
            "3": "tre kolme three trea kolmonen",
            "4": "fyra neljä four nelonen",
            "5": "fem viisi viis five femma vitonen",
            "6": "sex kuusi kuus six sexa kutonen",
            "7": "sju seitsemän seven sjua seiska",
            "8": "åtta kahdeksan eight kasi",
            "9": "nio yhdeksän nine nia ysi",
            "10": "tio kymmenen ten tia kymppi",
        }
    ).items()
}

# One-word answers; multi-word ones are in _PHRASES and win over their first word.
_WORDS = _table(
    {
        "yes": "ja japp jajamän jo jepp visst javisst jadå absolut självklart "
        "kyllä joo juu jep jees on oli tottakai "
        "yes y yeah yep yup sure 👍 ✅ ✔ ☑",
        "no": "nej nä nää nix nope ei en eipä no n nah 👎 ❌ ✖ ❎",
    }
)
_PHRASES: dict[tuple[str, ...], str] = {
    ("ei", "ollut"): "no",
    ("ei", "oikeastaan"): "no",
    ("not", "really"): "no",
    ("not", "at", "all"): "no",
    ("inte", "riktigt"): "no",
    ("inte", "alls"): "no",
    ("totta", "kai"): "yes",
    ("of", "course"): "yes",
}
_LONGEST_PHRASE = max(len(p) for p in _PHRASES)
_FINNISH = {"kyllä", "kylla", "joo", "juu", "jep", "jees", "on", "oli", "ei", "en", "eipä", "eipa"}
# After a first answer word these are ordinary words of the comment, not a second answer:
# "ja, en gång till", "kyllä, jo eilen"; after Finnish, "ja" is "and" and "no" is "well".
_WEAK = {"en", "on", "oli", "jo", "y", "n", "sure", "absolut", "visst"}
_WEAK_AFTER_FINNISH = _WEAK | {"ja", "no"}
_CONNECTORS = {"och", "and", "eller", "or", "tai", "vai", "ja"}

_SKIP_WORDS = {"skip", "pass", "hoppa over", "hoppa", "ohita", "ohi", "skippa"}
_DASHES = set("-‐‑‒–—―−")

# --- patterns (on NFKC text) -----------------------------------------------------------------

_LEADING = re.compile(r"[\W_]*")  # punctuation, symbols, emoji and spaces before the value
_DIGITS = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]+")
_WORD = re.compile(r"[^\W_]+")
_ANSWER_TOKEN = re.compile(r"[^\W_]+|[👍👎✅❌✔☑✖❎]")
_OUT_OF = re.compile(r"\s*(?:/|(?:av|utav|of|out\s+of)\s)\s*", re.IGNORECASE)
_BETWEEN = re.compile(
    r"[\s\-‐‑‒–—―−,.;&+]*(?:(?:or|eller|tai|vai|to|till|och|and|ja)\s+)?", re.IGNORECASE
)
_ARTICLE = re.compile(r"en\s+", re.IGNORECASE)  # "en femma", "en fyra": Swedish grades
_NOTHING_MORE = re.compile(r"[\W_]*\Z")
# Separators between a value and its comment, and what may trail an emoji (skin tone, VS16, ZWJ).
_COMMENT_LEAD = set(",.;:!?-‐‑‒–—―−)]}*…\ufe0e\ufe0f\u200d") | {
    chr(c) for c in range(0x1F3FB, 0x1F400)
}
_MAX_DIGITS = 9
_HUGE = 10**_MAX_DIGITS  # any number with more digits: out of every range


def normalize(text: str) -> str:
    """NFKC (full-width digits become ASCII), case-folded, white space collapsed and trimmed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True)
class _Reply:
    """The raw reply and its NFKC form, with where each NFKC character came from."""

    raw: str
    nf: str
    starts: tuple[int, ...]  # raw index of each nf character's cluster, then len(raw)

    def comment_after(self, pos: int) -> str | None:
        """The original text after nf[:pos], cleaned up as a comment."""
        while 0 < pos < len(self.nf) and self.starts[pos] == self.starts[pos - 1]:
            pos += 1  # inside a character NFKC expanded (½ -> 1⁄2): go to the next one
        return _comment(self.raw[self.starts[pos] :])


def _prepare(raw: str) -> _Reply:
    """NFKC one character cluster (a base and its combining marks) at a time, keeping offsets."""
    parts: list[str] = []
    starts: list[int] = []
    begin = 0
    for i in range(1, len(raw) + 1):
        if i == len(raw) or not unicodedata.combining(raw[i]):
            piece = unicodedata.normalize("NFKC", raw[begin:i])
            parts.append(piece)
            starts.extend([begin] * len(piece))
            begin = i
    starts.append(len(raw))
    return _Reply(raw, "".join(parts), tuple(starts))


def _is_blank(text: str) -> bool:
    return all(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in text)


def _comment(rest: str) -> str | None:
    """Text after a value without the separator before it; None when nothing is said."""
    start = 0
    while start < len(rest) and (rest[start].isspace() or rest[start] in _COMMENT_LEAD):
        start += 1
    cleaned = rest[start:].strip()
    if not any(unicodedata.category(c)[0] in "LNS" for c in cleaned):
        return None  # only punctuation left, like ")" or ":-("
    return cleaned


def _past(pattern: re.Pattern[str], nf: str, pos: int) -> int:
    """Where a pattern that may match nothing ends, matched at pos."""
    match = pattern.match(nf, pos)
    return pos if match is None else match.end()


# --- numbers --------------------------------------------------------------------------------


def _to_int(digits: str) -> int:
    """Any Unicode decimal digits as an int; absurdly long numbers become _HUGE."""
    ascii_digits = "".join(str(unicodedata.decimal(c)) for c in digits).lstrip("0") or "0"
    return _HUGE if len(ascii_digits) > _MAX_DIGITS else int(ascii_digits)


def _number_at(nf: str, pos: int) -> tuple[int, int] | None:
    """A whole number in digits or a number word starting at pos: (value, end)."""
    digits = _DIGITS.match(nf, pos)
    if digits is not None:
        return _to_int(digits.group()), digits.end()
    word = _LETTERS.match(nf, pos)
    if word is not None and word.group().casefold() in _NUMBER_WORDS:
        return _NUMBER_WORDS[word.group().casefold()], word.end()
    return None


def _skip_article(nf: str, pos: int) -> int:
    """Past a Swedish "en" that comes before a number word ("en femma" is a five, not 1)."""
    article = _ARTICLE.match(nf, pos)
    if article is not None and _number_at(nf, article.end()) is not None:
        return article.end()
    return pos


def _is_decimal(nf: str, start: int, end: int) -> bool:
    """4,5 / 4.5 / .5 / 4½ (NFKC: 41⁄2) -- a decimal, never 45."""
    if not nf[start].isdecimal():
        return False
    after = nf[end : end + 2]
    decimal_after = len(after) == 2 and after[0] in ".," and after[1].isdecimal()
    return decimal_after or after[:1] == "\u2044" or nf[start - 1 : start] in (".", ",")


def _out_of(nf: str, end: int, hi: int) -> tuple[bool, int]:
    """An "/ 5", "av 5", "of 5" after the number: (found, end), past it only when 5 is hi."""
    match = _OUT_OF.match(nf, end)
    found = None if match is None else _number_at(nf, match.end())
    if found is None:
        return False, end
    denominator, after = found
    return True, after if denominator == hi else end


def _second_number(nf: str, end: int) -> bool:
    """Another number right after the first: "3 4", "3-4", "3 eller 4", "fyra fem"."""
    pos = _past(_BETWEEN, nf, end)
    found = _number_at(nf, pos)
    if found is None:
        return False
    # A number word must be all that is left: "4 en bra dag" is a comment.
    return nf[pos].isdecimal() or _NOTHING_MORE.match(nf, found[1]) is not None


def _leading_number(nf: str, lo: int) -> tuple[int, int] | str:
    """(value, end in nf) of the number the reply starts with, or a problem."""
    start = _skip_article(nf, _past(_LEADING, nf, 0))
    found = _number_at(nf, start)
    if found is None:
        return UNREADABLE
    value, end = found
    if _is_decimal(nf, start, end):
        return DECIMAL
    if lo < 0 and nf[start - 1 : start] in ("-", "−"):
        value = -value
    return value, end


def _read_number(reply: _Reply, lo: int, hi: int) -> Parsed:
    """A leading whole number in lo..hi, with the text after it as the comment."""
    found = _leading_number(reply.nf, lo)
    if isinstance(found, str):
        return _problem(found)
    value, end = found
    out_of, end = _out_of(reply.nf, end, hi)
    if not out_of and _second_number(reply.nf, end):
        return _problem(AMBIGUOUS)
    if not lo <= value <= hi:
        return _problem(OUT_OF_RANGE)
    return Parsed(value, reply.comment_after(end))


def parse_scale(text: str, lo: int, hi: int) -> Parsed:
    """A whole number lo..hi in digits or as a number word (sv, fi, en) at the start."""
    if _is_blank(text):
        return _problem(EMPTY)
    return _read_number(_prepare(text), lo, hi)


# --- yes / no -------------------------------------------------------------------------------


def _answer_at(keys: Sequence[str], i: int) -> tuple[str, int] | None:
    """("yes" | "no", words taken) for the answer starting at keys[i], if there is one."""
    for length in range(_LONGEST_PHRASE, 1, -1):
        phrase = tuple(keys[i : i + length])
        if len(phrase) == length and phrase in _PHRASES:
            return _PHRASES[phrase], length
    if i >= len(keys):
        return None
    for word in _unstretched(keys[i]):
        if word in _WORDS:
            return _WORDS[word], 1
    return None


def _unstretched(word: str) -> tuple[str, ...]:
    """The word, then with letters said long cut short: "jooo" -> "joo", "neeej" -> "nej"."""
    return word, re.sub(r"(.)\1{2,}", r"\1\1", word), re.sub(r"(.)\1+", r"\1", word)


def _contradicts(keys: Sequence[str], i: int, value: str) -> bool:
    """The opposite answer follows at once, or after "och"/"or"/"ja": "ja nej", "yes or no"."""
    weak = _WEAK_AFTER_FINNISH if keys[0] in _FINNISH else _WEAK
    for j in (i, i + 1):
        found = _answer_at(keys, j)
        if found is not None and found[0] != value and keys[j] not in weak:
            return True
        if j >= len(keys) or keys[j] not in _CONNECTORS:
            return False
    return False


def parse_yesno(text: str) -> Parsed:
    """ "yes" or "no" from the reply's first word(s) in sv, fi or en, or 👍 / 👎."""
    if _is_blank(text):
        return _problem(EMPTY)
    reply = _prepare(text)
    tokens = list(_ANSWER_TOKEN.finditer(reply.nf))
    keys = [t.group().casefold() for t in tokens]
    found = _answer_at(keys, 0)
    if found is None:
        return _problem(UNREADABLE)
    value, length = found
    if _contradicts(keys, length, value):
        return _problem(AMBIGUOUS)
    return Parsed(value, reply.comment_after(tokens[length - 1].end()))


# --- choice ---------------------------------------------------------------------------------


def _keys(text: str) -> list[str]:
    return [_fold(w) for w in _WORD.findall(unicodedata.normalize("NFKC", text))]


def _word_score(reply: Sequence[str], word: Sequence[str]) -> tuple[int, int] | None:
    """(reply words taken, 1 if exact else 0) when the reply starts with the option word."""
    n = len(word)
    if n == 0 or len(reply) < n:
        return None
    if list(reply[:n]) == list(word):
        return n, 1
    last = word[-1]
    if list(reply[: n - 1]) == list(word[:-1]) and len(last) >= 4 and reply[n - 1].startswith(last):
        return n, 0
    return None


def _option_scores(
    keys: Sequence[str], options: Sequence[tuple[str, Sequence[str]]]
) -> dict[str, tuple[int, int]]:
    """option id -> its best score for the reply words keys."""
    scores: dict[str, tuple[int, int]] = {}
    for option_id, words in options:
        for word in words:
            score = _word_score(keys, _keys(word))
            if score is not None and score > scores.get(option_id, (0, 0)):
                scores[option_id] = score
    return scores


def _best_option(
    keys: Sequence[str], options: Sequence[tuple[str, Sequence[str]]]
) -> tuple[str, int] | str:
    """(option id, words taken) of the one option that fits best, or a problem."""
    scores = _option_scores(keys, options)
    if not scores:
        return UNREADABLE
    top = max(scores.values())
    winners = [option_id for option_id, score in scores.items() if score == top]
    if len(winners) > 1:
        return AMBIGUOUS
    return winners[0], top[0]


def _another_option(
    keys: Sequence[str], chosen: str, options: Sequence[tuple[str, Sequence[str]]]
) -> bool:
    """Another option follows at once or after "och"/"or": "ansökan och klagomål"."""
    rest = keys[1:] if keys[:1] and keys[0] in _CONNECTORS else keys
    return any(option_id != chosen for option_id in _option_scores(rest, options))


def _choice_by_word(reply: _Reply, options: Sequence[tuple[str, Sequence[str]]]) -> Parsed:
    tokens = list(_WORD.finditer(reply.nf))
    keys = [_fold(t.group()) for t in tokens]
    best = _best_option(keys, options)
    if isinstance(best, str):
        return _problem(best)
    option_id, length = best
    if _another_option(keys[length:], option_id, options):
        return _problem(AMBIGUOUS)
    return Parsed(option_id, reply.comment_after(tokens[length - 1].end()))


def parse_choice(text: str, options: Sequence[tuple[str, Sequence[str]]]) -> Parsed:
    """An option by its number (1-based, in display order) or by its label or one of its words."""
    if _is_blank(text):
        return _problem(EMPTY)
    reply = _prepare(text)
    start = _past(_LEADING, reply.nf, 0)
    if not reply.nf[start : start + 1].isdecimal():
        return _choice_by_word(reply, options)
    number = _read_number(reply, 1, len(options))
    if number.problem == DECIMAL:
        return _problem(AMBIGUOUS)  # "1,3" is two options, not a decimal
    if not isinstance(number.value, int):
        return number
    return Parsed(options[number.value - 1][0], number.comment)


# --- free text, skipping, keywords ----------------------------------------------------------


def parse_text(text: str) -> Parsed:
    """Free text: anything not blank, kept whole."""
    if _is_blank(text):
        return _problem(EMPTY)
    return Parsed(text.strip())


def _bare(text: str) -> str:
    """Normalized and folded, with punctuation, symbols and spaces trimmed from both ends."""
    norm = normalize(text)
    start, end = 0, len(norm)
    while start < end and unicodedata.category(norm[start])[0] in "PSZC":
        start += 1
    while end > start and unicodedata.category(norm[end - 1])[0] in "PSZC":
        end -= 1
    return _fold(norm[start:end])


def is_skip(text: str) -> bool:
    """A reply that asks to skip an optional question: "-", "skip", "hoppa över", "ohita"..."""
    marks = "".join(text.split())
    if any(c in _DASHES for c in marks) and all(unicodedata.category(c)[0] == "P" for c in marks):
        return True
    return _bare(text) in _SKIP_WORDS


def match_keyword(text: str, keywords: Iterable[str]) -> str | None:
    """The keyword, upper-cased, when the whole reply is that keyword ("Stopp!" is STOPP)."""
    reply = _bare(text)
    if not reply:
        return None
    for keyword in keywords:
        if _bare(keyword) == reply:
            return keyword.upper()
    return None
