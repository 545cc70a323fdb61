"""Rules every questionnaire write follows: the errors it raises, well-formed ids and groups.

Shared by ``operations`` (researchers' edits) and ``library`` (loading the templates).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

import questionnaires
from questionnaires.definition import localize
from survey_app.designs import queries

LIBRARY_DIR = Path(questionnaires.__file__).resolve().parent / "library"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
GROUP_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
DEFAULT_GROUP = "end_customer"


class DesignError(ValueError):
    """A rule about questionnaires was broken; ``field`` names the form field to show it on."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class StaleDraft(DesignError):
    """The draft was saved by someone else since the editor was opened."""

    def __init__(self, current_revision: int) -> None:
        super().__init__(
            str(
                _l(
                    "Someone saved this draft after you opened it (it is now at revision %(n)d). "
                    "Your changes were not saved; they are shown below.",
                    n=current_revision,
                )
            )
        )
        self.current_revision = current_revision


def check_key(session: Session, key: str, *, exclude_id: int | None = None, field: str = "key") -> str:
    """``key`` stripped, if it is well-formed and free; else DesignError on ``field``."""
    key = key.strip()
    if not KEY_PATTERN.match(key):
        raise DesignError(
            str(_l("An id may only use letters, digits, '_', '.' and '-' (at most 100 characters).")), field
        )
    if queries.key_taken(session, key, exclude_id=exclude_id):
        raise DesignError(str(_l("Another questionnaire already uses the id “%(key)s”.", key=key)), field)
    return key


def check_group(group: str) -> str:
    """``group`` stripped, if it is a well-formed stakeholder group; else DesignError."""
    group = group.strip()
    if not GROUP_PATTERN.match(group):
        raise DesignError(
            str(_l("A stakeholder group is lower-case letters, digits and '_', e.g. end_customer.")),
            "stakeholder_group",
        )
    return group


def title_of(document: Mapping[str, Any], fallback: str) -> str:
    """The document's title in its first language, for lists (``fallback`` when it has none)."""
    title = document.get("title")
    languages = document.get("languages")
    default = (
        languages[0] if isinstance(languages, list) and languages and isinstance(languages[0], str) else "en"
    )
    text = localize(title, default) if isinstance(title, str | dict) else ""
    return (str(text).strip() or fallback)[:300]
