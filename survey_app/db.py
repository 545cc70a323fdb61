"""Database plumbing: one engine per app, one session per request, shared column types.

Import this module before defining any table (``survey_app/__init__.py`` does, so any
``import survey_app.<module>.models`` is enough): the naming convention must be on the metadata
before constraints attach to their tables, or they would get backend-chosen names that Alembic
cannot drop portably.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, event
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

#: SQLite waits this long for a competing writer instead of failing at once with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000

_EXTENSION_KEY = "survey_db"
_SESSION_KEY = "_survey_db_session"


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC (the only timezone stored)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on both backends.

    PostgreSQL keeps the offset (``timestamptz``) but SQLite drops it; without this type the same
    query would return aware datetimes on one backend and naive ones on the other.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime, e.g. survey_app.db.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def build_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for ``url`` with the per-backend settings the app relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pre_ping: a connection dropped by a PostgreSQL restart or idle timeout is replaced instead
        # of failing the next request.
        return create_engine(url, echo=echo, pool_pre_ping=True)
    in_memory = parsed.database in (None, "", ":memory:")
    options: dict[str, Any] = {"echo": echo, "connect_args": {"check_same_thread": False}}
    if in_memory:
        # Each new connection would get its own empty in-memory database; share one.
        options["poolclass"] = StaticPool
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not in_memory:
            # WAL lets respondents' reads proceed while another request writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    return engine


def init_app(app: Flask, url: str, *, echo: bool = False) -> None:
    """Give ``app`` its engine and close the request's session when the app context ends."""
    app.extensions[_EXTENSION_KEY] = build_engine(url, echo=echo)
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask | None = None) -> Engine:
    """The engine of ``app`` (default: the current app)."""
    engine: Engine = (app or current_app).extensions[_EXTENSION_KEY]
    return engine


def get_session() -> Session:
    """The session of the current request (or app context), created on first use.

    ``expire_on_commit=False``: after an operation commits, the page can still render the objects
    it changed without a second round-trip to reload them.
    """
    session: Session | None = g.get(_SESSION_KEY)
    if session is None:
        session = Session(get_engine(), expire_on_commit=False)
        setattr(g, _SESSION_KEY, session)
    return session


def _close_session(_exc: BaseException | None) -> None:
    # Closing rolls back whatever an operation left uncommitted (e.g. after an exception).
    session: Session | None = g.pop(_SESSION_KEY, None)
    if session is not None:
        session.close()


@contextmanager
def transaction(session: Session | None = None) -> Iterator[Session]:
    """Run a block as one transaction on ``session`` (default: the request's session).

    Commits when the block ends, rolls back and re-raises if it raises. Operations use it so that
    their writes land together or not at all::

        with transaction(session) as s:
            s.add(row)
    """
    session = get_session() if session is None else session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def open_session(app: Flask | None = None) -> Iterator[Session]:
    """A session outside any request (CLI commands, scheduled jobs), closed at the end."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        yield session
