"""Translating expressions between XLSForm XPath and our logic language.

Both directions go through one small syntax tree (:mod:`~questionnaires.xlsform.tree`). XPath is
read by a whitelist parser (:mod:`~questionnaires.xlsform.xpath_syntax`): only the constructs listed
in ``XPATH_FUNCTIONS`` and plain ``${name}`` / ``.`` references translate
(:mod:`~questionnaires.xlsform.xpath_to_logic`); every other construct (``pulldata``,
``instance(...)``, predicates, ``jr:choice-name`` ...) raises :class:`TranslationError` with a
reason, so the importer reports it instead of guessing.

Our language is read by :func:`parse_logic` (:mod:`~questionnaires.xlsform.logic_syntax`) to write
XPath back out for the exporter (:mod:`~questionnaires.xlsform.logic_to_xpath`). The result of a
translation is always run through the real logic parser by the importer as a second check.

This module gathers the public names of those modules in one place.
"""

from questionnaires.xlsform.logic_syntax import RESERVED_IDS, emit_logic, parse_logic
from questionnaires.xlsform.logic_to_xpath import (
    LogicContext,
    logic_references,
    logic_to_xpath,
    logic_to_xpath_tree,
)
from questionnaires.xlsform.tree import (
    COMPARISONS,
    Binary,
    Bool,
    Call,
    Contact,
    Current,
    ItemRef,
    ListLit,
    Node,
    Null,
    Num,
    Ref,
    Str,
    TranslationError,
    Unary,
)
from questionnaires.xlsform.xpath_syntax import OUR_FUNCTIONS, XPATH_FUNCTIONS, parse_xpath
from questionnaires.xlsform.xpath_to_logic import XPathContext, xpath_to_logic, xpath_to_tree

__all__ = [
    "COMPARISONS",
    "OUR_FUNCTIONS",
    "RESERVED_IDS",
    "XPATH_FUNCTIONS",
    "Binary",
    "Bool",
    "Call",
    "Contact",
    "Current",
    "ItemRef",
    "ListLit",
    "LogicContext",
    "Node",
    "Null",
    "Num",
    "Ref",
    "Str",
    "TranslationError",
    "Unary",
    "XPathContext",
    "emit_logic",
    "logic_references",
    "logic_to_xpath",
    "logic_to_xpath_tree",
    "parse_logic",
    "parse_xpath",
    "xpath_to_logic",
    "xpath_to_tree",
]
