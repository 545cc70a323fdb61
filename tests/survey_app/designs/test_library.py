"""The library as templates, used from Python the way the demo uses it: load, copy, publish."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session, select

from survey_app.auth.models import Role, User
from survey_app.db import open_session
from survey_app.designs import operations, queries
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.designs.operations import LIBRARY_DIR, DesignError, load_library_templates

LIBRARY_KEYS = sorted(path.stem for path in LIBRARY_DIR.glob("*.yaml"))


def test_every_library_template_copies_and_publishes(app: Flask, make_user) -> None:
    owner: User = make_user(Role.researcher)
    with app.app_context(), open_session(app) as session:
        loaded = load_library_templates(session)
        assert sorted(loaded.created) == LIBRARY_KEYS
        for key in LIBRARY_KEYS:
            template = queries.get_questionnaire_by_key(session, key)
            assert template is not None
            assert template.is_template
            record = operations.use_template(session, template, key=f"{key}_2027", owner=owner)
            version = operations.publish_version(session, record, revision=record.draft_revision, user=owner)
            assert (version.number, version.document["id"], version.document["version"]) == (
                1,
                f"{key}_2027",
                1,
            )
            assert record.owner_id == owner.id
            assert record.cloned_from_id == template.id
        count = len(session.exec(select(QuestionnaireVersion)).all())
    assert count == len(LIBRARY_KEYS)


def test_templates_are_never_published_or_saved(app: Flask) -> None:
    with app.app_context(), open_session(app) as session:
        load_library_templates(session)
        template = queries.get_questionnaire_by_key(session, "supplier")
        assert template is not None
        with pytest.raises(DesignError, match="Library templates are not published"):
            operations.publish_version(session, template, revision=template.draft_revision, user=None)
        with pytest.raises(DesignError, match="Library templates cannot be changed"):
            operations.save_draft(session, template, {"id": "supplier"}, revision=template.draft_revision)


def test_use_template_without_a_key_picks_a_free_one(app: Flask) -> None:
    with app.app_context(), open_session(app) as session:
        load_library_templates(session)
        template = queries.get_questionnaire_by_key(session, "regulator")
        assert template is not None
        keys = [operations.use_template(session, template, key="", owner=None).key for _ in range(3)]
    assert keys == ["regulator_copy", "regulator_copy2", "regulator_copy3"]


def test_a_changed_library_file_updates_its_template_only(
    app: Flask, tmp_path: Path, db_session: Session
) -> None:
    library = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, library)
    with app.app_context(), open_session(app) as session:
        load_library_templates(session, library)
        path = library / "supplier.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "\ndescription: Changed\n", encoding="utf-8")
        result = load_library_templates(session, library)
    assert result.updated == ["supplier"]
    assert sorted(result.unchanged) == [key for key in LIBRARY_KEYS if key != "supplier"]
    supplier = db_session.exec(select(QuestionnaireRecord).where(QuestionnaireRecord.key == "supplier")).one()
    assert (supplier.draft["description"], supplier.draft_revision) == ("Changed", 2)


def test_a_questionnaire_using_a_library_id_is_left_alone(app: Flask, make_user) -> None:
    with app.app_context(), open_session(app) as session:
        operations.create_questionnaire(
            session, key="supplier", title="Mine", stakeholder_group="supplier", languages=["en"], owner=None
        )
        result = load_library_templates(session)
        mine = queries.get_questionnaire_by_key(session, "supplier")
    assert result.skipped == ["supplier"]
    assert mine is not None
    assert (mine.title, mine.is_template) == ("Mine", False)
