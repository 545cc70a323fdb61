"""The design package: the notebook example in its docstring runs, and it stays free of web/DB imports."""

from __future__ import annotations

import ast
import doctest
from pathlib import Path

import survey_app.sampling.design as design

FORBIDDEN = {"flask", "sqlalchemy", "sqlmodel", "flask_login", "flask_babel", "wtforms"}


def test_docstring_example_runs() -> None:
    result = doctest.testmod(design, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_no_web_or_database_imports() -> None:
    for path in Path(design.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & FORBIDDEN, f"{path.name} imports {roots & FORBIDDEN}"


def test_public_api_is_documented() -> None:
    for name in design.__all__:
        obj = getattr(design, name)
        if callable(obj):
            assert obj.__doc__, name
