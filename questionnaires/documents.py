"""Reading and writing questionnaire documents (YAML, JSON) and expanding shared blocks.

A page list or a question list may contain ``{include: NAME}`` entries. ``NAME`` is a block file
(``blocks/NAME.yaml`` beside the questionnaire, or a path relative to it) holding either
``questions:`` or ``pages:``. Including a block is how a group questionnaire reuses the shared core
instead of copying it; the expanded document is what gets validated, stored and fielded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from questionnaires.definition import Questionnaire, parse_definition

MAX_INCLUDE_DEPTH = 5


class DocumentError(ValueError):
    """A document that cannot be read: bad YAML/JSON, a missing block, an include cycle."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


BlockLoader = Callable[[str], Mapping[str, Any]]


def read_document(text: str, *, fmt: str = "yaml", source: str = "<document>") -> dict[str, Any]:
    """Parse YAML or JSON text into a plain mapping; raise DocumentError with the line on failure."""
    try:
        data = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(
            source, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise DocumentError(source, f"invalid YAML{where}: {problem}") from exc
    if not isinstance(data, dict):
        raise DocumentError(source, "a questionnaire document must be a mapping with id, title and pages")
    return data


def file_block_loader(base_dir: Path) -> BlockLoader:
    """Return a loader that finds blocks as ``blocks/NAME.yaml`` (or a relative path) under ``base_dir``."""

    def load(name: str) -> Mapping[str, Any]:
        candidates = [base_dir / "blocks" / f"{name}.yaml", base_dir / name]
        for candidate in candidates:
            resolved = candidate.resolve()
            # A block must stay inside the questionnaire's folder: no reading arbitrary files.
            if base_dir.resolve() in resolved.parents and resolved.is_file():
                return read_document(resolved.read_text(encoding="utf-8"), source=str(candidate))
        raise DocumentError(
            f"include {name!r}", f"no block file blocks/{name}.yaml next to the questionnaire"
        )

    return load


def expand_includes(document: Mapping[str, Any], load_block: BlockLoader) -> dict[str, Any]:
    """Return a copy of ``document`` with every ``{include: NAME}`` replaced by the block's items."""
    expanded = dict(document)
    pages = document.get("pages")
    if isinstance(pages, list):
        expanded["pages"] = [
            _expand_page(page, load_block, f"pages[{i}]") if isinstance(page, dict) else page
            for i, page in enumerate(_expand_list(pages, "pages", load_block, "pages", ()))
        ]
    return expanded


def _expand_page(page: dict[str, Any], load_block: BlockLoader, path: str) -> dict[str, Any]:
    questions = page.get("questions")
    if not isinstance(questions, list):
        return page
    return {**page, "questions": _expand_list(questions, "questions", load_block, path + ".questions", ())}


def _expand_list(
    items: list[Any], key: str, load_block: BlockLoader, path: str, seen: tuple[str, ...]
) -> list[Any]:
    result: list[Any] = []
    for index, item in enumerate(items):
        if not (isinstance(item, dict) and set(item) == {"include"}):
            result.append(item)
            continue
        name = str(item["include"])
        where = f"{path}[{index}].include"
        if name in seen or len(seen) >= MAX_INCLUDE_DEPTH:
            raise DocumentError(where, f"include cycle or nesting too deep: {' -> '.join((*seen, name))}")
        try:
            block = load_block(name)
        except DocumentError as exc:
            raise DocumentError(where, exc.message) from exc
        block_items = block.get(key)
        if not isinstance(block_items, list):
            raise DocumentError(where, f"block {name!r} has no {key!r} list to include here")
        result.extend(_expand_list(block_items, key, load_block, where, (*seen, name)))
    return result


def load_document(path: Path) -> dict[str, Any]:
    """Read a YAML or JSON questionnaire file and expand its includes into a plain document."""
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(str(path), f"cannot read the file: {exc}") from exc
    document = read_document(text, fmt=fmt, source=str(path))
    return expand_includes(document, file_block_loader(path.parent))


def load_questionnaire(path: Path) -> Questionnaire:
    """Read, expand and parse a questionnaire file (structure only; run ``validate`` for the rest)."""
    return parse_definition(load_document(path))


def dump_document(questionnaire: Questionnaire, fmt: str = "yaml") -> str:
    """Serialise a questionnaire as YAML or JSON text, without default values."""
    document = questionnaire.to_document()
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100))
