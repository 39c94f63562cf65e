"""The tag taxonomy of free-text feedback and its keyword rules: loading, checking, matching.

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

This module is pure (it reads the taxonomy file, nothing else): the review of feedback, which
stores people's decisions, is `smsbot.feedback.review`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

import snowballstemmer
import yaml

from smsbot.suggest import did_you_mean as _hint

__all__ = [
    "LANGUAGES",
    "POLARITIES",
    "RULES_BY",
    "Polarity",
    "Rule",
    "Tag",
    "Taxonomy",
    "TaxonomyError",
    "load_taxonomy",
    "parse_rule",
]

Polarity = Literal["strength", "improvement", "neutral"]
POLARITIES: tuple[Polarity, ...] = ("strength", "improvement", "neutral")
LANGUAGES: tuple[str, ...] = ("sv", "fi", "en")
ANY = "any"
RULES_BY = "rules"  # who suggests by rules, in tag rows and their history
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
