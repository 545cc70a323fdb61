"""Agents' working hours restrict "next case"; stale locks are released by the worker's job."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from survey_app.callcentre import console_controllers, tasks
from survey_app.callcentre.models import AgentProfile, QueueEntry, QueueStatus
from survey_app.callcentre.queue import QueueError
from survey_app.callcentre.schedule import in_working_hours
from survey_app.scheduling import runner
from tests.survey_app.callcentre.helpers import (
    WEDNESDAY_10_SHANGHAI,
    claim_entry,
    make_agent,
    make_survey,
    make_vendor,
    queue_cases,
)

#: 19:00 in Shanghai: after a 09:00-18:00 shift there, still in the respondent's calling hours.
EVENING = WEDNESDAY_10_SHANGHAI + dt.timedelta(hours=9)


def shift_agent(session, make_user, vendor):
    return make_agent(
        session, make_user, vendor, work_start="09:00", work_end="18:00", timezone="Asia/Shanghai"
    )


def test_working_hours_are_local_to_the_agent_and_half_open():
    assert in_working_hours(WEDNESDAY_10_SHANGHAI, "09:00", "18:00", "Asia/Shanghai")
    assert not in_working_hours(WEDNESDAY_10_SHANGHAI, "09:00", "18:00", "UTC")  # 02:00 in UTC
    assert not in_working_hours(WEDNESDAY_10_SHANGHAI.replace(hour=10), "09:00", "18:00", "Asia/Shanghai")
    assert in_working_hours(WEDNESDAY_10_SHANGHAI.replace(hour=1), "09:00", "18:00", "Asia/Shanghai")
    assert not in_working_hours(WEDNESDAY_10_SHANGHAI, "nine", "18:00", "Asia/Shanghai")


def test_next_case_outside_working_hours_serves_nothing(db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = shift_agent(db_session, make_user, vendor)
    queue_cases(db_session, survey, vendor, 2)
    profile = db_session.get(AgentProfile, agent.id)
    with pytest.raises(QueueError, match="off_hours"):
        claim_entry(db_session, profile, now=EVENING)
    assert db_session.exec(select(QueueEntry.status)).all() == [QueueStatus.waiting] * 2
    # Within the shift the same agent is served.
    assert claim_entry(db_session, profile, now=WEDNESDAY_10_SHANGHAI) is not None


def test_a_case_held_at_the_end_of_the_shift_can_be_finished(db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = shift_agent(db_session, make_user, vendor)
    queue_cases(db_session, survey, vendor)
    profile = db_session.get(AgentProfile, agent.id)
    held = claim_entry(db_session, profile, now=WEDNESDAY_10_SHANGHAI)
    assert held is not None
    again = claim_entry(db_session, profile, now=EVENING)
    assert again is not None
    assert again.case_id == held.case_id


def test_console_says_why_no_case_is_served(client, db_session, make_user, login, monkeypatch):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = shift_agent(db_session, make_user, vendor)
    queue_cases(db_session, survey, vendor)
    monkeypatch.setattr(console_controllers, "utcnow", lambda: EVENING)
    login(agent)
    page = client.post("/callcentre/console/next", follow_redirects=True).get_data(as_text=True)
    assert "outside your working hours (09:00–18:00, Asia/Shanghai)" in page
    assert db_session.exec(select(QueueEntry.locked_by)).all() == [None]


def test_the_worker_job_releases_stale_locks(app, db_session, make_user, monkeypatch):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    fresh, stale = queue_cases(db_session, survey, vendor, 2)
    long_ago = dt.datetime.now(dt.UTC) - tasks.STALE_LOCK_AFTER - dt.timedelta(minutes=1)
    for entry, locked_at in ((stale.entry, long_ago), (fresh.entry, dt.datetime.now(dt.UTC))):
        entry.status, entry.locked_by, entry.locked_at = QueueStatus.locked, agent.id, locked_at
        db_session.add(entry)
    db_session.commit()
    monkeypatch.setattr(runner, "_APP", app)
    tasks.release_stale_locks()
    db_session.expire_all()
    assert db_session.get(QueueEntry, stale.case.id).status == QueueStatus.waiting
    assert db_session.get(QueueEntry, stale.case.id).locked_by is None
    assert db_session.get(QueueEntry, fresh.case.id).status == QueueStatus.locked
