"""Reads of staff accounts."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from survey_app.auth.models import Role, User


def get_user_or_none(session: Session, user_id: int) -> User | None:
    """The user with ``user_id``, or None."""
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    """The user with this e-mail address (any letter case), or None."""
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def query_users(session: Session, *, role: Role | None = None) -> list[User]:
    """All users, optionally of one role, in a stable order for the admin list."""
    statement = select(User).order_by(col(User.is_active).desc(), col(User.email))
    if role is not None:
        statement = statement.where(User.role == role)
    return list(session.exec(statement))


def count_active_admins(session: Session) -> int:
    """How many active administrators there are (there must always be one)."""
    statement = select(func.count()).select_from(User).where(User.role == Role.admin, col(User.is_active))
    return session.exec(statement).one()


def normalize_email(email: str) -> str:
    """E-mail addresses are compared and stored trimmed and lower-cased."""
    return email.strip().lower()
