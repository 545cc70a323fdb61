"""Deleting a frame: contacts, report and upload go; refused while importing or once sampled."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from survey_app.auth.models import Role
from survey_app.frames.models import Contact, Frame, FrameImportIssue, FrameStatus, IssueAction
from survey_app.frames.uploads import upload_dir
from survey_app.sampling import operations as sampling
from tests.survey_app.frames.helpers import queue_file
from tests.survey_app.sampling.helpers import make_frame, now, spec
from tests.survey_app.surveys.helpers import make_survey


def count(session: Session, model: type, frame_id: int) -> int:
    return session.exec(select(func.count()).select_from(model).where(model.frame_id == frame_id)).one()  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", [Role.researcher, Role.admin])
def test_delete_removes_the_frame_its_contacts_and_report(
    client: FlaskClient, login: Callable, db_session: Session, role: Role
) -> None:
    frame = make_frame(db_session)
    db_session.add(
        FrameImportIssue(frame_id=frame.id, row_number=9, reason="phone_invalid", action=IssueAction.rejected)
    )
    db_session.commit()
    login(role)
    page = client.get(f"/frames/{frame.id}").get_data(as_text=True)
    assert "Delete this frame" in page
    response = client.post(f"/frames/{frame.id}/delete", follow_redirects=True)
    assert response.request.path == "/frames"
    assert "Frame “Customers” deleted." in response.get_data(as_text=True)
    assert db_session.get(Frame, frame.id, populate_existing=True) is None
    assert count(db_session, Contact, frame.id) == count(db_session, FrameImportIssue, frame.id) == 0
    assert client.get(f"/frames/{frame.id}").status_code == 404


def test_delete_is_refused_once_a_sample_was_drawn(
    client: FlaskClient, login: Callable, db_session: Session
) -> None:
    frame, survey = make_frame(db_session), make_survey(db_session)
    sampling.draw_sample(db_session, survey, spec(frame), now=now(), seed=7)
    login(Role.researcher)
    response = client.post(f"/frames/{frame.id}/delete", follow_redirects=True)
    assert "cannot be deleted: a sample of 1 survey(s) was drawn from it" in response.get_data(as_text=True)
    assert db_session.get(Frame, frame.id, populate_existing=True) is not None
    assert count(db_session, Contact, frame.id) == 100


def test_delete_is_refused_while_importing(client: FlaskClient, login: Callable, db_session: Session) -> None:
    frame = Frame(name="Busy", status=FrameStatus.importing)
    db_session.add(frame)
    db_session.commit()
    login(Role.researcher)
    assert "Delete this frame" not in client.get(f"/frames/{frame.id}").get_data(as_text=True)
    response = client.post(f"/frames/{frame.id}/delete", follow_redirects=True)
    assert "The frame is being imported: wait until the import ends" in response.get_data(as_text=True)
    assert db_session.get(Frame, frame.id, populate_existing=True) is not None


def test_deleting_a_queued_frame_deletes_its_upload(
    app: Flask, client: FlaskClient, login: Callable, db_session: Session, run_worker_job: Callable[[], None]
) -> None:
    frame = queue_file(app, db_session)
    login(Role.researcher)
    client.post(f"/frames/{frame.id}/delete")
    assert list(upload_dir(app).iterdir()) == []
    run_worker_job()  # nothing left to claim
    assert db_session.exec(select(Frame)).all() == []


def test_delete_of_an_unknown_frame_is_404(client: FlaskClient, login: Callable) -> None:
    login(Role.admin)
    assert client.post("/frames/999999/delete").status_code == 404


@pytest.mark.parametrize("role", [Role.analyst, Role.agent])
def test_other_roles_may_not_delete(
    client: FlaskClient, login: Callable, db_session: Session, role: Role
) -> None:
    frame = make_frame(db_session, {"north": 2})
    login(role)
    assert client.post(f"/frames/{frame.id}/delete").status_code == 403
    assert db_session.get(Frame, frame.id, populate_existing=True) is not None


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_delete_needs_the_csrf_token(client: FlaskClient, login: Callable, db_session: Session) -> None:
    frame = make_frame(db_session, {"north": 2})
    login(Role.researcher)
    assert client.post(f"/frames/{frame.id}/delete").status_code == 400
    assert db_session.get(Frame, frame.id, populate_existing=True) is not None
