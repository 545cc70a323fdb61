"""Helpers of the frames tests."""

from __future__ import annotations

import secrets

from flask import Flask
from sqlmodel import Session

from survey_app.frames import queue
from survey_app.frames.columns import ColumnMap
from survey_app.frames.importer import ImportRequest
from survey_app.frames.models import Frame
from survey_app.frames.uploads import upload_dir

CSV = "phone,email,Segment\n+8613800138000,a@example.com,VIP\nnot a phone,,x\n+8613900139000,,VIP\n"


def queue_file(app: Flask, session: Session, text: str = CSV, name: str = "Customers") -> Frame:
    """A queued frame whose kept upload holds ``text`` (as the web's import step leaves it)."""
    directory = upload_dir(app)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{secrets.token_hex(16)}.claimed"
    path.write_text(text, encoding="utf-8")
    column_map = ColumnMap(fields={"phone": "phone", "email": "email"}, attributes={"segment": "Segment"})
    request = ImportRequest(name=name, column_map=column_map, region="CN", filename="c.csv")
    return queue.queue_import(session, request, path)
