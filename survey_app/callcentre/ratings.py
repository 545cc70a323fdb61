"""The optional rating of the interviewer by the respondent, after a completed call interview.

A rating is a second, linked interview of the library questionnaire ``interviewer_rating``
(clarity, courtesy, length acceptable, overall): a case of the survey's *rating survey*
(:func:`rating_survey`, created on first use), linked to the rated interview, the agent and the
vendor by an :class:`InterviewerRating` row. It is asked in one of three ways:

* ``agent``: right after the interview, in the console (the agent types the keys; the answers are
  never shown back to the agent, who has no page listing them);
* ``sms`` / ``ivr``: a follow-up for fieldwork delivery to send. :func:`request_rating` writes a
  planned ``ContactAttempt`` (kind ``interview``) of the rating case with its delivery details, due
  :data:`FOLLOW_UP_DELAY` after the call; the worker's ``fieldwork.send_sms`` / ``send_calls`` jobs
  send it like any SMS or IVR interview step (the rating survey has a channel plan listing both
  steps and is never *launched*, so wave planning never adds steps of its own).

QA reads the answers per vendor and agent with ``queries.rating_summary``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from questionnaires.definition import Questionnaire
from questionnaires.documents import load_document
from survey_app.callcentre.console import submit_keyed_step
from survey_app.callcentre.models import InterviewerRating, QueueEntry, QueueStatus, RatingSurvey
from survey_app.callcentre.queue import QueueError
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.designs.rules import LIBRARY_DIR
from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkCase, FieldworkPlan
from survey_app.fieldwork.planning import attempt_key
from survey_app.respond import operations as respond
from survey_app.surveys.models import Case, Interview, Survey
from survey_app.surveys.queries import get_questionnaire
from survey_app.surveys.tokens import new_token, token_hash

MODES = ("agent", "sms", "ivr")
#: The rating survey's channel plan: step 0 an SMS interview, step 1 an automated call.
STEP_OF = {"sms": 0, "ivr": 1}
RATING_PLAN = {
    "steps": [
        {"channel": "sms", "day": 0, "kind": "interview"},
        {"channel": "ivr", "day": 0, "kind": "interview"},
    ],
    "window": ["08:00", "21:00"],
    "max_attempts": 1,
}
#: The follow-up goes out after the call has ended (an IVR call during the call would be busy).
FOLLOW_UP_DELAY = dt.timedelta(minutes=5)
RATING_KEY = "callcentre_interviewer_rating"
LIBRARY_FILE = LIBRARY_DIR / "interviewer_rating.yaml"


def rating_survey(session: Session, survey: Survey) -> Survey:
    """The survey asking the interviewer rating for ``survey``'s calls; created on first use
    (with the library questionnaire, published once for all surveys). Commits when it creates."""
    link = session.get(RatingSurvey, survey.id)
    if link is not None:
        found = session.get(Survey, link.rating_survey_id)
        assert found is not None
        return found
    version = _rating_version(session)
    document = version.document
    languages = list(document["languages"])
    rating = Survey(
        name=f"{survey.name[:160]} – interviewer rating",
        version_id=version.id,  # type: ignore[arg-type]
        stakeholder_group=str(document.get("stakeholder_group") or "any"),
        languages=languages,
        default_language=survey.default_language if survey.default_language in languages else languages[0],
        closes_at=None,
    )
    session.add(rating)
    session.flush()
    session.add(FieldworkPlan(survey_id=rating.id, document=RATING_PLAN))  # type: ignore[arg-type]
    session.add(RatingSurvey(survey_id=survey.id, rating_survey_id=rating.id))  # type: ignore[arg-type]
    try:
        session.commit()
    except IntegrityError:  # another agent created it at the same moment: use theirs
        session.rollback()
        return rating_survey(session, survey)
    return rating


def _rating_version(session: Session) -> QuestionnaireVersion:
    record = session.exec(select(QuestionnaireRecord).where(QuestionnaireRecord.key == RATING_KEY)).first()
    if record is None:
        document = load_document(LIBRARY_FILE)
        record = QuestionnaireRecord(
            key=RATING_KEY, title="Interviewer rating", stakeholder_group="any", draft=document
        )
        session.add(record)
        session.flush()
        session.add(QuestionnaireVersion(questionnaire_id=record.id, number=1, document=document))  # type: ignore[arg-type]
        session.flush()
    version = session.exec(
        select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_id == record.id)
    ).first()
    assert version is not None
    return version


def rating_of(session: Session, interview_id: int | None) -> InterviewerRating | None:
    """The rating requested for an interview, if any."""
    if interview_id is None:
        return None
    return session.exec(
        select(InterviewerRating).where(InterviewerRating.rated_interview_id == interview_id)
    ).first()


def request_rating(
    session: Session, entry: QueueEntry, agent_id: int, *, mode: str, now: dt.datetime
) -> InterviewerRating:
    """Ask the respondent of the held case to rate the agent: now in the console (``agent``) or
    by an SMS / IVR follow-up. Only after a completed interview, once per interview. Commits.

    :raises QueueError: ``not_held``; ``rating_mode`` (unknown mode); ``not_complete`` (the
        interview is not finished); ``rating_exists`` (already requested).
    """
    if entry.status != QueueStatus.locked or entry.locked_by != agent_id or entry.attempt_id is None:
        raise QueueError("not_held")
    if mode not in MODES:
        raise QueueError("rating_mode")
    interview = session.get(Interview, entry.interview_id) if entry.interview_id else None
    if interview is None or interview.completed_at is None:
        raise QueueError("not_complete")
    if rating_of(session, interview.id) is not None:
        raise QueueError("rating_exists")
    survey = session.get(Survey, entry.survey_id)
    assert survey is not None
    target = rating_survey(session, survey)
    main_case = session.get(Case, entry.case_id)
    language = interview.language if interview.language in target.languages else target.default_language
    case = Case(
        survey_id=target.id,  # type: ignore[arg-type]
        token_hash=token_hash(new_token()),
        language=language,
        context={"first_name": str((main_case.context if main_case else {}).get("first_name", ""))},
    )
    session.add(case)
    session.flush()
    rating = InterviewerRating(
        rated_interview_id=interview.id,  # type: ignore[arg-type]
        case_id=entry.case_id,
        survey_id=entry.survey_id,
        vendor_id=entry.vendor_id,
        agent_id=agent_id,
        mode=mode,
        rating_case_id=case.id,  # type: ignore[arg-type]
        created_at=now,
    )
    if mode != "agent":
        rating.contact_attempt_id = _follow_up(session, entry, case, mode, now)
    session.add(rating)
    try:
        session.commit()
    except IntegrityError:  # a double click: the first request stands
        session.rollback()
        raise QueueError("rating_exists") from None
    if mode == "agent":
        questionnaire = get_questionnaire(session, target.version_id)
        respond.start_interview(
            session, target, questionnaire, case=case, channel="agent", language=language, now=now
        )
    return rating


def _follow_up(session: Session, entry: QueueEntry, case: Case, mode: str, now: dt.datetime) -> int:
    """The delivery details and the planned attempt fieldwork delivery will send (no commit)."""
    session.add(
        FieldworkCase(
            case_id=case.id,  # type: ignore[arg-type]
            survey_id=case.survey_id,
            phone_e164=entry.phone,
            timezone=entry.timezone,
            name=entry.respondent_name or None,
            preferred_channel=mode,
            link_issued_at=now,
        )
    )
    step = STEP_OF[mode]
    attempt = ContactAttempt(
        survey_id=case.survey_id,
        case_id=case.id,  # type: ignore[arg-type]
        channel=mode,
        step=step,
        kind="interview",
        idempotency_key=attempt_key(case.survey_id, int(case.id or 0), step, 1),
        state=AttemptState.planned,
        due_at=now + FOLLOW_UP_DELAY,
        address=entry.phone,
        created_at=now,
        updated_at=now,
    )
    session.add(attempt)
    session.flush()
    return int(attempt.id or 0)


def agent_rating(
    session: Session, rating: InterviewerRating | None
) -> tuple[Survey, Questionnaire, Interview] | None:
    """The rating interview being asked in the console (mode ``agent``, not finished), if any."""
    if rating is None or rating.mode != "agent":
        return None
    interview = session.exec(select(Interview).where(Interview.case_id == rating.rating_case_id)).first()
    if interview is None or interview.completed_at is not None:
        return None
    survey = session.get(Survey, interview.survey_id)
    assert survey is not None
    return survey, get_questionnaire(session, survey.version_id), interview


def answer_rating(
    session: Session,
    entry: QueueEntry,
    agent_id: int,
    *,
    step_key: str,
    form: Mapping[str, Sequence[str]],
    now: dt.datetime,
) -> dict[str, str]:
    """Apply the keys typed for the rating step on screen; returns errors per question (nothing
    stored then). No paradata: the rating is not part of the rated interview. Commits.

    :raises QueueError: ``not_held``; ``no_rating`` (no rating is being asked in the console).
    """
    if entry.status != QueueStatus.locked or entry.locked_by != agent_id:
        raise QueueError("not_held")
    asked = agent_rating(session, rating_of(session, entry.interview_id))
    if asked is None:
        raise QueueError("no_rating")
    survey, questionnaire, interview = asked
    entered = submit_keyed_step(
        session, survey, interview, questionnaire, step_key=step_key, form=form, now=now
    )
    if entered.unknown:
        return {qid: f"unknown:{key}" for qid, key in entered.unknown.items()}
    if entered.outcome is None:
        return entered.errors
    outcome = entered.outcome
    if outcome.errors:
        return {e.question: e.message for e in outcome.errors}
    session.commit()
    return {}
