"""Property tests of the logic language: parse never crashes, valid expressions never fail later."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires.logic import (
    FUNCTIONS,
    ExpressionError,
    ValueType,
    check,
    compile_expr,
    evaluate,
    parse,
    references,
    unparse,
)
from questionnaires.logic.evaluator import _compile  # the unguarded closure: its failures are bugs
from tests.questionnaires.test_logic import FakeEnv

V = ValueType
QUESTIONS = {
    "n1": V.NUMBER,
    "n2": V.NUMBER,
    "t1": V.TEXT,
    "c1": V.CODE,
    "m1": V.CODES,
    "g1": V.ITEMS,
    "d1": V.DATE,
    "b1": V.BOOL,
    "a1": V.ANY,
    "i1": V.NULL,
}
MATRIX = {"g1": frozenset({"x", "y"})}
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TOKENS = [
    "(", ")", "[", "]", ",", ".", "=", "==", "!=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "%",
    "and", "or", "not", "in", "div", "mod", "true", "false", "null", "contact", "value",
    "n1", "t1", "c1", "m1", "g1", "d1", "q9", "x", "1", "2.5", ".5", "0", "'a'", '"b"', "'\\d'", "'", '"',
    "if", "selected", "round", "today", "#", "&", "\n", "é", "中",
]  # fmt: skip

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**20, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["1", "2.5", "-3", "2024-02-29", "2024-13-01", "a b", "", "true", "yes"]),
    st.dates(),
    st.lists(st.sampled_from(["a", "b", "1"]), max_size=3).map(tuple),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=2)), max_size=3),
    st.dictionaries(
        st.sampled_from(["x", "y", "z"]), st.one_of(st.none(), st.integers(), st.text(max_size=2))
    ),
)
# Answers of the declared type most of the time, anything at all sometimes.
typed_values: dict[ValueType, st.SearchStrategy[Any]] = {
    V.NUMBER: st.one_of(st.integers(-100, 100), st.floats(-1e6, 1e6)),
    V.TEXT: st.text(max_size=8),
    V.CODE: st.sampled_from(["a", "b", "1", "2", "10"]),
    V.CODES: st.lists(st.sampled_from(["a", "b", "1", "2"]), unique=True, max_size=3).map(tuple),
    V.ITEMS: st.dictionaries(
        st.sampled_from(["x", "y"]), st.one_of(st.integers(1, 5), st.sampled_from(["a", "1"]))
    ),
    V.DATE: st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(dt.date.isoformat),
    V.BOOL: st.booleans(),
    V.ANY: odd_values,
    V.NULL: st.none(),
}


@st.composite
def environments(draw: st.DrawFn, *, typed: bool = False) -> FakeEnv:
    answers: dict[str, Any] = {}
    for qid, kind in QUESTIONS.items():
        if draw(st.integers(0, 4)) == 0:
            continue  # unanswered
        answers[qid] = draw(typed_values[kind] if typed or draw(st.integers(0, 3)) else odd_values)
    contact = draw(st.dictionaries(st.sampled_from(["x", "name", "tags"]), odd_values, max_size=3))
    value = draw(typed_values[V.NUMBER] if typed else odd_values)
    return FakeEnv(
        answers, frozenset(draw(st.sets(st.sampled_from(list(QUESTIONS)), max_size=2))), contact, value
    )


# --- any text ----------------------------------------------------------------------------------------


def _parse_or_none(text: str) -> Any:
    try:
        return parse(text)
    except ExpressionError as exc:
        error = exc
    assert str(error)
    assert error.position is None or 0 <= error.position <= len(text)
    return None


@FAST
@given(st.text(max_size=60))
def test_parse_raises_only_expression_error_on_any_text(text: str) -> None:
    _parse_or_none(text)


@FAST
@given(st.lists(st.sampled_from(TOKENS), max_size=14), st.sampled_from(["", " "]), environments())
def test_token_soup_parses_or_fails_cleanly_and_what_parses_never_fails_later(
    tokens: list[str], sep: str, env: FakeEnv
) -> None:
    tree = _parse_or_none(sep.join(tokens))
    if tree is not None:
        _everything_after_parse_is_total(tree, env)


def _everything_after_parse_is_total(tree: Any, env: FakeEnv) -> None:
    assert parse(unparse(tree)) == tree
    references(tree)
    check(tree, questions=QUESTIONS, matrix_items=MATRIX, contact_fields=frozenset({"x"}))
    check(tree, questions={}, value_type=V.ANY, expect=V.BOOL)
    result = _compile(tree)(env)  # unguarded: must not raise either
    assert compile_expr(tree)(env) == result or result != result


# --- grammar-generated expressions ----------------------------------------------------------------

names = st.sampled_from([*QUESTIONS, "q9", "g1.x", "g1.zz", "n1.x", "contact.x", "contact.nope", "value"])
literals = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(0, 1e6, allow_nan=False).map(lambda f: repr(round(f, 3))),
    st.text(max_size=5).map(lambda s: "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"),
    st.sampled_from(["true", "false", "null", "'2024-01-31'", "'a'", "'1'", "today()"]),
)
function_names = st.sampled_from([*FUNCTIONS, "nope"])


def _compose(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.sampled_from(["and", "or", "=", "!=", "<", ">=", "+", "-", "*", "/", "%", "div", "mod"])
    return st.one_of(
        st.tuples(children, binary, children).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        children.map(lambda c: f"not ({c})"),
        children.map(lambda c: f"-({c})"),
        st.tuples(function_names, st.lists(children, max_size=4)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.lists(children, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(
            children, st.sampled_from(["in", "not in"]), st.lists(children, min_size=1, max_size=3)
        ).map(lambda t: f"({t[0]}) {t[1]} ({', '.join(t[2])})"),
        st.tuples(children, st.sampled_from(["in", "not in"]), names).map(
            lambda t: f"({t[0]}) {t[1]} {t[2]}"
        ),
    )


expressions = st.recursive(names | literals, _compose, max_leaves=12)


@FAST
@given(expressions, environments())
def test_generated_expressions_parse_and_never_fail_in_check_or_evaluate(text: str, env: FakeEnv) -> None:
    _everything_after_parse_is_total(parse(text), env)


# --- well-typed conditions -------------------------------------------------------------------------

numbers = st.recursive(
    st.sampled_from(
        [
            "n1",
            "n2",
            "3",
            "0",
            "2.5",
            "count_selected(m1)",
            "length(t1)",
            "number(c1)",
            "days_between(d1, today())",
        ]
    ),
    lambda c: st.one_of(
        st.tuples(c, st.sampled_from(["+", "-", "*", "/", "%"]), c).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["round", "abs", "int", "floor"]), c).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(c, c).map(lambda t: f"max({t[0]}, {t[1]})"),
        st.tuples(c, c).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
    ),
    max_leaves=5,
)
atoms = st.one_of(
    st.tuples(numbers, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), numbers).map(" ".join),
    st.tuples(
        st.sampled_from(["c1", "g1.x"]), st.sampled_from(["=", "!=", ">="]), st.sampled_from(["'a'", "1"])
    ).map(" ".join),
    st.sampled_from(["'a'", "'b'", "'1'"]).map(lambda code: f"selected(m1, {code})"),
    st.sampled_from(
        [
            "c1 in ['a', 'b']",
            "c1 not in (1, 2)",
            "'a' in m1",
            "answered(t1)",
            "b1 = true",
            "not b1",
            "t1 = null",
        ]
    ),
    st.sampled_from(
        ["regex(t1, '^a')", "contains(t1, 'a')", "d1 < today()", "d1 >= '2000-01-01'", "year(d1) > 2000"]
    ),
    st.sampled_from(["a1 != 2", "contact.x = 'vip'", "value > 3", "if(b1, n1, n2) > 1", "string(n1) = '1'"]),
)
conditions = st.recursive(
    atoms,
    lambda c: st.one_of(
        st.tuples(c, st.sampled_from(["and", "or"]), c).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        c.map(lambda x: f"not ({x})"),
    ),
    max_leaves=6,
)


@FAST
@given(conditions, environments(typed=True))
def test_well_typed_conditions_check_clean_and_evaluate_to_true_or_false(text: str, env: FakeEnv) -> None:
    tree = parse(text)
    assert check(tree, questions=QUESTIONS, matrix_items=MATRIX, value_type=V.NUMBER, expect=V.BOOL) == []
    result = _compile(tree)(env)
    assert result is True or result is False
    assert evaluate(tree, env) is result
