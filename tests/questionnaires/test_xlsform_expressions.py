"""XPath <-> logic language translation used by the XLSForm import and export."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questionnaires import logic
from questionnaires.xlsform.expressions import (
    LogicContext,
    TranslationError,
    XPathContext,
    emit_logic,
    logic_to_xpath,
    parse_logic,
    parse_xpath,
    xpath_to_logic,
)

NAMES = {
    "age": "age",
    "region": "region",
    "fruits": "fruits",
    "consent": "consent",
    "name": "name",
    "visit_date": "visit_date",
    "c3.1": "c3_1",
    "hh-size": "hh_size",
    "score": "score",
    "total": "total",
}
KINDS = {
    "age": "numeric",
    "region": "single_choice",
    "fruits": "multiple_choice",
    "consent": "single_choice",
    "name": "text",
    "visit_date": "date",
    "c3_1": "single_choice",
    "hh_size": "numeric",
    "score": "numeric",
    "total": "calculate",
}
CONTEXT = XPathContext(
    names=NAMES,
    unavailable={"gps": "a GPS location field", "member_age": "a field inside a repeat"},
    kinds=KINDS,
)


@pytest.mark.parametrize(
    ("xpath", "ours"),
    [
        ("${age} >= 18", "age >= 18"),
        (". >= 0 and . <= 120", "value >= 0 and value <= 120"),
        (".>=0", "value >= 0"),
        ("selected(${fruits}, 'apple')", "selected(fruits, 'apple')"),
        (
            "selected(${fruits},'apple') or selected(${fruits},'pear')",
            "selected(fruits, 'apple') or selected(fruits, 'pear')",
        ),
        ("count-selected(.) <= 3", "count_selected(value) <= 3"),
        (
            "not(selected(., 'none') and count-selected(.) > 1)",
            "not (selected(value, 'none') and count_selected(value) > 1)",
        ),
        ("string-length(.) > 2", "length(value) > 2"),
        ("string-length(${name}) = 0", "length(name) = 0"),
        ("${region} = 'north'", "region = 'north'"),
        ("${region} != 'north'", "region != 'north'"),
        ('${region} = "north"', "region = 'north'"),
        # XPath compares a choice code with a number as text: codes are text in our language.
        ("${c3.1}=1", "c3_1 = '1'"),
        ("${hh-size} > 2", "hh_size > 2"),
        # Ordering and arithmetic on a choice code are numeric in XPath.
        ("${region} > 2", "number(region) > 2"),
        ("${c3.1} + ${hh-size}", "number(c3_1) + hh_size"),
        ("${age} div 2", "age / 2"),
        ("${age} mod 2 = 0", "age mod 2 = 0"),
        ("-${age} < 0", "-age < 0"),
        ("${age} * (${score} + 1)", "age * (score + 1)"),
        ("(${age} + 1) * 2", "(age + 1) * 2"),
        ("${age} - (${score} - 1)", "age - (score - 1)"),
        ("today()", "today()"),
        (". <= today()", "value <= today()"),
        ("${visit_date} > '2020-01-01'", "visit_date > date('2020-01-01')"),
        ("${visit_date} >= date('2020-01-01')", "visit_date >= date('2020-01-01')"),
        ("if(${age} > 17, 'adult', 'minor')", "if(age > 17, 'adult', 'minor')"),
        ("coalesce(${name}, 'unknown')", "coalesce(name, 'unknown')"),
        ("concat(${name}, ' ', ${region})", "concat(name, ' ', region)"),
        ("regex(., '^[0-9]{11}$')", "regex(value, '^[0-9]{11}$')"),
        (r"regex(., '^\d+(\.\d{1,2})?$')", r"regex(value, '^\d+(\.\d{1,2})?$')"),
        ("number(${name}) > 3", "number(name) > 3"),
        ("int(${score}) = 2", "int(score) = 2"),
        ("round(${score}, 1) > 2.5", "round(score, 1) > 2.5"),
        ("string(${age}) = '5'", "string(age) = '5'"),
        ("contains(${name}, 'x')", "contains(name, 'x')"),
        ("starts-with(${name}, 'x')", "starts_with(name, 'x')"),
        ("min(${age}, ${score}) > .5", "min(age, score) > 0.5"),
        ("abs(${score}) < 3", "abs(score) < 3"),
        ("int(format-date(${visit_date}, '%Y')) = 2024", "year(visit_date) = 2024"),
        ("true()", "true"),
        ("not(false())", "not false"),
        ("${total} > 2", "total > 2"),
        # Empty-string tests are how XLSForm asks "answered?".
        ("${name} != ''", "answered(name)"),
        ("${name} = ''", "not answered(name)"),
        ("'' = ${name}", "not answered(name)"),
        # A select_multiple compared as a whole: exactly that option.
        ("${fruits} = 'apple'", "selected(fruits, 'apple') and count_selected(fruits) = 1"),
        # An or-chain of equalities is membership.
        ("${region} = 'a' or ${region} = 'b' or ${region} = 'c'", "region in ['a', 'b', 'c']"),
        (
            "(${region} = 'a' or ${age} > 3) and ${consent} = 'yes'",
            "(region = 'a' or age > 3) and consent = 'yes'",
        ),
        ("${age} > 3 or ${age} < 1 and ${score} = 2", "age > 3 or age < 1 and score = 2"),
        # pyxform's own relative references.
        ("selected(../fruits, 'other')", "selected(fruits, 'other')"),
        ("/data/grp/age > 3", "age > 3"),
    ],
)
def test_xpath_translation_table(xpath: str, ours: str) -> None:
    translated = xpath_to_logic(xpath, CONTEXT)
    assert translated == ours
    logic.parse(translated)  # every translation is valid in our language


def test_self_reference_in_a_constraint_means_value() -> None:
    context = XPathContext(
        names=NAMES, unavailable={}, kinds=KINDS, current_kind="numeric", current_name="age"
    )
    assert xpath_to_logic("${age} >= 0 and . < 130", context) == "value >= 0 and value < 130"


def test_yes_no_questions_compare_as_conditions() -> None:
    context = XPathContext(names={"ok": "ok"}, unavailable={}, kinds={"ok": "yes_no"})
    assert xpath_to_logic("${ok} = 'yes'", context) == "ok"
    assert xpath_to_logic("${ok} != 'yes'", context) == "not ok"
    # Unanswered is neither 'yes' nor 'no': "= 'no'" stays a comparison.
    assert xpath_to_logic("${ok} = 'no'", context) == "ok = false"
    assert xpath_to_logic("${ok} != 'no'", context) == "ok != false"
    assert xpath_to_logic("selected(${ok}, 'no')", context) == "ok = false"


@pytest.mark.parametrize(
    ("xpath", "reason"),
    [
        ("pulldata('prices', 'price', 'id', ${name})", "pulldata"),
        ("jr:choice-name(${region}, '${region}')", "jr:choice-name"),
        ("indexed-repeat(${member_age}, ${members}, 1)", "indexed-repeat"),
        ("sum(${member_age})", "repeat"),
        ("instance('features')/root/item[id=${name}]/id", "path"),
        ("count(${member_age})", "count()"),
        ("position(..)", "path"),
        ("format-date(${visit_date}, '%Y-%m')", "format-date"),
        ("once(today())", "once"),
        ("${gps} != ''", "not imported"),
        ("${member_age} > 3", "inside a repeat"),
        ("${nowhere} > 3", "not a field of the form"),
        ("region = 'x'", "bare name"),
        ("${age} > ", "expected a value"),
        ("${age} >> 3", "expected a value"),
        ("(${age} > 3", "expected ')'"),
        ("${age} | ${score}", "unions"),
        ("${age}[1]", "predicates"),
    ],
)
def test_untranslatable_xpath_is_rejected_with_a_reason(xpath: str, reason: str) -> None:
    with pytest.raises(TranslationError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        xpath_to_logic(xpath, CONTEXT)


@pytest.mark.parametrize(
    "xpath",
    [
        "__import__('os').system('rm -rf /')",
        "os.system('ls')",
        "eval('1+1')",
        "exec(${name})",
        "`id`",
        "${age} > 1 and __import__('subprocess')",
        "getattr(${name}, '__class__')",
        "${name}.__class__",
        "open('/etc/passwd')",
        "${__import__}",
    ],
)
def test_code_injection_never_translates(xpath: str) -> None:
    with pytest.raises(TranslationError):
        xpath_to_logic(xpath, CONTEXT)


@pytest.mark.parametrize(
    "text",
    [
        "age >= 18",
        "value >= 0 and value <= 120",
        "not (selected(value, 'none') and count_selected(value) > 1)",
        "answered(name) and not selected(fruits, 'none')",
        "region in ['a', 'b']",
        "region not in ['a', 'b']",
        "(region = 'a' or age > 3) and consent = 'yes'",
        "age > 3 or age < 1 and score = 2",
        "not age > 3",
        "-age < 0",
        "age - (score - 1) > 0",
        "age / 2 > 1",
        "age % 2 = 0",
        "age mod 2 = 0",
        "if(age > 17, 'adult', 'minor') = 'adult'",
        "regex(value, '^\\d+$')",
        "concat(name, 'it\\'s') = 'x'",
        "length(value) <= 3",
        "year(visit_date) = 2024",
        "visit_date >= date('2020-01-01')",
        "contact.segment = 'vip'",
        "grid.speed >= 4",
        "null = null",
        "age == 3",
        "age <> 3",
    ],
)
def test_our_parser_agrees_with_the_logic_language(text: str) -> None:
    # parse_logic (used by the exporter) must read expressions exactly like the real parser.
    assert logic.parse(emit_logic(parse_logic(text))) == logic.parse(text)


LOGIC_CONTEXT = LogicContext(
    kinds={**KINDS, "follow": "yes_no", "grid": "matrix"},
    item_names={("grid", "speed"): "grid_speed"},
    contact_names={"segment": "contact_segment"},
)


@pytest.mark.parametrize(
    ("ours", "xpath"),
    [
        ("age >= 18", "${age} >= 18"),
        ("value >= 0 and value <= 120", ". >= 0 and . <= 120"),
        ("selected(fruits, 'apple')", "selected(${fruits}, 'apple')"),
        ("count_selected(value) <= 3", "count-selected(.) <= 3"),
        ("length(value) > 2", "string-length(.) > 2"),
        ("starts_with(name, 'a')", "starts-with(${name}, 'a')"),
        ("not selected(fruits, 'none')", "not(selected(${fruits}, 'none'))"),
        ("answered(name)", "${name} != ''"),
        ("not answered(name)", "not(${name} != '')"),
        ("region in ['a', 'b']", "(${region} = 'a') or (${region} = 'b')"),
        ("region in ['a']", "${region} = 'a'"),
        (
            "(region = 'a' or age > 3) and consent = 'yes'",
            "(${region} = 'a' or ${age} > 3) and ${consent} = 'yes'",
        ),
        ("age / 2 > 1", "${age} div 2 > 1"),
        ("age mod 2 = 0", "${age} mod 2 = 0"),
        ("follow", "${follow} = 'yes'"),
        ("not follow", "not(${follow} = 'yes')"),
        ("follow = false", "${follow} = 'no'"),
        ("follow != true", "${follow} != 'yes'"),
        ("follow and age > 3", "${follow} = 'yes' and ${age} > 3"),
        ("if(follow, 1, 0) = 1", "if(${follow} = 'yes', 1, 0) = 1"),
        ("contact.segment = 'vip'", "${contact_segment} = 'vip'"),
        ("grid.speed >= 4", "${grid_speed} >= 4"),
        ("year(visit_date) = 2024", "int(format-date(${visit_date}, '%Y')) = 2024"),
        ("visit_date > today()", "${visit_date} > today()"),
        ("name = null", "${name} = ''"),
        ("true", "true()"),
    ],
)
def test_logic_to_xpath_table(ours: str, xpath: str) -> None:
    assert logic_to_xpath(ours, LOGIC_CONTEXT) == xpath
    parse_xpath(xpath)  # and it reads back as XPath


@pytest.mark.parametrize(
    "ours",
    [
        "age >= 18 and (region = 'a' or age < 3)",
        "not (selected(value, 'none') and count_selected(value) > 1)",
        "count_selected(fruits) >= 2 and count_selected(fruits) <= 3",
        "if(age > 17, 'adult', 'minor') = 'adult'",
        "-age < 0",
        "age - (score - 1) > 0",
        "answered(name) and not selected(fruits, 'none')",
        "region in ['a', 'b', 'c']",
        "visit_date >= date('2020-01-01')",
    ],
)
def test_round_trip_through_xpath(ours: str) -> None:
    names = {qid: qid for qid in KINDS}
    back = xpath_to_logic(
        logic_to_xpath(ours, LOGIC_CONTEXT), XPathContext(names=names, unavailable={}, kinds=KINDS)
    )
    assert logic.parse(back) == logic.parse(ours)


def test_unknown_functions_have_no_xpath_equivalent() -> None:
    with pytest.raises(TranslationError, match="no XLSForm equivalent"):
        logic_to_xpath("frobnicate(age)", LOGIC_CONTEXT)
    with pytest.raises(TranslationError, match="contact attribute"):
        logic_to_xpath("contact.unknown = 1", LOGIC_CONTEXT)


# ---------------------------------------------------------------------------------------------
# Property: writing XPath and reading it back never changes what an expression means.


class _Env:
    def __init__(self, answers: dict[str, object]) -> None:
        self.answers = answers

    def answer(self, qid: str) -> object:
        return self.answers.get(qid)

    def is_answered(self, qid: str) -> bool:
        return self.answers.get(qid) is not None

    def contact(self, name: str) -> object:
        return None

    def today(self) -> dt.date:
        return dt.date(2025, 1, 1)

    def current_value(self) -> object:
        return self.answers.get("age")


_numbers = st.recursive(
    st.sampled_from(["age", "score", "1", "2", "7", "0.5"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"-{x}" if not x.startswith("-") else x),
    ),
    max_leaves=4,
)
_conditions = st.recursive(
    st.one_of(
        st.tuples(_numbers, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), _numbers).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"
        ),
        st.sampled_from(["region = 'a'", "region != 'b'", "region in ['a', 'c']", "answered(region)"]),
    ),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda x: f"not ({x})"),
    ),
    max_leaves=6,
)


@settings(max_examples=80, deadline=None)
@given(
    text=_conditions,
    age=st.integers(-3, 9),
    score=st.integers(-3, 9),
    region=st.sampled_from(["a", "b", "c", None]),
)
def test_xpath_round_trip_keeps_the_meaning(text: str, age: int, score: int, region: str | None) -> None:
    names = {qid: qid for qid in KINDS}
    xpath = logic_to_xpath(text, LOGIC_CONTEXT)
    back = xpath_to_logic(xpath, XPathContext(names=names, unavailable={}, kinds=KINDS))
    env = _Env({"age": age, "score": score, "region": region})
    original = logic.truthy(logic.evaluate(logic.parse(text), env))
    assert logic.truthy(logic.evaluate(logic.parse(back), env)) == original, (text, xpath, back)
    # And our own reading of the text (used by the exporter) means the same.
    ours = logic.parse(emit_logic(parse_logic(text)))
    assert logic.truthy(logic.evaluate(ours, env)) == original


_TRICKY_CHARACTERS = st.sampled_from(["\\", "\n", "\t", "\r", "'", '"', "n", "d", "中", " "])


@given(st.text(alphabet=_TRICKY_CHARACTERS, max_size=12))
@settings(max_examples=300, deadline=None)
def test_a_quoted_string_parses_back_to_the_same_text(value: str) -> None:
    """Regression: a backslash before a newline was written as an escaped backslash plus 'n'."""
    from questionnaires.logic.ast import Const
    from questionnaires.logic.grammar import parse
    from questionnaires.xlsform.logic_syntax import logic_string

    parsed = parse(logic_string(value))
    assert isinstance(parsed, Const)
    assert parsed.value == value


def test_a_backslash_before_a_newline_survives_quoting() -> None:
    from questionnaires.logic.grammar import parse
    from questionnaires.xlsform.logic_syntax import logic_string

    assert parse(logic_string("a\\\nb")).value == "a\\\nb"  # type: ignore[attr-defined]
