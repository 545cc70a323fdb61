"""Randomised assignment: balance overall and within strata, stored and auditable, reproducible,
and moves only as logged events with a reason (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import Session, select

from survey_app.auth.models import Role
from survey_app.sampling import assignments as assigning
from survey_app.sampling import operations, queries
from survey_app.sampling.models import Assignment, AssignmentRun, CaseMove
from survey_app.sampling.spec import SampleError
from survey_app.surveys.models import Case
from tests.survey_app.sampling.helpers import make_frame, now, spec
from tests.survey_app.surveys.helpers import make_survey


def drawn(db_session: Session, *, seed: int = 11, n: int = 23, name: str = "S", frame=None, **fields):
    frame = frame or make_frame(db_session)
    survey = make_survey(db_session, name=name)
    operations.draw_sample(db_session, survey, spec(frame, n=n, **fields), now=now(), seed=seed)
    return frame, survey


def assignments(db_session: Session, survey_id: int) -> list[tuple[Assignment, Case]]:
    return list(
        db_session.exec(
            select(Assignment, Case)
            .join(Case, Case.id == Assignment.case_id)
            .where(Assignment.survey_id == survey_id)
        ).all()
    )


def test_assignment_is_balanced_overall_and_within_strata_and_stored(db_session: Session, make_user) -> None:
    agents = [make_user(Role.agent) for _ in range(3)]
    researcher = make_user()
    _, survey = drawn(db_session)
    run = assigning.assign_cases(
        db_session,
        survey,
        assignee_kind="agent",
        pools={"": [a.id for a in agents]},
        seed=5,
        user_id=researcher.id,
        now=now(),
    )
    stored = db_session.get(AssignmentRun, run.id)
    assert (stored.seed, stored.case_count, stored.created_by_id, stored.assignee_kind) == (
        5,
        23,
        researcher.id,
        "agent",
    )
    rows = assignments(db_session, survey.id)
    assert len(rows) == 23
    assert all(a.run_id == run.id and a.as_drawn for a, _ in rows)
    overall = Counter(a.assignee_id for a, _ in rows)
    assert set(overall) == {a.id for a in agents}
    assert max(overall.values()) - min(overall.values()) <= 1
    for stratum in ("islands", "north", "south"):
        per = Counter(a.assignee_id for a, c in rows if c.stratum == stratum)
        counts = [per.get(agent.id, 0) for agent in agents]
        assert max(counts) - min(counts) <= 1, stratum
    summary = queries.summarize_assignments(db_session, survey.id)
    assert summary.strata == ["islands", "north", "south"]
    assert sorted(summary.total(k) for k in summary.counts) == sorted(overall.values())
    with pytest.raises(SampleError, match="assigned already"):
        assigning.assign_cases(
            db_session, survey, assignee_kind="agent", pools={"": [agents[0].id]}, now=now()
        )


def test_same_seeds_give_the_same_cases_and_the_same_assignment(db_session: Session, make_user) -> None:
    agents = [make_user(Role.agent).id for _ in range(4)]
    frame = make_frame(db_session)
    results = []
    for name, seed in (("A", 31), ("B", 31), ("C", 32)):
        _, survey = drawn(db_session, frame=frame, name=name)
        assigning.assign_cases(
            db_session, survey, assignee_kind="agent", pools={"": agents}, seed=seed, now=now()
        )
        results.append(sorted((c.contact_id, a.assignee_id) for a, c in assignments(db_session, survey.id)))
    assert results[0] == results[1]
    assert results[0] != results[2]


def test_vendors_and_language_pools(db_session: Session, make_user) -> None:
    for vendor in (1, 2):
        make_user(Role.vendor_manager, vendor_id=vendor)
    _, survey = drawn(db_session, n=20)
    assigning.assign_cases(db_session, survey, assignee_kind="vendor", pools={"": [1, 2]}, seed=1, now=now())
    counts = Counter(a.assignee_id for a, _ in assignments(db_session, survey.id))
    assert counts == {1: 10, 2: 10}

    en = [make_user(Role.agent).id for _ in range(2)]
    zh = [make_user(Role.agent).id]
    _, pooled = drawn(db_session, n=20, name="Pooled", frame=make_frame(db_session, prefix="p"))
    assigning.assign_cases(
        db_session,
        pooled,
        assignee_kind="agent",
        pools={"en": en, "zh-Hans": zh},
        pool_by="language",
        seed=2,
        now=now(),
    )
    for assignment, case in assignments(db_session, pooled.id):
        assert assignment.assignee_id in (en if case.language == "en" else zh)
        assert assignment.pool == case.language


@pytest.mark.parametrize(
    ("kind", "pools", "pool_by", "message"),
    [
        ("agent", {"": []}, None, "at least one agent or vendor"),
        ("agent", {"": [999]}, None, "not active call agents: 999"),
        ("vendor", {"": [42]}, None, "vendors have no active user: 42"),
        ("agent", {"en": "AGENT"}, "language", "no interviewer pool for 'zh-Hans'"),
    ],
)
def test_bad_assignments_are_refused_and_write_nothing(
    db_session: Session, make_user, kind, pools, pool_by, message
) -> None:
    agent = make_user(Role.agent)
    pools = {k: [agent.id] if v == "AGENT" else v for k, v in pools.items()}
    _, survey = drawn(db_session)
    with pytest.raises(SampleError, match=message):
        assigning.assign_cases(
            db_session, survey, assignee_kind=kind, pools=pools, pool_by=pool_by, now=now()
        )
    db_session.rollback()
    assert assignments(db_session, survey.id) == []
    assert queries.query_runs(db_session, survey.id) == []


def test_assigning_before_drawing_is_refused(db_session: Session, make_user) -> None:
    survey = make_survey(db_session)
    with pytest.raises(SampleError, match="Draw the sample before assigning"):
        assigning.assign_cases(
            db_session, survey, assignee_kind="agent", pools={"": [make_user(Role.agent).id]}, now=now()
        )


def test_moving_a_case_is_a_logged_event_with_a_reason(db_session: Session, make_user) -> None:
    first, second = make_user(Role.agent), make_user(Role.agent)
    supervisor = make_user()
    _, survey = drawn(db_session)
    assigning.assign_cases(
        db_session, survey, assignee_kind="agent", pools={"": [first.id]}, seed=3, now=now()
    )
    case_id = assignments(db_session, survey.id)[0][0].case_id
    with pytest.raises(SampleError, match="Say why"):
        assigning.move_case(db_session, survey, case_id, second.id, "  ", user_id=supervisor.id, now=now())
    with pytest.raises(SampleError, match="not active call agents"):
        assigning.move_case(
            db_session, survey, case_id, supervisor.id, "speaks Cantonese", user_id=None, now=now()
        )
    with pytest.raises(SampleError, match="already assigned there"):
        assigning.move_case(
            db_session, survey, case_id, first.id, "speaks Cantonese", user_id=None, now=now()
        )
    with pytest.raises(SampleError, match="not assigned in this survey"):
        assigning.move_case(db_session, survey, 10**6, second.id, "speaks Cantonese", user_id=None, now=now())
    db_session.rollback()
    assert db_session.exec(select(CaseMove)).all() == []

    assigning.move_case(
        db_session,
        survey,
        case_id,
        second.id,
        " Respondent asked for a Cantonese speaker ",
        user_id=supervisor.id,
        now=now(),
    )
    assignment = db_session.get(Assignment, case_id)
    assert (assignment.assignee_id, assignment.as_drawn) == (second.id, False)
    [move] = queries.query_moves(db_session, survey.id)
    assert (move.case_id, move.from_id, move.to_id, move.moved_by_id, move.reason) == (
        case_id,
        first.id,
        second.id,
        supervisor.id,
        "Respondent asked for a Cantonese speaker",
    )
