"""The radio buttons and checkboxes of a respondent page, written in one pass.

Rendering options through WTForms (``{{ option() }} {{ option.label() }}`` per option) builds a
subfield per option and formats each attribute with ``string.Formatter``: on a page of five
5-point scales that was about a quarter of the request's CPU. :func:`choice_options` writes the
same HTML, byte for byte (attributes sorted by name, values escaped, ``checked`` as a bare
attribute), from the field's choices; a test compares the two for every option kind the web
channel builds. A field whose option widget is not one of the web channel's falls back to WTForms.
:func:`hidden_input` does the same for the page's hidden inputs (the CSRF token and the step key).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jinja2 import Undefined
from markupsafe import Markup, escape
from wtforms.widgets import HiddenInput

from channels.web import CHECKBOX_OPTION, RADIO_OPTION

_INPUT_TYPES = {id(RADIO_OPTION): "radio", id(CHECKBOX_OPTION): "checkbox"}


def _attribute_name(key: str) -> str:
    # WTForms' clean_key: ``class_`` -> ``class``, ``data_x_y`` -> ``data-x-y``.
    key = key.rstrip("_")
    return key.replace("_", "-") if key.startswith(("data_", "aria_")) else key


def _attributes(values: dict[str, Any]) -> str:
    parts = []
    for key, value in sorted(values.items()):
        if value is True:
            parts.append(_attribute_name(key))
        elif value is not False:
            parts.append(f'{_attribute_name(key)}="{escape(value)}"')
    return " ".join(parts)


def choice_options(field: Any) -> Iterator[Markup]:
    """Yield ``<input ...> <label ...>...</label>`` for each option of a radio or checkbox field."""
    input_type = _INPUT_TYPES.get(id(field.option_widget))
    if (
        input_type is None
        or getattr(field.flags, "required", False)
        or getattr(field.flags, "disabled", False)
    ):
        for option in field:
            yield Markup(" ").join((option(), option.label()))
        return
    field_kw = {_attribute_name(k): v for k, v in (field.render_kw or {}).items()}
    for index, choice in enumerate(field.iter_choices()):
        option_id = f"{field.id}-{index}"
        attributes = {**(choice.render_kw or {}), **field_kw}
        attributes.setdefault("id", option_id)
        attributes.setdefault("type", input_type)
        attributes.setdefault("value", str(choice.value))
        if choice.selected:
            attributes.setdefault("checked", True)
        attributes["name"] = field.name
        label = escape(choice.label or choice.value)
        # Safe: every value in the string went through escape() (here or in _attributes).
        html = f'<input {_attributes(attributes)}> <label for="{escape(option_id)}">{label}</label>'
        yield Markup(html)  # noqa: S704


def hidden_input(field: Any) -> Markup:
    """Return ``<input id=... name=... type="hidden" value=...>`` for a plain hidden field.

    The same HTML as ``{{ field }}`` (WTForms' ``HiddenInput``: attributes sorted by name, values
    escaped); any other field, or one with extra attributes, goes through WTForms. A field the
    form does not have (no CSRF token when CSRF is off) renders as ``{{ form.missing }}`` would.
    """
    if isinstance(field, Undefined):
        return escape(str(field))
    if (
        type(field.widget) is not HiddenInput
        or field.render_kw
        or getattr(field.flags, "disabled", False)
        or getattr(field, "_datalist", None) is not None
    ):
        return Markup(field())  # noqa: S704 - WTForms returns escaped Markup
    value = escape(field._value())
    # Safe: every value in the string went through escape().
    html = f'<input id="{escape(field.id)}" name="{escape(field.name)}" type="hidden" value="{value}">'
    return Markup(html)  # noqa: S704
