"""Writes of the respondent path: start an interview, store a page, switch language.

Each respondent request costs one read (``surveys.queries.get_access_by_*``) and one write. The
write is a conditional UPDATE on the step key, so a page submitted twice (a double click, a
browser resend, two tabs) is stored exactly once: the second submission matches no row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col

from questionnaires import engine
from questionnaires.definition import Questionnaire
from questionnaires.state import AnswerError, InterviewState
from survey_app.surveys.models import Case, Interview, InterviewSource, Survey


@dataclass
class PageOutcome:
    """What happened to a submitted page."""

    state: InterviewState
    errors: tuple[AnswerError, ...] = ()
    #: The page was not the one on record (already submitted, or an old tab): nothing stored.
    stale: bool = False

    @property
    def completed(self) -> bool:
        """Return True when this submission finished the interview."""
        return self.state.completed


def start_interview(
    session: Session,
    survey: Survey,
    questionnaire: Questionnaire,
    *,
    case: Case | None,
    channel: str,
    language: str,
    now: dt.datetime,
    resume_hash: str | None = None,
) -> Interview:
    """Create and commit the interview of ``case`` (or of an open-link respondent).

    :param resume_hash: for open links, the hash of the cookie token that lets the respondent resume.
    """
    state = engine.start(
        questionnaire,
        context=case.context if case is not None else {},
        language=language,
        channel=channel,
        # A fresh seed per respondent: option orders differ between people, never between visits.
        seed=secrets.randbits(31),
        now=now.timestamp(),
    )
    interview = Interview(
        survey_id=survey.id,  # type: ignore[arg-type]
        case_id=case.id if case is not None else None,
        version_id=survey.version_id,
        source=InterviewSource.personal if case is not None else InterviewSource.open,
        channel=channel,
        language=state.language,
        status=engine.interview_status(questionnaire, state).value,
        state=state.to_dict(),
        step_key=engine.next_step(questionnaire, state).key,
        resume_hash=resume_hash,
        started_at=now,
        updated_at=now,
    )
    session.add(interview)
    session.commit()
    return interview


def submit_page(
    session: Session,
    survey: Survey,
    interview: Interview,
    questionnaire: Questionnaire,
    *,
    step_key: str,
    replies: Mapping[str, object],
    go_back: bool,
    now: dt.datetime,
) -> PageOutcome:
    """Apply a submitted page (or a back-step) and store the result in one conditional write."""
    state = InterviewState.from_dict(interview.state)
    if interview.completed_at is not None or step_key != interview.step_key:
        return PageOutcome(state=state, stale=True)
    moment = now.timestamp()
    errors: tuple[AnswerError, ...] = ()
    if go_back:
        state = engine.back(questionnaire, state, now=moment)
    else:
        result = engine.answer(questionnaire, state, replies, now=moment)
        state, errors = result.state, result.errors
        if not errors and engine.next_step(questionnaire, state, now=moment).done:
            state = engine.complete(questionnaire, state, now=moment)
    stored = _store(session, survey, interview, questionnaire, state, expected_step=step_key, now=now)
    if not stored:
        session.rollback()
        return PageOutcome(state=InterviewState.from_dict(interview.state), stale=True)
    return PageOutcome(state=state, errors=errors)


def finish_interview(
    session: Session, survey: Survey, interview: Interview, questionnaire: Questionnaire, *, now: dt.datetime
) -> InterviewState:
    """Complete an interview with nothing left to ask (its remaining questions are all hidden)."""
    state = InterviewState.from_dict(interview.state)
    if not state.completed:
        state = engine.complete(questionnaire, state, now=now.timestamp())
        _store(session, survey, interview, questionnaire, state, expected_step=interview.step_key, now=now)
    return state


def change_language(
    session: Session,
    survey: Survey,
    interview: Interview,
    questionnaire: Questionnaire,
    language: str,
    *,
    now: dt.datetime,
) -> InterviewState:
    """Switch the interview language (the respondent's language switch) and store it."""
    state = InterviewState.from_dict(interview.state)
    changed = engine.set_language(questionnaire, state, language, now=now.timestamp())
    if changed is not state and interview.completed_at is None:
        _store(session, survey, interview, questionnaire, changed, expected_step=interview.step_key, now=now)
    return changed


def _store(
    session: Session,
    survey: Survey,
    interview: Interview,
    questionnaire: Questionnaire,
    state: InterviewState,
    *,
    expected_step: str,
    now: dt.datetime,
) -> bool:
    status = engine.interview_status(questionnaire, state, partial_threshold=survey.partial_threshold)
    values = {
        "state": state.to_dict(),
        "step_key": engine.next_step(questionnaire, state).key,
        "status": status.value,
        "language": state.language,
        "answers": engine.final_answers(questionnaire, state),
        "updated_at": now,
        "completed_at": now if state.completed else None,
    }
    result = session.execute(
        update(Interview)
        .where(col(Interview.id) == interview.id, col(Interview.step_key) == expected_step)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.commit()
    for key, value in values.items():
        setattr(interview, key, value)
    return True
