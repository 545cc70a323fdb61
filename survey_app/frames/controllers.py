"""Views of frames: list, upload → column mapping → queued import (progress) → report, downloads,
re-queueing a failed import and deleting a frame. The worker imports (``frames.tasks``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Engine
from sqlmodel import Session
from werkzeug.wrappers import Response as BaseResponse

from survey_app.auth.access import roles_required
from survey_app.auth.models import Role
from survey_app.db import get_engine, get_session
from survey_app.frames import operations, queries, queue
from survey_app.frames.columns import MappingError
from survey_app.frames.forms import MappingForm, UploadForm, column_map, mapping_choices, proposed_targets
from survey_app.frames.importer import ImportRequest
from survey_app.frames.labels import error_text
from survey_app.frames.models import DuplicatePolicy, Frame, FrameStatus
from survey_app.frames.reader import FileReadError, open_table
from survey_app.frames.uploads import (
    UploadMissing,
    UploadSettings,
    claim_upload,
    load_upload,
    save_upload,
    upload_dir,
)

STAFF = (Role.researcher, Role.admin)
PREVIEW_ROWS = 5


@roles_required(*STAFF)
def index() -> str:
    return render_template("frames/index.html", frames=queries.query_frames(get_session()))


@roles_required(*STAFF)
def new() -> str:
    """Step 1 (upload); a valid upload renders step 2 (mapping) at once."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        settings = UploadSettings(
            name=form.name.data,
            filename=upload.filename or "contacts.csv",
            encoding=form.encoding.data,
            region=(form.region.data or "").upper() or None,
            duplicates=form.duplicates.data,
        )
        token = save_upload(upload.stream, settings)
        return _mapping_page(MappingForm(token=token), token)
    return render_template("frames/new.html", form=form)


@roles_required(*STAFF)
def start() -> str | BaseResponse:
    """Step 2 posted: check the map, queue the import for the worker, show its progress."""
    form = MappingForm()
    token = form.token.data or ""
    try:
        path, settings = load_upload(token)
        with open_table(path, settings.encoding, settings.filename) as table:
            chosen = column_map(table.header, request.form.to_dict())
            chosen.check(table.header)
        path = claim_upload(path)
    except (UploadMissing, FileReadError, MappingError) as exc:
        return _mapping_page(form, token, error=error_text(exc.code, exc.params, str(exc)))
    frame = queue.queue_import(
        get_session(),
        ImportRequest(
            name=settings.name,
            column_map=chosen,
            region=settings.region,
            filename=settings.filename,
            duplicates=DuplicatePolicy(settings.duplicates),
            encoding=settings.encoding,
            user_id=current_user.id,
        ),
        path,
    )
    return redirect(url_for("frames.show", frame_id=frame.id))


def _mapping_page(form: MappingForm, token: str, error: str | None = None) -> str:
    context: dict[str, Any] = {"form": form, "error": error, "choices": mapping_choices()}
    try:
        path, settings = load_upload(token)
        with open_table(path, settings.encoding, settings.filename) as table:
            rows = table.rows()
            preview = [cells for _, cells in (next(rows, (0, [])) for _ in range(PREVIEW_ROWS)) if cells]
            header, encoding = table.header, table.encoding
    except (UploadMissing, FileReadError) as exc:
        upload = UploadForm()
        upload.form_errors.append(error_text(exc.code, exc.params, str(exc)))
        return render_template("frames/new.html", form=upload)
    targets = [request.form.get(f"col-{i}", t) for i, t in enumerate(proposed_targets(header))]
    columns = list(zip(header, targets, strict=True))
    return render_template(
        "frames/mapping.html",
        columns=columns,
        preview=preview,
        settings=settings,
        encoding=encoding,
        **context,
    )


@roles_required(*STAFF)
def show(frame_id: int) -> str:
    """The frame: progress while importing, then counts, the report (paged) and a contact preview."""
    session = get_session()
    frame = queries.get_frame(session, frame_id)
    page = request.args.get("page", 1, type=int) or 1
    return render_template(
        "frames/show.html",
        frame=frame,
        importing=frame.status in (FrameStatus.queued, FrameStatus.importing),
        issues=queries.query_issues(session, frame, page),
        issue_total=queries.count_issues(session, frame),
        page=page,
        page_size=queries.ISSUES_PAGE,
        contacts=queries.query_contacts(session, frame),
    )


@roles_required(*STAFF)
def requeue(frame_id: int) -> BaseResponse:
    """Queue a failed web import again (its upload is kept until the frame is ready or deleted)."""
    try:
        queue.requeue(get_session(), frame_id, upload_dir())
    except queue.QueueError as exc:
        flash(error_text(exc.code, exc.params, str(exc)), "error")
    else:
        flash(_("The import is queued again."), "success")
    return redirect(url_for("frames.show", frame_id=frame_id))


@roles_required(*STAFF)
def delete(frame_id: int) -> BaseResponse:
    """Delete a frame, unless it is being imported or a sample was drawn from it."""
    try:
        name = operations.delete_frame(get_session(), frame_id, upload_dir())
    except operations.GovernanceError as exc:
        flash(error_text(exc.code, exc.params, str(exc)), "error")
        return redirect(url_for("frames.show", frame_id=frame_id))
    flash(_("Frame “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("frames.index"))


@roles_required(*STAFF)
def issues_csv(frame_id: int) -> Response:
    """The whole import report as CSV (UTF-8 with BOM, so Excel shows Chinese correctly)."""
    frame = queries.get_frame(get_session(), frame_id)
    response = Response(_report_chunks(get_engine(), frame), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="frame-{frame.id}-report.csv"'
    return response


def _report_chunks(engine: Engine, frame: Frame) -> Iterator[str]:
    # Its own session: the request's is closed before the body streams, and keeping the request
    # context alive for the stream (stream_with_context) would leak it into later requests.
    yield "\ufeff"
    with Session(engine) as session:
        yield from queries.write_issues_csv(session, frame)
