"""Planning a wave: every step of every newly drawn case of a launched survey, written in bulk.

Each step's due time is ``day`` days after the later of the launch and the case's creation, on
the respondent's calendar, moved into their calling hours (``fieldwork.schedule``). The personal
link is issued (made derivable, ``fieldwork.links``) at the same time. Rows are written with
Core ``executemany`` statements, a batch at a time, each batch committed: planning 100,000 cases
is a few statements per batch, not an ORM object per attempt. Cases are read as plain rows, paged
by id, and due times are memoised per (zone, step day, base instant): a wave launched at once has
only zones × steps distinct due times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

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
        # Read once: a session that expires on commit would reload the plan row after every batch.
        survey_id, launched_at = plan_row.survey_id, plan_row.launched_at
        assert launched_at is not None
        due = _DueTimes(plan)
        after_id = 0
        while True:
            batch = queries.query_unplanned_cases(session, survey_id, after_id, PLAN_BATCH)
            if not batch:
                break
            planned += _plan_batch(session, plan, survey_id, batch, launched_at, due, secret_key, now)
            session.commit()
            _expire_loaded(session, {int(row.id) for row in batch})
            after_id = int(batch[-1].id)
            if len(batch) < PLAN_BATCH:
                break
    return planned


def _expire_loaded(session: Session, case_ids: set[int]) -> None:
    # Core statements changed these rows: copies the caller's session already holds are stale.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Case) and obj.id in case_ids:
            session.expire(obj)
        elif isinstance(obj, FieldworkCase) and obj.case_id in case_ids:
            session.expire(obj)


class _DueTimes:
    """Due times of one plan's steps, memoised: a wave has only zones × steps × bases distinct values.

    ``step_due`` is pure, so caching it by its arguments changes nothing but the time taken (most
    cases of a wave share the launch instant as their base). Zones likewise: an explicit zone
    name decides alone; only cases without one need their phone number looked at.
    """

    def __init__(self, plan: ChannelPlan) -> None:
        self.plan = plan
        self.times: dict[tuple[str, int, dt.datetime], dt.datetime] = {}
        self.zones: dict[str, ZoneInfo] = {}

    def zone(self, timezone: str | None, phone: str | None) -> ZoneInfo:
        if not timezone:
            return respondent_zone(None, phone, self.plan.timezone)
        found = self.zones.get(timezone)
        if found is None:
            found = self.zones[timezone] = respondent_zone(timezone, phone, self.plan.timezone)
        return found

    def at(self, base: dt.datetime, day: int, tz: ZoneInfo) -> dt.datetime:
        key = (tz.key, day, base)
        found = self.times.get(key)
        if found is None:
            found = self.times[key] = step_due(base, day, tz, self.plan.window)
        return found


def _plan_batch(
    session: Session,
    plan: ChannelPlan,
    survey_id: int,
    batch: Sequence[Any],
    launched_at: dt.datetime,
    due: _DueTimes,
    secret_key: str,
    now: dt.datetime,
) -> int:
    links: list[dict[str, Any]] = []
    issued: list[dict[str, Any]] = []
    new_details: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    for row in batch:
        case_id = int(row.id)
        if not row.has_details:
            new_details.append({"case_id": case_id, "survey_id": survey_id, "wave": 1, "link_issued_at": now})
        elif row.link_issued_at is None:
            issued.append({"b_case_id": case_id})
        if not row.has_details or row.link_issued_at is None:
            links.append({"b_id": case_id, "b_hash": token_hash(personal_link_token(secret_key, case_id))})
        attempts += _attempts(plan, survey_id, row, launched_at, due, now)
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
    plan: ChannelPlan, survey_id: int, row: Any, launched_at: dt.datetime, due: _DueTimes, now: dt.datetime
) -> list[dict[str, Any]]:
    email, phone = row.email, row.phone_e164
    preferred = row.preferred_channel
    # A preferred channel the case cannot be reached on would leave it with no usable step.
    reachable = email if preferred == "email" else phone
    tz = due.zone(row.timezone, phone)
    base = max(launched_at, row.created_at)
    case_id = int(row.id)
    wave = row.wave if row.has_details else 1
    return [
        {
            "survey_id": survey_id,
            "case_id": case_id,
            "channel": step.channel,
            "step": step.index,
            "kind": step.kind,
            "wave": wave,
            "attempt_number": 1,
            "idempotency_key": attempt_key(survey_id, case_id, step.index, 1),
            "state": AttemptState.planned,
            "due_at": due.at(base, step.day, tz),
            "retry_count": 0,
            "created_at": now,
            "updated_at": now,
        }
        for step in plan.steps_for(preferred if reachable else None)
    ]
