"""Form fields to engine replies, shared by the web page and the interviewer console.

Field names (HTML ``name``):

===========================  ==================================================================
``<qid>``                    the answer: one value (radio, input) or several (checkboxes)
``<qid>__other``             the text of "Other (please specify)"
``<qid>__<row code>``        one row of a matrix
``<qid>__special``           Don't know / Refused checkboxes of questions that are not radios
``_step``                    the key of the step the page showed (``Step.key``), to spot a stale
                             or repeated submission
``_action``                  ``back`` when the respondent pressed Back
===========================  ==================================================================

Special answers travel as ``__dont_know`` / ``__refused``: extra radio values of single-choice,
rating, NPS and yes/no questions, extra checkbox values of multiple choice, and the values of
``<qid>__special`` elsewhere. Values are option codes, never keys. Text typed into "Other"
without ticking it selects "Other" (pages work without JavaScript).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from channels.base import Control, ParsedInbound, answerable
from questionnaires.messages import message
from questionnaires.state import QuestionView, Reply, Step

STEP_FIELD = "_step"
ACTION_FIELD = "_action"
SPECIAL_PREFIX = "__"
RADIO_TYPES = frozenset({"single_choice", "rating", "nps", "yes_no"})


def other_field(qid: str) -> str:
    """Return the name of the "Other" text field of question ``qid``."""
    return f"{qid}__other"


def special_field(qid: str) -> str:
    """Return the name of the special-answer checkboxes of question ``qid`` (non-radio types)."""
    return f"{qid}__special"


def item_field(qid: str, item_code: str) -> str:
    """Return the name of matrix row ``item_code`` of question ``qid``."""
    return f"{qid}__{item_code}"


def special_value(code: str) -> str:
    """Return the form value of special answer ``code`` (``__dont_know``)."""
    return SPECIAL_PREFIX + code


def values(fields: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """Return the non-blank values of field ``name`` (a lone string counts as one value)."""
    raw = fields.get(name, ())
    items = [raw] if isinstance(raw, str) else list(raw)
    return [v for v in items if isinstance(v, str) and v.strip()]


def first(fields: Mapping[str, Sequence[str]], name: str) -> str | None:
    """Return the first non-blank value of field ``name``."""
    found = values(fields, name)
    return found[0] if found else None


def submitted_step_key(fields: Mapping[str, Sequence[str]]) -> str | None:
    """Return the step key the submitted page was built for (compare with the current ``Step.key``)."""
    return first(fields, STEP_FIELD)


def _split_specials(question: QuestionView, raw: list[str]) -> tuple[list[str], list[str]]:
    offered = {special_value(s.code): s.code for s in question.special}
    specials = [offered[v] for v in raw if v in offered]
    return specials, [v for v in raw if v not in offered]


def reply_for(question: QuestionView, fields: Mapping[str, Sequence[str]], language: str) -> Reply | str:
    """Return the reply to ``question`` found in ``fields``, or an error message for a contradiction."""
    qid = question.id
    specials, chosen = _split_specials(question, values(fields, qid) + values(fields, special_field(qid)))
    other_text = first(fields, other_field(qid)) if question.other is not None else None
    if question.type == "matrix":
        rows = {item.code: v for item in question.items if (v := first(fields, item_field(qid, item.code)))}
        answered = bool(rows)
    else:
        answered = bool(chosen) or bool(other_text)
    if specials:
        labels = {s.code: s.label for s in question.special}
        if len(set(specials)) > 1:
            return message("one_option_only", language)
        if answered:
            return message("exclusive_option", language, label=labels[specials[0]])
        return Reply(special=specials[0])
    if question.type == "matrix":
        return Reply(value=rows or None)
    other_code = question.other.code if question.other is not None else None
    if question.type == "multiple_choice":
        codes = list(dict.fromkeys(chosen))
        if other_text and other_code is not None and other_code not in codes:
            codes.append(other_code)
        return Reply(value=tuple(codes), other_text=other_text)
    if question.type in RADIO_TYPES:
        if not chosen and other_text and other_code is not None:
            chosen = [other_code]
        value: str | tuple[str, ...] | None = (
            chosen[0] if len(chosen) == 1 else tuple(chosen) if chosen else None
        )  # several values: the engine answers "choose only one"
        return Reply(value=value, other_text=other_text)
    return Reply(value=first(fields, qid) or "")


def parse_fields(step: Step, fields: Mapping[str, Sequence[str]], language: str) -> ParsedInbound:
    """Map submitted form fields to a reply for every answerable question of ``step``."""
    if first(fields, ACTION_FIELD) == "back":
        return ParsedInbound(control=Control.BACK)
    replies: dict[str, Reply] = {}
    errors: dict[str, str] = {}
    for question in answerable(step):
        found = reply_for(question, fields, language)
        if isinstance(found, str):
            errors[question.id] = found
        else:
            replies[question.id] = found
    if errors:
        return ParsedInbound(error=next(iter(errors.values())), field_errors=errors)
    return ParsedInbound(replies=replies)
