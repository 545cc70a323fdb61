"""Error pages in the base layout, for people: what happened and what to do next."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, default_exceptions

from survey_app.schema import SchemaNotReady

log = logging.getLogger(__name__)

_PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Access denied"), _l("Your account does not give you access to this page.")),
    404: (
        _l("Page not found"),
        _l("There is no page at this address. Check it, or start again from the home page."),
    ),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Please try again in a few minutes.")),
    503: (_l("Temporarily unavailable"), _l("Please try again in a few minutes.")),
}
#: These pages are shown when the database may be broken: render them without the user menu,
#: which would have to load the signed-in user from that database.
_BARE = {500, 503}


def init_app(app: Flask) -> None:
    """Register the handlers; every page extends ``base.html``."""
    app.register_error_handler(CSRFError, _csrf_error)
    for code in _PAGES:
        app.register_error_handler(code, _http_error)


def render_error(code: int, *, message: object = None, command: str | None = None) -> tuple[str, int]:
    title, default_message = _PAGES.get(code, _PAGES[500])
    page = render_template(
        "errors/error.html",
        code=code,
        title=title,
        message=message or default_message,
        command=command,
        bare=code in _BARE,
    )
    return page, code


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    # The usual causes are an expired session or a form kept open across a sign-out.
    message = _l(
        "This form was not sent with a valid security token, so nothing was saved. "
        "Your session may have expired. Reload the page and submit the form again."
    )
    return render_error(400, message=message)


def _http_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    if isinstance(error, SchemaNotReady):
        return render_error(503, message=error.description, command=error.command)
    if isinstance(error, InternalServerError):
        return render_error(500)
    # Our own short explanations beat Werkzeug's English defaults, except where a view chose one.
    werkzeug_default = getattr(default_exceptions.get(code), "description", None)
    custom = error.description if error.description != werkzeug_default else None
    return render_error(code, message=custom)
