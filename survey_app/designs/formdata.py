"""Builder forms <-> draft document: the initial values of a form, and the document a form describes.

A builder form covers some keys of a question, page or the questionnaire; everything else the
document holds (tags, per-point scale labels, channel limits of special answers, translations in
undeclared languages) is kept as it was. Localised texts become one field per declared language,
named ``<name>-<language>`` (``text-zh-Hans``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

Document = dict[str, Any]

#: Localised question texts the form edits: form name -> path inside the question.
QUESTION_TEXTS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "help": ("help",),
    "constraint_message": ("constraint_message",),
    "other_label": ("other", "label"),
    "scale_low": ("scale", "low_label"),
    "scale_high": ("scale", "high_label"),
    "sms": ("variants", "sms", "text"),
    "ivr": ("variants", "ivr", "prompt"),
    "agent_text": ("variants", "agent", "text"),
    "agent_instructions": ("variants", "agent", "instructions"),
    "agent_probe": ("variants", "agent", "probe"),
}
PLAIN_FIELDS = ("show_if", "constraint", "calculation", "pattern", "min_date", "max_date")
NUMBER_FIELDS = ("min", "max", "decimals", "min_length", "max_length", "min_selected", "max_selected")
SETTINGS_TEXTS = ("title", "description", "intro", "thank_you")
SPECIAL_KINDS = ("dont_know", "refused")
BLANK_ROWS = 2


def lang_field(name: str, language: str) -> str:
    """The form field name of ``name`` in ``language`` (``text-zh-Hans``)."""
    return f"{name}-{language}"


def languages_of(document: Mapping[str, Any]) -> list[str]:
    """The declared languages, or ``["en"]`` while the declaration is unusable."""
    declared = document.get("languages")
    if isinstance(declared, list) and declared and all(isinstance(tag, str) for tag in declared):
        return list(dict.fromkeys(declared))
    return ["en"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _get(source: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = source
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def set_path(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set (or with None remove) ``path``, dropping parent mappings that end up empty."""
    *parents, last = path
    chain = [target]
    for key in parents:
        child = chain[-1].get(key)
        if not isinstance(child, dict):
            if value is None:
                return
            child = chain[-1][key] = {}
        chain.append(child)
    if value is None:
        chain[-1].pop(last, None)
    else:
        chain[-1][last] = value
    for holder, key in zip(reversed(chain[:-1]), reversed(parents), strict=True):
        if holder.get(key) == {}:
            holder.pop(key)


def text_values(value: Any, languages: list[str]) -> dict[str, str]:
    """A localised text as one string per language (a language-neutral string fills them all)."""
    if isinstance(value, str):
        return dict.fromkeys(languages, value)
    mapping = as_dict(value)
    return {language: str(mapping.get(language) or "") for language in languages}


def merged_text(values: Mapping[str, str | None], original: Any, *, keep_empty: bool) -> Any:
    """The localised text the form fields say, keeping a neutral string and undeclared languages."""
    cleaned = {lang: (text or "").replace("\r\n", "\n").strip() for lang, text in values.items()}
    if isinstance(original, str) and all(text == original.strip() for text in cleaned.values()):
        return original
    text = {lang: value for lang, value in cleaned.items() if value or keep_empty}
    for lang, value in as_dict(original).items():
        text.setdefault(lang, value)  # a language the questionnaire does not declare (yet)
    if not keep_empty and not any(text.values()):
        return None
    return text


def _texts_in(data: Mapping[str, Any], name: str, languages: list[str]) -> dict[str, str | None]:
    return {language: data.get(lang_field(name, language)) for language in languages}


def _number(value: Any) -> int | float | None:
    if value is None or value == "":
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _row_data(row: Mapping[str, Any], languages: list[str]) -> dict[str, Any]:
    data = {
        "code": str(row.get("code", "")),
        "fixed": bool(row.get("fixed")),
        "exclusive": bool(row.get("exclusive")),
    }
    data.update(
        {lang_field("label", lang): text for lang, text in text_values(row.get("label"), languages).items()}
    )
    return data


def _rows_from(rows: list[Mapping[str, Any]], originals: list[Any], languages: list[str]) -> list[Any]:
    result = []
    for index, row in enumerate(rows):
        code = (row.get("code") or "").strip()
        labels = _texts_in(row, "label", languages)
        if not code and not any((text or "").strip() for text in labels.values()):
            continue  # a blank row of the form
        original = as_dict(originals[index]) if index < len(originals) else {}
        option = {**copy.deepcopy(original), "code": code}
        option["label"] = merged_text(labels, original.get("label"), keep_empty=True)
        for flag in ("fixed", "exclusive"):
            set_path(option, (flag,), True if row.get(flag) else None)
        result.append(option)
    return result


def question_form_data(question: Mapping[str, Any], languages: list[str]) -> dict[str, Any]:
    """The builder form's initial values for ``question`` (plus blank option and item rows)."""
    data: dict[str, Any] = {
        "id": str(question.get("id", "")),
        "type": str(question.get("type", "single_choice")),
        "required": bool(question.get("required")),
        "randomize": bool(question.get("randomize")),
        "other": isinstance(question.get("other"), dict),
        "ivr_speech": bool(_get(question, ("variants", "ivr", "speech"))),
        "agent_read_options": _get(question, ("variants", "agent", "read_options")) is not False,
        "scale_points": _get(question, ("scale", "points")),
        "scale_start": _get(question, ("scale", "start")),
    }
    for name in PLAIN_FIELDS:
        data[name] = str(question.get(name) or "")
    for name in NUMBER_FIELDS:
        data[name] = question.get(name)
    kinds = {_kind(entry) for entry in as_list(question.get("special"))}
    for kind in SPECIAL_KINDS:
        data[f"special_{kind}"] = kind in kinds
    for name, path in QUESTION_TEXTS.items():
        for language, text in text_values(_get(question, path), languages).items():
            data[lang_field(name, language)] = text
    for rows in ("options", "items"):
        existing = [_row_data(as_dict(row), languages) for row in as_list(question.get(rows))]
        data[rows] = existing + [_row_data({}, languages) for _ in range(BLANK_ROWS)]
    return data


def question_from_form(
    data: Mapping[str, Any], languages: list[str], original: Mapping[str, Any]
) -> Document:
    """The question the builder form describes, on top of ``original`` (keys the form lacks are kept)."""
    question: Document = copy.deepcopy(dict(original))
    question["id"] = (data.get("id") or "").strip()
    question["type"] = data.get("type") or "single_choice"
    for flag in ("required", "randomize"):
        set_path(question, (flag,), True if data.get(flag) else None)
    for name in PLAIN_FIELDS:
        set_path(question, (name,), (data.get(name) or "").strip() or None)
    for name in NUMBER_FIELDS:
        set_path(question, (name,), _number(data.get(name)))
    for name in ("points", "start"):
        set_path(question, ("scale", name), _number(data.get(f"scale_{name}")))
    for name, path in QUESTION_TEXTS.items():
        if path[0] == "other" and not data.get("other"):
            continue
        # An empty text stays as empty strings (the validator names the gap), unless the question
        # had none (a calculation): then nothing is added.
        keep_empty = name == "text" and _get(original, path) is not None
        set_path(
            question,
            path,
            merged_text(_texts_in(data, name, languages), _get(original, path), keep_empty=keep_empty),
        )
    for rows in ("options", "items"):
        set_path(
            question,
            (rows,),
            _rows_from(list(data.get(rows) or []), as_list(original.get(rows)), languages) or None,
        )
    if data.get("other"):
        question["other"] = as_dict(question.get("other"))  # {}: "Other" with its default code and label
    else:
        question.pop("other", None)
    _special(question, data, original)
    _variant_flags(question, data, original)
    return question


def _kind(entry: Any) -> str | None:
    """The kind of a special answer, written ``dont_know`` or ``{kind: dont_know, ...}``."""
    kind = entry.get("kind") if isinstance(entry, dict) else entry
    return kind if isinstance(kind, str) else None


def _special(question: Document, data: Mapping[str, Any], original: Mapping[str, Any]) -> None:
    kept = []
    for entry in as_list(original.get("special")):
        kind = _kind(entry)
        if kind in SPECIAL_KINDS and data.get(f"special_{kind}"):
            kept.append(entry)  # keeps its channel limits and label
    present = {_kind(entry) for entry in kept}
    kept += [kind for kind in SPECIAL_KINDS if data.get(f"special_{kind}") and kind not in present]
    set_path(question, ("special",), kept or None)


def _flag(wanted: bool, default: bool, original: Any) -> bool | None:
    """The flag to write: the default is left unwritten, unless the original spelled it out."""
    if wanted == default:
        return wanted if original is wanted else None
    return wanted


def _variant_flags(question: Document, data: Mapping[str, Any], original: Mapping[str, Any]) -> None:
    for path, name, default in (
        (("variants", "ivr", "speech"), "ivr_speech", False),
        (("variants", "agent", "read_options"), "agent_read_options", True),
    ):
        set_path(question, path, _flag(bool(data.get(name)), default, _get(original, path)))


def page_form_data(page: Mapping[str, Any], languages: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(page.get("id", "")), "show_if": str(page.get("show_if") or "")}
    for language, text in text_values(page.get("title"), languages).items():
        data[lang_field("title", language)] = text
    return data


def page_from_form(data: Mapping[str, Any], languages: list[str], original: Mapping[str, Any]) -> Document:
    page: Document = copy.deepcopy(dict(original))
    page["id"] = (data.get("id") or "").strip()
    page.setdefault("questions", [])
    set_path(
        page,
        ("title",),
        merged_text(_texts_in(data, "title", languages), original.get("title"), keep_empty=False),
    )
    set_path(page, ("show_if",), (data.get("show_if") or "").strip() or None)
    return page


def settings_form_data(document: Mapping[str, Any], languages: list[str]) -> dict[str, Any]:
    fields = document.get("contact_fields")
    data: dict[str, Any] = {
        "id": str(document.get("id", "")),
        "stakeholder_group": str(document.get("stakeholder_group") or ""),
        "languages": ", ".join(str(tag) for tag in as_list(document.get("languages"))),
        "contact_fields": ", ".join(str(name) for name in fields) if isinstance(fields, list) else "",
    }
    for name in SETTINGS_TEXTS:
        for language, text in text_values(document.get(name), languages).items():
            data[lang_field(name, language)] = text
    return data


def _words(text: str | None) -> list[str]:
    return [word for word in (text or "").replace(",", " ").split() if word]


def settings_from_form(
    data: Mapping[str, Any], languages: list[str], document: Mapping[str, Any]
) -> Document:
    """The top-level keys the settings form sets (None: remove the key)."""
    values: Document = {
        "id": (data.get("id") or "").strip(),
        "stakeholder_group": (data.get("stakeholder_group") or "").strip() or None,
        "languages": _words(data.get("languages")) or None,
        # An empty list declares "no contact fields", which is not the same as not declaring them.
        "contact_fields": _words(data.get("contact_fields"))
        or ([] if isinstance(document.get("contact_fields"), list) else None),
    }
    for name in SETTINGS_TEXTS:
        values[name] = merged_text(
            _texts_in(data, name, languages), document.get(name), keep_empty=name == "title"
        )
    return values


def outline(
    document: Mapping[str, Any],
) -> list[tuple[int, dict[str, Any], list[tuple[int, dict[str, Any]]]]]:
    """The pages and questions the builder lists: ``(index, page, [(index, question), ...])``.

    Entries that are not mappings (a draft saved from the definition editor may hold anything)
    are listed as empty mappings, so the indexes stay those of the document.
    """
    return [
        (p_index, as_dict(page), list(enumerate(as_dict(q) for q in as_list(as_dict(page).get("questions")))))
        for p_index, page in enumerate(as_list(document.get("pages")))
    ]


#: Sections of the question form and the question keys they edit.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "options": ("options",),
    "items": ("items",),
    "scale": ("scale",),
    "numbers": ("min", "max", "decimals"),
    "text": ("min_length", "max_length", "pattern"),
    "selection": ("min_selected", "max_selected"),
    "dates": ("min_date", "max_date"),
    "other": ("other",),
    "special": ("special",),
    "randomize": ("randomize",),
    "calculation": ("calculation",),
    "constraint": ("constraint", "constraint_message"),
}
_SECTION_TYPES: dict[str, frozenset[str]] = {
    "options": frozenset({"single_choice", "multiple_choice", "matrix"}),
    "items": frozenset({"matrix"}),
    "scale": frozenset({"rating", "nps", "matrix"}),
    "numbers": frozenset({"numeric"}),
    "text": frozenset({"text", "long_text"}),
    "selection": frozenset({"multiple_choice"}),
    "dates": frozenset({"date"}),
    "other": frozenset({"single_choice", "multiple_choice"}),
    "randomize": frozenset({"single_choice", "multiple_choice", "matrix"}),
    "calculation": frozenset({"calculate"}),
}
_NO_ANSWER = frozenset({"info", "calculate"})


def question_sections(kind: str, question: Mapping[str, Any], problem_fields: set[str]) -> frozenset[str]:
    """The question form's sections to show: those of the type, and any holding data or problems."""
    shown = set()
    for section, keys in SECTION_FIELDS.items():
        applies = kind in _SECTION_TYPES[section] if section in _SECTION_TYPES else kind not in _NO_ANSWER
        if applies or any(question.get(key) not in (None, [], {}, "", False) for key in keys):
            shown.add(section)
        elif problem_fields & set(keys):
            shown.add(section)
    return frozenset(shown)
