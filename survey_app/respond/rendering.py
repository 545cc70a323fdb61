"""The questions of a respondent page, rendered once per page and language and then reused.

A page as first shown (no answers yet, no errors) is the same HTML for every respondent who
reaches it with the same question views: the web channel caches the form class per step and
questions (:func:`channels.web.make_step_form`), so the class identifies that content. Rendering
the questions was the largest part of a respondent request's CPU; :func:`question_blocks` keeps the
HTML of such fresh pages by (form class, interface language). Pages that show answers or errors
hold what the respondent typed and are always rendered (never cached).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup

#: Fresh pages' question HTML by (form class, locale, prefix); bounded, least recently used dropped first.
_PAGES: OrderedDict[tuple[type[Any], str, str], Markup] = OrderedDict()
PAGE_CACHE_SIZE = 512
_LOCK = threading.Lock()


def _is_fresh(form: Any) -> bool:
    """True when no input of the form holds a value (the CSRF token and step key aside)."""
    for attr, field in form._fields.items():  # by attribute name (the HTML names differ)
        if attr in ("csrf_token", "step_key"):
            continue
        if field.data not in (None, "", []) or field.raw_data:
            return False
    return True


def question_blocks(form: Any, errors: dict[str, str]) -> Markup:
    """Return the HTML of the page's questions (``respond/_questions.html``)."""
    if errors or not _is_fresh(form):
        return _render(form, errors)
    # The prefix changes every id and name in the HTML (callers may pass one to the form).
    key = (type(form), str(get_locale()), getattr(form, "_prefix", ""))
    with _LOCK:
        cached = _PAGES.get(key)
        if cached is not None:
            _PAGES.move_to_end(key)
            return cached
    html = _render(form, errors)
    with _LOCK:
        _PAGES[key] = html
        if len(_PAGES) > PAGE_CACHE_SIZE:
            _PAGES.popitem(last=False)
    return html


def _render(form: Any, errors: dict[str, str]) -> Markup:
    # Safe: the output of an autoescaping template.
    return Markup(render_template("respond/_questions.html", form=form, errors=errors))  # noqa: S704
