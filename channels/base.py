"""The channel interface: what a channel receives, what it returns, and the registry of channels.

A channel adapter turns a :class:`~questionnaires.state.Step` of the interview engine into what
the medium shows (``render``) and what the respondent sent back into engine replies (``parse``).
Adapters never send anything: SMS, calls and e-mail go out through transports injected into the
application, so no Twilio client or SMTP connection is ever created here.

Adapters register themselves like redash's destinations (``register(SmsChannel)`` at the end of
their module); :func:`get_channel` imports the built-in adapters on first use, so importing this
module has no side effects.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, runtime_checkable

from questionnaires.state import QuestionView, Reply, Step

BUILTIN_MODULES = ("channels.web", "channels.sms", "channels.ivr", "channels.agent")
"""Modules whose import registers the built-in channels."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """What arrived from the respondent (or the agent) for one step, as plain data."""

    text: str | None = None
    """An SMS body (Twilio ``Body``)."""
    fields: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Form fields (web page, agent console): every value of every field name, as a multidict."""
    digits: str | None = None
    """Keys pressed on a call (Twilio ``Digits``)."""
    speech: str | None = None
    """A spoken answer transcribed by the voice provider (Twilio ``SpeechResult``)."""
    opted_out: bool = False
    """Whether the sender is currently opted out (needed to read an SMS ``YES``, see ``keywords``)."""


class Control(enum.StrEnum):
    """A request about the conversation rather than an answer."""

    STOP = "stop"
    """Opt out of messages (Twilio opt-out keywords, ``退订``/``TD``): record it, stop contacting."""
    START = "start"
    """Opt back in (``START``, ``UNSTOP``, or ``YES`` from an opted-out sender)."""
    HELP = "help"
    """Ask for help (``HELP``, ``INFO``)."""
    BACK = "back"
    """Go back to the previous question (``engine.back``)."""
    REPEAT = "repeat"
    """Present the current step again (``*`` on a call, no input on a call, ``?`` by SMS)."""


@dataclass(frozen=True, slots=True)
class ParsedInbound:
    """The result of ``Channel.parse``: replies for the engine, a control request, or a re-prompt.

    Exactly one of the three is meaningful: ``control`` wins over ``replies``; when ``error`` is
    set the step is presented again with that message and the engine is not called.
    """

    replies: Mapping[str, Reply] = field(default_factory=dict)
    control: Control | None = None
    error: str | None = None
    """A re-prompt in the respondent's language saying what answers are possible."""
    field_errors: Mapping[str, str] = field(default_factory=dict)
    """For page channels: the message per question id (``error`` holds the first of them)."""

    @property
    def ok(self) -> bool:
        """Return True when the replies can go to the engine (no error, no control)."""
        return self.error is None and self.control is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Outbound:
    """What a channel presents for one step. Adapters return a subclass carrying their payload."""

    channel: str
    language: str
    text: str
    """The main words: SMS body, spoken prompt, interviewer wording or page title."""
    expects_reply: bool = True
    """False for a statement (``info``) or the end of the interview: move on without waiting."""


@runtime_checkable
class Channel(Protocol):
    """A channel adapter: two methods over value objects, no framework objects, no I/O."""

    name: ClassVar[str]
    """``web``, ``sms``, ``ivr`` or ``agent`` (the channel names of ``questionnaires.definition``)."""

    def render(self, step: Step, language: str) -> Outbound:
        """Return what to present for ``step`` in ``language``."""
        ...

    def parse(self, step: Step, inbound: Inbound, language: str) -> ParsedInbound:
        """Map what the respondent sent for ``step`` to engine replies, a control or a re-prompt."""
        ...


_REGISTRY: dict[str, Channel] = {}
_builtins_loaded = False


def register(channel_class: type[Channel]) -> type[Channel]:
    """Register an adapter class (usable as a decorator); skipped when its ``enabled()`` is false."""
    enabled = getattr(channel_class, "enabled", None)
    if callable(enabled) and not enabled():
        return channel_class
    _REGISTRY[channel_class.name] = channel_class()
    return channel_class


def _load_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        for module in BUILTIN_MODULES:
            importlib.import_module(module)


def get_channel(name: str) -> Channel:
    """Return the registered adapter called ``name``; raise KeyError for an unknown channel."""
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown channel {name!r}; registered: {', '.join(channel_names())}") from None


def channel_names() -> tuple[str, ...]:
    """Return the names of the registered channels, sorted."""
    _load_builtins()
    return tuple(sorted(_REGISTRY))


def answerable(step: Step) -> tuple[QuestionView, ...]:
    """Return the questions of ``step`` that take an answer (not ``info`` statements)."""
    return tuple(q for q in step.questions if q.type not in ("info", "calculate"))


def single_question(step: Step, channel: str) -> QuestionView | None:
    """Return the one question of a conversational step (None for a statement-only step).

    Conversational channels get one question per step from the engine; a page of several
    questions means the interview was started with a page channel, which is a wiring error.
    """
    questions = answerable(step)
    if len(questions) > 1:
        raise ValueError(
            f"the {channel} channel presents one question per step, got {len(questions)}; "
            f"start the interview with channel={channel!r}"
        )
    return questions[0] if questions else None


KEYED_TYPES = frozenset({"single_choice", "multiple_choice", "rating", "nps", "yes_no"})
"""Question types answered by typing or pressing an option key."""


def special_keys(question: QuestionView) -> dict[str, str]:
    """Return the key of each special answer (``dont_know`` -> ``8``) that can be typed or pressed.

    The engine keys Don't know 8 and Refused 9, repeating the digit (``88``) where an option
    already uses it. Questions answered with free numbers or text get no keys: there ``8`` could be
    a genuine answer, so specials are offered by word only.
    """
    if question.type not in KEYED_TYPES:
        return {}
    return {special.code: special.key for special in question.special}
