"""The condition language as tables: what evaluates to what, and what is refused where."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsbot.engine.expr import ExprError, parse

TRUTH: list[tuple[str, dict[str, Any], bool]] = [
    ("ces <= 3", {"ces": 3}, True),
    ("ces <= 3", {"ces": 4}, False),
    ("ces <= 3", {}, False),
    ("ces < 3", {"ces": 2}, True),
    ("ces > 3", {"ces": 4}, True),
    ("ces >= 3", {"ces": 3}, True),
    ("ces == 3", {"ces": 3}, True),
    ("ces != 3", {"ces": 3}, False),
    ("ces != 3", {}, True),
    ("solved == no", {"solved": "no"}, True),
    ("solved == no", {"solved": "yes"}, False),
    ("solved == 'no'", {"solved": "no"}, True),
    ('unit == "Akuten"', {"unit": "Akuten"}, True),
    ("ces == '3'", {"ces": 3}, False),
    ("ces < no", {"ces": 3}, False),
    ("reason in [complaint, application]", {"reason": "complaint"}, True),
    ("reason in [complaint, application]", {"reason": "question"}, False),
    ("reason in [complaint]", {}, False),
    ("reason not in [complaint]", {}, True),
    ("reason not in [complaint]", {"reason": "complaint"}, False),
    ("ces <= 3 or solved == no", {"ces": 5, "solved": "no"}, True),
    ("ces <= 3 or solved == no", {"ces": 5, "solved": "yes"}, False),
    ("ces <= 3 and solved == no", {"ces": 2, "solved": "yes"}, False),
    ("a == 1 or b == 1 and c == 1", {"a": 1}, True),
    ("(a == 1 or b == 1) and c == 1", {"a": 1}, False),
    ("not a == 1", {"a": 2}, True),
    ("not not a == 1", {"a": 1}, True),
    ("answered(comment)", {"comment": "x"}, True),
    ("not answered(comment)", {}, True),
    ("score >= 2.5", {"score": 3}, True),
    ("score == -1", {"score": -1}, True),
    ("CES <= 3 OR solved == no", {"CES": 1}, True),
]


@pytest.mark.parametrize(("source", "values", "expected"), TRUTH)
def test_evaluation(source: str, values: dict[str, Any], expected: bool) -> None:
    assert parse(source).evaluate(values) is expected


def test_names_lists_every_name_read() -> None:
    assert parse("a == 1 or (b in [x] and not answered(c))").names() == {"a", "b", "c"}


ERRORS = [
    ("", "the condition is empty", 0),
    ("ces <= ", "expected a value after '<='", 6),
    ("ces = 3", "use '==' to compare", 4),
    ("(ces > 1", "expected ')' to close the '('", 8),
    ("ces > 1 2", "unexpected '2'", 8),
    ("3 > ces", "expected a question id, got '3'", 0),
    ("ces in [1,", "expected a value after ','", 10),
    ("ces in 1", "expected '[' to start a list of values", 7),
    ("ces", "expected a comparison (==, !=, <, <=, >, >=, in) after 'ces'", 3),
    ("ces ~ 3", "unexpected character '~'", 4),
    ("ces == 3 and", "the condition ends too early", 12),
    ("answered(3)", "expected a question id inside answered(...)", 9),
]


@pytest.mark.parametrize(("source", "message", "offset"), ERRORS)
def test_errors_say_what_and_where(source: str, message: str, offset: int) -> None:
    with pytest.raises(ExprError) as caught:
        parse(source)
    assert (caught.value.message, caught.value.offset) == (message, offset)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("(" * 500 + "a == 1" + ")" * 500)
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("not " * 500 + "a == 1")


@given(st.text(max_size=80))
def test_any_text_parses_or_raises_expr_error(source: str) -> None:
    try:
        parsed = parse(source)
    except ExprError as error:
        assert 0 <= error.offset <= len(source)
        return
    assert parsed.evaluate({}) in (True, False)
    assert all(name.isidentifier() for name in parsed.names())
