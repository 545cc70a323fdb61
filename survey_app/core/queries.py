"""Reads for the core pages."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session


def get_database_ok(session: Session) -> bool:
    """Whether the database answers a trivial query."""
    try:
        session.connection().execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
