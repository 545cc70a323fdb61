"""The ceiling for ``bench/web_flows.py``: a bare Flask endpoint that inserts one row per request.

Served by the same gunicorn settings as the survey app, on the same database URL and with the
same engine settings (``survey_app.db.build_engine``: pool pre-ping on PostgreSQL, WAL and the busy
timeout on SQLite), so the difference to the survey app is the app's own work per request.

    gunicorn --pythonpath bench '_ceiling_app:create_ceiling_app()'   # DATABASE_URL from the env
"""

from __future__ import annotations

import datetime as dt
import os

from flask import Flask, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from survey_app.config import normalize_database_url
from survey_app.db import build_engine

metadata = MetaData()
hits = Table(
    "bench_ceiling_hits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def ensure_table(engine: Engine) -> None:
    """Create the hits table if missing (the driver calls it before gunicorn starts its workers)."""
    try:
        metadata.create_all(engine, checkfirst=True)
    except SQLAlchemyError:
        # Workers starting together may race on CREATE TABLE; the winner's table is the same one.
        metadata.create_all(engine, checkfirst=True)


def count_hits(engine: Engine) -> int:
    """Rows stored so far."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(hits)).scalar_one())


def create_ceiling_app() -> Flask:
    """One endpoint, ``POST /hit``: insert one row, commit, answer ``ok <id>``."""
    engine = build_engine(normalize_database_url(os.environ["DATABASE_URL"]))
    ensure_table(engine)
    app = Flask(__name__)

    @app.post("/hit")
    def hit() -> str:
        with engine.begin() as connection:
            row_id = connection.execute(
                insert(hits).values(value=request.form.get("v", ""), created_at=dt.datetime.now(dt.UTC))
            ).inserted_primary_key
        return f"ok {row_id[0] if row_id else ''}"

    return app
