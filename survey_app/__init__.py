"""Survey fieldwork: the Flask application.

``create_app()`` is the only way to get an app (``gunicorn 'survey_app:create_app()'``, the
``survey`` CLI and the tests all use it); nothing is built at import time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from survey_app import db  # first: sets the constraint naming convention before any table exists
from survey_app.config import (
    Settings,
    SettingsError,
    instance_secret_key,
    load_settings,
    missing_secret_key_error,
    sqlite_url,
)

__all__ = ["Settings", "SettingsError", "create_app"]

#: Everything the pages need is served by the app itself: no CDN, no inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment, updated by ``config``.

    ``config`` takes the environment variable names (``DATABASE_URL``, ``SECRET_KEY``,
    ``SURVEY_*``), which are validated like the environment, plus any Flask or extension setting
    (``TESTING``, ``WTF_CSRF_ENABLED``, ...), which is copied into ``app.config`` as given.

    :raises SettingsError: a setting is invalid or missing; the message names it.
    """
    overrides = dict(config or {})
    settings = load_settings(overrides)
    instance_path = Path(settings.instance_path).resolve() if settings.instance_path else None
    app = Flask(__name__, instance_path=str(instance_path) if instance_path else None)
    app.config.update(_flask_settings(app, settings))
    setting_names = {field.alias for field in Settings.model_fields.values()}
    app.config.update({k: v for k, v in overrides.items() if k not in setting_names})
    app.config["SECRET_KEY"] = _secret_key(app, settings)

    _init_extensions(app, settings)
    if settings.proxy_fix_hops:
        hops = settings.proxy_fix_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    return app


def _flask_settings(app: Flask, settings: Settings) -> dict[str, Any]:
    database_url = settings.database_url
    if database_url is None:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        database_url = sqlite_url(Path(app.instance_path) / "survey.db")
    return {
        "SURVEY_SETTINGS": settings,
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_NAME": "survey_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.uses_https,
        "PREFERRED_URL_SCHEME": "https" if settings.uses_https else "http",
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(minutes=settings.session_lifetime_minutes),
        # A token valid as long as the session: staff may keep a long form open for an hour.
        "WTF_CSRF_TIME_LIMIT": None,
        "PASSWORD_HASH_METHOD": "scrypt",
        "CONTENT_SECURITY_POLICY": CONTENT_SECURITY_POLICY,
    }


def _secret_key(app: Flask, settings: Settings) -> str:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if app.debug or app.testing or settings.demo:
        return instance_secret_key(Path(app.instance_path))
    raise missing_secret_key_error()


def _init_extensions(app: Flask, settings: Settings) -> None:
    # Imported here: module code (models, views) must never run as a side effect of
    # `import survey_app`, only when an app is built.
    from survey_app import cli, errors, i18n, schema
    from survey_app.auth import access
    from survey_app.blueprints import register_modules
    from survey_app.extensions import csrf

    db.init_app(app, app.config["DATABASE_URL"], echo=settings.sql_echo)
    # before_request order matters: schema check (503), then access (302/403), then CSRF (400).
    schema.init_app(app)
    access.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    register_modules(app)
    cli.init_app(app)
    app.after_request(_security_headers)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"])
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    endpoint = request.endpoint or ""
    if "Cache-Control" not in headers and not (endpoint == "static" or endpoint.endswith(".static")):
        # Staff pages show personal data and respondent pages show answers: keep them out of
        # shared-computer browser caches.
        headers["Cache-Control"] = "no-store"
    return response
