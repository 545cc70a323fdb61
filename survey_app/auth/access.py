"""Who may open which page: the route declarations, the guard that enforces them, sign-in state.

Every view function carries a declaration, set by exactly one of::

    @roles_required(Role.researcher, Role.admin)   # staff with one of these roles
    @public_route                                  # respondents, webhooks, the login page

The declaration is an attribute on the function (``survey_access``); one ``before_request`` guard
reads it for every request, so the order of decorators does not matter and an endpoint without a
declaration is refused instead of silently open. ``tests/survey_app/test_roles_matrix.py`` walks
``app.url_map`` and fails for any endpoint without one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import AnonymousUserMixin, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from survey_app.auth import queries
from survey_app.auth.models import Role, User
from survey_app.db import get_session
from survey_app.extensions import login_manager

log = logging.getLogger(__name__)

ACCESS_ATTR = "survey_access"
ALL_ROLES: tuple[Role, ...] = tuple(Role)
#: Session keys that survive signing in and out: the language picked on the login page.
_KEPT_SESSION_KEYS = ("lang",)

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Access:
    """A route's declaration: open to everyone, or to signed-in staff with one of ``roles``."""

    public: bool
    roles: frozenset[Role] = frozenset()

    def allows(self, role: Role | None) -> bool:
        return self.public or (role is not None and role in self.roles)


def roles_required(*roles: Role) -> Callable[[View], View]:
    """Admit signed-in staff whose role is one of ``roles`` (admin is not implied: list it).

    Anonymous visitors are sent to the login page; other staff get 403.
    """
    if not roles:
        raise TypeError("roles_required() needs at least one role; use @public_route for open pages")
    access = Access(public=False, roles=frozenset(Role(r) for r in roles))

    def declare(view: View) -> View:
        setattr(view, ACCESS_ATTR, access)
        return view

    return declare


def public_route(view: View) -> View:
    """Open ``view`` to anyone: respondent pages, webhooks (which check their own signatures), login."""
    setattr(view, ACCESS_ATTR, Access(public=True))
    return view


def access_of(view: Callable[..., Any]) -> Access | None:
    """The declaration of a view function, or None when it has none."""
    return getattr(view, ACCESS_ATTR, None)


def is_static_endpoint(endpoint: str) -> bool:
    return endpoint == "static" or endpoint.endswith(".static")


def user_role() -> Role | None:
    """The role of the signed-in user, None for anonymous visitors."""
    return current_user.role if current_user.is_authenticated else None


class Anonymous(AnonymousUserMixin):  # type: ignore[misc]  # flask_login is untyped
    role = None


def init_app(app: Flask) -> None:
    """Configure Flask-Login and install the guard (before CSRF, so refusals win over 400)."""
    # Flask-Login's own context processor loads the user for every rendered template; for an
    # anonymous visitor whose session holds only a CSRF token, "strong" protection then rewrites
    # the session cookie and clears the remember cookie on every respondent page. The proxy
    # loads the user only where a template really shows it (the staff layout).
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(_lazy_current_user)
    # "strong": a session cookie replayed from another address or browser is signed out.
    login_manager.session_protection = "strong"
    login_manager.anonymous_user = Anonymous
    login_manager.user_loader(_load_user)
    app.before_request(_enforce_declarations)


def _lazy_current_user() -> dict[str, object]:
    return {"current_user": current_user}


def _load_user(identity: str) -> User | None:
    user_id = identity.partition(":")[0]
    if not user_id.isdigit():
        return None
    user = queries.get_user_or_none(get_session(), int(user_id))
    # A deactivated account or a changed password ends the session at its next request.
    if user is None or not user.is_active or user.get_id() != identity:
        return None
    return user


def _enforce_declarations() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None or is_static_endpoint(endpoint):
        return None  # 404/405 follow; static files are public
    access = access_of(current_app.view_functions[endpoint])
    if access is None:
        log.error("endpoint %r has no @roles_required or @public_route declaration: refused", endpoint)
        abort(403)
    if access.public:
        return None
    if not current_user.is_authenticated:
        # Come back here after signing in, but only to pages: a form post cannot be replayed.
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=back))
    if current_user.role not in access.roles:
        abort(403)
    return None


def start_user_session(user: User) -> None:
    """Sign ``user`` in on a brand-new session.

    Clearing first prevents session fixation: nothing from the anonymous session (including its
    CSRF token) carries over, so a cookie planted or read before sign-in is worthless after it.
    """
    kept = {key: session[key] for key in _KEPT_SESSION_KEYS if key in session}
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the token per request
    session.update(kept)
    # Not a "permanent" session: the cookie ends with the browser (shared call-centre desks), and
    # Flask-Login's "strong" protection only signs out replayed cookies of non-permanent sessions.
    # The signed cookie still expires SURVEY_SESSION_LIFETIME_MINUTES after it was last written.
    remember_language_preference(user.preferred_language)
    login_user(user)


def remember_language_preference(language: str | None) -> None:
    """Keep the user's preferred language in the session, so choosing the locale needs no query."""
    if language:
        session["user_lang"] = language
    else:
        session.pop("user_lang", None)


def end_user_session() -> None:
    """Sign out and drop everything else the session held, except the language."""
    kept = {key: session[key] for key in _KEPT_SESSION_KEYS if key in session}
    logout_user()
    session.clear()
    g.pop("csrf_token", None)
    session.update(kept)


def safe_next_url(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects via ``?next=``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target
