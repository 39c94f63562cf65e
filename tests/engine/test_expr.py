"""The condition language as tables: what evaluates to what, and what is refused where."""

from __future__ import annotations

import operator
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsbot.engine.expr import MAX_DEPTH, Comparison, Expr, ExprError, parse

TRUTH: list[tuple[str, dict[str, Any], bool]] = [
    # every operator, both ways
    ("ces == 3", {"ces": 3}, True),
    ("ces == 3", {"ces": 4}, False),
    ("ces != 3", {"ces": 3}, False),
    ("ces != 3", {"ces": 4}, True),
    ("ces < 3", {"ces": 2}, True),
    ("ces < 3", {"ces": 3}, False),
    ("ces <= 3", {"ces": 3}, True),
    ("ces <= 3", {"ces": 4}, False),
    ("ces > 3", {"ces": 4}, True),
    ("ces > 3", {"ces": 3}, False),
    ("ces >= 3", {"ces": 3}, True),
    ("ces >= 3", {"ces": 2}, False),
    ("reason in [complaint, application]", {"reason": "complaint"}, True),
    ("reason in [complaint, application]", {"reason": "application"}, True),
    ("reason in [complaint, application]", {"reason": "question"}, False),
    ("reason not in [complaint]", {"reason": "complaint"}, False),
    ("reason not in [complaint]", {"reason": "question"}, True),
    ("ces in [1, 2]", {"ces": 2}, True),
    ("ces in [1, 2]", {"ces": 3}, False),
    ("answered(comment)", {"comment": "x"}, True),
    ("answered(comment)", {"comment": ""}, True),
    ("answered(comment)", {}, False),
    ("not answered(comment)", {}, True),
    # values: bare words, quoted strings, decimals, negatives
    ("solved == no", {"solved": "no"}, True),
    ("solved == no", {"solved": "yes"}, False),
    ("solved == yes", {"solved": "yes"}, True),
    ("solved == 'no'", {"solved": "no"}, True),
    ('unit == "Akuten"', {"unit": "Akuten"}, True),
    ("unit == 'Akuten'", {"unit": "akuten"}, False),
    ("unit == 'två ord'", {"unit": "två ord"}, True),
    ('unit == "it\'s"', {"unit": "it's"}, True),
    ("unit == Akuten", {"unit": "Akuten"}, True),
    ("score >= 2.5", {"score": 3}, True),
    ("score >= 2.5", {"score": 2}, False),
    ("score == 2.0", {"score": 2}, True),
    ("score == -1", {"score": -1}, True),
    ("score > -1", {"score": 0}, True),
    ("ces<=3", {"ces": 3}, True),
    ("ces\t<=\n3", {"ces": 3}, True),
    # an unanswered name: every comparison false except != and not in
    ("ces == 3", {}, False),
    ("ces < 3", {}, False),
    ("ces <= 3", {}, False),
    ("ces > 3", {}, False),
    ("ces >= 3", {}, False),
    ("ces != 3", {}, True),
    ("reason in [complaint]", {}, False),
    ("reason not in [complaint]", {}, True),
    ("not ces == 3", {}, True),
    ("ces == 3", {"other": 3}, False),
    # numbers and strings never mix; numeric strings are not numbers
    ("ces == '3'", {"ces": 3}, False),
    ("ces != '3'", {"ces": 3}, True),
    ("ces == 3", {"ces": "3"}, False),
    ("ces != 3", {"ces": "3"}, True),
    ("ces < no", {"ces": 3}, False),
    ("ces > no", {"ces": 3}, False),
    ("ces >= 3", {"ces": "5"}, False),
    ("ces <= 3", {"ces": "1"}, False),
    ("ces in ['1', 2]", {"ces": 1}, False),
    ("ces not in ['1', 2]", {"ces": 1}, True),
    ("solved > no", {"solved": "yes"}, False),  # only numbers are ordered
    ("solved == yes", {"solved": True}, False),  # a bool is neither a number nor a word
    # precedence: or < and < not < comparison; parentheses
    ("a == 1 or b == 1 and c == 1", {"a": 1}, True),
    ("(a == 1 or b == 1) and c == 1", {"a": 1}, False),
    ("a == 1 and b == 1 or c == 1", {"c": 1}, True),
    ("a == 1 and (b == 1 or c == 1)", {"c": 1}, False),
    ("not a == 1 and b == 1", {"a": 2, "b": 1}, True),
    ("not a == 1 and b == 1", {"a": 2, "b": 2}, False),
    ("not (a == 1 and b == 1)", {"a": 2, "b": 2}, True),
    ("not a == 1 or b == 1", {"a": 1, "b": 1}, True),
    ("not (a == 1 or b == 1)", {"a": 1, "b": 1}, False),
    ("not a == 1", {"a": 2}, True),
    ("not not a == 1", {"a": 1}, True),
    ("not (ces <= 3 or solved == no)", {"ces": 5, "solved": "yes"}, True),
    ("((a == 1))", {"a": 1}, True),
    ("a == 1 or a == 2 or a == 3", {"a": 3}, True),
    ("a == 1 and a == 1 and a == 2", {"a": 1}, False),
    # keywords in any case
    ("ces <= 3 OR solved == no", {"ces": 5, "solved": "no"}, True),
    ("ces <= 3 And solved == no", {"ces": 1, "solved": "yes"}, False),
    ("NOT ces <= 3", {"ces": 5}, True),
    ("reason IN [complaint]", {"reason": "complaint"}, True),
    ("reason Not In [complaint]", {"reason": "complaint"}, False),
    # `answered` is only the function when a '(' follows
    ("answered == yes", {"answered": "yes"}, True),
]


@pytest.mark.parametrize(("source", "values", "expected"), TRUTH)
def test_evaluation(source: str, values: dict[str, Any], expected: bool) -> None:
    assert parse(source).evaluate(values) is expected


NAMES: list[tuple[str, set[str]]] = [
    ("a == 1 or (b in [x] and not answered(c))", {"a", "b", "c"}),
    ("solved == no", {"solved"}),  # a bare word on the right is a value, not a name
    ("a == b", {"a"}),
    ("a == 1 and a != 2", {"a"}),
    ("not answered(_x1)", {"_x1"}),
]


@pytest.mark.parametrize(("source", "names"), NAMES)
def test_names_lists_every_name_read(source: str, names: set[str]) -> None:
    assert parse(source).names() == names


VALUES: list[tuple[str, tuple[object, ...]]] = [
    ("a == 3", (3,)),
    ("a == 3.25", (3.25,)),
    ("a == -2", (-2,)),
    ("a == yes", ("yes",)),
    ("a == 'yes'", ("yes",)),
    ("a == '3'", ("3",)),
    ("a == ''", ("",)),
    ("a in [x, 'y z', 4]", ("x", "y z", 4)),
]


@pytest.mark.parametrize(("source", "values"), VALUES)
def test_values_keep_their_type(source: str, values: tuple[object, ...]) -> None:
    parsed = parse(source)
    assert isinstance(parsed, Comparison)
    assert parsed.values == values
    assert [type(v) for v in parsed.values] == [type(v) for v in values]


def test_comparisons_lists_every_comparison() -> None:
    parsed = parse("a == 1 or not (b not in [x, y] and answered(c))")
    assert [(c.name, c.op, c.values) for c in parsed.comparisons()] == [
        ("a", "==", (1,)),
        ("b", "notin", ("x", "y")),
    ]


def test_nodes_are_frozen_and_comparable() -> None:
    parsed = parse("a == 1 and not b in [x]")
    assert parsed == parse("a == 1 AND NOT b IN [x]")
    assert hash(parsed) == hash(parse("a==1 and not b in ['x']"))
    with pytest.raises(AttributeError):
        parsed.parts = ()  # type: ignore[attr-defined]


ERRORS: list[tuple[str, str, int]] = [
    # empty
    ("", "the condition is empty", 0),
    ("   ", "the condition is empty", 0),
    # a value is missing
    ("ces <= ", "expected a value after '<='", 7),
    ("ces <=", "expected a value after '<='", 6),
    ("ces == and", "expected a value after '==', got 'and'", 7),
    ("ces == )", "expected a value after '==', got ')'", 7),
    ("ces in [1,", "expected a value after ','", 10),
    ("ces in [1,]", "expected a value after ',', got ']'", 10),
    ("ces in []", "the list is empty", 8),
    # what people write instead
    ("ces = 3", "use '==' to compare", 4),
    ("ces =< 3", "use '<=' to compare", 4),
    ("ces => 3", "use '>=' to compare", 4),
    ("ces <> 3", "use '!=' to compare", 4),
    ("ces ! 3", "use '!=' to compare, or 'not' to negate", 4),
    ("a == 1 && b == 2", "use 'and' to join conditions", 7),
    ("a == 1 || b == 2", "use 'or' to join conditions", 7),
    # unknown characters and malformed tokens
    ("ces ~ 3", "unexpected character '~'", 4),
    ("ces == 3 # note", "unexpected character '#'", 9),
    ("svar == ja\u00a0ä", "unexpected character 'ä'", 11),
    ("ces == 3abc", "'3abc' is not a number", 7),
    ("ces == 1.5.2", "'1.5.2' is not a number", 7),
    ("ces == 1.", "'1.' is not a number", 7),
    ("ces == .5", "unexpected character '.'", 7),
    ("ces == 'akuten", "unclosed string: add the closing '", 7),
    ('ces == "akuten', 'unclosed string: add the closing "', 7),
    ("ces == 1" + "0" * 5000, "the number is too long", 7),
    # unclosed parentheses and lists: pointed at the opening
    ("(ces > 1", "unclosed '(': add ')'", 0),
    ("a == 1 and ((b == 2)", "unclosed '(': add ')'", 11),
    ("(a == 1 b == 2)", "expected ')', got 'b'", 8),
    ("ces in [1, 2", "unclosed '[': add ']'", 7),
    ("ces in [1 2]", "expected ']', got '2'", 10),
    ("answered(x", "unclosed '(': add ')'", 8),
    # trailing tokens
    ("ces > 1 2", "unexpected '2': join conditions with 'and' or 'or'", 8),
    ("a == 1 b == 2", "unexpected 'b': join conditions with 'and' or 'or'", 7),
    ("a == 1)", "')' without a matching '('", 6),
    # a condition, a name or a comparison is missing
    ("ces == 3 and", "expected a condition after 'and'", 12),
    ("ces == 3 or ", "expected a condition after 'or'", 12),
    ("not", "expected a condition after 'not'", 3),
    ("(", "expected a condition after '('", 1),
    ("3 > ces", "expected a question id, got '3'", 0),
    ("'x' == ces", "expected a question id, got \"'x'\"", 0),
    ("a == 1 and or b == 2", "expected a question id, got 'or'", 11),
    ("()", "expected a question id, got ')'", 1),
    ("CES <= 3", "names are lower case: write 'ces'", 0),
    ("ces", "expected a comparison (==, !=, <, <=, >, >=, in) after 'ces'", 3),
    ("ces 3", "expected a comparison (==, !=, <, <=, >, >=, in) after 'ces'", 4),
    ("ces not 3", "expected 'in' after 'not'", 8),
    ("ces in 1", "expected '[' to start a list of values, got '1'", 7),
    ("ces not in", "expected '[' to start a list of values, got the end", 10),
    ("answered(3)", "expected a question id inside answered(...), got '3'", 9),
    ("answered()", "expected a question id inside answered(...), got ')'", 9),
    ("answered(Ces)", "names are lower case: write 'ces'", 9),
]


@pytest.mark.parametrize(("source", "message", "offset"), ERRORS)
def test_errors_say_what_and_where(source: str, message: str, offset: int) -> None:
    with pytest.raises(ExprError) as caught:
        parse(source)
    assert (caught.value.message, caught.value.offset) == (message, offset)


def test_error_text_and_pickling() -> None:
    error = ExprError("use '==' to compare", 4)
    assert str(error) == "use '==' to compare (at column 5)"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.offset) == (error.message, error.offset)


@pytest.mark.parametrize(
    "source",
    [
        "(" * 500 + "a == 1" + ")" * 500,
        "not " * 500 + "a == 1",
        "(not " * 300 + "a == 1" + ")" * 300,
        "(" * 10_000,
    ],
)
def test_deep_nesting_is_refused_not_a_recursion_error(source: str) -> None:
    with pytest.raises(ExprError, match="nested too deeply"):
        parse(source)


def test_nesting_up_to_the_limit_is_fine() -> None:
    assert parse("(" * MAX_DEPTH + "a == 1" + ")" * MAX_DEPTH).evaluate({"a": 1})
    assert parse("not " * MAX_DEPTH + "a == 1").evaluate({"a": 1})  # an even number of nots


def test_long_flat_conditions_are_fine() -> None:
    source = " or ".join(f"a == {n}" for n in range(2000))
    assert parse(source).evaluate({"a": 1999})


@given(st.text(max_size=80))
def test_any_text_parses_or_raises_expr_error(source: str) -> None:
    try:
        parsed = parse(source)
    except ExprError as error:
        assert error.message
        assert 0 <= error.offset <= len(source)
        return
    assert isinstance(parsed, Expr)
    assert parsed.evaluate({}) in (True, False)
    assert all(name.isidentifier() for name in parsed.names())


_ALPHABET = "abc_ ()[],'\"=!<>-.0123456789 andornotinanswered"


@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_near_miss_text_parses_or_raises_expr_error(source: str) -> None:
    try:
        parse(source)
    except ExprError as error:
        assert 0 <= error.offset <= len(source)


# --- generated conditions against a reference evaluation --------------------------------------

Tree = tuple[Any, ...]
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_NAMES = st.sampled_from(["a", "b", "c"])
_VALUES = st.sampled_from([1, 2, 3, 2.5, "yes", "no"])
_LEAVES = st.one_of(
    st.tuples(st.just("cmp"), _NAMES, st.sampled_from(sorted(_OPS)), _VALUES),
    st.tuples(st.just("in"), _NAMES, st.booleans(), st.lists(_VALUES, min_size=1, max_size=3)),
    st.tuples(st.just("answered"), _NAMES),
)
_TREES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.tuples(st.just("not"), inner),
        st.tuples(st.sampled_from(["and", "or"]), inner, inner),
    ),
    max_leaves=12,
)
_ENVS = st.dictionaries(_NAMES, st.sampled_from([1, 2, 3, "yes", "no"]))
_PRECEDENCE = {"or": 1, "and": 2, "not": 3}


def _value_text(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) and value == "yes" else str(value)


def _render(tree: Tree) -> tuple[str, int]:
    """Source text with as few parentheses as precedence allows, and its precedence."""
    kind = tree[0]
    if kind == "cmp":
        return f"{tree[1]} {tree[2]} {_value_text(tree[3])}", 4
    if kind == "in":
        listed = ", ".join(_value_text(v) for v in tree[3])
        return f"{tree[1]} {'not in' if tree[2] else 'in'} [{listed}]", 4
    if kind == "answered":
        return f"answered({tree[1]})", 4
    own = _PRECEDENCE[kind]
    parts = [_render(child) for child in tree[1:]]
    shown = [text if prec >= own else f"({text})" for text, prec in parts]
    return (f"not {shown[0]}" if kind == "not" else f" {kind} ".join(shown)), own


def _compare(actual: Any, op: str, value: Any) -> bool:
    if isinstance(actual, str) != isinstance(value, str):
        return op == "!="
    if isinstance(actual, str) and op not in ("==", "!="):
        return False
    return _OPS[op](actual, value)


def _reference(tree: Tree, env: dict[str, Any]) -> bool:
    kind = tree[0]
    if kind == "cmp":
        if tree[1] not in env:
            return bool(tree[2] == "!=")
        return _compare(env[tree[1]], tree[2], tree[3])
    if kind == "in":
        found = tree[1] in env and any(_compare(env[tree[1]], "==", v) for v in tree[3])
        return bool(found != tree[2])
    if kind == "answered":
        return tree[1] in env
    if kind == "not":
        return not _reference(tree[1], env)
    left, right = _reference(tree[1], env), _reference(tree[2], env)
    return (left and right) if kind == "and" else (left or right)


@given(_TREES, _ENVS)
def test_generated_conditions_evaluate_as_the_reference(tree: Tree, env: dict[str, Any]) -> None:
    source, _ = _render(tree)
    assert parse(source).evaluate(env) is _reference(tree, env), source
