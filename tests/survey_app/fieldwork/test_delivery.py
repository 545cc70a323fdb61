"""Planning and sending steps: calling hours per respondent, skips, preferred channel, pauses."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from survey_app.fieldwork import operations, planning
from survey_app.fieldwork.models import AttemptState, ContactAttempt
from survey_app.surveys.models import Interview, InterviewSource
from tests.survey_app.fieldwork.conftest import launch, make_case, make_survey, plan, plan_document, send

# Wednesday 10 June 2026, 13:30 UTC: 21:30 in Shanghai (closed), 09:30 in New York (open).
NOW = dt.datetime(2026, 6, 10, 13, 30, tzinfo=dt.UTC)
HOURS = {"window": ["08:00", "21:00"]}
EMAIL_THEN_REMINDER = [{"channel": "email", "day": 0}, {"channel": "email", "day": 3, "kind": "reminder"}]


def attempts_of(session, case_id: int) -> list[ContactAttempt]:
    session.expire_all()
    return list(
        session.exec(
            select(ContactAttempt).where(ContactAttempt.case_id == case_id).order_by(ContactAttempt.step)
        )
    )


def test_steps_are_due_in_each_respondents_calling_hours(app, db_session, mailbox):
    survey = make_survey(db_session)
    shanghai = make_case(db_session, survey, email="li@example.cn", timezone="Asia/Shanghai")
    new_york = make_case(db_session, survey, email="ann@example.org", timezone="America/New_York")
    unknown = make_case(db_session, survey, email="bo@example.org")  # the plan's zone: Asia/Shanghai
    launch(db_session, survey, EMAIL_THEN_REMINDER, now=NOW, timezone="Asia/Shanghai", **HOURS)
    assert plan(app, db_session, NOW) == 6
    assert plan(app, db_session, NOW) == 0  # idempotent
    first_sh, reminder_sh = attempts_of(db_session, shanghai.id)
    assert first_sh.due_at == dt.datetime(2026, 6, 11, 0, 0, tzinfo=dt.UTC)  # 08:00 next day there
    # Day 3 at the launch wall time (21:30 there) is closed: 08:00 the morning after.
    assert reminder_sh.due_at == dt.datetime(2026, 6, 14, 0, 0, tzinfo=dt.UTC)
    assert attempts_of(db_session, unknown.id)[0].due_at == first_sh.due_at
    first_ny, reminder_ny = attempts_of(db_session, new_york.id)
    assert first_ny.due_at == NOW
    assert reminder_ny.due_at == NOW + dt.timedelta(days=3)
    assert send(app, db_session, "email", NOW) == {"sent": 1}
    assert [r.recipients for r in mailbox.received] == [["ann@example.org"]]
    # Shanghai morning: the other two go.
    assert send(app, db_session, "email", first_sh.due_at) == {"sent": 2}


def test_a_changed_window_defers_at_send_time_in_the_respondents_zone(app, db_session, mailbox):
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="li@example.cn", timezone="Asia/Shanghai")
    launch(db_session, survey, [{"channel": "email", "day": 0}], now=NOW)  # open all day
    plan(app, db_session, NOW)
    # Weekdays only and a holiday on Thursday 11 June: Wednesday 21:30 -> Friday 12 June 08:00 there.
    operations.save_plan(
        db_session,
        survey.id,
        plan_document(
            [{"channel": "email", "day": 0}], days=[0, 1, 2, 3, 4], holidays=["2026-06-11"], **HOURS
        ),
        now=NOW,
    )
    assert send(app, db_session, "email", NOW) == {"deferred": 1}
    (attempt,) = attempts_of(db_session, case.id)
    assert attempt.state is AttemptState.planned
    assert attempt.due_at == dt.datetime(2026, 6, 12, 0, 0, tzinfo=dt.UTC)
    assert mailbox.received == []


def test_skips_completed_opted_out_no_address_and_max_attempts(app, db_session, mailbox):
    survey = make_survey(db_session)
    done = make_case(db_session, survey, email="done@example.org")
    opted = make_case(db_session, survey, email="opted@example.org")
    no_address = make_case(db_session, survey, phone="+14155550123")
    capped = make_case(db_session, survey, email="capped@example.org")
    launch(db_session, survey, EMAIL_THEN_REMINDER, now=NOW, max_attempts=1)
    plan(app, db_session, NOW)
    db_session.add(
        Interview(
            survey_id=survey.id,
            case_id=done.id,
            version_id=survey.version_id,
            source=InterviewSource.personal,
            channel="web",
            language="en",
            status="complete",
            state={},
            step_key="done",
            completed_at=NOW,
        )
    )
    db_session.commit()
    operations.record_opt_out(
        db_session, ["OPTED@example.org"], source="staff", survey_id=None, event_key="t", now=NOW
    )
    assert send(app, db_session, "email", NOW) == {
        "skipped:completed": 1,
        "skipped:opted_out": 1,
        "skipped:no_address": 1,
        "sent": 1,
    }
    assert [r.recipients for r in mailbox.received] == [["capped@example.org"]]
    # The reminder: the one case that got the invitation reached max_attempts=1.
    assert send(app, db_session, "email", NOW + dt.timedelta(days=3))["skipped:max_attempts"] == 1
    assert [a.skip_reason for a in attempts_of(db_session, capped.id)] == [None, "max_attempts"]
    for case, reason in ((done, "completed"), (opted, "opted_out"), (no_address, "no_address")):
        assert {a.skip_reason for a in attempts_of(db_session, case.id)} == {reason}
    assert len(mailbox.received) == 1


def test_a_closed_survey_sends_nothing_more(app, db_session, mailbox):
    survey = make_survey(db_session, closes_at=NOW - dt.timedelta(days=1))
    case = make_case(db_session, survey, email="ann@example.org")
    launch(db_session, survey, [{"channel": "email", "day": 0}], now=NOW)
    plan(app, db_session, NOW)
    assert send(app, db_session, "email", NOW) == {"skipped:closed": 1}
    assert attempts_of(db_session, case.id)[0].state is AttemptState.skipped


def test_a_survey_not_open_yet_waits_for_its_opening(app, db_session, mailbox):
    opens = NOW + dt.timedelta(days=2)
    survey = make_survey(db_session, opens_at=opens)
    case = make_case(db_session, survey, email="ann@example.org")
    launch(db_session, survey, [{"channel": "email", "day": 0}], now=NOW)
    plan(app, db_session, NOW)
    assert send(app, db_session, "email", NOW) == {"deferred": 1}
    assert attempts_of(db_session, case.id)[0].due_at == opens
    assert send(app, db_session, "email", opens) == {"sent": 1}


def test_preferred_channel_gets_only_its_steps_and_test_cases_none(app, db_session):
    survey = make_survey(db_session)
    sms_person = make_case(
        db_session, survey, email="a@example.org", phone="+14155550123", preferred_channel="sms"
    )
    anyone = make_case(db_session, survey, email="b@example.org", phone="+14155550124")
    # Prefers SMS but has no phone: gets every step rather than none it could receive.
    no_phone = make_case(db_session, survey, email="d@example.org", preferred_channel="sms")
    pilot = make_case(db_session, survey, email="c@example.org")
    pilot.is_test = True
    db_session.add(pilot)
    db_session.commit()
    steps = [{"channel": "email", "day": 0}, {"channel": "sms", "day": 2, "kind": "reminder"}]
    launch(db_session, survey, steps, now=NOW)
    plan(app, db_session, NOW)
    assert [a.channel for a in attempts_of(db_session, sms_person.id)] == ["sms"]
    assert [a.channel for a in attempts_of(db_session, no_phone.id)] == ["email", "sms"]
    assert [a.channel for a in attempts_of(db_session, anyone.id)] == ["email", "sms"]
    assert attempts_of(db_session, pilot.id) == []


def test_nothing_is_planned_before_launch_or_while_paused(app, db_session):
    survey = make_survey(db_session)
    make_case(db_session, survey, email="a@example.org")
    operations.save_plan(db_session, survey.id, plan_document([{"channel": "email"}]), now=NOW)
    assert plan(app, db_session, NOW) == 0
    operations.launch(db_session, survey.id, now=NOW)
    operations.set_paused(db_session, survey.id, True, now=NOW)
    assert plan(app, db_session, NOW) == 0
    operations.set_paused(db_session, survey.id, False, now=NOW)
    assert plan(app, db_session, NOW) == 1


def test_pausing_a_channel_or_a_wave_holds_back_only_those_attempts(app, db_session, mailbox, fake_twilio):
    from tests.survey_app.fieldwork.conftest import twilio_settings

    twilio_settings(app, fake_twilio)
    survey = make_survey(db_session)
    first = make_case(db_session, survey, email="w1@example.org", phone="+14155550101", wave=1)
    second = make_case(db_session, survey, email="w2@example.org", phone="+14155550102", wave=2)
    launch(db_session, survey, [{"channel": "email", "day": 0}, {"channel": "sms", "day": 0}], now=NOW)
    plan(app, db_session, NOW)
    operations.set_paused(db_session, survey.id, True, now=NOW, wave=2)
    operations.set_paused(db_session, survey.id, True, now=NOW, channel="sms")
    operations.set_paused(db_session, survey.id, True, now=NOW, channel="sms")  # idempotent
    assert send(app, db_session, "email", NOW) == {"sent": 1}
    assert send(app, db_session, "sms", NOW) == {}
    assert [r.recipients for r in mailbox.received] == [["w1@example.org"]]
    operations.set_paused(db_session, survey.id, False, now=NOW, channel="sms")
    assert send(app, db_session, "sms", NOW) == {"sent": 1}
    operations.set_paused(db_session, survey.id, False, now=NOW, wave=2)
    assert send(app, db_session, "email", NOW) == {"sent": 1}
    assert send(app, db_session, "sms", NOW) == {"sent": 1}
    for case in (first, second):
        assert {a.state for a in attempts_of(db_session, case.id)} == {AttemptState.sent}


def test_pausing_the_whole_survey_holds_back_every_channel(app, db_session, mailbox):
    survey = make_survey(db_session)
    make_case(db_session, survey, email="a@example.org")
    launch(db_session, survey, [{"channel": "email", "day": 0}], now=NOW)
    plan(app, db_session, NOW)
    operations.set_paused(db_session, survey.id, True, now=NOW)
    assert send(app, db_session, "email", NOW) == {}
    operations.set_paused(db_session, survey.id, False, now=NOW)
    assert send(app, db_session, "email", NOW) == {"sent": 1}


def test_pause_errors_are_specific(app, db_session):
    import pytest

    survey = make_survey(db_session)
    with pytest.raises(operations.queries.NotFound, match="has no channel plan"):
        operations.set_paused(db_session, survey.id, True, now=NOW)
    operations.save_plan(db_session, survey.id, plan_document([{"channel": "email"}]), now=NOW)
    with pytest.raises(operations.PauseError, match="unknown channel 'fax': use one of email, sms, ivr"):
        operations.set_paused(db_session, survey.id, True, now=NOW, channel="fax")
    with pytest.raises(operations.PauseError, match="a wave is a whole number from 1, got 0"):
        operations.set_paused(db_session, survey.id, True, now=NOW, wave=0)


def test_one_planning_run_plans_every_case_batch_by_batch(app, db_session, monkeypatch):
    monkeypatch.setattr(planning, "PLAN_BATCH", 2)
    survey = make_survey(db_session)
    cases = [make_case(db_session, survey, email=f"p{n}@example.org") for n in range(5)]
    launch(db_session, survey, EMAIL_THEN_REMINDER, now=NOW)
    assert plan(app, db_session, NOW) == 10
    assert all(len(attempts_of(db_session, case.id)) == 2 for case in cases)
