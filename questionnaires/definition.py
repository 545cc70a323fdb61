"""The questionnaire definition model.

A questionnaire is a document (YAML or JSON) parsed into these frozen pydantic models. The same
document, with its shared blocks expanded, is what the application stores per published version.

Texts are *localised*: either a mapping ``{language: text}`` or a plain string. A plain string is
language-neutral (a brand name, a number) and is never reported as a missing translation.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

Text = str | dict[str, str]
"""A localised text: ``{"en": "...", "zh-Hans": "..."}`` or a language-neutral string."""

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
CHANNELS = ("web", "sms", "email", "ivr", "agent")


class QuestionType(enum.StrEnum):
    """Every question type the engine knows."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    RATING = "rating"
    NPS = "nps"
    MATRIX = "matrix"
    NUMERIC = "numeric"
    TEXT = "text"
    LONG_TEXT = "long_text"
    DATE = "date"
    YES_NO = "yes_no"
    INFO = "info"
    CALCULATE = "calculate"


CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})
SCALE_TYPES = frozenset({QuestionType.RATING, QuestionType.NPS})
NON_ANSWERED_TYPES = frozenset({QuestionType.INFO, QuestionType.CALCULATE})


class SpecialKind(enum.StrEnum):
    """Answers outside the substantive options, recorded as such rather than as a value."""

    DONT_KNOW = "dont_know"
    REFUSED = "refused"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Option(_Model):
    """One answer option of a choice question (or one row of a matrix)."""

    code: str = Field(min_length=1, max_length=64)
    label: Text
    fixed: bool = False
    """An anchor: keeps its position when the other options are randomised."""
    exclusive: bool = False
    """For multiple choice: selecting it excludes every other option ("None of these")."""

    @field_validator("code", mode="before")
    @classmethod
    def _code_as_text(cls, value: object) -> object:
        # YAML reads `code: 1` as an int; codes are always compared as text.
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class OtherOption(_Model):
    """ "Other (please specify)": an option that asks for a text."""

    code: str = "other"
    label: Text = Field(default_factory=lambda: {"en": "Other (please specify)"})
    text_required: bool = True
    max_length: int = Field(default=200, ge=1, le=5000)

    @field_validator("code", mode="before")
    @classmethod
    def _code_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class SpecialAnswer(_Model):
    """A Don't know / Refused answer, offered on the channels listed (all when ``channels`` is None)."""

    kind: SpecialKind
    channels: tuple[str, ...] | None = None
    label: Text | None = None


class Scale(_Model):
    """A rating scale: ``points`` values from ``start``, with labelled ends."""

    points: int = Field(default=5, ge=2, le=11)
    start: int = 1
    low_label: Text | None = None
    high_label: Text | None = None
    labels: dict[str, Text] | None = None
    """Optional label for every point, keyed by the point's value as text."""


class SmsVariant(_Model):
    """Wording for a text message, where the medium needs fewer words."""

    text: Text


class IvrVariant(_Model):
    """A spoken prompt, including the keys to press, for an automated call."""

    prompt: Text
    speech: bool = False
    """Also accept spoken answers where the voice provider supports them."""


class AgentVariant(_Model):
    """How a human interviewer delivers the question."""

    text: Text | None = None
    instructions: Text | None = None
    read_options: bool = True
    probe: Text | None = None


class Variants(_Model):
    """Channel-specific wording; channels fall back to the question's ``text``."""

    sms: SmsVariant | None = None
    ivr: IvrVariant | None = None
    agent: AgentVariant | None = None


class Question(_Model):
    """One item of a questionnaire: a question, a statement (``info``) or a computed value."""

    id: Annotated[str, Field(pattern=IDENTIFIER, max_length=64)]
    type: QuestionType
    text: Text = ""
    help: Text | None = None
    required: bool = False
    show_if: str | None = None
    constraint: str | None = None
    """A logic expression over ``value`` that must be true for the answer to be accepted."""
    constraint_message: Text | None = None
    options: tuple[Option, ...] = ()
    other: OtherOption | None = None
    special: tuple[SpecialAnswer, ...] = ()
    randomize: bool = False
    scale: Scale | None = None
    items: tuple[Option, ...] = ()
    """Rows of a matrix; its columns are ``scale`` or ``options``."""
    min: float | None = None
    max: float | None = None
    decimals: int = Field(default=0, ge=0, le=10)
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    pattern: str | None = None
    pattern_message: Text | None = None
    min_selected: int | None = Field(default=None, ge=0)
    max_selected: int | None = Field(default=None, ge=1)
    min_date: str | None = None
    max_date: str | None = None
    calculation: str | None = None
    variants: Variants = Field(default_factory=Variants)
    tags: tuple[str, ...] = ()
    """Analysis roles, e.g. ``overall_satisfaction``, ``nps``, ``root_cause``, ``followup_consent``."""

    @field_validator("special", mode="before")
    @classmethod
    def _special_shorthand(cls, value: object) -> object:
        # `special: [dont_know, refused]` is the common case; expand it to full objects.
        if isinstance(value, list | tuple):
            return [{"kind": item} if isinstance(item, str) else item for item in value]
        return value

    def special_for(self, channel: str) -> tuple[SpecialAnswer, ...]:
        """Return the special answers offered on ``channel``."""
        return tuple(s for s in self.special if s.channels is None or channel in s.channels)

    def option_codes(self) -> tuple[str, ...]:
        """Return every code a choice answer may take, including the "Other" code."""
        codes = tuple(o.code for o in self.options)
        return codes + ((self.other.code,) if self.other else ())


class Page(_Model):
    """A page (section) of questions; page-based channels show it at once."""

    id: Annotated[str, Field(pattern=IDENTIFIER, max_length=64)]
    title: Text | None = None
    show_if: str | None = None
    questions: tuple[Question, ...] = ()


class Alert(_Model):
    """A rule that flags strong dissatisfaction, so an agent offers follow-up and the owner is told."""

    id: Annotated[str, Field(pattern=IDENTIFIER, max_length=64)]
    when: str
    message: Text


class Questionnaire(_Model):
    """A whole questionnaire definition."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100)]
    version: str = "1"
    title: Text
    description: Text | None = None
    stakeholder_group: str = "end_customer"
    languages: tuple[str, ...] = ("en",)
    intro: Text | None = None
    """Introduction and consent, read by agents and spoken by the IVR before the first question."""
    thank_you: Text | None = None
    contact_fields: tuple[str, ...] | None = None
    """Contact attributes that conditions and piping may use; None means not checked."""
    pages: tuple[Page, ...]
    alerts: tuple[Alert, ...] = ()

    _plan: Any = PrivateAttr(default=None)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @property
    def default_language(self) -> str:
        """Return the first declared language, the fallback for every text."""
        return self.languages[0] if self.languages else "en"

    def questions(self) -> tuple[Question, ...]:
        """Return every item in questionnaire order, across pages."""
        return tuple(q for page in self.pages for q in page.questions)

    def question(self, qid: str) -> Question:
        """Return the item with id ``qid``; raise KeyError if there is none."""
        for q in self.questions():
            if q.id == qid:
                return q
        raise KeyError(qid)

    def to_document(self) -> dict[str, Any]:
        """Return the definition as a plain JSON-ready document, without default values."""
        return self.model_dump(mode="json", exclude_defaults=True)


def localize(text: Text | None, language: str, fallback: str = "en") -> str:
    """Return ``text`` in ``language``, else in ``fallback``, else any available language."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if language in text:
        return text[language]
    if fallback in text:
        return text[fallback]
    # zh-Hant readers understand zh-Hans better than English, and the other way round.
    for sibling in ("zh-Hans", "zh-Hant", "zh"):
        if language.startswith("zh") and sibling in text:
            return text[sibling]
    return next(iter(text.values()), "")


def parse_definition(document: Mapping[str, Any]) -> Questionnaire:
    """Build a Questionnaire from a plain document; raises pydantic.ValidationError."""
    return Questionnaire.model_validate(dict(document))
