"""A small, safe condition language for `when:` (a tokenizer and a recursive-descent parser).

    ces <= 3 or solved == no
    reason in [complaint, application] and not answered(comment)

Grammar, loosest first (keywords `and or not in` in any case):

    condition  := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | atom
    atom       := "(" condition ")" | "answered" "(" name ")" | name comparison
    comparison := ("==" | "!=" | "<" | "<=" | ">" | ">=") value
                | ["not"] "in" "[" value ("," value)* "]"
    name       := [a-z_][a-z0-9_]*
    value      := number | 'string' | "string" | bare word (a string: yes, no, an option id)

Never Python's eval. A name that is absent from the values (an unanswered question) makes every
comparison false except `!=` and `not in`, which are true. A number never equals a string, and
only numbers are ordered: `ces < no` is false whatever `ces` is.
"""

from __future__ import annotations

import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["MAX_DEPTH", "Comparison", "Expr", "ExprError", "Value", "parse"]

Value = int | float | str
MAX_DEPTH = 50  # nested parentheses and `not`s; deeper is refused, never a RecursionError

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<number>-?[0-9][A-Za-z0-9_.]*)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op>==|!=|<=|>=|=<|=>|<>|<|>|=)
    | (?P<punct>[()\[\],])
    | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_KEYWORDS = frozenset({"and", "or", "not", "in"})
_MISTAKES = {  # what people type instead, and what to write
    "=": "use '==' to compare",
    "=<": "use '<=' to compare",
    "=>": "use '>=' to compare",
    "<>": "use '!=' to compare",
    "&": "use 'and' to join conditions",
    "|": "use 'or' to join conditions",
    "!": "use '!=' to compare, or 'not' to negate",
    "'": "unclosed string: add the closing '",
    '"': 'unclosed string: add the closing "',
}
_ORDER: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class ExprError(Exception):
    """A condition that does not parse: what is wrong, and the 0-based offset where."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message, offset)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.message} (at column {self.offset + 1})"


class Expr(ABC):
    """A parsed condition."""

    @abstractmethod
    def evaluate(self, env: Mapping[str, object]) -> bool:
        """True or false for these answers; a name absent from `env` is unanswered."""

    @abstractmethod
    def names(self) -> frozenset[str]:
        """Every name the condition reads."""

    def comparisons(self) -> tuple[Comparison, ...]:
        """Every comparison inside, for checks of the values compared against."""
        return ()


@dataclass(frozen=True)
class _Or(Expr):
    parts: tuple[Expr, ...]

    def evaluate(self, env: Mapping[str, object]) -> bool:
        return any(p.evaluate(env) for p in self.parts)

    def names(self) -> frozenset[str]:
        return frozenset(n for p in self.parts for n in p.names())

    def comparisons(self) -> tuple[Comparison, ...]:
        return tuple(c for p in self.parts for c in p.comparisons())


@dataclass(frozen=True)
class _And(Expr):
    parts: tuple[Expr, ...]

    def evaluate(self, env: Mapping[str, object]) -> bool:
        return all(p.evaluate(env) for p in self.parts)

    def names(self) -> frozenset[str]:
        return frozenset(n for p in self.parts for n in p.names())

    def comparisons(self) -> tuple[Comparison, ...]:
        return tuple(c for p in self.parts for c in p.comparisons())


@dataclass(frozen=True)
class _Not(Expr):
    inner: Expr

    def evaluate(self, env: Mapping[str, object]) -> bool:
        return not self.inner.evaluate(env)

    def names(self) -> frozenset[str]:
        return self.inner.names()

    def comparisons(self) -> tuple[Comparison, ...]:
        return self.inner.comparisons()


@dataclass(frozen=True)
class _Answered(Expr):
    name: str

    def evaluate(self, env: Mapping[str, object]) -> bool:
        return self.name in env

    def names(self) -> frozenset[str]:
        return frozenset({self.name})


@dataclass(frozen=True)
class Comparison(Expr):
    name: str
    op: str  # == != < <= > >= in notin
    values: tuple[Value, ...]  # one value except for in / notin

    def evaluate(self, env: Mapping[str, object]) -> bool:
        if self.name not in env:
            return self.op in ("!=", "notin")
        actual = env[self.name]
        if self.op == "in":
            return any(_equal(actual, v) for v in self.values)
        if self.op == "notin":
            return not any(_equal(actual, v) for v in self.values)
        return _compare(actual, self.op, self.values[0])

    def names(self) -> frozenset[str]:
        return frozenset({self.name})

    def comparisons(self) -> tuple[Comparison, ...]:
        return (self,)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(actual: object, expected: Value) -> bool:
    if _is_number(actual) != _is_number(expected):
        return False  # 3 is not '3': answers arrive typed
    return actual == expected


def _compare(actual: object, op: str, expected: Value) -> bool:
    if op == "==":
        return _equal(actual, expected)
    if op == "!=":
        return not _equal(actual, expected)
    if isinstance(expected, str) or isinstance(actual, bool):
        return False
    if not isinstance(actual, int | float):
        return False  # only numbers are ordered
    return _ORDER[op](actual, expected)


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # number | string | word | keyword | op | punct | end
    text: str
    offset: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(source):
        kind, text, offset = str(match.lastgroup), match.group(), match.start()
        if kind == "space":
            continue
        if kind in ("bad", "op") and text in _MISTAKES:
            raise ExprError(_MISTAKES[text], offset)
        if kind == "bad":
            raise ExprError(f"unexpected character {text!r}", offset)
        if kind == "number" and not _NUMBER.fullmatch(text):
            raise ExprError(f"{text!r} is not a number", offset)
        if kind == "word" and text.lower() in _KEYWORDS:
            kind, text = "keyword", text.lower()
        tokens.append(_Token(kind, text, offset))
    tokens.append(_Token("end", "", len(source)))
    return tokens


def _number(token: _Token) -> int | float:
    try:
        return float(token.text) if "." in token.text else int(token.text)
    except ValueError:  # more digits than int() converts
        raise ExprError("the number is too long", token.offset) from None


def _shown(token: _Token) -> str:
    return "the end" if token.kind == "end" else repr(token.text)


# --- parser -----------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: Sequence[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    @property
    def previous(self) -> _Token:
        return self.tokens[self.index - 1]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def at(self, kind: str, text: str) -> bool:
        return self.token.kind == kind and self.token.text == text

    def accept(self, kind: str, text: str) -> bool:
        if self.at(kind, text):
            self.index += 1
            return True
        return False

    def parse(self) -> Expr:
        if self.token.kind == "end":
            raise ExprError("the condition is empty", 0)
        expr = self.or_()
        token = self.token
        if token.kind == "end":
            return expr
        if token.text == ")":
            raise ExprError("')' without a matching '('", token.offset)
        message = f"unexpected {token.text!r}: join conditions with 'and' or 'or'"
        raise ExprError(message, token.offset)

    def or_(self) -> Expr:
        parts = [self.and_()]
        while self.accept("keyword", "or"):
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else _Or(tuple(parts))

    def and_(self) -> Expr:
        parts = [self.not_()]
        while self.accept("keyword", "and"):
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else _And(tuple(parts))

    def not_(self) -> Expr:
        if self.accept("keyword", "not"):
            return _Not(self.nested(self.not_))
        return self.atom()

    def nested(self, rule: Callable[[], Expr]) -> Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            message = f"nested too deeply (at most {MAX_DEPTH} levels of '(' and 'not')"
            raise ExprError(message, self.previous.offset)
        try:
            return rule()
        finally:
            self.depth -= 1

    def atom(self) -> Expr:
        token = self.token
        if self.accept("punct", "("):
            inner = self.nested(self.or_)
            self.close(token, ")")
            return inner
        if token.kind != "word":
            raise ExprError(self.no_condition(), token.offset)
        name = self.name()
        if name == "answered" and self.at("punct", "("):
            return self.answered()
        return self.comparison(name)

    def no_condition(self) -> str:
        if self.token.kind == "end":
            return f"expected a condition after {self.previous.text!r}"
        return f"expected a question id, got {self.token.text!r}"

    def name(self) -> str:
        token = self.take()
        if not _NAME.fullmatch(token.text):
            raise ExprError(f"names are lower case: write {token.text.lower()!r}", token.offset)
        return token.text

    def close(self, opening: _Token, closing: str) -> None:
        if self.accept("punct", closing):
            return
        if self.token.kind == "end":
            raise ExprError(f"unclosed {opening.text!r}: add {closing!r}", opening.offset)
        raise ExprError(f"expected {closing!r}, got {self.token.text!r}", self.token.offset)

    def answered(self) -> Expr:
        opening = self.take()
        if self.token.kind != "word":
            message = f"expected a question id inside answered(...), got {_shown(self.token)}"
            raise ExprError(message, self.token.offset)
        name = self.name()
        self.close(opening, ")")
        return _Answered(name)

    def comparison(self, name: str) -> Expr:
        token = self.take()
        if token.kind == "op":
            return Comparison(name, token.text, (self.value(token),))
        if token.kind == "keyword" and token.text == "in":
            return Comparison(name, "in", self.values())
        if token.kind == "keyword" and token.text == "not":
            if not self.accept("keyword", "in"):
                raise ExprError("expected 'in' after 'not'", self.token.offset)
            return Comparison(name, "notin", self.values())
        message = f"expected a comparison (==, !=, <, <=, >, >=, in) after {name!r}"
        raise ExprError(message, token.offset)

    def value(self, after: _Token) -> Value:
        token = self.take()
        if token.kind == "number":
            return _number(token)
        if token.kind == "string":
            return token.text[1:-1]
        if token.kind == "word":
            return token.text
        if after.text == "[" and token.text == "]":
            raise ExprError("the list is empty", token.offset)
        got = "" if token.kind == "end" else f", got {token.text!r}"
        raise ExprError(f"expected a value after {after.text!r}{got}", token.offset)

    def values(self) -> tuple[Value, ...]:
        opening = self.take()
        if opening.text != "[":
            message = f"expected '[' to start a list of values, got {_shown(opening)}"
            raise ExprError(message, opening.offset)
        items = [self.value(opening)]
        while self.at("punct", ","):
            items.append(self.value(self.take()))
        self.close(opening, "]")
        return tuple(items)


def parse(source: str) -> Expr:
    """Parse a condition; raises ExprError with a message and the 0-based offset."""
    return _Parser(_tokenize(source)).parse()
