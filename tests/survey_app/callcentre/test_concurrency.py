"""Two agents never hold the same case: real concurrent sessions, on both backends."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy import text, update
from sqlmodel import Session, col, select

from survey_app.callcentre.console import dial
from survey_app.callcentre.models import AgentProfile, CallAttempt, QueueEntry, QueueStatus
from survey_app.callcentre.outcomes import record_outcome
from survey_app.callcentre.queue import _open_zones, due_cases
from survey_app.db import get_engine
from tests.survey_app.callcentre.helpers import WEDNESDAY_10_SHANGHAI as NOW
from tests.survey_app.callcentre.helpers import claim_entry, make_agent, make_survey, make_vendor, queue_cases

AGENTS = 8
CASES = 40


def test_many_agents_claiming_at_once_never_share_a_case(app, db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agents = [make_agent(db_session, make_user, vendor) for _ in range(AGENTS)]
    queue_cases(db_session, survey, vendor, CASES)
    engine = get_engine(app)
    claimed: list[tuple[int, int]] = []
    failures: list[BaseException] = []
    start = threading.Barrier(AGENTS)

    def work(agent_id: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                profile = session.get(AgentProfile, agent_id)
                assert profile is not None
                start.wait()
                while (entry := claim_entry(session, profile, now=NOW)) is not None:
                    claimed.append((entry.case_id, agent_id))
                    # The call ends: the case leaves the queue, the agent asks for the next one.
                    session.execute(
                        update(QueueEntry)
                        .where(
                            col(QueueEntry.case_id) == entry.case_id, col(QueueEntry.locked_by) == agent_id
                        )
                        .values(status=QueueStatus.final, locked_by=None)
                    )
                    session.commit()
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(a.id,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    counts = Counter(case_id for case_id, _ in claimed)
    assert len(counts) == CASES, "every case was served"
    assert max(counts.values()) == 1, "no case was served twice"
    assert len({agent for _, agent in claimed}) > 1, "the work was spread over several agents"


@pytest.mark.postgresql_only("SKIP LOCKED; SQLite relies on the conditional UPDATE tested above")
def test_a_row_locked_by_one_agent_is_skipped_not_waited_for(app, db_session, make_user, db_backend):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    first_agent = make_agent(db_session, make_user, vendor)
    second_agent = make_agent(db_session, make_user, vendor)
    queued = queue_cases(db_session, survey, vendor, 2)
    queued[0].entry.priority = 1
    db_session.add(queued[0].entry)
    db_session.commit()
    engine = get_engine(app)
    with Session(engine) as holder, Session(engine, expire_on_commit=False) as other:
        # Agent one's transaction has selected the best row FOR UPDATE and not yet committed.
        profile = holder.get(AgentProfile, first_agent.id)
        assert profile is not None
        statement = due_cases(profile, _open_zones(holder, vendor.id, NOW), NOW)  # type: ignore[arg-type]
        locked = holder.exec(statement.limit(1).with_for_update(skip_locked=True, of=QueueEntry)).one()
        assert locked.case_id == queued[0].case.id
        # Agent two must get the other case at once, not block behind the lock.
        other.execute(text("SET LOCAL lock_timeout = '2s'"))
        second = other.get(AgentProfile, second_agent.id)
        assert second is not None
        got = claim_entry(other, second, now=NOW)
        assert got is not None
        assert got.case_id == queued[1].case.id
        holder.rollback()


STRESS_AGENTS = 200
STRESS_CASES = 400


@pytest.mark.slow
@pytest.mark.postgresql_only("SQLite serialises writers: the many-agent stress targets PostgreSQL")
def test_200_simulated_agents_on_postgresql_never_share_a_case(app, db_session, make_user, db_backend):
    """Stress: 200 agent threads loop next case → dial → final outcome over 20 pooled connections."""
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agents = [make_agent(db_session, make_user, vendor) for _ in range(STRESS_AGENTS)]
    queue_cases(db_session, survey, vendor, STRESS_CASES)
    engine = sa.create_engine(get_engine(app).url, pool_size=20, max_overflow=0, pool_timeout=120)
    failures: list[BaseException] = []
    start = threading.Barrier(STRESS_AGENTS)

    def work(agent_id: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                profile = session.get(AgentProfile, agent_id)
                assert profile is not None
                session.commit()  # give the connection back while waiting at the barrier
                start.wait()
                while (entry := claim_entry(session, profile, now=NOW)) is not None:
                    dial(session, entry, agent_id, now=NOW)
                    time.sleep(0.005)  # the call: the connection is back in the pool meanwhile
                    record_outcome(session, entry, agent_id, outcome="not_eligible", now=NOW)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(a.id,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    engine.dispose()
    assert not failures, failures[:3]
    attempts = db_session.exec(select(CallAttempt.case_id, CallAttempt.agent_id)).all()
    per_case = Counter(case_id for case_id, _ in attempts)
    assert len(per_case) == STRESS_CASES, "every case was served"
    assert max(per_case.values()) == 1, "no case was dialled by two agents"
    assert len({agent for _, agent in attempts}) > 20, "the work was spread over many agents"
    assert db_session.exec(select(QueueEntry.status).distinct()).all() == [QueueStatus.final]
