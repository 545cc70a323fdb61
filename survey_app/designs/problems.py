"""Where a validator problem belongs: the builder field its path names, and its line in the text.

``Problem.path`` is written like ``pages[1].questions[2].show_if``; the builder shows the problem
next to the field of page 1, question 2 that edits ``show_if``, and the definition editor next to
the line of the YAML (or JSON) text where that key is, found by walking ``yaml.compose`` nodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from questionnaires.validation import Problem

_TOKEN = re.compile(r"\[(\d+)\]|\[(['\"])(.*?)\2\]|\.?([^.\[\]]+)")

#: Question keys that hold rows (``options[2].code``): their problems also name the row.
_ROWS = frozenset({"options", "items", "special"})


def path_tokens(path: str) -> list[str | int]:
    """Split ``pages[1].questions[0].scale.labels.3`` into ``['pages', 1, 'questions', 0, ...]``."""
    tokens: list[str | int] = []
    for index, _quote, quoted, name in _TOKEN.findall(path):
        if index:
            tokens.append(int(index))
        else:
            tokens.append(quoted or name)
    return tokens


@dataclass(frozen=True)
class Located:
    """A problem and the builder field it belongs to (``row``: the option or item row, if any)."""

    problem: Problem
    field: str
    row: int | None = None

    @property
    def is_error(self) -> bool:
        return self.problem.severity == "error"


@dataclass
class ProblemMap:
    """A draft's problems sorted by the builder place that shows them."""

    settings: dict[str, list[Located]] = field(default_factory=dict)
    pages: dict[int, dict[str, list[Located]]] = field(default_factory=dict)
    questions: dict[tuple[int, int], dict[str, list[Located]]] = field(default_factory=dict)
    other: list[Problem] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0

    def page(self, index: int) -> dict[str, list[Located]]:
        return self.pages.get(index, {})

    def question(self, page: int, index: int) -> dict[str, list[Located]]:
        return self.questions.get((page, index), {})

    def question_problems(self, page: int, index: int) -> list[Located]:
        """Every problem of one question, for the page list of the builder."""
        return [located for found in self.question(page, index).values() for located in found]


def _question_field(rest: list[str | int]) -> tuple[str, int | None]:
    if not rest:
        return "", None
    head = str(rest[0])
    if head == "variants" and len(rest) > 1:
        return f"variants.{rest[1]}", None
    if head in _ROWS and len(rest) > 1 and isinstance(rest[1], int):
        return head, rest[1]
    return head, None


@dataclass(frozen=True)
class BuilderTarget:
    """The builder form that edits a path: the settings (no page), a page, or a question."""

    page: int | None
    question: int | None
    field: str
    row: int | None = None

    @property
    def anchor(self) -> str:
        """The HTML id of the field's place on the form."""
        return "f-" + (self.field.replace(".", "-") or "top")


def builder_target(path: str) -> BuilderTarget | None:
    """Where the builder edits ``path``; None for what only the definition editor edits (alerts)."""
    tokens = path_tokens(path)
    if len(tokens) >= 2 and tokens[0] == "pages" and isinstance(tokens[1], int):
        rest = tokens[2:]
        if len(rest) >= 2 and rest[0] == "questions" and isinstance(rest[1], int):
            name, row = _question_field(rest[2:])
            return BuilderTarget(tokens[1], rest[1], name, row)
        return BuilderTarget(tokens[1], None, str(rest[0]) if rest else "")
    if not tokens:
        return BuilderTarget(None, None, "")
    if isinstance(tokens[0], str) and tokens[0] != "alerts":
        return BuilderTarget(None, None, tokens[0])
    return None


def locate(problems: Iterable[Problem]) -> ProblemMap:
    """Sort ``problems`` into settings, pages, questions and the rest (alerts, unreadable paths)."""
    found = ProblemMap()
    for problem in problems:
        if problem.severity == "error":
            found.errors += 1
        else:
            found.warnings += 1
        target = builder_target(problem.path)
        if target is None:
            found.other.append(problem)
            continue
        located = Located(problem, target.field, target.row)
        if target.page is None:
            place = found.settings
        elif target.question is None:
            place = found.pages.setdefault(target.page, {})
        else:
            place = found.questions.setdefault((target.page, target.question), {})
        place.setdefault(target.field, []).append(located)
    return found


def _child(node: yaml.Node, token: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """Return (the node to report, the node to walk on) for one step of a path."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(token):
                return key, value
    elif isinstance(node, yaml.SequenceNode) and isinstance(token, int) and token < len(node.value):
        item = node.value[token]
        return item, item
    return None


def line_of(root: yaml.Node, path: str) -> int | None:
    """Return the 1-based line of ``path`` in the composed document, or of its nearest ancestor."""
    node: yaml.Node = root
    line: int | None = None
    for token in path_tokens(path):
        step = _child(node, token)
        if step is None:
            break
        shown, node = step
        line = shown.start_mark.line + 1
    return line


def text_lines(text: str, paths: Iterable[str]) -> dict[str, int]:
    """Return the line of each path in a YAML or JSON text (paths it cannot find are left out)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if root is None:
        return {}
    lines: dict[str, int] = {}
    for path in paths:
        line = line_of(root, path) if path else None
        if line is not None:
            lines[path] = line
    return lines
