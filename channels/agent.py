"""Interviewer scripts (CATI): what the agent says, how to ask, and the answers to code.

``render`` gives the agent console a structured script per question: the wording to read
(``agent_text``, else the question text; piping is already done by the engine), instructions
(read or do not read the options, several answers allowed, how to record "Other", which special
answers not to offer), the probe, the options with keyboard keys, the special answers (shown to
the agent, never read out) and flags the console can style. Options keep the engine's keys
(``1``, ``2``...); specials use letters (``D`` Don't know, ``R`` Refused) so they never collide
with an option. ``parse`` reads the console's submitted fields exactly like the web channel
(:mod:`channels.fields`): values are option codes, the console maps keys to codes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

from channels.base import Inbound, Outbound, ParsedInbound, register
from channels.fields import parse_fields
from channels.texts import join, text
from questionnaires.state import ChoiceView, QuestionView, Step

AGENT_SPECIAL_KEYS = {"dont_know": "D", "refused": "R"}
OPTION_TYPES = frozenset({"single_choice", "multiple_choice", "rating", "nps", "matrix", "yes_no"})


class AgentFlag(enum.StrEnum):
    """Facts about a question the console shows or styles."""

    REQUIRED = "required"
    INFO = "info"
    """A statement to read; nothing to record."""
    READ_OPTIONS = "read_options"
    DO_NOT_READ_OPTIONS = "do_not_read_options"
    MULTIPLE = "multiple"
    SCALE = "scale"
    MATRIX = "matrix"
    NUMERIC = "numeric"
    DATE = "date"
    OPEN = "open"
    """Record the answer verbatim."""
    OTHER = "other"
    SPECIALS = "specials"
    PROBE = "probe"
    PREFILLED = "prefilled"
    """Already answered (the interview went back): confirm or change."""


@dataclass(frozen=True, slots=True)
class AgentOption:
    """An answer the agent can code: its code, label, keyboard key and whether it is read out."""

    code: str
    label: str
    key: str
    read_out: bool
    exclusive: bool = False


@dataclass(frozen=True, slots=True)
class AgentQuestion:
    """The script of one question."""

    id: str
    type: str
    say: str
    """The words to read to the respondent."""
    help: str
    instructions: tuple[str, ...]
    """For the agent only, in the interview language: the definition's first, then generated ones."""
    probe: str
    options: tuple[AgentOption, ...]
    other: AgentOption | None
    specials: tuple[AgentOption, ...]
    items: tuple[ChoiceView, ...]
    """Matrix rows (read one by one; columns are ``options``)."""
    scale_min: int | None
    scale_max: int | None
    low_label: str
    high_label: str
    flags: frozenset[AgentFlag]
    current: Any
    current_special: str | None
    current_other: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentScript(Outbound):
    """The script for a step (``text`` is the first question's wording)."""

    questions: tuple[AgentQuestion, ...]
    step_key: str
    progress: float
    can_go_back: bool


def _flags(question: QuestionView) -> frozenset[AgentFlag]:
    kind = question.type
    flags: set[AgentFlag] = set()
    if kind == "info":
        return frozenset({AgentFlag.INFO})
    if question.required:
        flags.add(AgentFlag.REQUIRED)
    if kind in OPTION_TYPES:
        flags.add(AgentFlag.READ_OPTIONS if question.agent_read_options else AgentFlag.DO_NOT_READ_OPTIONS)
    kind_flags = {
        "multiple_choice": AgentFlag.MULTIPLE,
        "rating": AgentFlag.SCALE,
        "nps": AgentFlag.SCALE,
        "matrix": AgentFlag.MATRIX,
        "numeric": AgentFlag.NUMERIC,
        "date": AgentFlag.DATE,
        "text": AgentFlag.OPEN,
        "long_text": AgentFlag.OPEN,
    }
    if kind in kind_flags:
        flags.add(kind_flags[kind])
    if question.other is not None:
        flags.add(AgentFlag.OTHER)
    if question.special:
        flags.add(AgentFlag.SPECIALS)
    if question.agent_probe:
        flags.add(AgentFlag.PROBE)
    if question.current is not None or question.current_special is not None:
        flags.add(AgentFlag.PREFILLED)
    return frozenset(flags)


def _instructions(question: QuestionView, language: str) -> tuple[str, ...]:
    kind = question.type
    lines = [question.agent_instructions] if question.agent_instructions else []
    if kind == "info":
        return tuple(lines)
    if kind in OPTION_TYPES and kind != "yes_no":
        lines.append(
            text("agent_read_options" if question.agent_read_options else "agent_do_not_read", language)
        )
    if kind == "multiple_choice":
        lines.append(text("agent_multiple", language))
    if kind in ("rating", "nps") and question.scale_min is not None and question.scale_max is not None:
        lines.append(text("agent_scale", language, low=question.scale_min, high=question.scale_max))
    if question.other is not None:
        lines.append(text("agent_other", language, label=question.other.label))
    if question.special:
        lines.append(
            text("agent_specials", language, labels=join([s.label for s in question.special], language))
        )
    return tuple(lines)


def script(question: QuestionView, language: str) -> AgentQuestion:
    """Return the interviewer script of ``question``."""
    read = question.agent_read_options
    return AgentQuestion(
        id=question.id,
        type=question.type,
        say=question.agent_text or question.text,
        help=question.help,
        instructions=_instructions(question, language),
        probe=question.agent_probe,
        options=tuple(AgentOption(c.code, c.label, c.key, read, c.exclusive) for c in question.choices),
        other=(
            AgentOption(question.other.code, question.other.label, question.other.key, read)
            if question.other is not None
            else None
        ),
        specials=tuple(
            AgentOption(s.code, s.label, AGENT_SPECIAL_KEYS.get(s.code, s.key), read_out=False)
            for s in question.special
        ),
        items=question.items,
        scale_min=question.scale_min,
        scale_max=question.scale_max,
        low_label=question.low_label,
        high_label=question.high_label,
        flags=_flags(question),
        current=question.current,
        current_special=question.current_special,
        current_other=question.current_other,
    )


class AgentChannel:
    """Interviewer-administered interviews: scripts out, console fields in."""

    name: ClassVar[str] = "agent"

    def render(self, step: Step, language: str) -> AgentScript:
        """Return the script for the questions of ``step`` (empty when the interview is done)."""
        questions = tuple(script(q, language) for q in step.questions)
        return AgentScript(
            channel=self.name,
            language=language,
            text=questions[0].say if questions else "",
            expects_reply=not step.done,
            questions=questions,
            step_key=step.key,
            progress=step.progress,
            can_go_back=step.can_go_back,
        )

    def parse(self, step: Step, inbound: Inbound, language: str) -> ParsedInbound:
        """Map the console's fields to replies (names and values as for the web channel)."""
        return parse_fields(step, inbound.fields, language)


register(AgentChannel)
