"""Writes of the agent console during a call: dial, start or resume the interview, answer a step,
go back, switch language, pause; each leaves its paradata row.

The engine drives the script (``channels.agent`` renders its steps); the answers are stored by
``respond.operations`` exactly like the other channels', so skip logic and validation are the
engine's. Strong dissatisfaction (the questionnaire's ``alerts``) is raised once per interview as an
:class:`AlertCase` carrying the answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, select

from channels.agent import AgentChannel
from channels.base import Inbound
from questionnaires import engine
from questionnaires.definition import Questionnaire
from questionnaires.state import InterviewState, Reply, Step
from survey_app.callcentre.keys import fields_from_keys
from survey_app.callcentre.models import AlertCase, CallAttempt, ParadataEvent, QueueEntry, QueueStatus
from survey_app.callcentre.queue import QueueError
from survey_app.callcentre.schedule import DayPart, day_part
from survey_app.respond import operations as respond
from survey_app.surveys.models import Case, Interview, Survey

AGENT = AgentChannel()


@dataclass
class StepResult:
    """What an entry did: errors per question (nothing stored), or the new state and new alerts."""

    errors: dict[str, str] = field(default_factory=dict)
    unknown_keys: dict[str, str] = field(default_factory=dict)
    stale: bool = False
    alerts: list[AlertCase] = field(default_factory=list)


def _held(entry: QueueEntry, agent_id: int, *, dialled: bool = True) -> None:
    if entry.status != QueueStatus.locked or entry.locked_by != agent_id:
        raise QueueError("not_held")
    if dialled and entry.attempt_id is None:
        raise QueueError("not_dialled")


def _event(entry: QueueEntry, kind: str, now: dt.datetime, **values: object) -> ParadataEvent:
    return ParadataEvent(
        interview_id=entry.interview_id,
        attempt_id=entry.attempt_id,  # type: ignore[arg-type]
        vendor_id=entry.vendor_id,
        agent_id=entry.locked_by,  # type: ignore[arg-type]
        kind=kind,
        at=now,
        **values,  # type: ignore[arg-type]
    )


def dial(session: Session, entry: QueueEntry, agent_id: int, *, now: dt.datetime) -> CallAttempt:
    """Start an attempt on the held case (the number is shown while it lasts); counts the attempt
    in the current day part of the respondent. Pressing dial again keeps the same attempt. Commits."""
    _held(entry, agent_id, dialled=False)
    if entry.attempt_id is not None:
        existing = session.get(CallAttempt, entry.attempt_id)
        assert existing is not None
        return existing
    part = day_part(now, entry.timezone)
    attempt = CallAttempt(
        case_id=entry.case_id,
        survey_id=entry.survey_id,
        vendor_id=entry.vendor_id,
        agent_id=agent_id,
        interview_id=entry.interview_id,
        started_at=entry.locked_at or now,
        dialled_at=now,
        day_part=part.value,
    )
    session.add(attempt)
    session.flush()
    entry.attempt_id = attempt.id
    entry.dialled_at = now
    entry.attempts += 1
    column = {DayPart.weekday: "tries_weekday", DayPart.weeknight: "tries_weeknight"}.get(
        part, "tries_weekend"
    )
    setattr(entry, column, getattr(entry, column) + 1)
    entry.last_day_part = part.value
    entry.appointment_at = None  # kept: this call is the appointment
    entry.updated_at = now
    session.add(entry)
    session.add(_event(entry, "dial", now))
    session.commit()
    return attempt


def start_or_resume(
    session: Session,
    entry: QueueEntry,
    agent_id: int,
    survey: Survey,
    questionnaire: Questionnaire,
    *,
    now: dt.datetime,
) -> Interview:
    """The case's interview: created (agent channel) when the respondent accepted the introduction,
    or the one a previous attempt began. Commits."""
    _held(entry, agent_id)
    interview = session.get(Interview, entry.interview_id) if entry.interview_id else None
    if interview is None:
        case = session.get(Case, entry.case_id)
        language = entry.language if entry.language in questionnaire.languages else survey.default_language
        interview = respond.start_interview(
            session, survey, questionnaire, case=case, channel="agent", language=language, now=now
        )
        entry.interview_id = interview.id
    attempt = session.get(CallAttempt, entry.attempt_id)
    if attempt is not None:
        attempt.interview_id = interview.id
        session.add(attempt)
    entry.step_shown_at = now
    session.add(entry)
    session.commit()
    return interview


def answer_step(
    session: Session,
    entry: QueueEntry,
    agent_id: int,
    survey: Survey,
    interview: Interview,
    questionnaire: Questionnaire,
    *,
    step_key: str,
    form: Mapping[str, Sequence[str]],
    now: dt.datetime,
) -> StepResult:
    """Apply the keys the agent typed for the step on screen. Commits what it stores."""
    _held(entry, agent_id)
    state = InterviewState.from_dict(interview.state)
    entered = submit_keyed_step(
        session, survey, interview, questionnaire, step_key=step_key, form=form, now=now
    )
    if entered.unknown:
        return StepResult(unknown_keys=entered.unknown)
    if entered.outcome is None:
        return StepResult(errors=entered.errors)
    step, outcome = entered.step, entered.outcome
    changed = sum(1 for qid, reply in entered.replies.items() if _changes(state, qid, reply))
    if outcome.stale:
        return StepResult(stale=True)
    if outcome.errors:
        return StepResult(errors={e.question: e.message for e in outcome.errors})
    seconds = (now - (entry.step_shown_at or now)).total_seconds()
    questions = " ".join(q.id for q in step.questions)[:500]
    session.add(_event(entry, "answer", now, questions=questions, seconds=max(seconds, 0.0), changed=changed))
    entry.step_shown_at = now
    session.add(entry)
    alerts = _raise_alerts(session, entry, interview, questionnaire, outcome.state)
    session.commit()
    return StepResult(alerts=alerts)


@dataclass(frozen=True)
class KeyedEntry:
    """What the keys typed for one step did: refused keys or field errors (nothing stored), or the
    outcome of storing the parsed replies."""

    step: Step
    unknown: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    replies: Mapping[str, Reply] = field(default_factory=dict)
    outcome: respond.PageOutcome | None = None


def submit_keyed_step(
    session: Session,
    survey: Survey,
    interview: Interview,
    questionnaire: Questionnaire,
    *,
    step_key: str,
    form: Mapping[str, Sequence[str]],
    now: dt.datetime,
) -> KeyedEntry:
    """Read the agent's keys for the step on screen and store them through the respondent operations.

    Shared by the interview console and the interviewer rating asked in it; the caller commits.
    """
    state = InterviewState.from_dict(interview.state)
    step = engine.next_step(questionnaire, state)
    fields, unknown = fields_from_keys(AGENT.render(step, state.language), form)
    if unknown:
        return KeyedEntry(step, unknown=unknown)
    parsed = AGENT.parse(step, Inbound(fields=fields), state.language)
    if parsed.field_errors:
        return KeyedEntry(step, errors=dict(parsed.field_errors))
    outcome = respond.submit_page(
        session,
        survey,
        interview,
        questionnaire,
        step_key=step_key,
        replies=parsed.replies,
        go_back=False,
        now=now,
    )
    return KeyedEntry(step, replies=parsed.replies, outcome=outcome)


def _changes(state: InterviewState, qid: str, reply: object) -> bool:
    before = state.answers.get(qid, state.specials.get(qid))
    if before is None:
        return False
    after = getattr(reply, "special", None) or getattr(reply, "value", None)
    if isinstance(after, tuple):
        after = list(after)
    return bool(before != after)


def _raise_alerts(
    session: Session,
    entry: QueueEntry,
    interview: Interview,
    questionnaire: Questionnaire,
    state: InterviewState,
) -> list[AlertCase]:
    held = engine.alert_messages(questionnaire, state)
    if not held:
        return []
    known = set(session.exec(select(AlertCase.alert_id).where(AlertCase.interview_id == interview.id)))
    raised = []
    for alert_id, message in held:
        if alert_id in known:
            continue
        alert = AlertCase(
            survey_id=interview.survey_id,
            case_id=entry.case_id,
            interview_id=interview.id,  # type: ignore[arg-type]
            vendor_id=entry.vendor_id,
            agent_id=entry.locked_by,  # type: ignore[arg-type]
            alert_id=alert_id,
            message=message[:2000],
            answers=engine.final_answers(questionnaire, state),
        )
        session.add(alert)
        raised.append(alert)
    return raised


def go_back(
    session: Session,
    entry: QueueEntry,
    agent_id: int,
    survey: Survey,
    interview: Interview,
    questionnaire: Questionnaire,
    *,
    step_key: str,
    now: dt.datetime,
) -> bool:
    """Step back to the previous question (a back-step in the paradata). Commits."""
    _held(entry, agent_id)
    outcome = respond.submit_page(
        session, survey, interview, questionnaire, step_key=step_key, replies={}, go_back=True, now=now
    )
    if outcome.stale:
        return False
    session.add(_event(entry, "back", now))
    entry.step_shown_at = now
    session.add(entry)
    session.commit()
    return True


def switch_language(
    session: Session,
    entry: QueueEntry,
    agent_id: int,
    survey: Survey,
    interview: Interview | None,
    questionnaire: Questionnaire,
    language: str,
    *,
    now: dt.datetime,
) -> None:
    """Continue the call in ``language`` (the respondent's choice, mid-call): the introduction
    before the interview starts, the interview itself afterwards. Commits.

    :raises QueueError: ``language`` is not one of the questionnaire's.
    """
    _held(entry, agent_id)
    if language not in questionnaire.languages:
        raise QueueError("language")
    if interview is not None:
        respond.change_language(session, survey, interview, questionnaire, language, now=now)
    entry.language = language
    session.add(entry)
    session.add(_event(entry, "language", now, detail=language))
    session.commit()


def pause(session: Session, entry: QueueEntry, agent_id: int, *, now: dt.datetime) -> None:
    """Pause the console (the respondent asked to hold): paused time is not time on a question."""
    _held(entry, agent_id)
    if entry.paused_at is None:
        entry.paused_at = now
        session.add(entry)
        session.commit()


def resume(session: Session, entry: QueueEntry, agent_id: int, *, now: dt.datetime) -> None:
    """End a pause; records its length. Commits."""
    _held(entry, agent_id)
    if entry.paused_at is None:
        return
    paused = max((now - entry.paused_at).total_seconds(), 0.0)
    session.add(_event(entry, "pause", now, seconds=paused))
    if entry.step_shown_at is not None:
        entry.step_shown_at += dt.timedelta(seconds=paused)
    entry.paused_at = None
    session.add(entry)
    session.commit()
