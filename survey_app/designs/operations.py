"""Writes to questionnaires. Each operation checks, writes and commits, or raises ``DesignError``.

Drafts are saved whatever their problems (researchers save work in progress); publishing is what
requires a draft without errors. Every save names the ``draft_revision`` it started from, and is
refused with :class:`StaleDraft` when someone saved in between, so nobody overwrites unseen work.

The shared rules live in ``rules`` and the library loading in ``library``; both are re-exported
here so callers (the demo, other modules) use one module: ``designs.operations``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from questionnaires.definition import Text
from survey_app.auth.models import User
from survey_app.db import utcnow
from survey_app.designs import queries
from survey_app.designs.builder import BuilderChange, BuilderError, apply_change
from survey_app.designs.formats import FileError, ImportedFile, read_upload
from survey_app.designs.library import LibraryLoad, load_library_templates
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.designs.rules import (
    DEFAULT_GROUP,
    GROUP_PATTERN,
    KEY_PATTERN,
    LIBRARY_DIR,
    DesignError,
    StaleDraft,
    check_group,
    check_key,
    title_of,
)

__all__ = [
    "DEFAULT_GROUP",
    "GROUP_PATTERN",
    "KEY_PATTERN",
    "LIBRARY_DIR",
    "DesignError",
    "ImportOutcome",
    "LibraryLoad",
    "StaleDraft",
    "apply_builder_change",
    "clone_questionnaire",
    "create_questionnaire",
    "import_questionnaire",
    "load_library_templates",
    "publish_version",
    "save_draft",
    "use_template",
]


def _new_record(
    session: Session,
    document: dict[str, Any],
    *,
    owner: User | None,
    cloned_from: QuestionnaireRecord | None = None,
    is_template: bool = False,
) -> QuestionnaireRecord:
    record = QuestionnaireRecord(
        key=str(document["id"]),
        title=title_of(document, str(document["id"])),
        stakeholder_group=str(document.get("stakeholder_group") or DEFAULT_GROUP),
        owner_id=owner.id if owner is not None else None,
        draft=document,
        is_template=is_template,
        cloned_from_id=cloned_from.id if cloned_from is not None else None,
    )
    session.add(record)
    try:
        session.commit()
    except IntegrityError:
        # Two people taking the same id at once: the unique index decides.
        session.rollback()
        raise DesignError(
            str(_l("Another questionnaire already uses the id “%(key)s”.", key=record.key)), "key"
        ) from None
    return record


def create_questionnaire(
    session: Session,
    *,
    key: str,
    title: str,
    stakeholder_group: str,
    languages: list[str],
    owner: User | None,
) -> QuestionnaireRecord:
    """Create a blank questionnaire: one empty page, the title in the first language.

    :raises DesignError: the key is malformed or taken, the group malformed, no language given.
    """
    key = check_key(session, key)
    if not languages:
        raise DesignError(str(_l("Give at least one language, e.g. en, zh-Hans.")), "languages")
    document = {
        "id": key,
        "version": 1,
        "title": {languages[0]: title.strip()},
        "stakeholder_group": check_group(stakeholder_group),
        "languages": list(dict.fromkeys(languages)),
        "pages": [{"id": "page1", "questions": []}],
    }
    return _new_record(session, document, owner=owner)


def clone_questionnaire(
    session: Session,
    source: QuestionnaireRecord,
    *,
    key: str | None,
    stakeholder_group: str,
    title: Text | None = None,
    owner: User | None,
) -> QuestionnaireRecord:
    """Copy ``source``'s draft as a variant for another stakeholder group (or as a template's copy).

    :param key: the new id; empty: ``<source key>_<group>``.
    :param title: the new title (None keeps the source's).
    """
    group = check_group(stakeholder_group)
    key = check_key(session, key or f"{source.key}_{group}")
    document = copy.deepcopy(source.draft)
    document.update(id=key, stakeholder_group=group, version=1)
    if title:
        document["title"] = title
    return _new_record(session, document, owner=owner, cloned_from=source)


def use_template(
    session: Session, template: QuestionnaireRecord, *, key: str, owner: User | None
) -> QuestionnaireRecord:
    """Make an editable copy of a template under ``key`` (empty: ``<template>_copy``, ``_copy2``...)."""
    if not key:
        key = base = f"{template.key}_copy"
        number = 1
        while queries.key_taken(session, key):
            number += 1
            key = f"{base}{number}"
    return clone_questionnaire(
        session, template, key=key, stakeholder_group=template.stakeholder_group, owner=owner
    )


@dataclass
class ImportOutcome:
    """A questionnaire created from a file, with what the import could not carry over."""

    record: QuestionnaireRecord
    imported: ImportedFile


def import_questionnaire(
    session: Session,
    *,
    filename: str,
    content: bytes,
    stakeholder_group: str | None,
    key: str | None,
    owner: User | None,
) -> ImportOutcome:
    """Create a questionnaire from a YAML, JSON or XLSForm file; nothing is created if it is unreadable.

    :param stakeholder_group: overrides the file's (empty: the file's, else end_customer).
    :param key: overrides the file's id (empty: the file's).
    :raises DesignError: on the ``file`` field for an unreadable file, else on ``key``.
    """
    try:
        imported = read_upload(filename, content, LIBRARY_DIR)
    except FileError as exc:
        raise DesignError(exc.message, "file") from None
    document = imported.document
    chosen = key or document.get("id")
    if not isinstance(chosen, str) or not chosen:
        raise DesignError(str(_l("The file has no questionnaire id: enter one.")), "key")
    document["id"] = check_key(session, chosen)
    group = stakeholder_group or document.get("stakeholder_group") or DEFAULT_GROUP
    document["stakeholder_group"] = check_group(str(group))
    return ImportOutcome(_new_record(session, document, owner=owner), imported)


def save_draft(
    session: Session,
    record: QuestionnaireRecord,
    document: Mapping[str, Any],
    *,
    revision: int,
    user: User | None = None,
) -> QuestionnaireRecord:
    """Replace the draft (problems and all) if it is still at ``revision``.

    The list's key, title and group follow the document's ``id``, ``title`` and
    ``stakeholder_group`` where those are usable.

    :raises StaleDraft: someone saved since ``revision``.
    :raises DesignError: the document's new ``id`` is taken, or the record is a library template.
    """
    if record.is_template:
        raise DesignError(str(_l("Library templates cannot be changed: use the template to make a copy.")))
    if revision != record.draft_revision:
        raise StaleDraft(record.draft_revision)
    document = copy.deepcopy(dict(document))
    key = document.get("id")
    if isinstance(key, str) and key != record.key and KEY_PATTERN.match(key):
        check_key(session, key, exclude_id=record.id, field="id")
    else:
        key = record.key
    group = document.get("stakeholder_group")
    values = {
        "draft": document,
        "draft_revision": revision + 1,
        "key": key,
        "title": title_of(document, key),
        "stakeholder_group": group
        if isinstance(group, str) and GROUP_PATTERN.match(group)
        else record.stakeholder_group,
        "updated_at": utcnow(),
    }
    # Only where the revision is still the one the editor started from: two saves of the same
    # revision cannot both win, whatever the timing.
    statement = (
        update(QuestionnaireRecord)
        .where(col(QuestionnaireRecord.id) == record.id, col(QuestionnaireRecord.draft_revision) == revision)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    try:
        changed = session.exec(statement).rowcount
    except IntegrityError:
        session.rollback()
        raise DesignError(
            str(_l("Another questionnaire already uses the id “%(key)s”.", key=key)), "id"
        ) from None
    if changed != 1:
        session.rollback()
        session.refresh(record)
        raise StaleDraft(record.draft_revision)
    session.commit()
    session.refresh(record)
    return record


def apply_builder_change(
    session: Session,
    record: QuestionnaireRecord,
    change: BuilderChange,
    *,
    revision: int,
    user: User | None = None,
) -> QuestionnaireRecord:
    """Apply one builder edit (settings, a page, a question, a move or a delete) and save the draft.

    :raises DesignError: the edit's target is gone, or as :func:`save_draft`.
    """
    if revision != record.draft_revision:
        raise StaleDraft(record.draft_revision)
    try:
        document = apply_change(record.draft, change)
    except BuilderError as exc:
        raise DesignError(exc.message) from None
    return save_draft(session, record, document, revision=revision, user=user)


def publish_version(
    session: Session, record: QuestionnaireRecord, *, revision: int, user: User | None
) -> QuestionnaireVersion:
    """Freeze the draft as the next version (previous + 1); its document's ``version`` is that number.

    Warnings do not block publishing; errors do. The draft stays as it is and becomes the next
    version when published again.

    :raises DesignError: the draft has errors, is unchanged since the latest version, is a
        template, or someone published at the same time.
    :raises StaleDraft: the draft changed since the researcher reviewed ``revision``.
    """
    if record.is_template:
        raise DesignError(str(_l("Library templates are not published: use the template to make a copy.")))
    if revision != record.draft_revision:
        raise StaleDraft(record.draft_revision)
    errors = queries.error_count(queries.draft_problems(record))
    if errors:
        raise DesignError(
            ngettext(
                "The draft has %(num)d error: fix it before publishing.",
                "The draft has %(num)d errors: fix them before publishing.",
                errors,
            )
        )
    latest = queries.latest_version(session, record.id or 0)
    if latest is not None and queries.unchanged_since(record, latest):
        raise DesignError(
            str(
                _l(
                    "The draft has not changed since version %(n)d: there is nothing to publish.",
                    n=latest.number,
                )
            )
        )
    number = latest.number + 1 if latest is not None else 1
    document = copy.deepcopy(record.draft)
    document["version"] = number
    version = QuestionnaireVersion(
        questionnaire_id=record.id or 0,
        number=number,
        document=document,
        published_by_id=user.id if user else None,
    )
    session.add(version)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DesignError(
            str(_l("Someone published this questionnaire at the same moment: check the versions."))
        ) from None
    return version
