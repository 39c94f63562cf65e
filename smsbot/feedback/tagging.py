"""Themes in free-text feedback: a tag taxonomy, rule suggestions, people's decisions, top themes.

Managers pick 1-3 strengths and 1-3 improvements per unit from what citizens wrote. The taxonomy
(`flows/tags.yaml`) names the themes; each tag has a label per language, a polarity (strength,
improvement or neutral) and keyword rules per language. Rules *suggest* tags; a person confirms
(`tag`) or rejects (`untag`) them, and every change is recorded in `tag_changes` with who and when.

Rules, in a language's list (`sv`, `fi`, `en`) or in `any` (checked for every language):

    jono          the same word stem: jono, jonot, jonossa (Snowball stemmer of the language)
    =tydlig       exactly this word (where the stem is too wide: "tydligen" stems like "tydlig")
    jono*         a word that starts with "jono": jonottaa, jonotusaika
    *jono         a compound ending in the stem: puhelinjono, puhelinjonossa
    *kö*          "kö" anywhere in a word: telefonkön, kötid
    inte svarar   a phrase: each word matched as above, in a row

Matching is deliberately simple: no negation ("inte trevlig" matches "trevlig"), no word order
beyond a phrase, no weights. It only suggests; people decide. Write a negative phrase as its own
rule ("hälsade inte") where the negation is the point.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, NamedTuple

import aiosqlite
import snowballstemmer
import yaml

from smsbot.storage.sqlite.db import ts
from smsbot.suggest import did_you_mean as _hint

__all__ = [
    "LANGUAGES",
    "POLARITIES",
    "FeedbackItem",
    "FeedbackNotFound",
    "Polarity",
    "Rule",
    "Tag",
    "TagChange",
    "TagCount",
    "TagState",
    "Taxonomy",
    "TaxonomyError",
    "Theme",
    "feedback_units",
    "get_feedback",
    "list_feedback",
    "load_taxonomy",
    "parse_rule",
    "seen_all",
    "suggest_new",
    "tag",
    "tag_counts",
    "top_themes",
    "untag",
]

Polarity = Literal["strength", "improvement", "neutral"]
POLARITIES: tuple[Polarity, ...] = ("strength", "improvement", "neutral")
LANGUAGES: tuple[str, ...] = ("sv", "fi", "en")
ANY = "any"
RULES_BY = "rules"
_STEMMERS = {"sv": "swedish", "fi": "finnish", "en": "english"}
_WORD = re.compile(r"[^\W_]+")
_RULE_WORD = re.compile(r"=[^\W_]+|\*?[^\W_]+\*?")
_RULE_SPLIT = re.compile(r"[^\w*=]|_")
_TAG_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


# --- words and rules ----------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


@functools.lru_cache(maxsize=16)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_STEMMERS[language])


@functools.lru_cache(maxsize=65536)
def _stem(language: str, word: str) -> str:
    return str(_stemmer(language).stemWord(word))


class _Word(NamedTuple):
    raw: str
    stem: str


@dataclass(frozen=True)
class _Part:
    """One word of a rule: stem, exact (=word), prefix (word*), head (*word), inside (*word*)."""

    kind: Literal["stem", "exact", "prefix", "head", "inside"]
    text: str

    def matches(self, word: _Word) -> bool:
        if self.kind == "stem":
            return word.stem == self.text
        if self.kind == "exact":
            return word.raw == self.text
        if self.kind == "prefix":
            return word.raw.startswith(self.text)
        if self.kind == "head":
            return word.stem.endswith(self.text) or word.raw.endswith(self.text)
        return self.text in word.raw


@dataclass(frozen=True)
class Rule:
    """A keyword rule compiled for one language: one or more parts that match words in a row."""

    source: str
    parts: tuple[_Part, ...]

    def matches(self, words: Sequence[_Word]) -> bool:
        width = len(self.parts)
        return any(
            all(
                part.matches(word)
                for part, word in zip(self.parts, words[i : i + width], strict=True)
            )
            for i in range(len(words) - width + 1)
        )


def parse_rule(source: str, language: str) -> Rule:
    """Compile a rule for `language`; ValueError says what is wrong with it.

    A rule is split into words as feedback is ("e-tjänst" is the words "e" and "tjänst"), so a
    rule matches the text it looks like.
    """
    text = unicodedata.normalize("NFC", source).casefold()
    tokens = [chunk for chunk in _RULE_SPLIT.split(text) if chunk]
    if not tokens:
        raise ValueError(f"{source!r}: a rule needs at least one word")
    for token in tokens:
        if not _RULE_WORD.fullmatch(token):
            raise ValueError(
                f"{token!r}: * goes only at the start or end of a word (jono*, *jono),"
                " = only at the start (=tydlig)"
            )
    return Rule(source, tuple(_part(token, language) for token in tokens))


def _part(token: str, language: str) -> _Part:
    if token.startswith("="):
        return _Part("exact", token[1:])
    lead, trail = token.startswith("*"), token.endswith("*")
    core = token.strip("*")
    if (lead or trail) and len(core) < 2:
        raise ValueError(f"{token!r}: a word with * needs at least 2 letters")
    if lead and trail:
        return _Part("inside", core)
    if trail:
        return _Part("prefix", core)
    if lead:
        return _Part("head", _stem(language, core))
    return _Part("stem", _stem(language, core))


# --- the taxonomy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tag:
    id: str
    polarity: Polarity
    labels: Mapping[str, str]
    rules: Mapping[str, tuple[str, ...]]  # language (or "any") -> rule texts
    line: int = 0

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get("en") or self.id


class Taxonomy:
    """The tags and their compiled rules, per language."""

    def __init__(self, tags: Iterable[Tag]) -> None:
        self.tags: tuple[Tag, ...] = tuple(tags)
        self._by_id = {t.id: t for t in self.tags}
        self._compiled = {lang: self._compile(lang) for lang in LANGUAGES}
        rules = [[t.id, {lang: list(texts) for lang, texts in t.rules.items()}] for t in self.tags]
        self.rules_digest = hashlib.sha256(
            json.dumps(rules, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()  # what decides suggestions: another digest, other suggestions

    def _compile(self, language: str) -> list[tuple[str, Rule]]:
        return [
            (t.id, parse_rule(text, language))
            for t in self.tags
            for text in (*t.rules.get(language, ()), *t.rules.get(ANY, ()))
        ]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def get(self, tag_id: str) -> Tag | None:
        return self._by_id.get(tag_id)

    def polarity(self, tag_id: str) -> Polarity:
        """A tag's polarity; a tag no longer in the taxonomy counts as neutral."""
        known = self._by_id.get(tag_id)
        return known.polarity if known else "neutral"

    def unknown(self, tag_ids: Iterable[str]) -> list[str]:
        """The ids that are not tags here, each with a hint when one is close."""
        return [
            f"{tid!r} is not a tag{_hint(tid, self.ids)}"
            for tid in tag_ids
            if tid not in self._by_id
        ]

    def suggest(self, text: str, language: str) -> list[str]:
        """Tag ids whose rules match `text`, in taxonomy order.

        The rules of `language` and the `any` rules apply; for a language the taxonomy has no
        rules for, the rules of every language do (each with its own stemmer).
        """
        raw = _words(text)
        languages = (language,) if language in self._compiled else LANGUAGES
        found: set[str] = set()
        for lang in languages:
            words = [_Word(w, _stem(lang, w)) for w in raw]
            found.update(tid for tid, rule in self._compiled[lang] if rule.matches(words))
        return [t.id for t in self.tags if t.id in found]


class TaxonomyError(ValueError):
    """A taxonomy file with problems, one `file:line: message` a line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def load_taxonomy(path: Path | str) -> Taxonomy:
    """Read and check a taxonomy file; raises TaxonomyError listing every problem found."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TaxonomyError([f"{file}: cannot be read: {error}"]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        raise TaxonomyError([f"{file}:{line}: not valid YAML: {error.problem}"]) from None
    reader = _Reader(file)
    tags = reader.taxonomy(root)
    if reader.problems:
        raise TaxonomyError(reader.problems)
    return Taxonomy(tags)


_TAG_KEYS = ("id", "label", "polarity", "rules")


@dataclass
class _Reader:
    """Walks the composed YAML nodes, so every problem names its line."""

    file: Path
    problems: list[str] = field(default_factory=list)

    def problem(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(f"{self.file}:{line}: {message}")

    def taxonomy(self, root: yaml.Node | None) -> list[Tag]:
        top = self.mapping(root, "the file", ("format", "tags"))
        if top is None:
            return []
        version = top.get("format")
        if version is None or self.scalar(version, "format") != "1":
            self.problem(version or root, "expected 'format: 1' (the taxonomy format)")
        listed = top.get("tags")
        if not isinstance(listed, yaml.SequenceNode) or not listed.value:
            self.problem(listed or root, "expected 'tags:' with a list of tags")
            return []
        return self.unique([t for t in map(self.tag, listed.value) if t is not None])

    def unique(self, tags: list[Tag]) -> list[Tag]:
        seen: set[str] = set()
        for t in tags:
            if t.id in seen:
                self.problems.append(f"{self.file}:{t.line}: tag {t.id!r} is defined twice")
            seen.add(t.id)
        return tags

    def tag(self, node: yaml.Node) -> Tag | None:
        items = self.mapping(node, "a tag", _TAG_KEYS)
        if items is None:
            return None
        missing = [key for key in _TAG_KEYS if key not in items]
        if missing:
            self.problem(node, f"a tag needs {', '.join(missing)}")
            return None
        tag_id = self.scalar(items["id"], "id")
        if tag_id is not None and not _TAG_ID.fullmatch(tag_id):
            self.problem(items["id"], f"tag id {tag_id!r}: lower-case letters, digits and '-'")
            tag_id = None
        polarity = self.polarity(items["polarity"])
        labels = self.labels(items["label"])
        rules = self.rules(items["rules"])
        if tag_id is None or polarity is None or labels is None or rules is None:
            return None
        return Tag(tag_id, polarity, labels, rules, node.start_mark.line + 1)

    def polarity(self, node: yaml.Node) -> Polarity | None:
        value = self.scalar(node, "polarity")
        for known in POLARITIES:
            if value == known:
                return known
        if value is not None:
            self.problem(
                node,
                f"unknown polarity {value!r}{_hint(value, POLARITIES)}; "
                f"expected one of {', '.join(POLARITIES)}",
            )
        return None

    def labels(self, node: yaml.Node) -> dict[str, str] | None:
        items = self.mapping(node, "label", LANGUAGES)
        if items is None:
            return None
        missing = [lang for lang in LANGUAGES if lang not in items]
        if missing:
            self.problem(node, f"label: needs a text for {', '.join(missing)}")
        texts = {lang: self.scalar(value, f"label {lang}") for lang, value in items.items()}
        return {k: v for k, v in texts.items() if v} if not missing else None

    def rules(self, node: yaml.Node) -> dict[str, tuple[str, ...]] | None:
        items = self.mapping(node, "rules", (*LANGUAGES, ANY))
        if items is None:
            return None
        rules = {lang: self.rule_list(value, lang) for lang, value in items.items()}
        if not any(rules.values()):
            self.problem(node, "rules: give at least one rule")
        return rules

    def rule_list(self, node: yaml.Node, language: str) -> tuple[str, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"rules {language}: expected a list of words or phrases")
            return ()
        texts: list[str] = []
        for item in node.value:
            text = self.scalar(item, f"a rule in {language}")
            try:
                parse_rule(text or "", language if language != ANY else "en")
            except ValueError as error:
                self.problem(item, f"rules {language}: {error}")
                continue
            texts.append(text or "")
        return tuple(texts)

    def mapping(
        self, node: yaml.Node | None, what: str, keys: Sequence[str]
    ) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what}: expected a mapping with {', '.join(keys)}")
            return None
        items: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            key = str(key_node.value)
            if key in items:
                self.problem(key_node, f"{what}: {key!r} is given twice")
            elif key not in keys:
                self.problem(key_node, f"{what}: unknown key {key!r}{_hint(key, keys)}")
            else:
                items[key] = value
        return items

    def scalar(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.problem(node, f"{what}: expected a non-empty text")
            return None
        return str(node.value).strip()


# --- feedback and its tags in the database ------------------------------------------------------


@dataclass(frozen=True)
class TagState:
    tag: str
    state: str  # suggested | confirmed | rejected
    changed_by: str
    changed_at: str


@dataclass(frozen=True)
class FeedbackItem:
    """One free-text answer as reviewers see it: no phone number here (feedback has none)."""

    id: int
    flow: str
    question: str
    unit: str | None
    service: str | None
    language: str
    text: str
    created_at: str
    tags: tuple[TagState, ...] = ()

    def tags_in(self, *states: str) -> list[str]:
        return [t.tag for t in self.tags if t.state in states]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "flow": self.flow,
            "question": self.question,
            "unit": self.unit,
            "service": self.service,
            "language": self.language,
            "text": self.text,
            "created_at": self.created_at,
            "tags": [
                {"tag": t.tag, "state": t.state, "by": t.changed_by, "at": t.changed_at}
                for t in self.tags
            ],
        }


class FeedbackNotFound(LookupError):
    def __init__(self, feedback_id: int) -> None:
        self.feedback_id = feedback_id
        super().__init__(f"no feedback with id {feedback_id}")


@dataclass(frozen=True)
class TagChange:
    tag: str
    action: str  # suggest | confirm | add | remove


_FEEDBACK_COLUMNS = (
    "f.id, f.flow_id, f.question_id, f.unit, f.service, f.language, f.text, f.created_at"
)
_PEOPLE_DECIDED = (
    "EXISTS (SELECT 1 FROM feedback_tags d WHERE d.feedback_id = f.id"
    " AND d.state IN ('confirmed', 'rejected'))"
)


async def list_feedback(
    conn: aiosqlite.Connection,
    *,
    untagged: bool = False,
    unit: str | None = None,
    tag: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[FeedbackItem]:
    """Feedback, newest first, with every tag row (rejected ones too, so reviewers see them).

    untagged: only feedback no person has decided on yet (no confirmed and no rejected tag;
    rule suggestions alone do not count). tag: feedback with that tag suggested or confirmed.
    """
    where: list[str] = ["1"]
    args: list[object] = []
    if untagged:
        where.append(f"NOT {_PEOPLE_DECIDED}")
    if unit is not None:
        where.append("f.unit = ?")
        args.append(unit)
    if tag is not None:
        where.append(
            "EXISTS (SELECT 1 FROM feedback_tags t WHERE t.feedback_id = f.id AND t.tag = ?"
            " AND t.state != 'rejected')"
        )
        args.append(tag)
    sql = (
        f"SELECT {_FEEDBACK_COLUMNS} FROM feedback f WHERE {' AND '.join(where)}"
        " ORDER BY f.created_at DESC, f.id DESC LIMIT ? OFFSET ?"
    )
    async with conn.execute(sql, (*args, limit, offset)) as cur:
        rows = list(await cur.fetchall())
    tags = await _tag_states(conn, [int(r[0]) for r in rows])
    return [_item(row, tags.get(int(row[0]), ())) for row in rows]


async def feedback_units(conn: aiosqlite.Connection) -> list[str]:
    """The units that have feedback, sorted: the choices of a unit filter."""
    sql = "SELECT DISTINCT unit FROM feedback WHERE unit IS NOT NULL ORDER BY unit"
    async with conn.execute(sql) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def get_feedback(conn: aiosqlite.Connection, feedback_id: int) -> FeedbackItem:
    sql = f"SELECT {_FEEDBACK_COLUMNS} FROM feedback f WHERE f.id = ?"
    async with conn.execute(sql, (feedback_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        raise FeedbackNotFound(feedback_id)
    tags = await _tag_states(conn, [feedback_id])
    return _item(row, tags.get(feedback_id, ()))


def _item(row: Sequence[object], tags: Sequence[TagState]) -> FeedbackItem:
    fid, flow, question, unit, service, language, text, created = row
    return FeedbackItem(
        id=int(str(fid)),
        flow=str(flow),
        question=str(question),
        unit=None if unit is None else str(unit),
        service=None if service is None else str(service),
        language=str(language),
        text=str(text),
        created_at=str(created),
        tags=tuple(tags),
    )


async def _tag_states(
    conn: aiosqlite.Connection, feedback_ids: Sequence[int]
) -> dict[int, list[TagState]]:
    if not feedback_ids:
        return {}
    marks = ", ".join("?" * len(feedback_ids))
    sql = (
        "SELECT feedback_id, tag, state, changed_by, changed_at FROM feedback_tags"
        f" WHERE feedback_id IN ({marks}) ORDER BY feedback_id, tag"
    )
    found: dict[int, list[TagState]] = {}
    async with conn.execute(sql, tuple(feedback_ids)) as cur:
        async for fid, tag_id, state, by, at in cur:
            found.setdefault(int(fid), []).append(TagState(tag_id, state, by, at))
    return found


_SEEN_KEY = "tag_rules_seen_through"  # meta: the rules' digest, the last feedback id they saw


async def suggest_new(
    conn: aiosqlite.Connection, taxonomy: Taxonomy, *, now: datetime | None = None, batch: int = 500
) -> int:
    """Suggest tags by rules for feedback that has no tag rows yet; returns the rows added.

    Each feedback is put to the same rules once: the last feedback id they saw is kept (in
    `meta`, with the taxonomy's `rules_digest`), so a pass reads only the feedback that came
    since the last one, never the whole history (the gateway runs a pass every minute).
    Feedback the rules found nothing for stays without rows, so a changed taxonomy (another
    digest) gets another go at all of it. Each suggestion is recorded in tag_changes as action
    'suggest' by 'rules'. The caller owns the transaction.
    """
    at = ts(now or datetime.now(UTC))
    added, last_id = 0, await _seen_through(conn, taxonomy.rules_digest)
    sql = (
        "SELECT f.id, f.language, f.text FROM feedback f WHERE f.id > ? AND NOT EXISTS"
        " (SELECT 1 FROM feedback_tags t WHERE t.feedback_id = f.id) ORDER BY f.id LIMIT ?"
    )
    while True:
        async with conn.execute(sql, (last_id, batch)) as cur:
            rows = list(await cur.fetchall())
        if not rows:
            break
        for fid, language, text in rows:
            for tag_id in taxonomy.suggest(str(text), str(language)):
                added += await _suggest_one(conn, int(fid), tag_id, at)
        last_id = int(rows[-1][0])
    await _save_seen(conn, taxonomy.rules_digest, last_id)
    return added


async def seen_all(conn: aiosqlite.Connection, taxonomy: Taxonomy) -> None:
    """Record that these rules saw every feedback stored: for a database whose feedback got
    its suggestions where it was made (the benchmark's cloned history). The caller owns the
    transaction."""
    async with conn.execute("SELECT COALESCE(MAX(id), 0) FROM feedback") as cur:
        row = await cur.fetchone()
    await _save_seen(conn, taxonomy.rules_digest, int(row[0]) if row else 0)


async def _seen_through(conn: aiosqlite.Connection, digest: str) -> int:
    """The last feedback id the rules with this digest saw (0: none, or other rules)."""
    async with conn.execute("SELECT value FROM meta WHERE key = ?", (_SEEN_KEY,)) as cur:
        row = await cur.fetchone()
    seen = json.loads(row[0]) if row else {}
    return int(seen["feedback_id"]) if seen.get("rules") == digest else 0


async def _save_seen(conn: aiosqlite.Connection, digest: str, feedback_id: int) -> None:
    await conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (_SEEN_KEY, json.dumps({"rules": digest, "feedback_id": feedback_id})),
    )


async def _suggest_one(conn: aiosqlite.Connection, feedback_id: int, tag_id: str, at: str) -> int:
    cur = await conn.execute(
        "INSERT OR IGNORE INTO feedback_tags (feedback_id, tag, state, changed_by, changed_at)"
        " VALUES (?, ?, 'suggested', ?, ?)",
        (feedback_id, tag_id, RULES_BY, at),
    )
    if cur.rowcount != 1:
        return 0
    await _record(conn, feedback_id, tag_id, "suggest", RULES_BY, at)
    return 1


async def tag(
    conn: aiosqlite.Connection,
    feedback_id: int,
    tags: Iterable[str],
    *,
    who: str,
    now: datetime,
) -> list[TagChange]:
    """Confirm suggested tags or add new ones (state 'confirmed'); returns what changed.

    A tag already confirmed is left as it is. The caller owns the transaction and checks the
    tag ids against the taxonomy.
    """
    states = await _current(conn, feedback_id)
    changes = []
    for tag_id in dict.fromkeys(tags):
        before = states.get(tag_id)
        if before == "confirmed":
            continue
        action = "confirm" if before == "suggested" else "add"
        await _set_state(conn, feedback_id, tag_id, "confirmed", _who(who), ts(now))
        await _record(conn, feedback_id, tag_id, action, _who(who), ts(now))
        changes.append(TagChange(tag_id, action))
    return changes


async def untag(
    conn: aiosqlite.Connection,
    feedback_id: int,
    tags: Iterable[str],
    *,
    who: str,
    now: datetime,
) -> list[TagChange]:
    """Reject tags (state 'rejected', action 'remove'): rules will not suggest them again."""
    states = await _current(conn, feedback_id)
    changes = []
    for tag_id in dict.fromkeys(tags):
        if states.get(tag_id) == "rejected":
            continue
        await _set_state(conn, feedback_id, tag_id, "rejected", _who(who), ts(now))
        await _record(conn, feedback_id, tag_id, "remove", _who(who), ts(now))
        changes.append(TagChange(tag_id, "remove"))
    return changes


def _who(who: str) -> str:
    name = who.strip()
    if not name:
        raise ValueError("say who makes the change (a name)")
    return name[:100]


async def _current(conn: aiosqlite.Connection, feedback_id: int) -> dict[str, str]:
    async with conn.execute("SELECT 1 FROM feedback WHERE id = ?", (feedback_id,)) as cur:
        if await cur.fetchone() is None:
            raise FeedbackNotFound(feedback_id)
    sql = "SELECT tag, state FROM feedback_tags WHERE feedback_id = ?"
    async with conn.execute(sql, (feedback_id,)) as cur:
        return {str(r[0]): str(r[1]) for r in await cur.fetchall()}


async def _set_state(
    conn: aiosqlite.Connection, feedback_id: int, tag_id: str, state: str, who: str, at: str
) -> None:
    await conn.execute(
        "INSERT INTO feedback_tags (feedback_id, tag, state, changed_by, changed_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (feedback_id, tag) DO UPDATE SET"
        " state = excluded.state, changed_by = excluded.changed_by,"
        " changed_at = excluded.changed_at",
        (feedback_id, tag_id, state, who, at),
    )


async def _record(
    conn: aiosqlite.Connection, feedback_id: int, tag_id: str, action: str, who: str, at: str
) -> None:
    await conn.execute(
        "INSERT INTO tag_changes (feedback_id, tag, action, changed_by, changed_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (feedback_id, tag_id, action, who, at),
    )


# --- counts and top themes ---------------------------------------------------------------------


@dataclass(frozen=True)
class TagCount:
    unit: str | None
    tag: str
    polarity: Polarity
    confirmed: int
    suggested: int

    @property
    def total(self) -> int:
        return self.confirmed + self.suggested


class Theme(NamedTuple):
    """A top theme: tag, how many feedback items have it, up to 2 example quotes."""

    tag: str
    total: int
    examples: tuple[str, ...]


async def tag_counts(
    conn: aiosqlite.Connection, taxonomy: Taxonomy, *, unit: str | None = None
) -> list[TagCount]:
    """Per unit and tag: how many feedback items have it confirmed, and suggested (not rejected).

    Sorted by unit, then most frequent first. Polarity comes from the taxonomy.
    """
    sql = (
        "SELECT f.unit, t.tag, SUM(t.state = 'confirmed'), SUM(t.state = 'suggested')"
        " FROM feedback_tags t JOIN feedback f ON f.id = t.feedback_id"
        " WHERE t.state IN ('confirmed', 'suggested')"
        + (" AND f.unit = ?" if unit is not None else "")
        + " GROUP BY f.unit, t.tag"
    )
    async with conn.execute(sql, () if unit is None else (unit,)) as cur:
        rows = list(await cur.fetchall())
    counts = [TagCount(u, str(t), taxonomy.polarity(str(t)), int(c), int(s)) for u, t, c, s in rows]
    return sorted(counts, key=lambda c: (c.unit or "", -c.total, -c.confirmed, c.tag))


async def top_themes(
    conn: aiosqlite.Connection,
    taxonomy: Taxonomy,
    *,
    unit: str | None,
    n: int = 3,
    examples: int = 2,
) -> dict[str, list[Theme]]:
    """The unit's top `n` strengths and improvements, for the manager's 1-3 of each.

    A tag counts for a feedback item when it is confirmed by a person, or suggested by the rules
    and not rejected: so a unit nobody has reviewed yet still gets a (rougher) picture, and a
    person's rejection always wins. Neutral tags are in neither list. Ties go to the tag with
    more confirmations. Examples: up to `examples` quotes, confirmed ones first, newest first.
    `unit` None: all units together.
    """
    counts = await tag_counts(conn, taxonomy, unit=unit)
    merged: dict[str, list[int]] = {}
    for c in counts:
        total = merged.setdefault(c.tag, [0, 0])
        total[0] += c.total
        total[1] += c.confirmed
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    result: dict[str, list[Theme]] = {"strengths": [], "improvements": []}
    for key, polarity in (("strengths", "strength"), ("improvements", "improvement")):
        chosen = [(t, v[0]) for t, v in ranked if taxonomy.polarity(t) == polarity][:n]
        for tag_id, count in chosen:
            quotes = await _examples(conn, tag_id, unit, examples)
            result[key].append(Theme(tag_id, count, quotes))
    return result


async def _examples(
    conn: aiosqlite.Connection, tag_id: str, unit: str | None, limit: int
) -> tuple[str, ...]:
    sql = (
        "SELECT f.text FROM feedback_tags t JOIN feedback f ON f.id = t.feedback_id"
        " WHERE t.tag = ? AND t.state IN ('confirmed', 'suggested')"
        + (" AND f.unit = ?" if unit is not None else "")
        + " ORDER BY t.state = 'confirmed' DESC, f.created_at DESC, f.id DESC LIMIT ?"
    )
    args: tuple[object, ...] = (tag_id, unit, limit) if unit is not None else (tag_id, limit)
    async with conn.execute(sql, args) as cur:
        return tuple(str(r[0]) for r in await cur.fetchall())
