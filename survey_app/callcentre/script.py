"""What the agent console shows for the held case: a read-only view built from the queue row, the
interview and the engine (the agent never sees other respondents or the phone number before dialling).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from channels.agent import AgentScript
from questionnaires import engine
from questionnaires.definition import Questionnaire, localize
from questionnaires.state import InterviewState, Step
from survey_app.callcentre.console import AGENT
from survey_app.callcentre.dispositions import DISPOSITIONS, Disposition
from survey_app.callcentre.models import CallBridge, InterviewerRating, QueueEntry, Vendor
from survey_app.callcentre.ratings import agent_rating, rating_of
from survey_app.callcentre.schedule import local
from survey_app.surveys.models import Case, Interview, Survey
from survey_app.surveys.queries import get_questionnaire


@dataclass(frozen=True)
class ConsoleView:
    """Everything the console page renders."""

    entry: QueueEntry
    survey: Survey
    questionnaire: Questionnaire
    interview: Interview | None
    state: InterviewState
    phone: str
    local_time: dt.datetime
    intro: str
    step: Step | None
    script: AgentScript | None
    alerts: tuple[tuple[str, str], ...]
    thank_you: str
    dispositions: tuple[Disposition, ...]
    #: The interviewer rating requested after the interview (None: not offered yet).
    rating: InterviewerRating | None = None
    #: The rating step to ask now, when it is asked in the console (``agent`` mode).
    rating_script: AgentScript | None = None
    #: Whether the vendor's agents may use click-to-call, and the click-to-call of this attempt.
    click_to_call: bool = False
    bridge: CallBridge | None = None

    @property
    def dialled(self) -> bool:
        """Whether an attempt is in progress (the number is shown, an outcome is due)."""
        return self.entry.attempt_id is not None

    @property
    def completed(self) -> bool:
        """Whether the interview is complete."""
        return self.interview is not None and self.interview.completed_at is not None


def mask_phone(phone: str) -> str:
    """``+86•••••••8000``: the country code and the last four digits only."""
    if len(phone) <= 7:
        return "•" * len(phone)
    head = 3 if phone.startswith("+") else 0
    return phone[:head] + "•" * (len(phone) - head - 4) + phone[-4:]


def load_survey(session: Session, entry: QueueEntry) -> tuple[Survey, Questionnaire]:
    """The survey of the case and its compiled questionnaire (cached per process)."""
    survey = session.get(Survey, entry.survey_id)
    assert survey is not None
    return survey, get_questionnaire(session, survey.version_id)


def console_view(session: Session, entry: QueueEntry, *, now: dt.datetime) -> ConsoleView:
    """Build the console of the held case."""
    survey, questionnaire = load_survey(session, entry)
    interview = session.get(Interview, entry.interview_id) if entry.interview_id else None
    if interview is not None:
        state = InterviewState.from_dict(interview.state)
    else:
        case = session.get(Case, entry.case_id)
        language = entry.language if entry.language in questionnaire.languages else survey.default_language
        # A throw-away state renders the introduction with the respondent's name; nothing is stored.
        state = engine.start(
            questionnaire,
            context=case.context if case else {},
            language=language,
            channel="agent",
            seed=0,
            now=now.timestamp(),
        )
    step = engine.next_step(questionnaire, state) if interview is not None else None
    script = AGENT.render(step, state.language) if step is not None and not step.done else None
    rating = rating_of(session, interview.id) if interview is not None and interview.completed_at else None
    rating_script = None
    asked = agent_rating(session, rating)
    if asked is not None:
        rating_state = InterviewState.from_dict(asked[2].state)
        rating_script = AGENT.render(engine.next_step(asked[1], rating_state), rating_state.language)
    vendor = session.get(Vendor, entry.vendor_id)
    bridge = (
        session.exec(select(CallBridge).where(CallBridge.attempt_id == entry.attempt_id)).first()
        if entry.attempt_id is not None
        else None
    )
    return ConsoleView(
        entry=entry,
        survey=survey,
        questionnaire=questionnaire,
        interview=interview,
        state=state,
        # Shown only while dialling by hand: click-to-call dials for the agent (unless it failed).
        phone=entry.phone
        if entry.attempt_id is not None and (bridge is None or bridge.status == "failed")
        else mask_phone(entry.phone),
        local_time=local(now, entry.timezone),
        intro=engine.intro_text(questionnaire, state),
        step=step,
        script=script,
        alerts=tuple(engine.alert_messages(questionnaire, state)) if interview is not None else (),
        thank_you=step.thank_you if step is not None and step.done else "",
        dispositions=DISPOSITIONS,
        rating=rating,
        rating_script=rating_script,
        click_to_call=bool(vendor and vendor.click_to_call),
        bridge=bridge,
    )


def title_of(view: ConsoleView) -> str:
    """The questionnaire title in the interview language."""
    return localize(view.questionnaire.title, view.state.language, view.questionnaire.default_language)
