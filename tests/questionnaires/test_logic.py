"""Table-driven tests of the logic expression language: parsing, checking and evaluation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest

from questionnaires import logic
from questionnaires.logic import (
    Arith,
    BoolOp,
    Call,
    Compare,
    Const,
    ContactField,
    CurrentValue,
    ExpressionError,
    In,
    ListExpr,
    MatrixItem,
    Name,
    Neg,
    Not,
    ValueType,
    check,
    compared_codes,
    compile_expr,
    evaluate,
    parse,
    references,
    truthy,
    unparse,
)

V = ValueType
TODAY = dt.date(2025, 6, 15)


class FakeEnv:
    """A minimal Env: answers, special answers, contact attributes, the current value."""

    def __init__(
        self,
        answers: Mapping[str, Any] | None = None,
        specials: frozenset[str] = frozenset(),
        contact: Mapping[str, Any] | None = None,
        value: object = None,
    ) -> None:
        self.answers = dict(answers or {})
        self.specials = specials
        self.contact_data = dict(contact or {})
        self.value = value

    def answer(self, qid: str) -> object:
        return self.answers.get(qid)

    def is_answered(self, qid: str) -> bool:
        return qid in self.answers or qid in self.specials

    def contact(self, name: str) -> object:
        return self.contact_data.get(name)

    def today(self) -> dt.date:
        return TODAY

    def current_value(self) -> object:
        return self.value


ANSWERS: dict[str, Any] = {
    "age": 30,
    "height": 1.75,
    "name": "Ann Lee",
    "q1": "5",
    "color": "red",
    "q5": ("a", "b"),
    "q7": {"speed": 4, "care": "2"},
    "born": "1990-04-02",
    "visit": dt.date(2025, 6, 1),
    "yes": True,
    "no": False,
    "zero": 0,
    "calc": "12",
}
ENV = FakeEnv(
    ANSWERS, specials=frozenset({"dk"}), contact={"first_name": "Ann", "tags": "vip gold", "n": "7"}, value=42
)
QUESTIONS: dict[str, ValueType] = {
    "age": V.NUMBER,
    "height": V.NUMBER,
    "name": V.TEXT,
    "q1": V.CODE,
    "color": V.CODE,
    "q5": V.CODES,
    "q7": V.ITEMS,
    "born": V.DATE,
    "visit": V.DATE,
    "yes": V.BOOL,
    "no": V.BOOL,
    "zero": V.NUMBER,
    "calc": V.ANY,
    "dk": V.NUMBER,
    "intro": V.NULL,
    "missing": V.NUMBER,
}
MATRIX = {"q7": frozenset({"speed", "care"})}


def run(text: str, env: FakeEnv = ENV) -> object:
    return evaluate(parse(text), env)


# --- parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("3", Const(3)),
        ("2.5", Const(2.5)),
        (".5", Const(0.5)),
        ("007", Const(7)),
        ("-4", Const(-4)),
        ("- 4.5", Const(-4.5)),
        ("--4", Const(4)),
        ("'it''s'", None),  # two adjacent strings are a syntax error (checked below), not a quote escape
        ("'a\\'b'", Const("a'b")),
        ('"say \\"hi\\""', Const('say "hi"')),
        ("'tab\\tnew\\nline\\\\'", Const("tab\tnew\nline\\")),
        ("'\\d+'", Const("\\d+")),
        ("'中文'", Const("中文")),
        ("true", Const(True)),
        ("false", Const(False)),
        ("null", Const(None)),
        ("[]", ListExpr(())),
        ("[1, 2, 'a']", ListExpr((Const(1), Const(2), Const("a")))),
        ("q1", Name("q1")),
        ("_x9", Name("_x9")),
        ("nps_score", Name("nps_score")),
        ("q7.speed", MatrixItem("q7", "speed")),
        ("q7.1", MatrixItem("q7", "1")),
        ("q7.value", MatrixItem("q7", "value")),
        ("contact.first_name", ContactField("first_name")),
        ("contact.in", ContactField("in")),
        ("value", CurrentValue()),
        ("values", Name("values")),
        ("android", Name("android")),
        ("today()", Call("today", ())),
        ("selected(q1, 'a')", Call("selected", (Name("q1"), Const("a")))),
        ("if(a, 1, 2)", Call("if", (Name("a"), Const(1), Const(2)))),
        ("x in ('a', 'b')", In(Name("x"), ListExpr((Const("a"), Const("b"))))),
        ("x in ('a')", In(Name("x"), ListExpr((Const("a"),)))),
        ("x not in [1]", In(Name("x"), ListExpr((Const(1),)), negated=True)),
        ("x in q5", In(Name("x"), Name("q5"))),
        ("a == 1", Compare("=", Name("a"), Const(1))),
        ("a <> 1", Compare("!=", Name("a"), Const(1))),
        ("a div 2", Arith("/", Name("a"), Const(2))),
        ("a mod 2", Arith("%", Name("a"), Const(2))),
        ("-a", Neg(Name("a"))),
        ("not a", Not(Name("a"))),
        ("not(a)", Not(Name("a"))),
        ("a or b or c", BoolOp("or", (Name("a"), Name("b"), Name("c")))),
        ("a and\n\tb", BoolOp("and", (Name("a"), Name("b")))),
    ],
)
def test_parse_builds_the_tree(text: str, tree: logic.Expr | None) -> None:
    if tree is None:
        with pytest.raises(ExpressionError):
            parse(text)
    else:
        assert parse(text) == tree


def test_literals_of_different_types_are_different_trees() -> None:
    assert parse("1") != parse("1.0") != parse("true")
    assert parse("1") != parse("'1'")


@pytest.mark.parametrize(
    ("text", "grouped"),
    [
        ("a or b and c", "a or (b and c)"),
        ("a and b or c", "(a and b) or c"),
        ("not a and b", "(not a) and b"),
        ("not a = b", "not (a = b)"),
        ("not a in [1]", "not (a in [1])"),
        ("a = b + c", "a = (b + c)"),
        ("a + b * c", "a + (b * c)"),
        ("a - b - c", "(a - b) - c"),
        ("a / b * c", "(a / b) * c"),
        ("a div b mod c", "(a / b) % c"),
        ("-a * b", "(-a) * b"),
        ("- a + b", "(-a) + b"),
        ("a < b and c >= d or e != f", "((a < b) and (c >= d)) or (e != f)"),
        ("a + 1 in [2] and b", "((a + 1) in [2]) and b"),
        ("a not in [1] or b", "(a not in [1]) or b"),
        ("(a or b) and c", "(a or b) and c"),
        ("if(a or b, 1 + 2, 3) * 2", "(if((a or b), (1 + 2), 3)) * 2"),
    ],
)
def test_precedence(text: str, grouped: str) -> None:
    assert parse(text) == parse(grouped)


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "empty expression", 0),
        ("   ", "empty expression", 0),
        ("(a = 1))", "unexpected ')' at column 8", 7),
        ("a = ", "unexpected end of expression", 4),
        ("(a = 1", "unexpected end of expression: missing ')'", 6),
        ("[1, 2", "unexpected end of expression: missing ']'", 5),
        ("selected(q1, 'a'", "missing ')'", 16),
        ("a < b < c", "unexpected '<' at column 7", 6),
        ("a = = 1", "unexpected '=' at column 5", 4),
        ("a & b", "unexpected character '&' at column 3; use 'and'", 2),
        ("a | b", "use 'or'", 2),
        ("a # b", "unexpected character '#' at column 3", 2),
        ("name = 'Ann", "unterminated string starting at column 8", 7),
        ('"abc', "unterminated string", 0),
        ("q1 = and", "unexpected 'and' at column 6", 5),
        ("or", "unexpected 'or' at column 1", 0),
        ("value.x", "unexpected '.' at column 6", 5),
        ("contact", "unexpected end of expression", 7),
        ("contact = 1", "unexpected '='", 8),
        ("1e5", "unexpected 'e5'", 1),
        ("a\n  = )", "unexpected ')' at line 2, column 5", 6),
        ("TRUE = True", None, None),  # keywords are lower case: these are question ids
        ("f(1,)", "unexpected ')' at column 5", 4),
        ("x in 'a', 'b'", "unexpected ','", 8),
        ("'a' 'b'", "unexpected \"'b'\" at column 5", 4),
        ("9" * 41, "number too long at column 1", 0),
        ("1 + " + "9" * 5000, "number too long at column 5", 4),
        ("9" * 400 + ".5", "number too long", 0),
    ],
)
def test_syntax_errors(text: str, message: str | None, position: int | None) -> None:
    if message is None:
        parse(text)
        return
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert message in str(info.value)
    assert info.value.message == str(info.value)
    assert info.value.position == position


def test_parse_rejects_non_text_and_excessive_nesting() -> None:
    with pytest.raises(ExpressionError):
        parse(None)  # type: ignore[arg-type]
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("abs(" * 300 + "1" + ")" * 300)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("-" * 300 + "a")
    assert parse(" + ".join(["a"] * 150)) is not None  # long sums are fine
    assert len(parse(" or ".join(["a = 1"] * 500)).operands) == 500  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "a or b and not c",
        "(a or b) or c",
        "not not a",
        "a - -1",
        "-1 * -a",
        "-(a + b)",
        "a - (b - c)",
        "a / (b * c)",
        "(a = 1) = true",
        "x not in ('a', \"b'c\")",
        "'back\\\\slash\\n' = '\\d'",
        "q7.speed >= 4.25 and contact.x != null",
        "if(value > 0.1, concat('a', 'b'), 10000000000000000.0)",
        "1e-7" if False else "0.0000001",
        "count_selected(q5) >= 2 or selected(q5, 'x')",
    ],
)
def test_unparse_round_trips(text: str) -> None:
    tree = parse(text)
    assert parse(unparse(tree)) == tree


# --- references and compared codes -------------------------------------------------------------------


def test_references_are_question_ids_only() -> None:
    expr = parse("a > 1 and q7.speed = 2 or contact.x = value and answered(b) and if(c, d, [e])")
    assert references(expr) == frozenset({"a", "q7", "b", "c", "d", "e"})
    assert references(parse("1 + 2")) == frozenset()


def test_compared_codes() -> None:
    expr = parse(
        "q1 = 'a' or 'b' = q1 or q1 != 3 or q2 in ['x', 4, true, null] or selected(q3, 'y') "
        "or q1 > 'z' or q7.speed = 'w' or q1 = 'a' or selected(q3, q1)"
    )
    assert compared_codes(expr) == [
        ("q1", "a"),
        ("q1", "b"),
        ("q1", "3"),
        ("q2", "x"),
        ("q2", "4"),
        ("q3", "y"),
    ]


# --- evaluation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # literals and names
        ("3", 3),
        ("'x'", "x"),
        ("[1, 'a']", (1, "a")),
        ("[age, 2]", (30, 2)),
        ("age", 30),
        ("q7.speed", 4),
        ("q7.nothing", None),
        ("q1.x", None),
        ("contact.first_name", "Ann"),
        ("contact.missing", None),
        ("value", 42),
        # arithmetic
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("8 / 2", 4),
        ("8 div 2", 4),
        ("7 % 3", 1),
        ("-7 % 3", -1),
        ("7 mod -3", 1),
        ("7.5 % 2", 1.5),
        ("-age", -30),
        ("height * 2", 3.5),
        ("calc + 1", 13),
        ("contact.n * 2", 14),
        ("1 / 0", None),
        ("1 % 0", None),
        ("name + 1", None),
        ("visit + 1", dt.date(2025, 6, 2)),
        ("1 + visit", dt.date(2025, 6, 2)),
        ("visit - 1", dt.date(2025, 5, 31)),
        ("visit - born", 12844),
        ("born + 1", dt.date(1990, 4, 3)),
        ("visit * 2", None),
        ("visit + 99999999", None),
        ("yes + 1", 2),
        # comparisons and codes
        ("q1 >= 4", True),
        ("q1 = 5", True),
        ("q1 = '5'", True),
        ("q1 < 10", True),
        ("q1 < '10'", True),
        ("color = 'red'", True),
        ("color > 3", False),
        ("color != 3", True),
        ("age = 30.0", True),
        ("age == 30", True),
        ("age <> 30", False),
        ("name > 'Ann'", True),
        ("name < 'B'", True),
        ("born < visit", True),
        ("born < '2000-01-01'", True),
        ("visit = '2025-06-01'", True),
        ("visit > today()", False),
        ("yes = true", True),
        ("no = false", True),
        ("yes = 1", True),
        ("yes = 'yes'", True),
        ("yes < true", False),
        ("q5 = ['a', 'b']", True),
        ("q7.care = 2", True),
        ("q7.speed >= 4", True),
        ("calc > 9", True),
        ("calc > '9'", True),
        # membership
        ("q1 in ['4', '5']", True),
        ("q1 in (4, 5)", True),
        ("q1 in ['4']", False),
        ("q1 not in ['4']", True),
        ("age in [30, 31]", True),
        ("age in ['30']", True),
        ("age not in [30]", False),
        ("'a' in q5", True),
        ("'z' not in q5", True),
        ("age in age", False),
        ("color in [q1, 'red']", True),
        # booleans
        ("yes and not no", True),
        ("no or age > 20", True),
        ("yes and age", True),
        ("zero or no", False),
        ("a = 1 or b = 1 or yes", True),
        ("yes and yes and no", False),
        ("not zero", True),
        ("not name", False),
    ],
)
def test_evaluate(text: str, expected: object) -> None:
    result = run(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("answered(age)", True),
        ("answered(dk)", True),  # a special answer (Don't know) counts as answered
        ("answered(missing)", False),
        ("answered(q7.speed)", True),
        ("answered(q7.other)", False),
        ("answered(contact.first_name)", True),
        ("answered(contact.missing)", False),
        ("answered(value)", True),
        ("selected(q5, 'a')", True),
        ("selected(q5, 'c')", False),
        ("selected(q1, '5')", True),
        ("selected(q1, 5)", True),
        ("selected(q1, 4)", False),
        ("selected(contact.tags, 'gold')", True),
        ("selected(missing, 'a')", False),
        ("selected(q5, name)", False),
        ("selected(q5, missing)", False),
        ("selected(q5, true)", False),
        ("count_selected(q5)", 2),
        ("count_selected(missing)", 0),
        ("count_selected(contact.tags)", 2),
        ("length(name)", 7),
        ("length(q5)", 2),
        ("length(missing)", 0),
        ("length(age)", 2),
        ("today()", TODAY),
        ("date('2024-01-31')", dt.date(2024, 1, 31)),
        ("date('2024-02-30')", None),
        ("date('31/01/2024')", None),
        ("date('2024-01-31T10:00:00')", dt.date(2024, 1, 31)),
        ("date(born)", dt.date(1990, 4, 2)),
        ("date(missing)", None),
        ("days_between(born, visit)", 12844),
        ("days_between(visit, '2025-06-11')", 10),
        ("days_between(visit, today())", 14),
        ("days_between(today(), visit)", -14),
        ("days_between(missing, visit)", None),
        ("year(born)", 1990),
        ("month(born)", 4),
        ("day(born)", 2),
        ("year(today())", 2025),
        ("year('junk')", None),
        ("if(age > 18, 'adult', 'minor')", "adult"),
        ("if(missing, 1, 2)", 2),
        ("if(yes, 1, 1 / 0)", 1),
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("max(age, calc)", 30),
        ("min(missing, 5)", 5),
        ("max(missing)", None),
        ("min(born, visit)", dt.date(1990, 4, 2)),
        ("max(1, 'x')", None),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("round(2.4)", 2),
        ("round(2.675, 2)", 2.68),
        ("round(1234, -2)", 1200),
        ("round(7)", 7),
        ("round(1.5, 0.5)", None),
        ("round(missing)", None),
        ("int(2.9)", 2),
        ("int(-2.9)", -2),
        ("int('7')", 7),
        ("int(missing)", None),
        ("number('3.5')", 3.5),
        ("number(' 42 ')", 42),
        ("number(q1)", 5),
        ("number('abc')", None),
        ("number(yes)", 1),
        ("number(missing)", None),
        ("string(2.0)", "2"),
        ("string(2.5)", "2.5"),
        ("string(yes)", "true"),
        ("string(visit)", "2025-06-01"),
        ("string(q5)", "a b"),
        ("string(missing)", ""),
        ("concat('a', 1, missing, true)", "a1true"),
        ("concat(name)", "Ann Lee"),
        ("contains(name, 'nn')", True),
        ("contains(name, 'x')", False),
        ("contains(missing, 'x')", False),
        ("starts_with(name, 'Ann')", True),
        ("starts_with(name, 'Lee')", False),
        ("ends_with(name, 'Lee')", True),
        ("regex(name, '^[A-Z][a-z]+ [A-Z]')", True),
        ("regex(name, '\\d')", False),
        ("regex(age, '^\\d{2}$')", True),
        ("regex(name, '(')", False),
        ("regex(missing, '.*')", False),
        ("coalesce(missing, age)", 30),
        ("coalesce(missing, contact.missing, 'x')", "x"),
        ("coalesce(missing)", None),
        ("abs(-3)", 3),
        ("abs(2.5)", 2.5),
        ("floor(2.7)", 2),
        ("floor(-2.5)", -3),
        ("ceil(2.1)", 3),
        ("pow(2, 10)", 1024),
        ("pow(2, -1)", 0.5),
        ("pow(-8, 0.5)", None),
        ("pow(10, 400)", None),
        ("substr(name, 4)", "Lee"),
        ("substr(name, 0, 3)", "Ann"),
        ("substr(missing, 1)", None),
        ("lower(name)", "ann lee"),
        ("upper(name)", "ANN LEE"),
        ("trim('  x ')", "x"),
    ],
)
def test_functions(text: str, expected: object) -> None:
    result = run(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("missing + 1", None),
        ("-missing", None),
        ("missing * 0", None),
        ("missing = null", True),
        ("null = missing", True),
        ("missing != null", False),
        ("age = null", False),
        ("age != null", True),
        ("null = null", True),
        ("contact.missing = null", True),
        ("missing = 1", False),
        ("missing != 1", False),
        ("missing < 1", False),
        ("missing >= 1", False),
        ("missing = missing", False),
        ("missing in [1, null]", False),
        ("missing not in [1]", False),
        ("not missing", True),
        ("missing or yes", True),
        ("missing and yes", False),
        ("not (missing > 1)", True),
        ("dk = null", True),  # a special answer has no value
        ("null", None),
    ],
)
def test_null_semantics(text: str, expected: object) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (False, False),
        (True, True),
        (0, False),
        (0.0, False),
        (float("nan"), False),
        (2, True),
        (-0.5, True),
        ("", False),
        ("0", True),
        ("false", True),
        ((), False),
        (("a",), True),
        ([], False),
        ({}, False),
        ({"a": 1}, True),
        (dt.date(2020, 1, 1), True),
    ],
)
def test_truthy(value: object, expected: bool) -> None:
    assert truthy(value) is expected


def test_compiled_closure_matches_evaluate_and_is_reusable() -> None:
    compiled = compile_expr(parse("q1 = 'a' and age > 18"))
    assert compiled(FakeEnv({"q1": "a", "age": 20})) is True
    assert compiled(FakeEnv({"q1": "a", "age": 10})) is False
    assert compiled(FakeEnv({})) is False


def test_unchecked_expressions_evaluate_to_null_instead_of_raising() -> None:
    for text in (
        "nope(1)",
        "selected(q1)",
        "round(1, 2, 3)",
        "q7.speed + name",
        "[1] + 1",
        "'x' * 2",
        "value.__class__",
    ):
        try:
            tree = parse(text)
        except ExpressionError:
            continue
        assert evaluate(tree, ENV) is None
    odd = FakeEnv({"a": object(), "b": [1, [2]], "c": {"x": 1}, "d": float("inf"), "e": 10**5000})
    texts = "a + 1|a = 1|a < 1|b = [1, [2]]|c.x > 0|c > 1|d + 1|d > 1|e + 1.5|e / 3|string(e)|round(e, -2)"
    for text in (texts + "|e > 1.5|length(e)|selected(b, 1)|a in [1]|-a").split("|"):
        evaluate(parse(text), odd)


# --- static checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "options", "messages"),
    [
        ("age > 18 and selected(q5, 'a') or q1 = 'x'", {}, []),
        ("q9 > 1", {}, ["unknown question 'q9'"]),
        ("q9.x > 1", {}, ["unknown question 'q9'"]),
        ("answered(q9) or q9 = 1", {}, ["unknown question 'q9'"]),
        ("foo(age)", {}, ["unknown function 'foo'; did you mean floor()?"]),
        ("count_selectd(q5) > 1", {}, ["unknown function 'count_selectd'; did you mean count_selected()?"]),
        ("zzz() = 1", {}, ["unknown function 'zzz'"]),
        ("selected(q5)", {}, ["selected() takes 2 arguments, got 1"]),
        ("today(1) = today()", {}, ["today() takes 0 arguments, got 1"]),
        ("round(1, 2, 3) > 1", {}, ["round() takes 1 or 2 arguments, got 3"]),
        ("min() > 1", {}, ["min() takes at least 1 argument, got 0"]),
        ("if(yes, 1) = 1", {}, ["if() takes 3 arguments, got 2"]),
        ("value > 1", {}, ["'value' (the answer being checked) can only be used in a constraint"]),
        ("value > 1", {"value_type": V.NUMBER}, []),
        ("value > 'x'", {"value_type": V.NUMBER}, ["cannot compare number with text: value > 'x'"]),
        ("selected(value, 'a')", {"value_type": V.CODES}, []),
        ("q7.fast = 1", {}, ["matrix question 'q7' has no item 'fast'"]),
        ("q7.fast = 1", {"matrix_items": {}}, []),
        ("age.x = 1", {}, ["question 'age' is not a matrix, so it has no item 'x'"]),
        ("calc.x = 1", {}, []),
        ("q7 = 1", {}, ["matrix question 'q7' needs an item, e.g. q7.care"]),
        ("length(q7) > 0", {}, ["matrix question 'q7' needs an item, e.g. q7.care"]),
        ("answered(q7) and q7 != null", {}, []),
        ("contact.foo = 1", {}, []),
        ("contact.foo = 1", {"contact_fields": frozenset({"bar"})}, ["unknown contact field 'foo'"]),
        ("contact.bar = 1", {"contact_fields": frozenset({"bar"})}, []),
        ("name + 1 > 2", {}, ["'+' needs a number, got text: name"]),
        (
            "q1 * 2 > 2",
            {},
            ["'*' needs a number, got choice code: q1; use number(q1) to use a code as a number"],
        ),
        ("number(q1) * 2 > 2", {}, []),
        (
            "yes + no > 0",
            {},
            [
                "'+' needs a number, got true/false: yes; use if(condition, 1, 0) to count conditions",
                "'+' needs a number, got true/false: no; use if(condition, 1, 0) to count conditions",
            ],
        ),
        ("-name = 1", {}, ["'-' needs a number, got text: name"]),
        ("q5 + 1 = 1", {}, ["'+' needs a number, got list of codes: q5"]),
        ("age > 'x'", {}, ["cannot compare number with text: age > 'x'"]),
        ("'x' = age", {}, ["cannot compare text with number: 'x' = age"]),
        ("q1 = 'x' or q1 = 3 or q1 > 2", {}, []),
        ("yes = 'yes'", {}, ["cannot compare true/false with text: yes = 'yes'"]),
        ("visit > '2024-01-01' and visit < today() and visit != born", {}, []),
        ("visit > '2024-13-01'", {}, ["'2024-13-01' is not a date: write dates as 'YYYY-MM-DD'"]),
        ("visit > 3", {}, ["cannot compare date with number: visit > 3"]),
        ("yes < no", {}, ["true/false values have no order: yes < no"]),
        ("age < null", {}, ["null has no order, so this is never true: age < null; use = null or != null"]),
        (
            "q5 = 'a'",
            {},
            ["q5 is a multiple choice answer: use selected(q5, 'code') instead of comparing it"],
        ),
        ("q5 = null", {}, []),
        (
            "q5 in ['a']",
            {},
            [
                "'in' needs a single value on its left, but q5 is a multiple choice answer; "
                "use selected(q5, 'code')"
            ],
        ),
        ("age in 5", {}, ["the right side of 'in' must be a list, got number: age in 5"]),
        ("age in ['x']", {}, ["cannot compare number with text: age in ['x']"]),
        ("'a' in q5 and q1 in [1, '2']", {}, []),
        ("[q5] = null", {}, ["a list item must be a single value, but q5 is a list of codes"]),
        ("selected(age, 'a')", {}, ["selected() needs a choice question, but age is a number"]),
        ("selected(q1, 'a') and selected(q5, 1) and selected(calc, 'x')", {}, []),
        (
            "count_selected(q1) > 0",
            {},
            ["count_selected() needs a multiple choice question, but q1 is a choice code"],
        ),
        ("count_selected(q5) > 0", {}, []),
        ("answered(1 + 1)", {}, ["answered() needs a question, e.g. answered(q1), not 1 + 1"]),
        ("if(age, 1, 2) = 1", {}, ["the condition of if() must be true/false, got number: age"]),
        ("age and yes", {}, ["each side of 'and' must be true/false, got number: age"]),
        ("not name", {}, ["the operand of 'not' must be true/false, got text: name"]),
        ("min(age, visit) > 1", {}, ["min() needs all numbers or all dates: min(age, visit)"]),
        ("round(name) > 1", {}, ["round() needs a number, got text: name"]),
        ("year(age) > 1", {}, ["year() needs a date, got number: age"]),
        ("date('2024-02-30') < today()", {}, ["'2024-02-30' is not a date: write dates as 'YYYY-MM-DD'"]),
        ("regex(name, '[a-')", {}, ["invalid regular expression '[a-'"]),
        ("length(yes) > 1", {}, ["length() cannot take true/false: yes"]),
        ("number(q5) > 1", {}, ["number() needs a single value, but q5 is a list of codes"]),
        ("visit + visit > today()", {}, ["cannot add two dates: visit + visit"]),
        ("1 - visit > 0", {}, ["cannot subtract a date from a number: 1 - visit"]),
        ("visit * 2 > 1", {}, ["'*' needs a number, got date: visit"]),
        ("visit - born > 365 and visit + 1 > visit and visit - 1 < visit", {}, []),
        ("calc > 'x' and calc + 1 > 2 and calc", {}, []),
        ("q7.speed >= 4 and q7.care = 'a'", {}, []),
        ("age", {"expect": V.BOOL}, ["condition must be true/false, got number"]),
        ("q1", {"expect": V.BOOL}, ["condition must be true/false, got choice code"]),
        ("null", {"expect": V.BOOL}, ["condition must be true/false, got null"]),
        ("yes", {"expect": V.BOOL}, []),
        ("calc", {"expect": V.BOOL}, []),
        ("1 + 2", {"expect": V.TEXT}, ["expected text, got number"]),
        ("if(yes, q1, name)", {"expect": V.TEXT}, []),
        ("if(yes, 1, null)", {"expect": V.NUMBER}, []),
        ("q9 + q9 > 'x'", {"expect": V.BOOL}, ["unknown question 'q9'"]),
        (
            "q9 + name > 'x' and zz(1)",
            {"expect": V.BOOL},
            [
                "unknown question 'q9'",
                "'+' needs a number, got text: name",
                "unknown function 'zz'",
            ],
        ),
    ],
)
def test_check_messages(text: str, options: dict[str, Any], messages: list[str]) -> None:
    kwargs: dict[str, Any] = {"matrix_items": MATRIX, **options}
    assert check(parse(text), questions=QUESTIONS, **kwargs) == messages


def test_check_defaults_and_result_types() -> None:
    assert check(parse("q7.anything = 1"), questions={"q7": V.ITEMS}) == []
    assert check(parse("coalesce(q1, 'x')"), questions=QUESTIONS, expect=V.TEXT) == []
    assert check(parse("max(age, 2) + 1"), questions=QUESTIONS, expect=V.NUMBER) == []
    assert check(parse("today() - 1"), questions=QUESTIONS, expect=V.DATE) == []
    assert check(parse("concat(q5, visit, yes)"), questions=QUESTIONS, expect=V.TEXT) == []


def test_constant_condition_is_decided_by_evaluation_with_an_empty_env() -> None:
    # The definition validator evaluates reference-free conditions to spot ones that never hold.
    assert truthy(run("1 = 2")) is False
    assert truthy(run("1 < 2 and 'a' != 'b'")) is True
