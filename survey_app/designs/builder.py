"""The form-based builder's edits, as changes applied to the draft document (a JSON-ready dict).

Drafts may be invalid at any time: nothing here validates the questionnaire, it only refuses
edits that point at something no longer there (another save moved or deleted it).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from survey_app.designs.formdata import Document, as_dict, set_path


class BuilderError(ValueError):
    """An edit that cannot be applied to the draft as it is now."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class UpdateSettings:
    """Set top-level keys (a None value removes the key)."""

    values: Mapping[str, Any]


@dataclass(frozen=True)
class PutPage:
    """Replace page ``index`` by ``page`` (its questions kept), or append it when ``index`` is None."""

    page: Mapping[str, Any]
    index: int | None = None


@dataclass(frozen=True)
class PutQuestion:
    """Replace question ``index`` of ``page`` (whose id must still be ``expected_id``), or append."""

    page: int
    question: Mapping[str, Any]
    index: int | None = None
    expected_id: str | None = None


@dataclass(frozen=True)
class MoveItem:
    """Move a page (``index`` None) or a question one place up (-1) or down (+1).

    A question moved past the start or end of its page goes to the neighbouring page.
    """

    page: int
    index: int | None
    offset: int


@dataclass(frozen=True)
class DeleteItem:
    """Delete a page (``index`` None) or a question; its id must still be ``expected_id``."""

    page: int
    index: int | None
    expected_id: str | None


BuilderChange = UpdateSettings | PutPage | PutQuestion | MoveItem | DeleteItem


def _gone() -> BuilderError:
    return BuilderError(
        str(_l("This item is no longer in the draft (it was moved or deleted). Reload the page."))
    )


def _pages(document: Document) -> list[Any]:
    pages = document.get("pages")
    if pages is None:
        pages = document["pages"] = []
    if not isinstance(pages, list):
        raise BuilderError(
            str(_l("The pages of this draft are not a list: fix them in the definition editor."))
        )
    return pages


def _page(document: Document, index: int) -> dict[str, Any]:
    pages = _pages(document)
    if not 0 <= index < len(pages) or not isinstance(pages[index], dict):
        raise _gone()
    page: dict[str, Any] = pages[index]
    return page


def _questions(page: dict[str, Any]) -> list[Any]:
    questions = page.setdefault("questions", [])
    if not isinstance(questions, list):
        raise BuilderError(
            str(_l("The questions of this page are not a list: fix them in the definition editor."))
        )
    return questions


def _checked(items: list[Any], index: int, expected_id: str | None) -> None:
    if not 0 <= index < len(items):
        raise _gone()
    if expected_id is not None and as_dict(items[index]).get("id") != expected_id:
        raise _gone()


def apply_change(document: Mapping[str, Any], change: BuilderChange) -> Document:
    """Return a changed copy of ``document``; raise BuilderError when the target is gone."""
    result: Document = copy.deepcopy(dict(document))
    if isinstance(change, UpdateSettings):
        for key, value in change.values.items():
            set_path(result, (key,), value)
    elif isinstance(change, PutPage):
        pages = _pages(result)
        page = dict(copy.deepcopy(change.page))
        if change.index is None:
            pages.append(page)
        else:
            page["questions"] = _page(result, change.index).get("questions", [])
            pages[change.index] = page
    elif isinstance(change, PutQuestion):
        questions = _questions(_page(result, change.page))
        if change.index is None:
            questions.append(copy.deepcopy(dict(change.question)))
        else:
            _checked(questions, change.index, change.expected_id)
            questions[change.index] = copy.deepcopy(dict(change.question))
    elif isinstance(change, MoveItem):
        _move(result, change)
    else:
        _delete(result, change)
    return result


def _move(document: Document, change: MoveItem) -> None:
    pages = _pages(document)
    _page(document, change.page)
    if change.index is None:
        target = change.page + change.offset
        if 0 <= target < len(pages):
            pages[change.page], pages[target] = pages[target], pages[change.page]
        return
    questions = _questions(pages[change.page])
    _checked(questions, change.index, None)
    target = change.index + change.offset
    if 0 <= target < len(questions):
        questions[change.index], questions[target] = questions[target], questions[change.index]
        return
    neighbour = change.page + change.offset
    if 0 <= neighbour < len(pages) and isinstance(pages[neighbour], dict):
        moved = questions.pop(change.index)
        others = _questions(pages[neighbour])
        others.insert(len(others) if change.offset < 0 else 0, moved)


def _delete(document: Document, change: DeleteItem) -> None:
    pages = _pages(document)
    if change.index is None:
        _checked(pages, change.page, change.expected_id)
        del pages[change.page]
        return
    questions = _questions(_page(document, change.page))
    _checked(questions, change.index, change.expected_id)
    del questions[change.index]
