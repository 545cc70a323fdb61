"""The questionnaire library (``questionnaires/library/``) loaded as read-only templates."""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session

from questionnaires.documents import DocumentError, load_document
from survey_app.db import utcnow
from survey_app.designs import queries
from survey_app.designs.models import QuestionnaireRecord
from survey_app.designs.rules import DEFAULT_GROUP, LIBRARY_DIR, title_of


@dataclass
class LibraryLoad:
    """What :func:`load_library_templates` did, by template key."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Keys already used by a questionnaire that is not a template (left alone)."""


@functools.lru_cache(maxsize=64)
def _library_document(path: Path, mtime_ns: int) -> dict[str, Any]:
    # Parsing the library's YAML takes most of a second; the files change only with a deploy.
    return load_document(path)


def load_library_templates(session: Session, library_dir: Path = LIBRARY_DIR) -> LibraryLoad:
    """Load every ``library_dir/*.yaml`` (includes expanded) as a template; publishes nothing.

    Idempotent: a template whose file changed gets the new draft (and a new revision), others
    are left as they are.

    :raises DocumentError: a library file cannot be read (a bug in the library, not user input).
    """
    result = LibraryLoad()
    for path in sorted(library_dir.glob("*.yaml")):
        document = copy.deepcopy(_library_document(path, path.stat().st_mtime_ns))
        key = document.get("id")
        if not isinstance(key, str):
            raise DocumentError(str(path), "a library questionnaire needs an id")
        existing = queries.get_questionnaire_by_key(session, key)
        group = str(document.get("stakeholder_group") or DEFAULT_GROUP)
        if existing is None:
            record = QuestionnaireRecord(
                key=key,
                title=title_of(document, key),
                stakeholder_group=group,
                draft=document,
                is_template=True,
            )
            session.add(record)
            result.created.append(key)
        elif not existing.is_template:
            result.skipped.append(key)
        elif existing.draft != document:
            existing.draft = document
            existing.title = title_of(document, key)
            existing.stakeholder_group = group
            existing.draft_revision += 1
            existing.updated_at = utcnow()
            session.add(existing)
            result.updated.append(key)
        else:
            result.unchanged.append(key)
    session.commit()
    return result
