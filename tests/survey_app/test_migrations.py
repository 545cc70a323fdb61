"""Migrations: one head, a clean upgrade from nothing, a schema equal to the models, and a way back."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import survey_app.models  # noqa: F401  (every table)
from survey_app import schema
from survey_app.db import build_engine

ROOT = Path(__file__).resolve().parents[2]
REVISION_FILE = re.compile(r"^\d{8}_\d{4}_[0-9a-f]+_[a-z0-9_]+\.py$")


def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(schema.alembic_config())


def test_exactly_one_head() -> None:
    heads = scripts().get_heads()
    assert len(heads) == 1, f"several heads {heads}: merge them with `alembic merge` or re-parent one"


def test_revision_files_follow_the_dated_template() -> None:
    names = [p.name for p in (ROOT / "migrations" / "versions").glob("*.py")]
    assert names
    assert all(REVISION_FILE.match(name) for name in names), names


def test_every_models_module_is_registered_for_alembic() -> None:
    registry = ast.parse((ROOT / "survey_app" / "models.py").read_text())
    imported = set()
    for node in ast.walk(registry):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    modules = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / "survey_app").glob("**/models.py")
        if path.parent != ROOT / "survey_app"
    }
    missing = sorted(modules - imported)
    assert not missing, f"import these in survey_app/models.py so Alembic sees their tables: {missing}"


def schema_differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=dict(schema.COMPARE_OPTIONS))
        return list(compare_metadata(context, SQLModel.metadata))


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_empty_database_upgrades_to_a_schema_equal_to_the_models(empty_database_url: str) -> None:
    engine = build_engine(empty_database_url)
    try:
        assert schema.current_revisions(engine) == frozenset()
        schema.upgrade(engine)
        assert schema.schema_is_current(engine)
        differences = schema_differences(engine)
        assert not differences, f"models and migrations disagree (write a revision): {differences}"
    finally:
        engine.dispose()


def test_every_revision_downgrades_and_upgrades_again(empty_database_url: str) -> None:
    engine = build_engine(empty_database_url)
    try:
        revisions = [script.revision for script in reversed(list(scripts().walk_revisions()))]
        for revision in revisions:
            schema.upgrade(engine, revision)
            schema.downgrade(engine, "-1")
            schema.upgrade(engine, revision)
        schema.downgrade(engine, "base")
        assert table_names(engine) <= {"alembic_version"}
        schema.upgrade(engine)
        assert not schema_differences(engine)
    finally:
        engine.dispose()
