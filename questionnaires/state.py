"""Value objects of an interview: the immutable state, the steps shown, replies and errors.

The state is plain data (strings, numbers, tuples, mappings) so that it serialises to JSON and can
be stored after every step and replayed later by any channel.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

AnswerValue = str | int | float | bool | tuple[str, ...] | Mapping[str, Any] | None
RawValue = str | Sequence[str] | Mapping[str, str] | int | float | bool | None

STATE_FORMAT = 1


class InterviewStatus(enum.StrEnum):
    """Where an interview stands, mapped to AAPOR outcome codes by :func:`aapor_code`."""

    NOT_STARTED = "not_started"
    BREAK_OFF = "break_off"
    PARTIAL = "partial"
    COMPLETE = "complete"


def aapor_code(status: InterviewStatus) -> str:
    """Return the AAPOR final disposition code for an interview status."""
    return {
        InterviewStatus.COMPLETE: "1.1",
        InterviewStatus.PARTIAL: "1.2",
        InterviewStatus.BREAK_OFF: "2.12",
        InterviewStatus.NOT_STARTED: "3.19",
    }[status]


@dataclass(frozen=True, slots=True)
class Event:
    """One paradata event: what happened, to which question, at what time (epoch seconds)."""

    at: float
    kind: str
    """One of ``shown answered changed invalid back cleared language channel completed``."""
    question: str | None = None
    detail: str | None = None

    def to_list(self) -> list[Any]:
        """Return the compact JSON form ``[at, kind, question, detail]``."""
        return [self.at, self.kind, self.question, self.detail]


@dataclass(frozen=True, slots=True)
class Reply:
    """What a channel parsed from the respondent for one question."""

    value: RawValue = None
    special: str | None = None
    """``dont_know`` or ``refused`` instead of a value."""
    other_text: str | None = None


@dataclass(frozen=True, slots=True)
class InterviewState:
    """The whole interview so far. Never mutated: every engine call returns a new state."""

    questionnaire_id: str
    version: str
    language: str
    channel: str
    seed: int
    context: Mapping[str, Any]
    answers: Mapping[str, Any] = field(default_factory=dict)
    specials: Mapping[str, str] = field(default_factory=dict)
    other_texts: Mapping[str, str] = field(default_factory=dict)
    cursor: int = 0
    """Index (in questionnaire order) where the next step starts."""
    history: tuple[int, ...] = ()
    """Cursor of every step submitted, most recent last; ``back`` pops it."""
    completed: bool = False
    started_at: float = 0.0
    completed_at: float | None = None
    events: tuple[Event, ...] = ()

    def with_changes(self, **changes: Any) -> InterviewState:
        """Return a copy with ``changes`` applied (mappings are frozen)."""
        for key in ("answers", "specials", "other_texts", "context"):
            if key in changes:
                changes[key] = MappingProxyType(dict(changes[key]))
        return replace(self, **changes)

    def is_answered(self, qid: str) -> bool:
        """Return True when ``qid`` has a value or a special answer."""
        return qid in self.answers or qid in self.specials

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; :meth:`from_dict` restores an equal state."""
        return {
            "format": STATE_FORMAT,
            "questionnaire_id": self.questionnaire_id,
            "version": self.version,
            "language": self.language,
            "channel": self.channel,
            "seed": self.seed,
            "context": dict(self.context),
            "answers": {k: list(v) if isinstance(v, tuple) else v for k, v in self.answers.items()},
            "specials": dict(self.specials),
            "other_texts": dict(self.other_texts),
            "cursor": self.cursor,
            "history": list(self.history),
            "completed": self.completed,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "events": [e.to_list() for e in self.events],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InterviewState:
        """Rebuild a state stored with :meth:`to_dict`."""
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported interview state format {data.get('format')!r}")
        answers = {k: tuple(v) if isinstance(v, list) else v for k, v in data["answers"].items()}
        return cls(
            questionnaire_id=data["questionnaire_id"],
            version=data["version"],
            language=data["language"],
            channel=data["channel"],
            seed=int(data["seed"]),
            context=MappingProxyType(dict(data["context"])),
            answers=MappingProxyType(answers),
            specials=MappingProxyType(dict(data["specials"])),
            other_texts=MappingProxyType(dict(data["other_texts"])),
            cursor=int(data["cursor"]),
            history=tuple(int(h) for h in data["history"]),
            completed=bool(data["completed"]),
            started_at=float(data["started_at"]),
            completed_at=data["completed_at"],
            events=tuple(Event(*e) for e in data["events"]),
        )


@dataclass(frozen=True, slots=True)
class ChoiceView:
    """An option as shown: its code, its label in the interview language, and its key."""

    code: str
    label: str
    key: str
    """What a respondent types or presses on SMS/IVR (``1``, ``2``, ...)."""
    exclusive: bool = False


@dataclass(frozen=True, slots=True)
class QuestionView:
    """A question ready for a channel: texts localised and piped, options ordered for this respondent."""

    id: str
    type: str
    text: str
    help: str
    required: bool
    choices: tuple[ChoiceView, ...] = ()
    other: ChoiceView | None = None
    special: tuple[ChoiceView, ...] = ()
    items: tuple[ChoiceView, ...] = ()
    scale_min: int | None = None
    scale_max: int | None = None
    low_label: str = ""
    high_label: str = ""
    min: float | None = None
    max: float | None = None
    decimals: int = 0
    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None
    min_date: str | None = None
    """``YYYY-MM-DD`` or ``today``."""
    max_date: str | None = None
    other_text_required: bool = False
    other_max_length: int | None = None
    min_selected: int | None = None
    max_selected: int | None = None
    sms_text: str = ""
    ivr_prompt: str = ""
    ivr_speech: bool = False
    agent_text: str = ""
    agent_instructions: str = ""
    agent_read_options: bool = True
    agent_probe: str = ""
    current: Any = None
    """The answer already given (after a back-step), to prefill."""
    current_special: str | None = None
    current_other: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """What to present next: a group of questions, or ``done``."""

    done: bool
    questions: tuple[QuestionView, ...] = ()
    page_id: str | None = None
    page_title: str = ""
    progress: float = 0.0
    """Share of the questionnaire behind the respondent, 0.0 to 1.0."""
    can_go_back: bool = False
    thank_you: str = ""
    """When done: the questionnaire's closing text in the interview language."""
    key: str = ""
    """Identifies the step (cursor and question ids): a resubmitted step has the same key."""


@dataclass(frozen=True, slots=True)
class AnswerError:
    """Why an answer was not accepted, in the respondent's language."""

    question: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """The outcome of :func:`questionnaires.engine.answer`."""

    state: InterviewState
    errors: tuple[AnswerError, ...] = ()

    @property
    def accepted(self) -> bool:
        """Return True when every answer of the step was accepted."""
        return not self.errors
