"""Every library questionnaire through every authoring page, and through the builder unchanged.

The library holds every construct the builder has to show (matrices, calculations, special
answers, channel variants, blocks): each page must render, and saving each builder form as the
browser sends it, without touching a field, must leave the document exactly as it was.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from survey_app.db import open_session
from survey_app.designs import operations, queries
from survey_app.designs.operations import LIBRARY_DIR, load_library_templates
from tests.survey_app.designs.helpers import form_data, html, reload

LIBRARY_KEYS = sorted(path.stem for path in LIBRARY_DIR.glob("*.yaml"))


def _copy_of(app: Flask, key: str) -> int:
    with app.app_context(), open_session(app) as session:
        load_library_templates(session)
        template = queries.get_questionnaire_by_key(session, key)
        assert template is not None
        return operations.use_template(session, template, key=f"{key}_copy", owner=None).id or 0


@pytest.mark.parametrize("key", LIBRARY_KEYS)
def test_library_questionnaire_pages_render_and_round_trip(
    client: FlaskClient, researcher, app: Flask, db_session: Session, key: str
) -> None:
    record = reload(db_session, type("R", (), {"id": _copy_of(app, key)})())  # type: ignore[arg-type]
    base = f"/questionnaires/{record.id}"
    before = record.draft
    for url in (
        base,
        f"{base}/definition",
        f"{base}/definition?format=json",
        f"{base}/publish",
        f"{base}/clone",
        f"{base}/preview/sms",
        f"{base}/preview/ivr",
        f"{base}/preview/agent",
        f"{base}/export/xlsform",
    ):
        assert client.get(url).status_code == 200, url
    for language in before["languages"]:
        assert client.get(f"{base}/preview?language={language}", follow_redirects=True).status_code == 200
    forms = [f"{base}/settings"]
    for p_index, page in enumerate(before["pages"]):
        forms.append(f"{base}/pages/{p_index}")
        forms += [f"{base}/pages/{p_index}/questions/{q}" for q in range(len(page["questions"]))]
    for url in forms:
        page = html(client.get(url))
        response = client.post(url, data=form_data(page, url))
        assert response.status_code == 302, f"{url}: {response.status_code}"
        assert reload(db_session, record).draft == before, url
