"""Planning a wave: every step of every newly drawn case of a launched survey, written in bulk.

Each step's due time is ``day`` days after the later of the launch and the case's creation, on
the respondent's calendar, moved into their calling hours (``fieldwork.schedule``). The personal
link is issued (made derivable, ``fieldwork.links``) at the same time. Cases are read as plain
rows, paged by id, a batch at a time, and each batch is written with one statement per table
(``fieldwork.bulk``: binary ``COPY`` and array ``UPDATE`` on PostgreSQL, the updates running on
the server while the attempt rows are computed; DBAPI ``executemany`` on SQLite) and committed: a
crash loses at most the batch in progress, and the next run plans exactly the cases left. Due
times are memoised per (zone, step day, base instant) in their stored form: a wave launched at
once has only zones × steps distinct due times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlmodel import Session

from survey_app.fieldwork import bulk, queries
from survey_app.fieldwork.links import personal_link_token
from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkCase
from survey_app.fieldwork.plan import ChannelPlan, PlanStep, parse_plan
from survey_app.fieldwork.schedule import respondent_zone, step_due
from survey_app.surveys.models import Case
from survey_app.surveys.tokens import token_hash

#: Cases planned per statement batch (and per commit): at most this many are planned again after a crash.
PLAN_BATCH = 10_000

_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_DETAILS: Table = FieldworkCase.__table__  # type: ignore[attr-defined]
_ATTEMPTS: Table = ContactAttempt.__table__  # type: ignore[attr-defined]
#: Columns of the rows written, in the tuples' order (every column with a Python-side default is given).
_DETAIL_COLUMNS = ("case_id", "survey_id", "wave", "link_issued_at")
_ATTEMPT_COLUMNS = (
    "survey_id",
    "case_id",
    "channel",
    "step",
    "kind",
    "wave",
    "attempt_number",
    "idempotency_key",
    "state",
    "due_at",
    "retry_count",
    "created_at",
    "updated_at",
)

#: The columns of ``queries.query_unplanned_cases`` rows, in order. Rows are unpacked by position:
#: looking a Row's column up by name costs ten times as much, and a wave does it a million times.
_CASE_FIELDS = (
    "id",
    "created_at",
    "has_details",
    "email",
    "phone_e164",
    "timezone",
    "preferred_channel",
    "wave",
    "link_issued_at",
)


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
        due = _DueTimes(session, plan, now)
        after_id = 0
        while True:
            batch = queries.query_unplanned_cases(session, survey_id, after_id, PLAN_BATCH)
            if not batch:
                break
            if tuple(batch[0]._fields) != _CASE_FIELDS:
                raise RuntimeError(f"query_unplanned_cases returns {batch[0]._fields}, not {_CASE_FIELDS}")
            planned += _plan_batch(session, survey_id, batch, launched_at, due, secret_key)
            session.commit()
            _expire_loaded(session, {int(row.id) for row in batch})
            after_id = int(batch[-1].id)
            if len(batch) < PLAN_BATCH:
                break
    return planned


def _expire_loaded(session: Session, case_ids: set[int]) -> None:
    # Bulk writes on the driver changed these rows: copies the caller's session holds are stale.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Case) and obj.id in case_ids:
            session.expire(obj)
        elif isinstance(obj, FieldworkCase) and obj.case_id in case_ids:
            session.expire(obj)


class _DueTimes:
    """Due times of one plan's steps, memoised in stored form: a wave has few distinct values.

    ``step_due`` is pure, so caching it by its arguments changes nothing but the time taken (most
    cases of a wave share the launch instant as their base); each due time is encoded for the
    database once (``bulk.encoder``). Zones likewise: an explicit zone name decides alone; only
    cases without one need their phone number looked at (that needs the whole number: whether
    phonenumbers finds it valid, and of which type, depends on every digit).
    """

    def __init__(self, session: Session, plan: ChannelPlan, now: dt.datetime) -> None:
        self.plan = plan
        self.times: dict[tuple[str, int, dt.datetime], Any] = {}
        self.zones: dict[str, ZoneInfo] = {}
        self.plan_steps: dict[str | None, tuple[PlanStep, ...]] = {}
        self.encode_due = bulk.encoder(session, _ATTEMPTS.c.due_at)
        self.stored_now = bulk.encoder(session, _ATTEMPTS.c.created_at)(now)
        self.stored_state = bulk.encoder(session, _ATTEMPTS.c.state)(AttemptState.planned)

    def zone(self, timezone: str | None, phone: str | None) -> ZoneInfo:
        if not timezone:
            return respondent_zone(None, phone, self.plan.timezone)
        found = self.zones.get(timezone)
        if found is None:
            found = self.zones[timezone] = respondent_zone(timezone, phone, self.plan.timezone)
        return found

    def steps(self, channel: str | None) -> tuple[PlanStep, ...]:
        found = self.plan_steps.get(channel)
        if found is None:
            found = self.plan_steps[channel] = self.plan.steps_for(channel)
        return found

    def at(self, base: dt.datetime, day: int, tz: ZoneInfo) -> Any:
        """Return the stored form of ``step_due(base, day, tz, window)``."""
        key = (tz.key, day, base)
        found = self.times.get(key)
        if found is None:
            found = self.times[key] = self.encode_due(step_due(base, day, tz, self.plan.window))
        return found


def _plan_batch(
    session: Session,
    survey_id: int,
    batch: Sequence[Any],
    launched_at: dt.datetime,
    due: _DueTimes,
    secret_key: str,
) -> int:
    stored_now = due.stored_now
    issued: list[tuple[int, Any]] = []
    new_details: list[tuple[int, int, int, Any]] = []
    for case_id, _created_at, has_details, *_details, link_issued_at in batch:
        if not has_details:
            new_details.append((int(case_id), survey_id, 1, stored_now))
        elif link_issued_at is None:
            issued.append((int(case_id), stored_now))
    # Cases whose link is issued now; one issued before (``link_issued_at`` set) stays as it is.
    unlinked = [case_id for case_id, _ in issued] + [case_id for case_id, *_ in new_details]
    # On PostgreSQL each update runs on the server while the next rows are computed here.
    with bulk.overlapping(session):
        bulk.update_column(session, _DETAILS, "case_id", "link_issued_at", issued)
        links = [(case_id, token_hash(personal_link_token(secret_key, case_id))) for case_id in unlinked]
        bulk.update_column(session, _CASES, "id", "token_hash", links)
        attempts = list(_attempt_rows(survey_id, batch, launched_at, due))
    bulk.insert_rows(session, _DETAILS, _DETAIL_COLUMNS, new_details)
    return bulk.insert_rows(session, _ATTEMPTS, _ATTEMPT_COLUMNS, attempts)


def _attempt_rows(
    survey_id: int, batch: Sequence[Any], launched_at: dt.datetime, due: _DueTimes
) -> Iterator[tuple[Any, ...]]:
    """Yield the attempt rows of ``batch``, in the order of ``_ATTEMPT_COLUMNS``, in stored form."""
    stored_now, state = due.stored_now, due.stored_state
    for row_id, created_at, has_details, email, phone, timezone, preferred, wave, _issued_at in batch:
        case_id = int(row_id)
        # A preferred channel the case cannot be reached on would leave it with no usable step.
        reachable = email if preferred == "email" else phone
        tz = due.zone(timezone, phone)
        base = max(launched_at, created_at)
        for step in due.steps(preferred if reachable else None):
            yield (
                survey_id,
                case_id,
                step.channel,
                step.index,
                step.kind,
                wave if has_details else 1,
                1,
                attempt_key(survey_id, case_id, step.index, 1),
                state,
                due.at(base, step.day, tz),
                0,
                stored_now,
                stored_now,
            )
