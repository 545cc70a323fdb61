"""Fixtures of the frames tests: writing messy files, importing them, reading back what was kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlmodel import col, select

from survey_app.db import open_session
from survey_app.frames.columns import guess_column_map
from survey_app.frames.importer import ImportFailed, ImportRequest, import_file
from survey_app.frames.models import Contact, DuplicatePolicy, Frame, FrameImportIssue
from survey_app.frames.reader import open_table


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """``write_csv(text, encoding="utf-8", name="contacts.csv", bom=False) -> Path``."""

    def write(text: str, encoding: str = "utf-8", name: str = "contacts.csv", bom: bool = False) -> Path:
        path = tmp_path / name
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
        return path

    return write


@pytest.fixture
def run_import(app: Flask) -> Callable[..., Frame | ImportFailed]:
    """``run_import(path, region="CN", duplicates="keep-first", given=None) -> Frame`` (or the
    ImportFailed raised), with the column map guessed from the header like the CLI does."""

    def run(
        path: Path,
        region: str | None = "CN",
        duplicates: str = "keep-first",
        given: dict[str, str] | None = None,
    ) -> Any:
        with app.app_context(), open_session(app) as session:
            with open_table(path) as table:
                column_map = guess_column_map(table.header, given)
            request = ImportRequest(
                name="Customers", column_map=column_map, region=region, duplicates=DuplicatePolicy(duplicates)
            )
            try:
                return import_file(session, path, request)
            except ImportFailed as exc:
                return exc

    return run


@pytest.fixture
def stored(app: Flask) -> Callable[[int], tuple[list[Contact], list[FrameImportIssue]]]:
    """``stored(frame_id) -> (contacts, issues)`` in row order."""

    def read(frame_id: int) -> tuple[list[Contact], list[FrameImportIssue]]:
        with app.app_context(), open_session(app) as session:
            contacts = session.exec(
                select(Contact).where(Contact.frame_id == frame_id).order_by(col(Contact.row_number))
            ).all()
            issues = session.exec(
                select(FrameImportIssue)
                .where(FrameImportIssue.frame_id == frame_id)
                .order_by(col(FrameImportIssue.row_number), col(FrameImportIssue.id))
            ).all()
            return list(contacts), list(issues)

    return read


@pytest.fixture
def run_worker_job(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """``run_worker_job()``: one run of the worker's frame import job, as ``survey worker`` runs it."""
    from survey_app.frames import tasks
    from survey_app.scheduling import runner

    monkeypatch.setattr(runner, "_APP", app)
    return tasks.run_imports
