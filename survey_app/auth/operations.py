"""Writes to staff accounts. Each operation validates, writes and commits, or raises ``UserError``."""

from __future__ import annotations

import functools
import secrets

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from werkzeug.security import check_password_hash, generate_password_hash

from survey_app.auth import queries
from survey_app.auth.models import VENDOR_ROLES, Role, User
from survey_app.config import normalize_language
from survey_app.db import utcnow

#: werkzeug's scrypt; tests switch to a cheap method via the PASSWORD_HASH_METHOD app setting.
DEFAULT_HASH_METHOD = "scrypt"
MIN_PASSWORD_LENGTH = 12


class UserError(ValueError):
    """A rule about accounts was broken; ``field`` names the form field to show it on."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _hash_method() -> str:
    if has_app_context():
        return str(current_app.config.get("PASSWORD_HASH_METHOD", DEFAULT_HASH_METHOD))
    return DEFAULT_HASH_METHOD


def hash_password(password: str) -> str:
    """Hash ``password`` for storage, refusing ones that are too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            str(_l("Passwords need at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)), "password"
        )
    return generate_password_hash(password, method=_hash_method())


def generate_password() -> str:
    """A random password of 16 URL-safe characters, for new accounts and resets."""
    return secrets.token_urlsafe(12)


def _check_vendor(role: Role, vendor_id: int | None) -> None:
    if role in VENDOR_ROLES and vendor_id is None:
        raise UserError(str(_l("Vendor managers and call agents need a vendor.")), "vendor_id")
    if role not in VENDOR_ROLES and vendor_id is not None:
        raise UserError(str(_l("Only vendor managers and call agents belong to a vendor.")), "vendor_id")


def _check_language(language: str | None) -> str | None:
    if not language:
        return None
    tag = normalize_language(language)
    if tag is None:
        raise UserError(str(_l("Unknown language.")), "preferred_language")
    return tag


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: Role,
    password: str,
    vendor_id: int | None = None,
    preferred_language: str | None = None,
    is_active: bool = True,
) -> User:
    """Create a staff account.

    :param email: any letter case; stored lower-cased and must be unused.
    :param vendor_id: required for vendor managers and agents, refused for other roles.
    :raises UserError: the e-mail is taken, the password too short, or the vendor rule broken.
    """
    email = queries.normalize_email(email)
    role = Role(role)
    _check_vendor(role, vendor_id)
    if queries.get_user_by_email(session, email) is not None:
        raise UserError(str(_l("A user with this e-mail address already exists.")), "email")
    user = User(
        email=email,
        display_name=display_name.strip() or email,
        password_hash=hash_password(password),
        role=role,
        vendor_id=vendor_id,
        preferred_language=_check_language(preferred_language),
        is_active=is_active,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:
        # Two admins creating the same address at once: the unique index decides.
        session.rollback()
        raise UserError(str(_l("A user with this e-mail address already exists.")), "email") from None
    return user


def update_user(
    session: Session,
    user: User,
    *,
    acting_user: User,
    display_name: str,
    role: Role,
    vendor_id: int | None,
    preferred_language: str | None,
    is_active: bool,
) -> User:
    """Change an account's name, role, vendor, language or active flag.

    :param acting_user: the administrator making the change; nobody can lock themselves out, and
        the last active administrator cannot be demoted or deactivated.
    :raises UserError: when a rule above or the vendor rule is broken.
    """
    role = Role(role)
    _check_vendor(role, vendor_id)
    loses_admin = user.role == Role.admin and user.is_active and (role != Role.admin or not is_active)
    if loses_admin and user.id == acting_user.id:
        raise UserError(str(_l("You cannot remove your own administrator access.")), "role")
    if loses_admin and queries.count_active_admins(session) <= 1:
        raise UserError(str(_l("At least one active administrator must remain.")), "role")
    user.display_name = display_name.strip() or user.email
    user.role = role
    user.vendor_id = vendor_id
    user.preferred_language = _check_language(preferred_language)
    user.is_active = is_active
    session.add(user)
    session.commit()
    return user


def set_password(session: Session, user: User, password: str) -> User:
    """Replace the password; every existing session of the user ends (see ``User.get_id``)."""
    user.password_hash = hash_password(password)
    session.add(user)
    session.commit()
    return user


def change_own_password(session: Session, user: User, current_password: str, new_password: str) -> User:
    """Let a user change their password after proving they know the current one."""
    if not check_password_hash(user.password_hash, current_password):
        raise UserError(str(_l("The current password is not correct.")), "current_password")
    return set_password(session, user, new_password)


def set_preferred_language(session: Session, user: User, language: str | None) -> User:
    """Store the language the interface uses for ``user`` (None: follow the browser)."""
    user.preferred_language = _check_language(language)
    session.add(user)
    session.commit()
    return user


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(8), method=method)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, with ``last_login_at`` updated; else None.

    Unknown addresses, wrong passwords and deactivated accounts look the same to the caller, and
    an unknown address still costs one hash check, so timing does not reveal which accounts exist.
    """
    user = queries.get_user_by_email(session, email)
    if user is None:
        check_password_hash(_dummy_hash(_hash_method()), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    session.add(user)
    session.commit()
    return user
