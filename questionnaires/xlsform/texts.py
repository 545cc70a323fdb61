"""The texts of an imported form: its languages, localised labels and ``${name}`` piping.

pyxform gives a label as a plain string or as ``{language column: text}``; the language columns
are mapped to our language codes once (:func:`detect_languages`), then every label, hint and
message is localised and its ``${name}`` references become our ``{answer:id}`` pipes (:func:`pipe`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from questionnaires.xlsform.languages import language_code
from questionnaires.xlsform.state import ImportState
from questionnaires.xlsform.tree import Contact, ItemRef

PIPED = re.compile(r"\$\{\s*([^{}\s]+)\s*\}")
"""An XLSForm ``${name}`` reference in a text."""
_BRACED = re.compile(r"(?<!\$)\{(answer:)?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\}")


def detect_languages(state: ImportState) -> None:
    """Map the form's language columns to language codes, the default language first."""
    keys: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            for key in value:
                if key not in keys:
                    keys.append(key)

    def walk(element: Mapping[str, Any]) -> None:
        for name in ("label", "hint", "guidance_hint"):
            collect(element.get(name))
        bind = element.get("bind") or {}
        collect(bind.get("jr:constraintMsg"))
        collect(bind.get("jr:requiredMsg"))
        for child in element.get("children", []):
            walk(child)

    walk(state.form)
    for options in state.choices.values():
        for option in options:
            collect(option.get("label"))
    setting = str(state.form.get("default_language") or "default")
    default = language_code(setting) if setting != "default" else None
    if setting != "default" and default is None:
        state.issue(None, None, "language", f"the default language '{setting}' is not recognised; using 'en'")
    state.default_language = default or "en"
    codes: list[str] = []
    for key in keys:
        code = state.default_language if key == "default" else language_code(key)
        if code is None:
            code = "und-" + (re.sub(r"[^a-z0-9]", "", key.lower())[:8] or f"l{len(codes) + 1}")
            if len(code) < 6:
                code = f"und-lang{len(codes) + 1}"
            state.issue(
                None,
                None,
                "language",
                f"the language column '{key}' has no recognised name or code; its texts use '{code}'",
            )
        state.language_keys[key] = code
        if code not in codes:
            codes.append(code)
    merged: dict[str, list[str]] = {}
    for key, code in state.language_keys.items():
        merged.setdefault(code, []).append(key)
    for code, group in merged.items():
        if len(group) > 1:
            names = ", ".join(f"'{k}'" for k in group)
            state.issue(
                None,
                None,
                "language",
                f"the language columns {names} all mean '{code}'; merged, first non-empty text wins",
            )
    if not codes:
        codes = [state.default_language]
    first = state.default_language if state.default_language in codes else "en" if "en" in codes else codes[0]
    state.languages = [first, *[c for c in codes if c != first]]
    # Keys with an explicit code win over bare names when both give a text.
    state.key_order = sorted(state.language_keys, key=lambda k: (0 if "(" in k else 1, keys.index(k)))


def localise(state: ImportState, value: Any) -> dict[str, str] | None:
    """Return a localised text from a pyxform label (plain string or {language: text})."""
    if value is None:
        return None
    if not isinstance(value, dict):
        text = str(value).strip()
        return {state.default_language: text} if text else None
    result: dict[str, str] = {}
    for key in state.key_order:
        if key in value and str(value[key]).strip():
            result.setdefault(state.language_keys[key], str(value[key]).strip())
    for key, item in value.items():
        if key not in state.language_keys and str(item).strip():
            result.setdefault(state.default_language, str(item).strip())
    return result or None


def pipe(state: ImportState, value: Any, row: int | None, name: str | None) -> dict[str, str] | None:
    """Localise a label and turn ``${x}`` into ``{answer:x}``; report what cannot be piped."""
    text = localise(state, value)
    if text is None:
        return None
    return {language: _pipe_one(state, item, row, name) for language, item in text.items()}


def _pipe_one(state: ImportState, text: str, row: int | None, name: str | None) -> str:
    def braces(match: re.Match[str]) -> str:
        qid = state.names.get(match.group(2))
        if match.group(1) and qid is not None:  # already our own piping syntax
            return "{answer:" + qid + "}"
        state.issue(
            row,
            name,
            "label",
            f"'{match.group(0)}' would be read as a placeholder; written as '({match.group(2)})'",
        )
        return f"({match.group(2)})"

    text = _BRACED.sub(braces, text)

    def replace(match: re.Match[str]) -> str:
        target = match.group(1)
        alias = state.aliases.get(target)
        qid = state.names.get(target)
        if qid is not None and state.kinds.get(qid) not in ("calculate", "info"):
            return "{answer:" + qid + "}"
        if isinstance(alias, Contact):
            return "{" + alias.name + "}"
        if isinstance(alias, ItemRef):
            qid = alias.name
        if qid is not None:
            why = f"'{target}' is a {state.kinds.get(qid)} item, whose value cannot be shown in a text"
        elif target in state.unavailable:
            why = f"'{target}' was not imported ({state.unavailable[target]})"
        else:
            why = f"'{target}' is not a field of the form"
        state.issue(row, name, "label", f"${{{target}}} cannot be piped: {why}; written as '[{target}]'")
        return f"[{target}]"

    return PIPED.sub(replace, text)


def neutral(text: Any) -> Any:
    """Return a language-neutral text (written into every language column) as one plain string."""
    return next(iter(text.values()), "") if isinstance(text, dict) else text


def make_neutral(question: dict[str, Any], marker: Mapping[str, Any]) -> None:
    """Make the texts the marker lists as language-neutral plain strings again."""
    fields = marker.get("neutral")
    if isinstance(fields, list):
        for name in ("text", "help", "constraint_message"):
            if name in fields and name in question:
                question[name] = neutral(question[name])
