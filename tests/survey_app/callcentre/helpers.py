"""Builders for the call-centre tests: a script questionnaire, vendors, agents, queued cases."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from survey_app.auth.models import Role, User
from survey_app.callcentre.models import AgentProfile, QueueEntry, Vendor
from survey_app.callcentre.queue import Assignment, claim_next_case, load_assignments
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.surveys.models import Case, Survey
from survey_app.surveys.tokens import new_token, token_hash

#: Wednesday 2 December 2026, 02:00 UTC = 10:00 in Shanghai (weekday daytime there).
WEDNESDAY_10_SHANGHAI = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)


def tr(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh-Hans": zh}


SCRIPT: dict[str, Any] = {
    "id": "cati_test",
    "title": tr("Call test", "电话测试"),
    "languages": ["en", "zh-Hans"],
    "contact_fields": ["first_name"],
    "intro": tr(
        "Hello {first_name}, may I ask you three questions?", "{first_name}您好，可以问您三个问题吗？"
    ),
    "thank_you": tr("Thank you, {first_name}.", "谢谢您，{first_name}。"),
    "alerts": [
        {
            "id": "strong_dissatisfaction",
            "when": "sat <= 2",
            "message": tr("Very dissatisfied: offer a follow-up call.", "非常不满意：请主动提供回访。"),
        }
    ],
    "pages": [
        {
            "id": "p1",
            "questions": [
                {
                    "id": "sat",
                    "type": "rating",
                    "required": True,
                    "text": tr("How satisfied are you?", "您满意吗？"),
                    "variants": {
                        "agent": {
                            "text": tr(
                                "On a scale of 1 to 5, how satisfied are you?", "一到五分，您有多满意？"
                            ),
                            "instructions": tr("Read the scale once.", "读一次量表。"),
                        }
                    },
                    "scale": {
                        "points": 5,
                        "low_label": tr("Not at all", "很不满意"),
                        "high_label": tr("Very", "非常满意"),
                    },
                }
            ],
        },
        {
            "id": "p2",
            "questions": [
                {
                    "id": "why",
                    "type": "long_text",
                    "show_if": "sat <= 2",
                    "required": True,
                    "max_length": 200,
                    "text": tr("What went wrong?", "哪里出了问题？"),
                }
            ],
        },
        {
            "id": "p3",
            "questions": [
                {
                    "id": "channels",
                    "type": "multiple_choice",
                    "text": tr("Which channels did you use?", "您用了哪些渠道？"),
                    "special": ["dont_know", "refused"],
                    "options": [
                        {"code": "web", "label": tr("Web", "网站")},
                        {"code": "phone", "label": tr("Phone", "电话")},
                        {"code": "shop", "label": tr("Shop", "门店")},
                    ],
                }
            ],
        },
    ],
}

_numbers = itertools.count(1)


def make_survey(session: Session, document: dict[str, Any] = SCRIPT) -> Survey:
    record = QuestionnaireRecord(
        key=f"{document['id']}_{new_token()[:6]}",
        title="Call test",
        stakeholder_group="end_customer",
        draft=document,
    )
    session.add(record)
    session.flush()
    version = QuestionnaireVersion(questionnaire_id=record.id, number=1, document=document)
    session.add(version)
    session.flush()
    survey = Survey(
        name="Call survey",
        version_id=version.id,
        stakeholder_group="end_customer",
        languages=list(document["languages"]),
        default_language="en",
    )
    session.add(survey)
    session.commit()
    return survey


def make_vendor(session: Session, name: str | None = None) -> Vendor:
    vendor = Vendor(name=name or f"Vendor {next(_numbers)}")
    session.add(vendor)
    session.commit()
    return vendor


def make_agent(
    session: Session,
    make_user: Callable[..., User],
    vendor: Vendor,
    *,
    languages: tuple[str, ...] = ("en", "zh-Hans"),
    dialects: tuple[str, ...] = (),
    work_start: str = "00:00",
    work_end: str = "23:59",
    timezone: str = "UTC",
) -> User:
    user = make_user(Role.agent, vendor_id=vendor.id)
    # Working all day by default, so queue tests are not about shifts (test_working_hours is).
    session.add(
        AgentProfile(
            user_id=user.id,  # type: ignore[arg-type]
            vendor_id=vendor.id,  # type: ignore[arg-type]
            languages=list(languages),
            dialects=list(dialects),
            work_start=work_start,
            work_end=work_end,
            timezone=timezone,
        )
    )
    session.commit()
    return user


@dataclass
class Queued:
    case: Case
    entry: QueueEntry


def queue_cases(
    session: Session,
    survey: Survey,
    vendor: Vendor,
    count: int = 1,
    *,
    now: dt.datetime = WEDNESDAY_10_SHANGHAI,
    timezone: str = "Asia/Shanghai",
    agent: User | None = None,
    language: str | None = None,
    priority: int = 0,
    max_attempts: int = 8,
    first_name: str = "Ann",
) -> list[Queued]:
    cases = []
    for _ in range(count):
        case = Case(
            survey_id=survey.id,
            token_hash=token_hash(new_token()),
            language=language,
            context={"first_name": first_name},
        )  # type: ignore[arg-type]
        session.add(case)
        cases.append(case)
    session.commit()
    rows = [
        Assignment(
            case_id=c.id,  # type: ignore[arg-type]
            survey_id=survey.id,  # type: ignore[arg-type]
            vendor_id=vendor.id,  # type: ignore[arg-type]
            agent_id=agent.id if agent else None,
            phone=f"+86138{c.id:08d}",
            timezone=timezone,
            language=language,
            priority=priority,
            max_attempts=max_attempts,
            respondent_name=f"{first_name} Example",
        )
        for c in cases
    ]
    load_assignments(session, rows, now=now)
    return [Queued(c, session.get(QueueEntry, c.id)) for c in cases]  # type: ignore[misc]


def claim_entry(session: Session, profile: AgentProfile, *, now: dt.datetime) -> QueueEntry | None:
    """``claim_next_case``, then the row of the case served (as the console reads it next)."""
    case_id = claim_next_case(session, profile, now=now)
    return None if case_id is None else session.get(QueueEntry, case_id)
