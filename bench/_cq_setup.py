"""The data of ``bench/agent_queue.py``: a vendor, its agents, a three-question script, the queue
and the ceiling's plain table of the same size."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import sqlalchemy as sa


def _tr(en: str) -> dict[str, str]:
    return {"en": en}


SCRIPT: dict[str, Any] = {
    "id": "bench_cati",
    "title": _tr("Bench call"),
    "languages": ["en"],
    "intro": _tr("Hello, may I ask you three questions?"),
    "thank_you": _tr("Thank you."),
    "pages": [
        {
            "id": "p1",
            "questions": [
                {
                    "id": "sat",
                    "type": "rating",
                    "required": True,
                    "text": _tr("How satisfied are you?"),
                    "scale": {"points": 5},
                }
            ],
        },
        {
            "id": "p2",
            "questions": [
                {
                    "id": "channel",
                    "type": "single_choice",
                    "text": _tr("Which channel?"),
                    "options": [
                        {"code": "web", "label": _tr("Web")},
                        {"code": "phone", "label": _tr("Phone")},
                    ],
                }
            ],
        },
        {"id": "p3", "questions": [{"id": "note", "type": "text", "text": _tr("Anything else?")}]},
    ],
}


def setup(app: Any, agents: int, cases: int) -> tuple[int, list[int]]:
    """Create the vendor, agents, survey and queue; return (vendor id, agent ids)."""
    from survey_app.auth.models import Role, User
    from survey_app.callcentre.models import AgentProfile, QueueEntry, Vendor
    from survey_app.db import get_engine, open_session, utcnow
    from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
    from survey_app.surveys.models import Case, Survey

    now = utcnow()
    with open_session(app) as session:
        vendor = Vendor(name="Bench vendor")
        record = QuestionnaireRecord(
            key="bench_cati", title="Bench", stakeholder_group="end_customer", draft=SCRIPT
        )
        session.add_all([vendor, record])
        session.flush()
        version = QuestionnaireVersion(questionnaire_id=record.id, number=1, document=SCRIPT)
        session.add(version)
        session.flush()
        survey = Survey(
            name="Bench",
            version_id=version.id,
            stakeholder_group="end_customer",
            languages=["en"],
            default_language="en",
        )
        session.add(survey)
        session.flush()
        users = [
            User(
                email=f"agent{i}@bench.example",
                display_name=f"Agent {i}",
                password_hash="x",
                role=Role.agent,
                vendor_id=vendor.id,
            )
            for i in range(agents)
        ]
        session.add_all(users)
        session.flush()
        session.add_all(
            AgentProfile(
                user_id=u.id, vendor_id=vendor.id, languages=["en"], work_start="00:00", work_end="23:59"
            )  # type: ignore[arg-type]
            for u in users
        )
        session.commit()
        vendor_id, survey_id, agent_ids = (
            int(vendor.id or 0),
            int(survey.id or 0),
            [int(u.id or 0) for u in users],
        )
    engine = get_engine(app)
    rng = random.Random(1)
    with engine.begin() as connection:
        ids = (
            connection.execute(
                sa.insert(Case.__table__).returning(Case.__table__.c.id),  # type: ignore[attr-defined]
                [
                    {
                        "survey_id": survey_id,
                        "token_hash": f"{i:064x}",
                        "context": {},
                        "is_test": False,
                        "created_at": now,
                    }
                    for i in range(cases)
                ],
            )
            .scalars()
            .all()
        )
        queue = QueueEntry.__table__  # type: ignore[attr-defined]
        connection.execute(
            sa.insert(queue),
            [
                {
                    "case_id": case_id,
                    "survey_id": survey_id,
                    "vendor_id": vendor_id,
                    "priority": rng.choice((0, 0, 0, 1)),
                    "sort_key": rng.random(),
                    "status": "waiting",
                    "phone": f"+8613{case_id:09d}",
                    "respondent_name": "",
                    "timezone": "UTC",
                    "next_due_at": now - dt.timedelta(minutes=1),
                    "attempts": 0,
                    "max_attempts": 8,
                    "tries_weekday": 0,
                    "tries_weeknight": 0,
                    "tries_weekend": 0,
                    "updated_at": now,
                }
                for case_id in ids
            ],
        )
        connection.exec_driver_sql(
            "CREATE TABLE bench_ceiling (id serial PRIMARY KEY, status varchar(8) NOT NULL,"
            " priority int NOT NULL, sort_key float NOT NULL, locked_by int, locked_at timestamptz)"
        )
        connection.exec_driver_sql(
            "CREATE INDEX bench_ceiling_order ON bench_ceiling (status, priority, sort_key)"
        )
        connection.execute(
            sa.text("INSERT INTO bench_ceiling (status, priority, sort_key) VALUES ('waiting', :p, :k)"),
            [{"p": rng.choice((0, 0, 0, 1)), "k": rng.random()} for _ in range(cases)],
        )
        connection.exec_driver_sql("ANALYZE")
    return vendor_id, agent_ids
