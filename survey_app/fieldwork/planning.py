"""Planning a wave: every step of every newly drawn case of a launched survey, written in bulk.

Each step's due time is ``day`` days after the later of the launch and the case's creation, on
the respondent's calendar, moved into their calling hours (``fieldwork.schedule``). The personal
link is issued (made derivable, ``fieldwork.links``) at the same time. Rows are written with
Core ``executemany`` statements, a batch at a time, each batch committed: planning 100,000 cases
is a few statements per batch, not an ORM object per attempt.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlmodel import Session

from survey_app.fieldwork import queries
from survey_app.fieldwork.links import personal_link_token
from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkCase
from survey_app.fieldwork.plan import ChannelPlan, parse_plan
from survey_app.fieldwork.schedule import respondent_zone, step_due
from survey_app.surveys.models import Case
from survey_app.surveys.tokens import token_hash

#: Cases planned per statement batch (and per commit).
PLAN_BATCH = 2000

_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_DETAILS: Table = FieldworkCase.__table__  # type: ignore[attr-defined]
_ATTEMPTS: Table = ContactAttempt.__table__  # type: ignore[attr-defined]


def attempt_key(survey_id: int, case_id: int, step: int, attempt_number: int) -> str:
    """Return the idempotency key of an attempt (unique per survey, case, step and attempt number)."""
    return f"{survey_id}-{case_id}-{step}-{attempt_number}"


def plan_waves(session: Session, *, secret_key: str, now: dt.datetime) -> int:
    """Plan the steps of every case of launched, unpaused surveys that has none yet.

    Idempotent: only cases without attempts are planned, and the unique key refuses a repeat.

    :returns: the number of attempts planned.
    """
    planned = 0
    for plan_row in queries.query_launched_plans(session):
        plan = parse_plan(plan_row.document)
        assert plan_row.launched_at is not None
        while True:
            batch = queries.query_cases_without_attempts(session, plan_row.survey_id, PLAN_BATCH)
            planned += _plan_batch(session, plan, batch, plan_row.launched_at, secret_key, now)
            session.commit()
            for case, details in batch:  # written by Core statements: drop the stale ORM copies
                session.expire(case)
                if details is not None:
                    session.expire(details)
            if len(batch) < PLAN_BATCH:
                break
    return planned


def _plan_batch(
    session: Session,
    plan: ChannelPlan,
    batch: Any,
    launched_at: dt.datetime,
    secret_key: str,
    now: dt.datetime,
) -> int:
    links: list[dict[str, Any]] = []
    issued: list[dict[str, Any]] = []
    new_details: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    for case, details in batch:
        case_id, survey_id = int(case.id), int(case.survey_id)
        if details is None:
            new_details.append({"case_id": case_id, "survey_id": survey_id, "wave": 1, "link_issued_at": now})
        elif details.link_issued_at is None:
            issued.append({"b_case_id": case_id})
        if details is None or details.link_issued_at is None:
            links.append({"b_id": case_id, "b_hash": token_hash(personal_link_token(secret_key, case_id))})
        attempts += _attempts(plan, case, details, launched_at, now)
    if links:
        session.execute(
            update(_CASES).where(_CASES.c.id == bindparam("b_id")).values(token_hash=bindparam("b_hash")),
            links,
        )
    if issued:
        session.execute(
            update(_DETAILS).where(_DETAILS.c.case_id == bindparam("b_case_id")).values(link_issued_at=now),
            issued,
        )
    if new_details:
        session.execute(insert(_DETAILS), new_details)
    if attempts:
        session.execute(insert(_ATTEMPTS), attempts)
    return len(attempts)


def _attempts(
    plan: ChannelPlan, case: Case, details: FieldworkCase | None, launched_at: dt.datetime, now: dt.datetime
) -> list[dict[str, Any]]:
    email, phone = (details.email, details.phone_e164) if details else (None, None)
    preferred = details.preferred_channel if details else None
    # A preferred channel the case cannot be reached on would leave it with no usable step.
    reachable = email if preferred == "email" else phone
    tz = respondent_zone(details.timezone if details else None, phone, plan.timezone)
    base = max(launched_at, case.created_at)
    case_id, survey_id = int(case.id or 0), int(case.survey_id)
    return [
        {
            "survey_id": survey_id,
            "case_id": case_id,
            "channel": step.channel,
            "step": step.index,
            "kind": step.kind,
            "wave": details.wave if details else 1,
            "attempt_number": 1,
            "idempotency_key": attempt_key(survey_id, case_id, step.index, 1),
            "state": AttemptState.planned,
            "due_at": step_due(base, step.day, tz, plan.window),
            "retry_count": 0,
            "created_at": now,
            "updated_at": now,
        }
        for step in plan.steps_for(preferred if reachable else None)
    ]
