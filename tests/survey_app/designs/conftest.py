"""Fixtures of the authoring tests: a factory for questionnaire records, a signed-in researcher."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from survey_app.auth.models import Role, User
from survey_app.db import open_session
from survey_app.designs.models import QuestionnaireRecord
from tests.survey_app.designs.helpers import SAMPLE


@pytest.fixture
def make_questionnaire(app: Flask) -> Callable[..., QuestionnaireRecord]:
    """Factory: ``make_questionnaire(document=None, key=None, template=False)`` -> a committed record."""

    def make(
        document: dict[str, Any] | None = None, *, key: str | None = None, template: bool = False
    ) -> QuestionnaireRecord:
        document = copy.deepcopy(document or SAMPLE)
        if key:
            document["id"] = key
        with app.app_context(), open_session(app) as session:
            record = QuestionnaireRecord(
                key=document["id"],
                title=str(
                    document["title"]["en"] if isinstance(document["title"], dict) else document["title"]
                ),
                stakeholder_group=document.get("stakeholder_group", "end_customer"),
                draft=document,
                is_template=template,
            )
            session.add(record)
            session.commit()
            return record

    return make


@pytest.fixture
def researcher(login: Callable[..., User]) -> User:
    return login(Role.researcher)
