"""Call outcomes: AAPOR codes and the case rules (retry, callback, conversion, final, opt-out)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from survey_app.callcentre.console import dial
from survey_app.callcentre.dispositions import DISPOSITIONS, aapor_category, exhausted_code
from survey_app.callcentre.models import AgentProfile, CallAttempt, QueueStatus
from survey_app.callcentre.outcomes import record_outcome
from survey_app.callcentre.queue import QueueError
from survey_app.callcentre.schedule import DayPart, day_part
from survey_app.fieldwork.models import OptOut
from tests.survey_app.callcentre.helpers import WEDNESDAY_10_SHANGHAI as NOW
from tests.survey_app.callcentre.helpers import claim_entry, make_agent, make_survey, make_vendor, queue_cases


def test_every_disposition_has_a_valid_aapor_code():
    categories = {d.key: aapor_category(d.aapor) for d in DISPOSITIONS}
    assert categories["complete"] == "I"
    assert categories["hard_refusal"] == categories["soft_refusal"] == "R"
    assert categories["no_answer"] == categories["busy"] == "UH"
    assert categories["machine_message"] == "NC"
    assert categories["language_barrier"] == "O"
    assert categories["disconnected"] == categories["not_eligible"] == "NE"
    assert exhausted_code(["3.13", "2.222", "3.12"]) == "2.222"
    assert exhausted_code(["3.13", "3.12"]) == "3.12"


@pytest.fixture
def call(db_session, make_user):
    """A vendor with two agents; agent one holds and has dialled a Shanghai case."""
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agents = [make_agent(db_session, make_user, vendor) for _ in range(2)]
    queue_cases(db_session, survey, vendor, max_attempts=3)
    entry = claim_entry(db_session, db_session.get(AgentProfile, agents[0].id), now=NOW)
    dial(db_session, entry, agents[0].id, now=NOW)
    return db_session, entry, agents


def _claim_and_dial(session, agent, now):
    entry = claim_entry(session, session.get(AgentProfile, agent.id), now=now)
    if entry is not None:
        dial(session, entry, agent.id, now=now)
    return entry


def test_no_answer_retries_later_in_another_day_part_until_attempts_run_out(call):
    session, entry, (agent, _) = call
    attempt = record_outcome(session, entry, agent.id, outcome="no_answer", now=NOW)
    assert (attempt.aapor_code, attempt.final, entry.status) == ("3.13", False, QueueStatus.waiting)
    assert entry.next_due_at >= NOW + dt.timedelta(hours=3)
    assert day_part(entry.next_due_at, entry.timezone) is not DayPart.weekday
    assert _claim_and_dial(session, agent, NOW + dt.timedelta(hours=1)) is None  # not due yet
    now = entry.next_due_at
    for outcome in ("machine_message", "busy"):
        again = _claim_and_dial(session, agent, now)
        assert again is not None
        record_outcome(session, again, agent.id, outcome=outcome, now=now)
        now = again.next_due_at
    assert entry.case_id == again.case_id
    session.refresh(again)
    assert again.status == QueueStatus.final
    assert again.final_code == "2.222"
    assert again.attempts == 3


def test_callback_books_an_exact_local_time_and_rejects_bad_times(call):
    session, entry, (agent, other) = call
    for bad in ("", "soon", "2026-12-02T09:00", "2026-12-02T22:00"):  # empty, garbage, past, after 21:00
        with pytest.raises(QueueError, match="callback_time"):
            record_outcome(session, entry, agent.id, outcome="callback", callback_local=bad, now=NOW)
    assert entry.status == QueueStatus.locked  # nothing lost
    record_outcome(session, entry, agent.id, outcome="callback", callback_local="2026-12-02T19:30", now=NOW)
    booked = dt.datetime(2026, 12, 2, 11, 30, tzinfo=dt.UTC)
    assert entry.appointment_at == booked
    assert entry.next_due_at == booked
    assert _claim_and_dial(session, other, booked - dt.timedelta(minutes=1)) is None
    got = _claim_and_dial(session, other, booked)
    assert got is not None
    assert got.case_id == entry.case_id
    assert got.appointment_at is None


def test_soft_refusal_allows_one_conversion_by_another_agent(call):
    session, entry, (agent, other) = call
    record_outcome(session, entry, agent.id, outcome="soft_refusal", now=NOW)
    assert entry.status == QueueStatus.waiting
    assert entry.refused_by == agent.id
    week = entry.next_due_at
    assert week >= NOW + dt.timedelta(days=7)
    assert _claim_and_dial(session, agent, week) is None  # never back to the agent who took it
    got = _claim_and_dial(session, other, week)
    assert got is not None
    assert got.case_id == entry.case_id
    record_outcome(session, got, other.id, outcome="soft_refusal", now=week)
    session.refresh(got)
    assert got.status == QueueStatus.final
    assert got.final_code == "2.112"
    assert session.exec(select(OptOut)).all() == []


@pytest.mark.parametrize("outcome", ["hard_refusal", "do_not_call"])
def test_hard_refusal_ends_the_case_and_reaches_the_opt_out_list(call, outcome):
    session, entry, (agent, _) = call
    phone = entry.phone
    attempt = record_outcome(session, entry, agent.id, outcome=outcome, now=NOW)
    assert attempt.final
    assert entry.status == QueueStatus.final
    assert entry.final_code == "2.112"
    opt_out = session.exec(select(OptOut)).one()
    assert (opt_out.address, opt_out.source, opt_out.event_key) == (phone, "staff", f"call:{attempt.id}")


def test_outcome_errors_are_specific_and_change_nothing(call):
    session, entry, (agent, other) = call
    with pytest.raises(QueueError, match="outcome"):
        record_outcome(session, entry, agent.id, outcome="vanished", now=NOW)
    with pytest.raises(QueueError, match="not_complete"):
        record_outcome(session, entry, agent.id, outcome="complete", now=NOW)
    with pytest.raises(QueueError, match="not_held"):
        record_outcome(session, entry, other.id, outcome="no_answer", now=NOW)
    assert session.exec(select(CallAttempt)).one().outcome is None
