"""Interface language: choosing the locale per request, and compiling the catalogs.

Language tags are BCP 47 everywhere in the app (``zh-Hans``), as questionnaires and respondents use
them; only Babel sees its own form (``zh_Hans``). Questionnaire wording is data and is translated
by researchers, not here: these catalogs cover the interface chrome only.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError, support
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from wtforms.i18n import messages_path

from survey_app.config import LANGUAGES, normalize_language
from survey_app.extensions import babel

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with our selector; compile any catalog whose ``.mo`` is stale."""
    compile_catalogs(TRANSLATIONS_DIR)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, default_locale="en", locale_selector=select_locale)
    # Extraction uses trimmed = true (babel.cfg); rendering must trim the same way to find the ids.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.before_request(_remember_language_choice)
    app.jinja_env.globals.update(html_lang=current_language, language_url=language_url, LANGUAGES=LANGUAGES)


def babel_locale_id(tag: str) -> str:
    """``zh-Hans`` -> ``zh_Hans``, the directory and locale name Babel uses."""
    return tag.replace("-", "_")


def match_language(value: str) -> str | None:
    """The supported tag closest to an Accept-Language entry (``zh-TW`` -> ``zh-Hant``), or None."""
    exact = normalize_language(value)
    if exact is not None:
        return exact
    try:
        # Babel fills in the likely script: zh_TW and zh_HK become Hant, zh_CN and zh_SG Hans.
        locale = Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    if locale.language == "en":
        return "en"
    if locale.language == "zh":
        return "zh-Hant" if locale.script == "Hant" else "zh-Hans"
    return None


def choose_language() -> str:
    """The request's language: a page's own choice, the visitor's pick, the user's preference,
    the browser's Accept-Language, then the configured default (all without a database query)."""
    default = str(current_app.config["SURVEY_SETTINGS"].default_language)
    if not has_request_context():  # CLI commands and jobs: no visitor to ask
        return str(g.get("ui_language") or default)
    for candidate in (g.get("ui_language"), session.get("lang"), session.get("user_lang")):
        if candidate in LANGUAGES:
            return str(candidate)
    for value, _quality in request.accept_languages:
        tag = match_language(value)
        if tag is not None:
            return tag
    return default


def select_locale() -> str:
    return babel_locale_id(choose_language())


def current_language() -> str:
    """The BCP 47 tag of the page being rendered, for ``<html lang>``."""
    return str(get_locale() or "en").replace("_", "-")


def language_url(tag: str) -> str:
    """This page's address with ``?lang=tag``, for the language switcher (works without JavaScript)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [tag]
    return f"{request.path}?{urlencode(args, doseq=True)}"


#: WTForms ships its own catalogs ("This field is required."); Flask-WTF would look them up by our
#: locale id, and gettext's fallback from zh_Hant to zh would show Simplified Chinese.
_WTFORMS_LOCALES = {"en": "en", "zh_Hans": "zh", "zh_Hant": "zh_TW"}


@functools.cache
def _wtforms_catalog(locale_id: str) -> support.NullTranslations:
    wanted = _WTFORMS_LOCALES.get(locale_id, "en")
    return support.Translations.load(messages_path(), [wanted], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' messages in the language of the request, resolved when a message is needed."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


_WTFORMS_TRANSLATIONS = _WTFormsTranslations()


def _remember_language_choice() -> None:
    # Flask-WTF uses this request attribute when it is set (see flask_wtf.i18n).
    request.wtforms_translations = _WTFORMS_TRANSLATIONS  # type: ignore[attr-defined]
    # ?lang= on any page switches the language for the rest of the visit.
    wanted = request.args.get("lang")
    if wanted:
        tag = normalize_language(wanted)
        if tag is not None and session.get("lang") != tag:
            session["lang"] = tag


def compile_catalogs(directory: Path) -> list[Path]:
    """Compile every ``<locale>/LC_MESSAGES/*.po`` whose ``.mo`` is missing or older.

    ``.mo`` files are build output and not in git; compiling at start-up means a fresh checkout, the
    tests and the demo work without a manual ``pybabel compile``.

    :returns: the ``.mo`` files written.
    """
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        # Write aside and rename: parallel test workers may compile the same catalog at once.
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(tmp, mo_path)
        log.info("compiled %s", mo_path)
        written.append(mo_path)
    return written
