"""Every attempt ends with a disposition: record it, map it to AAPOR, apply the case rules.

Rules (``dispositions.Effect``): a retry comes back after three hours at the earliest, in another
day part; a callback is an appointment at the respondent's local time (in calling hours); a first
soft refusal allows one conversion attempt by another agent after seven days, a second refusal ends
the case; a hard refusal or a do-not-call request ends it and puts the number on the opt-out list
(``fieldwork.models.OptOut``, source ``staff``); when the attempts run out the case ends with
:func:`dispositions.exhausted_code`.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from survey_app.callcentre.dispositions import (
    BY_KEY,
    CONVERSION_DELAY,
    RETRY_DELAY,
    Effect,
    exhausted_code,
)
from survey_app.callcentre.models import CallAttempt, QueueEntry, QueueStatus
from survey_app.callcentre.queue import QueueError, full_parts, release
from survey_app.callcentre.schedule import DayPart, in_calling_hours, next_slot, parse_local
from survey_app.fieldwork.models import OptOut
from survey_app.surveys.models import Interview

OPT_OUT_SOURCE = "staff"


def record_outcome(
    session: Session,
    entry: QueueEntry,
    agent_id: int,
    *,
    outcome: str,
    callback_local: str = "",
    note: str = "",
    now: dt.datetime,
) -> CallAttempt:
    """End the current attempt with ``outcome`` (a ``dispositions`` key) and update the case. Commits.

    :raises QueueError: ``not_held``/``not_dialled``; ``outcome`` unknown; ``callback_time``
        missing, unreadable, past or outside calling hours; ``not_complete`` (complete chosen but
        the interview is not finished); ``is_complete`` (the interview is finished: only complete).
    """
    if entry.status != QueueStatus.locked or entry.locked_by != agent_id:
        raise QueueError("not_held")
    if entry.attempt_id is None:
        raise QueueError("not_dialled")
    disposition = BY_KEY.get(outcome)
    if disposition is None:
        raise QueueError("outcome")
    interview = session.get(Interview, entry.interview_id) if entry.interview_id else None
    finished = interview is not None and interview.completed_at is not None
    if outcome == "complete" and not finished:
        raise QueueError("not_complete")
    if finished and outcome != "complete":
        raise QueueError("is_complete")
    code = disposition.aapor
    if outcome == "break_off" and interview is not None and interview.status == "partial":
        code = "1.2"
    callback_at = (
        _callback_time(entry, callback_local, now) if disposition.effect is Effect.callback else None
    )
    attempt = session.get(CallAttempt, entry.attempt_id)
    assert attempt is not None
    attempt.outcome = outcome
    attempt.aapor_code = code
    attempt.ended_at = now
    attempt.callback_at = callback_at
    attempt.note = note.strip()[:500]
    attempt.interview_id = entry.interview_id
    effect = disposition.effect
    if effect is Effect.conversion and entry.refused_by is not None:
        effect = Effect.final  # the conversion attempt was refused again
    if effect in (Effect.final, Effect.opt_out):
        _finish(entry, code, now)
        if effect is Effect.opt_out:
            _opt_out(session, entry, attempt)
    elif effect is Effect.callback:
        assert callback_at is not None
        # An appointment the respondent asked for is kept even when the attempts are used up.
        entry.max_attempts = max(entry.max_attempts, entry.attempts + 1)
        entry.appointment_at = callback_at
        release(entry, due=callback_at, now=now)
    elif effect is Effect.conversion:
        entry.refused_by = agent_id
        entry.max_attempts = max(entry.max_attempts, entry.attempts + 1)
        due = next_slot(now, entry.timezone, avoid=full_parts(entry), min_delay=CONVERSION_DELAY)
        release(entry, due=due, now=now)
    elif entry.attempts >= entry.max_attempts:
        _finish(entry, exhausted_code(_codes(session, entry.case_id, code)), now)
    else:
        avoid = full_parts(entry) | {DayPart(attempt.day_part)}
        release(entry, due=next_slot(now, entry.timezone, avoid=avoid, min_delay=RETRY_DELAY), now=now)
    attempt.final = entry.status is QueueStatus.final  # type: ignore[comparison-overlap]  # set above
    session.add(attempt)
    session.add(entry)
    session.commit()
    return attempt


def _callback_time(entry: QueueEntry, value: str, now: dt.datetime) -> dt.datetime:
    if not value.strip():
        raise QueueError("callback_time")
    try:
        at = parse_local(value, entry.timezone)
    except ValueError:
        raise QueueError("callback_time") from None
    if at <= now or not in_calling_hours(at, entry.timezone):
        raise QueueError("callback_time")
    return at


def _finish(entry: QueueEntry, code: str, now: dt.datetime) -> None:
    entry.status = QueueStatus.final
    entry.final_code = code
    entry.locked_by = None
    entry.locked_at = None
    entry.attempt_id = None
    entry.dialled_at = None
    entry.paused_at = None
    entry.appointment_at = None
    entry.updated_at = now


def _opt_out(session: Session, entry: QueueEntry, attempt: CallAttempt) -> None:
    exists = session.exec(select(OptOut.id).where(OptOut.address == entry.phone)).first()
    if exists is None:
        session.add(
            OptOut(
                address=entry.phone,
                source=OPT_OUT_SOURCE,
                survey_id=entry.survey_id,
                event_key=f"call:{attempt.id}",
            )
        )


def _codes(session: Session, case_id: int, latest: str) -> list[str]:
    codes = session.exec(
        select(CallAttempt.aapor_code)
        .where(CallAttempt.case_id == case_id, col(CallAttempt.aapor_code).is_not(None))
        .order_by(col(CallAttempt.id))
    )
    return [c for c in codes if c] + [latest]
