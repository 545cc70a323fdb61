"""Planning writes its rows in bulk (``fieldwork.bulk``): the stored rows are those Core statements wrote.

``plan_waves`` writes with ``COPY`` and an array ``UPDATE`` on PostgreSQL and raw DBAPI
``executemany`` on SQLite, with values encoded once by SQLAlchemy's own bind processing. These
tests compute the rows the way the earlier Core-statement planner did, write them with Core
statements, and compare what the database holds, value for value as the driver returns it (so a
different text form of a date on SQLite would show), and through the ORM. Then: a crash in the
middle of a batch loses that batch only, and the next run plans exactly the cases left.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import delete, insert, update
from sqlmodel import col, select

from survey_app.fieldwork import bulk, planning
from survey_app.fieldwork.links import personal_link_token
from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkCase
from survey_app.fieldwork.plan import parse_plan
from survey_app.fieldwork.schedule import respondent_zone, step_due
from survey_app.surveys.models import Case
from survey_app.surveys.tokens import new_token, token_hash
from tests.survey_app.fieldwork.conftest import DRAWN_AT, launch, make_case, make_survey, plan

LAUNCHED = dt.datetime(2026, 10, 28, 23, 30, tzinfo=dt.UTC)
# Not UTC and with microseconds: stored as UTC, to the microsecond, on both backends.
NOW = dt.datetime(2026, 10, 29, 7, 31, 2, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
STEPS = [
    {"channel": "email", "day": 0, "kind": "invite"},
    {"channel": "email", "day": 4, "kind": "reminder"},
    {"channel": "sms", "day": 6, "kind": "reminder"},
]
EXTRA = {"window": ["09:00", "20:00"], "days": [0, 1, 2, 3, 4], "timezone": "Europe/London"}
ATTEMPT_COLUMNS = ", ".join(planning._ATTEMPT_COLUMNS)
DETAIL_COLUMNS = (
    "case_id, survey_id, email, phone_e164, timezone, preferred_channel, name, wave, link_issued_at"
)


def raw(session, sql: str) -> list[tuple[Any, ...]]:
    """Rows exactly as the driver returns them (no SQLAlchemy type processing)."""
    return [tuple(r) for r in session.connection().exec_driver_sql(sql).all()]


def a_varied_wave(session):
    """A survey whose cases cover every branch of planning; returns (survey, cases)."""
    survey = make_survey(session)
    cases = [
        make_case(session, survey, email="a@example.org", timezone="Asia/Shanghai"),
        make_case(session, survey, phone="+8613800138000", preferred_channel="sms", wave=2),
        make_case(
            session,
            survey,
            email="c@example.org",
            preferred_channel="email",
            timezone="America/New_York",
            created_at=LAUNCHED + dt.timedelta(hours=30, microseconds=7),
        ),
        make_case(session, survey, email="d@example.org", name="Dee"),
        make_case(session, survey, email="f@example.org", preferred_channel="sms"),  # no phone: all steps
        make_case(session, survey, phone="+861380000000000", timezone=None),  # invalid: the plan's zone
    ]
    # Its link was issued before (by hand): planning keeps that link and time.
    issued_before = session.get(FieldworkCase, cases[3].id)
    issued_before.link_issued_at = DRAWN_AT
    session.add(issued_before)
    # Drawn without delivery details: planning adds them.
    bare = Case(survey_id=survey.id, token_hash=token_hash(new_token()), created_at=DRAWN_AT)
    session.add(bare)
    session.commit()
    return survey, [*cases, bare]


def core_rows(session, survey_id: int, secret_key: str) -> dict[str, Any]:
    """What the earlier planner wrote, computed from the rows as they are before planning."""
    parsed = parse_plan({"steps": STEPS, **EXTRA})
    attempts, links, issued, new_details = [], {}, [], []
    for case in session.exec(select(Case).where(Case.survey_id == survey_id).order_by(col(Case.id))):
        details = session.get(FieldworkCase, case.id)
        if details is None:
            new_details.append({"case_id": case.id, "survey_id": survey_id, "wave": 1, "link_issued_at": NOW})
        elif details.link_issued_at is None:
            issued.append(case.id)
        if details is None or details.link_issued_at is None:
            links[case.id] = token_hash(personal_link_token(secret_key, case.id))
        phone = details.phone_e164 if details else None
        email = details.email if details else None
        preferred = details.preferred_channel if details else None
        reachable = email if preferred == "email" else phone
        tz = respondent_zone(details.timezone if details else None, phone, parsed.timezone)
        base = max(LAUNCHED, case.created_at)
        for step in parsed.steps_for(preferred if reachable else None):
            attempts.append(
                {
                    "survey_id": survey_id,
                    "case_id": case.id,
                    "channel": step.channel,
                    "step": step.index,
                    "kind": step.kind,
                    "wave": details.wave if details else 1,
                    "attempt_number": 1,
                    "idempotency_key": f"{survey_id}-{case.id}-{step.index}-1",
                    "state": AttemptState.planned,
                    "due_at": step_due(base, step.day, tz, parsed.window),
                    "retry_count": 0,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
    return {"attempts": attempts, "links": links, "issued": issued, "new_details": new_details}


def test_planned_rows_are_stored_exactly_as_core_statements_store_them(app, db_session):
    survey, cases = a_varied_wave(db_session)
    launch(db_session, survey, STEPS, now=LAUNCHED, **EXTRA)
    expected = core_rows(db_session, survey.id, app.config["SECRET_KEY"])
    hashes_before = {case.id: case.token_hash for case in cases}

    assert plan(app, db_session, NOW) == len(expected["attempts"])
    db_session.expire_all()

    # Values, through the ORM.
    stored = db_session.exec(select(ContactAttempt).order_by(col(ContactAttempt.idempotency_key))).all()
    wanted = sorted(expected["attempts"], key=lambda a: a["idempotency_key"])
    assert [{k: getattr(a, k) for k in wanted[0]} for a in stored] == wanted
    assert {a.state for a in stored} == {AttemptState.planned}
    for case in cases:
        link = expected["links"].get(case.id, hashes_before[case.id])
        assert db_session.get(Case, case.id).token_hash == link
    details = {d.case_id: d for d in db_session.exec(select(FieldworkCase))}
    assert details[cases[3].id].link_issued_at == DRAWN_AT  # issued before: kept
    assert details[cases[-1].id].wave == 1  # drawn without details: given them
    assert details[cases[-1].id].link_issued_at == NOW
    assert all(d.link_issued_at == NOW for d in details.values() if d.case_id != cases[3].id)

    # Storage, as the driver reads it, against the same rows written by Core statements.
    attempts_sql = f"SELECT {ATTEMPT_COLUMNS} FROM contact_attempts ORDER BY idempotency_key"
    details_sql = f"SELECT {DETAIL_COLUMNS} FROM fieldwork_cases ORDER BY case_id"
    cases_sql = "SELECT id, token_hash FROM cases ORDER BY id"
    planned = raw(db_session, attempts_sql), raw(db_session, details_sql), raw(db_session, cases_sql)

    attempts, details_table, cases_table = (
        ContactAttempt.__table__,
        FieldworkCase.__table__,
        Case.__table__,
    )
    db_session.execute(delete(attempts))
    db_session.execute(delete(details_table).where(details_table.c.case_id == cases[-1].id))
    db_session.execute(update(details_table).values(link_issued_at=None))
    db_session.execute(
        update(details_table).where(details_table.c.case_id == cases[3].id).values(link_issued_at=DRAWN_AT)
    )
    db_session.execute(insert(attempts), expected["attempts"])
    db_session.execute(insert(details_table), expected["new_details"])
    db_session.execute(
        update(details_table)
        .where(details_table.c.case_id.in_(expected["issued"]))
        .values(link_issued_at=NOW)
    )
    for case_id, link in expected["links"].items():
        db_session.execute(update(cases_table).where(cases_table.c.id == case_id).values(token_hash=link))
    db_session.commit()
    by_core = raw(db_session, attempts_sql), raw(db_session, details_sql), raw(db_session, cases_sql)
    assert planned == by_core


@pytest.mark.parametrize("dies", ["computing", "writing"])
def test_a_crash_in_the_middle_of_a_batch_loses_that_batch_only(app, db_session, monkeypatch, dies):
    monkeypatch.setattr(planning, "PLAN_BATCH", 3)
    survey = make_survey(db_session)
    cases = [make_case(db_session, survey, email=f"p{n}@example.org") for n in range(8)]
    hashes_before = {case.id: case.token_hash for case in cases}
    launch(db_session, survey, STEPS, now=LAUNCHED, **EXTRA)

    def dying(rows: Any) -> Any:
        for number, row in enumerate(rows):
            if number == 4:
                raise RuntimeError("worker killed")
            yield row

    batches = []
    # The second batch dies after its link updates were sent: while its attempt rows are
    # computed, or while they go to the database (COPY / executemany under way).
    if dies == "computing":
        real_rows = planning._attempt_rows

        def rows(*args: Any) -> Any:
            batches.append(1)
            return dying(real_rows(*args)) if len(batches) == 2 else real_rows(*args)

        monkeypatch.setattr(planning, "_attempt_rows", rows)
    else:
        real_insert = bulk.insert_rows

        def insert_rows(session, table, names, rows):
            if table is ContactAttempt.__table__:
                batches.append(1)
                if len(batches) == 2:
                    rows = dying(rows)
            return real_insert(session, table, names, rows)

        monkeypatch.setattr(bulk, "insert_rows", insert_rows)
    with pytest.raises(RuntimeError, match="worker killed"):
        plan(app, db_session, NOW)
    db_session.rollback()
    db_session.expire_all()
    monkeypatch.undo()
    monkeypatch.setattr(planning, "PLAN_BATCH", 3)

    first, rest = cases[:3], cases[3:]
    secret = app.config["SECRET_KEY"]
    planned = db_session.exec(select(ContactAttempt)).all()
    assert sorted(a.case_id for a in planned) == sorted(case.id for case in first for _ in STEPS)
    for case in first:
        assert db_session.get(Case, case.id).token_hash == token_hash(personal_link_token(secret, case.id))
        assert db_session.get(FieldworkCase, case.id).link_issued_at == NOW
    for case in rest:  # the second batch's link updates went with it
        assert db_session.get(Case, case.id).token_hash == hashes_before[case.id]
        assert db_session.get(FieldworkCase, case.id).link_issued_at is None

    assert plan(app, db_session, NOW) == len(rest) * len(STEPS)
    assert plan(app, db_session, NOW) == 0
    db_session.expire_all()
    keys = [a.idempotency_key for a in db_session.exec(select(ContactAttempt))]
    assert sorted(keys) == sorted(f"{survey.id}-{case.id}-{step}-1" for case in cases for step in range(3))
    for case in cases:
        assert db_session.get(Case, case.id).token_hash == token_hash(personal_link_token(secret, case.id))
        assert db_session.get(FieldworkCase, case.id).link_issued_at == NOW


def test_bulk_rows_must_give_every_column_a_core_insert_would_fill_in(app, db_session):
    details = FieldworkCase.__table__
    with pytest.raises(ValueError, match=r"must give \['wave'\]"):
        bulk.insert_rows(db_session, details, ("case_id", "survey_id"), [(1, 1)])
    db_session.rollback()


def test_planning_refuses_case_rows_whose_columns_moved(app, db_session, monkeypatch):
    # Planning unpacks the rows of query_unplanned_cases by position: a change there must fail loudly.
    from survey_app.fieldwork import queries

    survey = make_survey(db_session)
    make_case(db_session, survey, email="a@example.org")
    launch(db_session, survey, STEPS, now=LAUNCHED, **EXTRA)

    def reordered(session, survey_id, after_id, limit):
        query = select(Case.created_at, Case.id).where(Case.survey_id == survey_id, Case.id > after_id)
        return session.execute(query.limit(limit)).all()

    monkeypatch.setattr(queries, "query_unplanned_cases", reordered)
    with pytest.raises(RuntimeError, match="query_unplanned_cases returns"):
        plan(app, db_session, NOW)
    db_session.rollback()
    assert db_session.exec(select(ContactAttempt)).all() == []
