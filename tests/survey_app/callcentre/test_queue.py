"""The case queue: who gets which case when, and that a case is never served twice at once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from survey_app.callcentre.models import AgentProfile, QueueEntry, QueueStatus, SkipEvent
from survey_app.callcentre.queue import (
    Assignment,
    QueueError,
    _open_zones,
    claim_next_case,
    load_assignments,
    release_stale_locks,
    skip_case,
)
from survey_app.db import get_engine
from survey_app.fieldwork.models import OptOut
from tests.survey_app.callcentre.helpers import (
    WEDNESDAY_10_SHANGHAI,
    claim_entry,
    make_agent,
    make_survey,
    make_vendor,
    queue_cases,
)

NOW = WEDNESDAY_10_SHANGHAI


def profile(session, agent) -> AgentProfile:
    found = session.get(AgentProfile, agent.id)
    assert found is not None
    return found


def test_calling_hours_across_time_zones(db_session, make_user):
    session = db_session
    vendor, survey = make_vendor(session), make_survey(session)
    agent = make_agent(session, make_user, vendor)
    shanghai = queue_cases(session, survey, vendor, timezone="Asia/Shanghai")[0]
    new_york = queue_cases(session, survey, vendor, timezone="America/New_York")[0]
    # 02:00 UTC: 10:00 in Shanghai, 21:00 the evening before in New York (closed).
    first = claim_entry(session, profile(session, agent), now=NOW)
    assert first is not None
    assert first.case_id == shanghai.case.id
    other = make_agent(session, make_user, vendor)
    assert claim_entry(session, profile(session, other), now=NOW) is None
    # 14:00 UTC: 09:00 in New York, 22:00 in Shanghai.
    later = NOW.replace(hour=14)
    got = claim_entry(session, profile(session, other), now=later)
    assert got is not None
    assert got.case_id == new_york.case.id


def test_appointment_is_served_at_its_time_before_higher_priority_cases(db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    urgent = queue_cases(db_session, survey, vendor, priority=5)[0]
    booked = queue_cases(db_session, survey, vendor)[0]
    at = NOW + dt.timedelta(hours=2)
    booked.entry.appointment_at = at
    booked.entry.next_due_at = at
    db_session.add(booked.entry)
    db_session.commit()
    got = claim_entry(db_session, profile(db_session, agent), now=NOW)
    assert got is not None
    assert got.case_id == urgent.case.id
    other = make_agent(db_session, make_user, vendor)
    assert claim_entry(db_session, profile(db_session, other), now=at - dt.timedelta(minutes=1)) is None
    got = claim_entry(db_session, profile(db_session, other), now=at)
    assert got is not None
    assert got.case_id == booked.case.id


def test_priority_first_then_the_random_sort_key(db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    low = queue_cases(db_session, survey, vendor, 3)
    high = queue_cases(db_session, survey, vendor, priority=1)[0]
    for queued, key in zip(low, (0.9, 0.1, 0.5), strict=True):
        queued.entry.sort_key = key
        db_session.add(queued.entry)
    db_session.commit()
    served = []
    for _ in range(4):
        agent = make_agent(db_session, make_user, vendor)
        entry = claim_entry(db_session, profile(db_session, agent), now=NOW)
        assert entry is not None
        served.append(entry.case_id)
    assert served == [high.case.id, low[0].case.id, low[2].case.id, low[1].case.id]


def test_attempt_limit_day_part_share_language_dialect_and_opt_out(db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor, languages=("en",), dialects=())
    used_up, weekday_full, chinese, dialect, opted_out = (
        queue_cases(db_session, survey, vendor)[0],
        queue_cases(db_session, survey, vendor)[0],
        queue_cases(db_session, survey, vendor, language="zh-Hans")[0],
        queue_cases(db_session, survey, vendor)[0],
        queue_cases(db_session, survey, vendor)[0],
    )
    used_up.entry.attempts = used_up.entry.max_attempts = 3
    weekday_full.entry.tries_weekday = 3  # 8 attempts: at most 3 in any one day part
    dialect.entry.dialect = "cantonese"
    for queued in (used_up, weekday_full, dialect):
        db_session.add(queued.entry)
    db_session.add(OptOut(address=opted_out.entry.phone, source="sms_keyword"))
    db_session.commit()
    assert claim_entry(db_session, profile(db_session, agent), now=NOW) is None
    # Weeknight in Shanghai (18:00): the weekday share no longer blocks.
    evening = NOW.replace(hour=10)
    got = claim_entry(db_session, profile(db_session, agent), now=evening)
    assert got is not None
    assert got.case_id == weekday_full.case.id
    polyglot = make_agent(db_session, make_user, vendor, languages=("zh-Hans",), dialects=("cantonese",))
    served = {claim_entry(db_session, profile(db_session, polyglot), now=NOW).case_id}  # type: ignore[union-attr]
    third = make_agent(db_session, make_user, vendor, languages=("zh-Hans",), dialects=("cantonese",))
    served.add(claim_entry(db_session, profile(db_session, third), now=NOW).case_id)  # type: ignore[union-attr]
    assert served == {chinese.case.id, dialect.case.id}


def test_assignment_to_an_agent_and_vendor_pools_are_respected(db_session, make_user):
    vendor_a, vendor_b, survey = make_vendor(db_session), make_vendor(db_session), make_survey(db_session)
    ann = make_agent(db_session, make_user, vendor_a)
    bob = make_agent(db_session, make_user, vendor_a)
    carl = make_agent(db_session, make_user, vendor_b)
    for_bob = queue_cases(db_session, survey, vendor_a, agent=bob)[0]
    assert claim_entry(db_session, profile(db_session, ann), now=NOW) is None
    assert claim_entry(db_session, profile(db_session, carl), now=NOW) is None
    got = claim_entry(db_session, profile(db_session, bob), now=NOW)
    assert got is not None
    assert got.case_id == for_bob.case.id


def test_an_agent_holds_one_case_and_gets_it_again(db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    queue_cases(db_session, survey, vendor, 2)
    first = claim_entry(db_session, profile(db_session, agent), now=NOW)
    again = claim_entry(db_session, profile(db_session, agent), now=NOW)
    assert first is not None
    assert again is not None
    assert again.case_id == first.case_id
    assert first.status == QueueStatus.locked
    assert first.locked_by == agent.id


@pytest.mark.parametrize("read_first", [False, True], ids=["fresh-session", "after-a-read"])
def test_the_claim_is_committed_and_gives_the_case_id(app, db_session, make_user, read_first):
    """Whether or not the session has read in its transaction already (on PostgreSQL the claim
    then runs as its own transaction or is committed in the same round trip), the case is held
    for every other session, and the copy of the row this session had reads as held."""
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    queued = queue_cases(db_session, survey, vendor)[0]
    with Session(get_engine(app), expire_on_commit=False) as session:
        who = profile(session, agent)
        _open_zones(session, vendor.id, NOW)  # kept for a while: not read again by the claim
        copy = session.get(QueueEntry, queued.case.id)  # loaded before the claim: "waiting"
        assert copy is not None
        assert copy.status == QueueStatus.waiting
        if not read_first:
            session.commit()
        case_id = claim_next_case(session, who, now=NOW)
        assert case_id == queued.case.id
        assert not session.in_transaction()  # committed: no connection kept
        assert (copy.status, copy.locked_by, copy.locked_at) == (QueueStatus.locked, agent.id, NOW)
    db_session.expire_all()
    stored = db_session.get(QueueEntry, queued.case.id)
    assert stored is not None
    assert (stored.status, stored.locked_by, stored.updated_at) == (QueueStatus.locked, agent.id, NOW)


def test_skipping_needs_a_reason_and_is_logged(db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    queue_cases(db_session, survey, vendor)
    entry = claim_entry(db_session, profile(db_session, agent), now=NOW)
    assert entry is not None
    for reason, note, code in (("", "", "reason"), ("bored", "", "reason"), ("other", "  ", "note")):
        with pytest.raises(QueueError, match=code):
            skip_case(db_session, entry, agent.id, reason=reason, note=note, now=NOW)
    assert entry.status == QueueStatus.locked  # nothing lost: still held
    skip_case(db_session, entry, agent.id, reason="knows_respondent", note="my neighbour", now=NOW)
    logged = db_session.exec(select(SkipEvent)).one()
    assert (logged.reason, logged.note, logged.agent_id) == ("knows_respondent", "my neighbour", agent.id)
    db_session.refresh(entry)
    assert entry.status == QueueStatus.waiting
    assert entry.next_due_at > NOW
    assert claim_entry(db_session, profile(db_session, agent), now=NOW) is None


def test_stale_locks_without_a_call_are_released(db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    queue_cases(db_session, survey, vendor)
    claim_entry(db_session, profile(db_session, agent), now=NOW)
    assert (
        release_stale_locks(db_session, older_than=dt.timedelta(hours=1), now=NOW + dt.timedelta(minutes=5))
        == 0
    )
    assert (
        release_stale_locks(db_session, older_than=dt.timedelta(hours=1), now=NOW + dt.timedelta(hours=2))
        == 1
    )
    assert db_session.exec(select(QueueEntry)).one().status == QueueStatus.waiting


def test_reloading_the_assignment_moves_waiting_cases_only(db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    ann, bob = make_agent(db_session, make_user, vendor), make_agent(db_session, make_user, vendor)
    first, second = queue_cases(db_session, survey, vendor, 2, agent=ann)
    got = claim_entry(db_session, profile(db_session, ann), now=NOW)
    assert got is not None
    held, waiting = (first, second) if got.case_id == first.case.id else (second, first)
    rows = [
        Assignment(
            case_id=q.case.id, survey_id=survey.id, vendor_id=vendor.id, agent_id=bob.id, phone=q.entry.phone
        )
        for q in (waiting, held)
    ]
    assert load_assignments(db_session, rows, now=NOW) == 0
    db_session.expire_all()
    assert db_session.get(QueueEntry, waiting.case.id).agent_id == bob.id
    assert db_session.get(QueueEntry, held.case.id).agent_id == ann.id  # held: not moved
