"""Seeding for ``bench/fieldwork_wave.py``: the SMS questionnaire, surveys with channel plans, bulk cases.

All of it is setup, never timed: cases and their delivery details (``fieldwork_cases``) are
written with SQLAlchemy Core ``executemany``; plans are saved and launched with the fieldwork
operations the staff screens use. :func:`bulk_schedule` is the baseline of the wave benchmark:
the same attempt rows ``plan_waves`` writes, computed in one loop and written with three
Core statements.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

THANK_YOU = "Thanks, your answers are in."
#: Calling hours of the wave plan; the send and inbound plans allow almost the whole day (UTC).
WAVE_PLAN: dict[str, Any] = {
    "steps": [
        {"channel": "email", "day": 0, "kind": "invite"},
        {"channel": "email", "day": 3, "kind": "reminder"},
        {"channel": "sms", "day": 5, "kind": "reminder"},
    ],
    "window": ["08:00", "21:00"],
    "days": [0, 1, 2, 3, 4, 5],
    "timezone": "Asia/Shanghai",
}
SEND_PLAN: dict[str, Any] = {
    "steps": [
        {"channel": "email", "day": 0, "kind": "invite"},
        {"channel": "sms", "day": 0, "kind": "invite"},
    ],
    "window": ["00:00", "23:59"],
    "timezone": "UTC",
    "max_attempts": 6,
}
#: Respondents' zones in the wave (None: the plan's zone), so due times need real zone arithmetic.
ZONES = ("Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong", "Europe/London", "America/New_York", None)


def sms_document(turns: int) -> dict[str, Any]:
    """A questionnaire of ``turns`` one-question pages, each a required 5-point rating (answer ``3``)."""
    return {
        "id": "bench_fieldwork_sms",
        "title": {"en": "Service check"},
        "languages": ["en"],
        "thank_you": {"en": THANK_YOU},
        "pages": [
            {
                "id": f"p{n}",
                "questions": [
                    {
                        "id": f"r{n}",
                        "type": "rating",
                        "required": True,
                        "text": {"en": f"Rate aspect {n}"},
                        "scale": {"points": 5, "low_label": {"en": "Bad"}, "high_label": {"en": "Good"}},
                    }
                ],
            }
            for n in range(1, turns + 1)
        ],
    }


def phone(prefix: int, number: int) -> str:
    """A unique E.164 mobile number: ``+86 13<prefix> <8 digits>`` (each population its own prefix)."""
    return f"+8613{prefix}{number:08d}"


def new_survey(
    engine: Engine, version_id: int, name: str, plan: dict[str, Any] | None, *, launch: bool
) -> int:
    """An open survey of the version, with ``plan`` saved (and launched) through the fieldwork operations."""
    from sqlmodel import Session

    from survey_app.db import utcnow
    from survey_app.fieldwork import operations
    from survey_app.surveys.models import Survey

    with Session(engine, expire_on_commit=False) as session:
        survey = Survey(
            name=f"Bench {name}",
            version_id=version_id,
            stakeholder_group="end_customer",
            languages=["en"],
            default_language="en",
        )
        session.add(survey)
        session.commit()
        survey_id = int(survey.id)  # type: ignore[arg-type]
        if plan is not None:
            operations.save_plan(session, survey_id, plan, now=utcnow())
            if launch:
                operations.launch(session, survey_id, now=utcnow())
    return survey_id


def launch(engine: Engine, survey_id: int) -> None:
    """Launch a survey's saved plan (``fieldwork.operations.launch``)."""
    from sqlmodel import Session

    from survey_app.db import utcnow
    from survey_app.fieldwork import operations

    with Session(engine) as session:
        operations.launch(session, survey_id, now=utcnow())


def pause(engine: Engine, survey_id: int) -> None:
    """Pause a survey's sending, so that its due attempts stay out of the send benchmark."""
    from sqlmodel import Session

    from survey_app.db import utcnow
    from survey_app.fieldwork import operations

    with Session(engine) as session:
        operations.set_paused(session, survey_id, True, now=utcnow())


def add_cases(
    engine: Engine,
    survey_id: int,
    count: int,
    *,
    phone_prefix: int,
    preferred: tuple[str | None, ...] = (None,),
    zones: tuple[str | None, ...] = (None,),
    chunk: int = 20_000,
) -> list[tuple[int, str]]:
    """Insert ``count`` cases with e-mail, phone and zone (Core executemany); return (case id, phone)."""
    from survey_app.fieldwork.models import FieldworkCase
    from survey_app.surveys.models import Case

    cases, details = Case.__table__, FieldworkCase.__table__  # type: ignore[attr-defined]
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        first = connection.execute(sa.select(sa.func.coalesce(sa.func.max(cases.c.id), 0))).scalar_one()
        for start in range(0, count, chunk):
            rows = [
                {
                    "survey_id": survey_id,
                    # A placeholder link until planning issues the derivable one.
                    "token_hash": hashlib.sha256(
                        f"bench:{survey_id}:{phone_prefix}:{i}".encode()
                    ).hexdigest(),
                    "context": {},
                    "is_test": False,
                    "created_at": now,
                }
                for i in range(start, min(count, start + chunk))
            ]
            connection.execute(sa.insert(cases), rows)
        ids = connection.execute(
            sa.select(cases.c.id)
            .where(cases.c.survey_id == survey_id, cases.c.id > first)
            .order_by(cases.c.id)
        ).scalars()
        pairs = [(int(case_id), phone(phone_prefix, n)) for n, case_id in enumerate(ids)]
        for start in range(0, len(pairs), chunk):
            connection.execute(
                sa.insert(details),
                [
                    {
                        "case_id": case_id,
                        "survey_id": survey_id,
                        "email": f"p{phone_prefix}-{n}@example.org",
                        "phone_e164": number,
                        "timezone": zones[n % len(zones)],
                        "preferred_channel": preferred[n % len(preferred)],
                        "wave": 1,
                    }
                    for n, (case_id, number) in enumerate(pairs[start : start + chunk], start=start)
                ],
            )
    return pairs


def add_sms_interviews(engine: Engine, survey_id: int, version_id: int, pairs: list[tuple[int, str]]) -> None:
    """Start an SMS interview for every case (as ``compose_sms`` does on the first SMS), in one commit."""
    from sqlmodel import Session

    from questionnaires import engine as interview_engine
    from survey_app.surveys.models import Interview, InterviewSource
    from survey_app.surveys.queries import get_questionnaire

    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        questionnaire = get_questionnaire(session, version_id)
        for seed, (case_id, _phone) in enumerate(pairs):
            state = interview_engine.start(
                questionnaire, context={}, language="en", channel="sms", seed=seed, now=now.timestamp()
            )
            session.add(
                Interview(
                    survey_id=survey_id,
                    case_id=case_id,
                    version_id=version_id,
                    source=InterviewSource.personal,
                    channel="sms",
                    language=state.language,
                    status=interview_engine.interview_status(questionnaire, state).value,
                    state=state.to_dict(),
                    step_key=interview_engine.next_step(questionnaire, state).key,
                    started_at=now,
                    updated_at=now,
                )
            )
        session.commit()


def bulk_schedule(
    engine: Engine, survey_id: int, plan_document: dict[str, Any], secret_key: str
) -> tuple[int, dict[str, float]]:
    """The baseline: plan every case's steps with the same rows and due times, in three Core statements.

    One SELECT of the cases with their details; the personal-link hashes as one executemany
    UPDATE; ``link_issued_at`` as one UPDATE; the attempts as one executemany INSERT. Returns the
    number of attempts written and the seconds of each phase.
    """
    import time

    from survey_app.fieldwork.links import personal_link_token
    from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkCase
    from survey_app.fieldwork.operations import attempt_key
    from survey_app.fieldwork.plan import parse_plan
    from survey_app.fieldwork.schedule import step_due, zone
    from survey_app.surveys.models import Case
    from survey_app.surveys.tokens import token_hash

    cases, details = Case.__table__, FieldworkCase.__table__  # type: ignore[attr-defined]
    attempts_table = ContactAttempt.__table__  # type: ignore[attr-defined]
    plan = parse_plan(plan_document)
    now = dt.datetime.now(dt.UTC)
    phases: dict[str, float] = {}
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        phases[name] = time.perf_counter() - clock
        clock = time.perf_counter()

    with engine.begin() as connection:
        rows = connection.execute(
            sa.select(
                cases.c.id,
                cases.c.created_at,
                details.c.timezone,
                details.c.preferred_channel,
                details.c.wave,
            )
            .outerjoin(details, details.c.case_id == cases.c.id)
            .where(cases.c.survey_id == survey_id)
            .order_by(cases.c.id)
        ).all()
        phase("read cases")
        links, attempts = [], []
        for case_id, created_at, timezone, preferred, wave in rows:
            links.append({"b_id": case_id, "b_hash": token_hash(personal_link_token(secret_key, case_id))})
            tz, base = zone(timezone, plan.timezone), max(now, created_at)
            for step in plan.steps_for(preferred):
                attempts.append(
                    {
                        "survey_id": survey_id,
                        "case_id": case_id,
                        "channel": step.channel,
                        "step": step.index,
                        "kind": step.kind,
                        "wave": wave or 1,
                        "attempt_number": 1,
                        "idempotency_key": attempt_key(survey_id, case_id, step.index, 1),
                        "state": AttemptState.planned,
                        "due_at": step_due(base, step.day, tz, plan.window),
                        "retry_count": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        phase("compute due times and link hashes")
        connection.execute(
            sa.update(cases)
            .where(cases.c.id == sa.bindparam("b_id"))
            .values(token_hash=sa.bindparam("b_hash")),
            links,
        )
        connection.execute(
            sa.update(details).where(details.c.survey_id == survey_id).values(link_issued_at=now)
        )
        phase("update links")
        connection.execute(sa.insert(attempts_table), attempts)
        phase("insert attempts")
    phase("commit")
    return len(attempts), phases


def count(engine: Engine, sql: str, **params: Any) -> int:
    """One integer from the database."""
    with engine.connect() as connection:
        return int(connection.execute(sa.text(sql), params).scalar_one())
