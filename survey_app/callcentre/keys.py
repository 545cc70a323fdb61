"""Keyboard entry: the keys an agent types in the console, turned into the engine's form fields.

The agent types the key shown beside an option (``2``; several for multiple choice: ``1 3``; ``D``
Don't know, ``R`` Refused) into one box per question, or the value itself for numbers, dates and
open answers (where ``D``/``R`` alone still mean the special answers). :func:`fields_from_keys`
maps them to the field names and option codes of :mod:`channels.fields`, so the agent channel's
``parse`` and the engine validate them exactly as on the web. Unknown keys are reported per question,
and nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from channels.agent import AgentOption, AgentQuestion, AgentScript
from channels.fields import item_field, other_field, special_field, special_value

_SPLIT = re.compile(r"[\s,;]+")


def _keyed(question: AgentQuestion) -> dict[str, AgentOption]:
    options = [*question.options, *([question.other] if question.other else []), *question.specials]
    return {o.key.upper(): o for o in options}


def _first(form: Mapping[str, Sequence[str]], name: str) -> str:
    raw = form.get(name, ())
    items = [raw] if isinstance(raw, str) else list(raw)
    return next((v.strip() for v in items if isinstance(v, str) and v.strip()), "")


def _codes(question: AgentQuestion, typed: str, keyed: dict[str, AgentOption]) -> list[str] | str:
    codes: list[str] = []
    special_codes = {s.code for s in question.specials}
    for key in (k for k in _SPLIT.split(typed.upper()) if k):
        option = keyed.get(key)
        if option is None:
            return key
        codes.append(special_value(option.code) if option.code in special_codes else option.code)
    return codes


def fields_from_keys(
    script: AgentScript, form: Mapping[str, Sequence[str]]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Return ``(fields, unknown)``: form fields for :func:`channels.fields.parse_fields` and, per
    question id, the first typed key that is not an answer of that question."""
    fields: dict[str, list[str]] = {}
    unknown: dict[str, str] = {}
    for question in script.questions:
        qid = question.id
        keyed = _keyed(question)
        other_text = _first(form, other_field(qid))
        if other_text:
            fields[other_field(qid)] = [other_text]
        if question.items:
            for item in question.items:
                typed = _first(form, item_field(qid, item.code))
                found = _codes(question, typed, keyed) if typed else []
                if isinstance(found, str):
                    unknown.setdefault(qid, found)
                elif found:
                    fields[item_field(qid, item.code)] = found[:1]
            continue
        typed = _first(form, qid)
        if not typed:
            continue
        if question.options or question.other:
            found = _codes(question, typed, keyed)
            if isinstance(found, str):
                unknown[qid] = found
            else:
                fields[qid] = found
        elif typed.upper() in keyed:
            fields[special_field(qid)] = [special_value(keyed[typed.upper()].code)]
        else:
            fields[qid] = [typed]
    return fields, unknown
