"""A small, safe condition language for `when:` (a tokenizer and a recursive-descent parser).

    ces <= 3 or solved == no
    reason in [complaint, application] and not answered(comment)

Never Python's eval. A name that is absent from the values (an unanswered question) makes every
comparison false except `!=` and `not in`, which are true.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Comparison", "Expr", "ExprError", "parse"]

Value = int | float | str
MAX_DEPTH = 50

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>==|!=|<=|>=|<|>)
    | (?P<punct>[()\[\],])
    | (?P<bad>\S)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in"}


class ExprError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at column {offset + 1})")
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class _Token:
    kind: str  # number | string | word | keyword | op | punct | end
    text: str
    offset: int


class Expr:
    def evaluate(self, env: Mapping[str, object]) -> bool:
        raise NotImplementedError

    def names(self) -> frozenset[str]:
        raise NotImplementedError

    def comparisons(self) -> tuple[Comparison, ...]:
        """Every comparison inside, for checks of the values compared against."""
        return ()


@dataclass(frozen=True)
class _Or(Expr):
    parts: tuple[Expr, ...]

    def comparisons(self) -> tuple[Comparison, ...]:
        return tuple(c for p in self.parts for c in p.comparisons())

    def evaluate(self, env: Mapping[str, object]) -> bool:
        return any(p.evaluate(env) for p in self.parts)

    def names(self) -> frozenset[str]:
        return frozenset().union(*(p.names() for p in self.parts))


@dataclass(frozen=True)
class _And(Expr):
    parts: tuple[Expr, ...]

    def comparisons(self) -> tuple[Comparison, ...]:
        return tuple(c for p in self.parts for c in p.comparisons())

    def evaluate(self, env: Mapping[str, object]) -> bool:
        return all(p.evaluate(env) for p in self.parts)

    def names(self) -> frozenset[str]:
        return frozenset().union(*(p.names() for p in self.parts))


@dataclass(frozen=True)
class _Not(Expr):
    inner: Expr

    def comparisons(self) -> tuple[Comparison, ...]:
        return self.inner.comparisons()

    def evaluate(self, env: Mapping[str, object]) -> bool:
        return not self.inner.evaluate(env)

    def names(self) -> frozenset[str]:
        return self.inner.names()


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
    values: tuple[Value, ...]

    def comparisons(self) -> tuple[Comparison, ...]:
        return (self,)

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


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(actual: object, expected: Value) -> bool:
    if _is_number(actual) != _is_number(expected):
        return False
    return actual == expected


def _compare(actual: object, op: str, expected: Value) -> bool:
    if op == "==":
        return _equal(actual, expected)
    if op == "!=":
        return not _equal(actual, expected)
    if not (_is_number(actual) and _is_number(expected)):
        return False
    a, b = float(actual), float(expected)  # type: ignore[arg-type]
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None or match.lastgroup is None:
            break  # only trailing white space is left
        kind, text = match.lastgroup, match.group(match.lastgroup)
        offset = match.start(kind)
        if kind == "bad":
            hint = "use '==' to compare" if text == "=" else f"unexpected character {text!r}"
            raise ExprError(hint, offset)
        if kind == "word" and text.lower() in _KEYWORDS:
            kind, text = "keyword", text.lower()
        tokens.append(_Token(kind, text, offset))
        position = match.end()
    tokens.append(_Token("end", "", len(source.rstrip())))
    return tokens


class _Parser:
    def __init__(self, tokens: Sequence[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, kind: str, text: str) -> bool:
        if self.token.kind == kind and self.token.text == text:
            self.index += 1
            return True
        return False

    def expect(self, kind: str, text: str, what: str) -> None:
        if not self.accept(kind, text):
            raise ExprError(f"expected {what}", self.token.offset)

    def parse(self) -> Expr:
        if self.token.kind == "end":
            raise ExprError("the condition is empty", 0)
        expr = self.or_()
        if self.token.kind != "end":
            raise ExprError(f"unexpected {self.token.text!r}", self.token.offset)
        return expr

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
            raise ExprError(f"nested too deeply (at most {MAX_DEPTH} levels)", self.token.offset)
        try:
            return rule()
        finally:
            self.depth -= 1

    def atom(self) -> Expr:
        token = self.token
        if self.accept("punct", "("):
            inner = self.nested(self.or_)
            self.expect("punct", ")", "')' to close the '('")
            return inner
        if token.kind == "word" and token.text == "answered":
            return self.answered()
        if token.kind != "word":
            raise ExprError(_expected_name(token), token.offset)
        return self.comparison(self.take().text)

    def answered(self) -> Expr:
        self.take()
        self.expect("punct", "(", "'(' after answered")
        name = self.take()
        if name.kind != "word":
            raise ExprError("expected a question id inside answered(...)", name.offset)
        self.expect("punct", ")", "')' after the question id")
        return _Answered(name.text)

    def comparison(self, name: str) -> Expr:
        token = self.take()
        if token.kind == "op":
            return Comparison(name, token.text, (self.value(token.text),))
        if token.kind == "keyword" and token.text == "in":
            return Comparison(name, "in", self.values())
        if token.kind == "keyword" and token.text == "not" and self.accept("keyword", "in"):
            return Comparison(name, "notin", self.values())
        message = f"expected a comparison (==, !=, <, <=, >, >=, in) after {name!r}"
        raise ExprError(message, token.offset)

    def value(self, after: str) -> Value:
        token = self.take()
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "string":
            return token.text[1:-1]
        if token.kind == "word":
            return token.text
        raise ExprError(f"expected a value after {after!r}", token.offset)

    def values(self) -> tuple[Value, ...]:
        self.expect("punct", "[", "'[' to start a list of values")
        items = [self.value("[")]
        while self.accept("punct", ","):
            items.append(self.value(","))
        self.expect("punct", "]", "']' to close the list")
        return tuple(items)


def _expected_name(token: _Token) -> str:
    if token.kind == "end":
        return "the condition ends too early"
    return f"expected a question id, got {token.text!r}"


def parse(source: str) -> Expr:
    """Parse a condition; raises ExprError with a message and the 0-based offset."""
    return _Parser(_tokenize(source)).parse()
