"""The fieldwork monitor: counts by channel and by stratum, today's sends, next steps, pauses."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select

from survey_app.auth.models import Role
from survey_app.db import utcnow
from survey_app.fieldwork import monitor, operations
from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkPause, FieldworkPlan
from tests.survey_app.fieldwork.conftest import launch, make_case, make_interview, make_survey, plan

NOW = utcnow().replace(microsecond=0)
TODAY = NOW.replace(hour=0, minute=0, second=0)
STAGES = (
    "sampled",
    "attempted",
    "delivered",
    "started",
    "completed",
    "partial",
    "refused",
    "opted_out",
    "unreachable",
)


def set_state(session, case, channel: str, state: AttemptState, *, reason=None, sent_at=None) -> None:
    attempt = session.exec(
        select(ContactAttempt).where(ContactAttempt.case_id == case.id, ContactAttempt.channel == channel)
    ).one()
    attempt.state, attempt.skip_reason, attempt.sent_at = state, reason, sent_at
    session.add(attempt)
    session.commit()


@pytest.fixture
def fieldwork(app, db_session):
    """Six cases in two strata, in known states (see each line), and one pilot case."""
    survey = make_survey(db_session)
    north = [
        make_case(db_session, survey, email=f"n{i}@example.org", phone=f"+1415555010{i}", stratum="north")
        for i in range(3)
    ]
    south = [
        make_case(db_session, survey, email="s0@example.org", phone="+14155550200", stratum="south"),
        make_case(db_session, survey, phone="+14155550201", stratum="south"),  # no e-mail address
        make_case(db_session, survey, email="s2@example.org", phone="+14155550202", stratum="south"),
    ]
    pilot = make_case(db_session, survey, email="pilot@example.org", stratum="north")
    pilot.is_test = True
    db_session.add(pilot)
    db_session.commit()
    launch(db_session, survey, [{"channel": "email", "day": 0}, {"channel": "sms", "day": 2}], now=NOW)
    plan(app, db_session, NOW)
    yesterday = NOW - dt.timedelta(days=1)
    n1, n2, n3 = north
    s1, s2, _s3 = south
    # north 1: e-mail sent today, completed; its SMS skipped.
    set_state(db_session, n1, "email", AttemptState.sent, sent_at=NOW)
    set_state(db_session, n1, "sms", AttemptState.skipped, reason="completed")
    make_interview(db_session, survey, n1, "complete")
    # north 2: e-mail sent yesterday, partial.
    set_state(db_session, n2, "email", AttemptState.sent, sent_at=yesterday)
    make_interview(db_session, survey, n2, "partial")
    # north 3: e-mail bounced, SMS delivered today, broke off.
    set_state(db_session, n3, "email", AttemptState.bounced, sent_at=NOW)
    set_state(db_session, n3, "sms", AttemptState.delivered, sent_at=NOW)
    make_interview(db_session, survey, n3, "break_off", channel="sms")
    # south 1: e-mail sent today, then opted out by the link.
    set_state(db_session, s1, "email", AttemptState.sent, sent_at=NOW)
    operations.record_opt_out(
        db_session, ["s0@example.org"], source="email_link", survey_id=survey.id, event_key="x", now=NOW
    )
    # south 2: no e-mail address, SMS failed: unreachable.
    set_state(db_session, s2, "email", AttemptState.skipped, reason="no_address")
    set_state(db_session, s2, "sms", AttemptState.failed, sent_at=NOW)
    # south 3: nothing yet.
    return survey


def row(rows, label: str) -> dict[str, int]:
    (found,) = [r for r in rows if r.label == label]
    return {stage: getattr(found, stage) for stage in STAGES}


def expect(*values: int) -> dict[str, int]:
    return dict(zip(STAGES, values, strict=True))


def test_counts_by_channel(db_session, fieldwork):
    rows = monitor.query_by_channel(db_session, fieldwork.id)
    assert [r.label for r in rows] == ["email", "sms"]
    #                                     sampled att del started compl part refused opted unreachable
    assert row(rows, "email") == expect(6, 4, 3, 3, 1, 1, 2, 1, 2)
    assert row(rows, "sms") == expect(6, 2, 1, 3, 1, 1, 2, 1, 1)


def test_counts_by_stratum_leave_out_pilot_cases(db_session, fieldwork):
    rows = monitor.query_by_stratum(db_session, fieldwork.id)
    assert [r.label for r in rows] == ["north", "south"]
    assert row(rows, "north") == expect(3, 3, 3, 3, 1, 1, 1, 0, 0)
    assert row(rows, "south") == expect(3, 2, 1, 0, 0, 0, 1, 1, 1)


def test_sends_today_and_next_steps(db_session, fieldwork):
    assert monitor.query_sent_today(db_session, fieldwork.id, TODAY) == {"email": 3, "sms": 2}
    steps = monitor.query_next_steps(db_session, fieldwork.id)
    # South 3's invitation is due now; the SMS step waits for north 2, south 1 and south 3.
    assert [(s.channel, s.step, s.kind, s.count, s.due_at) for s in steps] == [
        ("email", 0, "invite", 1, NOW),
        ("sms", 1, "invite", 3, NOW + dt.timedelta(days=2)),
    ]


def test_the_page_shows_the_counts(client, login, fieldwork):
    login(Role.analyst)
    html = client.get(f"/fieldwork/surveys/{fieldwork.id}").get_data(as_text=True)
    compact = re.sub(r">\s+<", "><", html)
    for label, numbers in (
        ("E-mail", (6, 4, 3, 3, 1, 1, 2, 1, 2)),
        ("SMS", (6, 2, 1, 3, 1, 1, 2, 1, 1)),
        ("north", (3, 3, 3, 3, 1, 1, 1, 0, 0)),
        ("south", (3, 2, 1, 0, 0, 0, 1, 1, 1)),
    ):
        cells = "".join(f"<td>{n}</td>" for n in numbers)
        assert f'<th scope="row">{label}</th>{cells}' in compact, label
    # Sent today (e-mail 3, SMS 2), and the two steps waiting.
    assert '<th scope="row">E-mail</th><td>3</td>' in compact
    assert '<th scope="row">SMS</th><td>2</td>' in compact
    assert "<td>Automated call</td>" not in compact
    assert "Next scheduled steps" in html
    assert "<td>3</td></tr>" in compact  # three SMS waiting


def test_an_empty_survey_has_a_clear_page(client, login, db_session):
    survey = make_survey(db_session)
    login(Role.researcher)
    html = client.get(f"/fieldwork/surveys/{survey.id}").get_data(as_text=True)
    assert "This survey has no channel plan yet." in html
    assert "No contact attempts are planned yet." in html


@pytest.mark.parametrize(
    ("form", "stored"),
    [
        ({}, ("survey", None)),
        ({"channel": "sms"}, ("channel", "sms")),
        ({"wave": "2"}, ("wave", "2")),
    ],
)
def test_researchers_pause_and_resume_a_survey_a_channel_or_a_wave(
    client, login, db_session, fieldwork, form, stored
):
    login(Role.researcher)
    response = client.post(f"/fieldwork/surveys/{fieldwork.id}/pause", data=form)
    assert response.status_code == 302
    db_session.expire_all()
    plan_row = db_session.exec(select(FieldworkPlan).where(FieldworkPlan.survey_id == fieldwork.id)).one()
    pauses = [(p.scope, p.value) for p in db_session.exec(select(FieldworkPause))]
    scope, value = stored
    if scope == "survey":
        assert plan_row.paused is True
        assert pauses == []
    else:
        assert plan_row.paused is False
        assert pauses == [(scope, value)]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "paused" in page.lower()
    client.post(f"/fieldwork/surveys/{fieldwork.id}/resume", data=form)
    db_session.expire_all()
    assert (
        db_session.exec(select(FieldworkPlan).where(FieldworkPlan.survey_id == fieldwork.id)).one().paused
        is False
    )
    assert db_session.exec(select(FieldworkPause)).all() == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"channel": "fax"}, "There is no channel “fax” in this survey’s sending."),
        ({"wave": "zero"}, "A wave is a whole number from 1."),
        ({"channel": "sms", "wave": "1"}, "Pause a channel or a wave, not both at once."),
    ],
)
def test_bad_pause_requests_get_a_specific_message_and_change_nothing(
    client, login, db_session, fieldwork, form, message
):
    login(Role.researcher)
    response = client.post(f"/fieldwork/surveys/{fieldwork.id}/pause", data=form, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.exec(select(FieldworkPause)).all() == []
    assert (
        db_session.exec(select(FieldworkPlan).where(FieldworkPlan.survey_id == fieldwork.id)).one().paused
        is False
    )


def test_analysts_see_the_monitor_but_cannot_pause(client, login, fieldwork):
    login(Role.analyst)
    assert client.get(f"/fieldwork/surveys/{fieldwork.id}").status_code == 200
    assert client.post(f"/fieldwork/surveys/{fieldwork.id}/pause").status_code == 403


def test_today_starts_at_midnight_in_the_staff_time_zone():
    from survey_app.fieldwork.controllers import today_start

    instant = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, 22:00 on the 9th in New York
    assert today_start(instant, "Asia/Shanghai") == dt.datetime(2026, 6, 9, 16, 0, tzinfo=dt.UTC)
    assert today_start(instant, "America/New_York") == dt.datetime(2026, 6, 9, 4, 0, tzinfo=dt.UTC)
    assert today_start(instant, "UTC") == dt.datetime(2026, 6, 10, 0, 0, tzinfo=dt.UTC)
