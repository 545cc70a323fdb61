"""Writes of the respondent path: start an interview, store a page, switch language.

Each respondent request costs one read (``surveys.queries.get_access_by_*``) and one write. The
write is a conditional UPDATE on the step key, so a page submitted twice (a double click, a
browser resend, two tabs) is stored exactly once: the second submission matches no row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from questionnaires import engine
from questionnaires.definition import NON_ANSWERED_TYPES, Questionnaire
from questionnaires.state import AnswerError, InterviewState, Step
from survey_app.surveys.models import Case, Interview, InterviewSource, Survey


@dataclass
class PageOutcome:
    """What happened to a submitted page."""

    state: InterviewState
    errors: tuple[AnswerError, ...] = ()
    #: The page was not the one on record (already submitted, or an old tab): nothing stored.
    stale: bool = False
    #: ``engine.next_step`` of ``state`` when stored (the page to show next, or the done step).
    step: Step | None = None

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
    values: dict[str, Any] = {
        "survey_id": survey.id,
        "case_id": case.id if case is not None else None,
        "version_id": survey.version_id,
        "source": InterviewSource.personal if case is not None else InterviewSource.open,
        "channel": channel,
        "language": state.language,
        "status": engine.interview_status(questionnaire, state).value,
        "state": state.to_dict(),
        "step_key": engine.next_step(questionnaire, state).key,
        "answers": {},
        "resume_hash": resume_hash,
        "started_at": now,
        "updated_at": now,
        "completed_at": None,
    }
    # A Core INSERT ... RETURNING on the session's connection: the ORM's unit of work cost more
    # CPU than the statement. The row is then attached to the session as if it had been loaded,
    # so callers get the same persistent Interview as from session.add() + commit().
    interview_id = session.connection().execute(_START, values).scalar_one()
    session.commit()
    interview = Interview(id=interview_id, **values)
    make_transient_to_detached(interview)
    session.add(interview)
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
    state: InterviewState | None = None,
) -> PageOutcome:
    """Apply a submitted page (or a back-step) and store the result in one conditional write.

    :param state: ``interview.state`` already parsed by the caller (saves parsing it again).
    """
    state = state if state is not None else InterviewState.from_dict(interview.state)
    if interview.completed_at is not None or step_key != interview.step_key:
        return PageOutcome(state=state, stale=True)
    moment = now.timestamp()
    errors: tuple[AnswerError, ...] = ()
    if go_back:
        state = engine.back(questionnaire, state, now=moment)
    else:
        result = engine.answer(questionnaire, state, replies, now=moment)
        state, errors = result.state, result.errors
    if go_back or errors:
        step = engine.next_step(questionnaire, state)
    else:
        step = engine.next_step(questionnaire, state, now=moment)
        if step.done:
            state = engine.complete(questionnaire, state, now=moment)
            step = engine.next_step(questionnaire, state)
    stored = _store(
        session, survey, interview, questionnaire, state, expected_step=step_key, now=now, step=step
    )
    if not stored:
        session.rollback()
        return PageOutcome(state=InterviewState.from_dict(interview.state), stale=True)
    return PageOutcome(state=state, errors=errors, step=step)


@dataclass
class TurnOutcome:
    """What one conversational turn did (an SMS reply, a key press, an agent's entry)."""

    state: InterviewState
    errors: tuple[AnswerError, ...] = ()
    #: The interview was not at the step on record (a retried webhook, finished): nothing stored.
    stale: bool = False
    #: Statement-only steps (``info``) passed on the way to the next question, to present them.
    passed: tuple[Step, ...] = ()

    @property
    def completed(self) -> bool:
        """Return True when the interview is complete after this turn."""
        return self.state.completed


def record_turn(
    session: Session,
    survey: Survey,
    interview: Interview,
    questionnaire: Questionnaire,
    *,
    replies: Mapping[str, object],
    go_back: bool = False,
    now: dt.datetime,
    before_commit: Callable[[TurnOutcome], None] | None = None,
) -> TurnOutcome:
    """Apply one turn of a conversational channel and store it in one conditional write.

    The channel-agnostic form of :func:`submit_page` for one-question-at-a-time channels: the
    replies answer the step on record (``interview.step_key``); statement-only steps that follow
    are passed (and returned, so the channel can say them); the interview is completed when
    nothing is left. A turn whose step was already answered stores nothing (``stale``).

    :param before_commit: called with the outcome before the write, to add rows that must commit
        with it (e.g. a webhook's idempotency marker carrying the reply); rolled back if stale.
    """
    state = InterviewState.from_dict(interview.state)
    if interview.completed_at is not None:
        return TurnOutcome(state=state, stale=True)
    outcome = take_turn(questionnaire, state, replies=replies, go_back=go_back, now=now)
    if before_commit is not None:
        before_commit(outcome)
    if not _store(
        session, survey, interview, questionnaire, outcome.state, expected_step=interview.step_key, now=now
    ):
        session.rollback()
        return TurnOutcome(state=InterviewState.from_dict(interview.state), stale=True)
    return outcome


def take_turn(
    questionnaire: Questionnaire,
    state: InterviewState,
    *,
    replies: Mapping[str, object],
    go_back: bool = False,
    now: dt.datetime,
) -> TurnOutcome:
    """Apply one conversational turn to ``state`` in memory: the engine half of :func:`record_turn`.

    For a channel that stores the result with its own statement (the SMS webhook writes its
    idempotency marker in the same round trip), together with :func:`turn_values` and :data:`STORE`.
    """
    moment = now.timestamp()
    errors: tuple[AnswerError, ...] = ()
    passed: list[Step] = []
    if go_back:
        state = engine.back(questionnaire, state, now=moment)
    else:
        result = engine.answer(questionnaire, state, replies, now=moment)
        state, errors = result.state, result.errors
    if not errors and not go_back:
        step = engine.next_step(questionnaire, state, now=moment)
        while not step.done and all(q.type in NON_ANSWERED_TYPES for q in step.questions):
            passed.append(step)
            state = engine.answer(questionnaire, state, {}, now=moment).state
            step = engine.next_step(questionnaire, state, now=moment)
        if step.done:
            state = engine.complete(questionnaire, state, now=moment)
    return TurnOutcome(state=state, errors=errors, passed=tuple(passed))


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


#: The conditional write of every page and turn, built once. The SET clause comes from the
#: parameters' keys (:func:`turn_values`); ``b_id`` and ``b_step`` are the WHERE clause's (named
#: apart from the columns).
_INTERVIEWS = Interview.__table__  # type: ignore[attr-defined]
STORE = update(_INTERVIEWS).where(
    _INTERVIEWS.c.id == bindparam("b_id"), _INTERVIEWS.c.step_key == bindparam("b_step")
)
_START = insert(_INTERVIEWS).returning(_INTERVIEWS.c.id)


def turn_values(
    questionnaire: Questionnaire,
    state: InterviewState,
    *,
    partial_threshold: float,
    now: dt.datetime,
    step: Step | None = None,
) -> dict[str, Any]:
    """Return the columns :data:`STORE` writes for ``state`` (its SET clause, by column name).

    :param partial_threshold: the survey's (what makes an unfinished interview a partial).
    :param step: ``engine.next_step`` of ``state`` when the caller has it (saves computing it again).
    """
    status = engine.interview_status(questionnaire, state, partial_threshold=partial_threshold)
    return {
        "state": state.to_dict(),
        "step_key": (step if step is not None else engine.next_step(questionnaire, state)).key,
        "status": status.value,
        "language": state.language,
        "answers": engine.final_answers(questionnaire, state),
        "updated_at": now,
        "completed_at": now if state.completed else None,
    }


def _store(
    session: Session,
    survey: Survey,
    interview: Interview,
    questionnaire: Questionnaire,
    state: InterviewState,
    *,
    expected_step: str,
    now: dt.datetime,
    step: Step | None = None,
) -> bool:
    """Write ``state`` if the interview is still at ``expected_step``; commit; False if it was not.

    :param step: ``engine.next_step`` of ``state`` when the caller has it (saves computing it again).
    """
    values = turn_values(questionnaire, state, partial_threshold=survey.partial_threshold, now=now, step=step)
    # On the session's connection (same transaction): a Core statement needs none of the ORM's
    # statement handling, which cost more CPU than the UPDATE itself. Flush first, as the ORM's
    # autoflush would, so pending changes of the caller are written before this statement.
    session.flush()
    result = session.connection().execute(STORE, {**values, "b_id": interview.id, "b_step": expected_step})
    if result.rowcount != 1:
        return False
    session.commit()
    for key, value in values.items():
        # As loaded, not as a change: a later flush must not write these values again over a
        # newer UPDATE of this row.
        set_committed_value(interview, key, value)
    return True
