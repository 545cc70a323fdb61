"""Views of the core module."""

from __future__ import annotations

from flask import jsonify, render_template
from werkzeug.wrappers import Response

from survey_app.auth.access import ALL_ROLES, public_route, roles_required
from survey_app.core import queries
from survey_app.db import get_session


@roles_required(*ALL_ROLES)
def index() -> str:
    return render_template("core/index.html")


@public_route
def healthz() -> tuple[Response, int]:
    """For load balancers and uptime checks: 200 when the app and its database answer."""
    if queries.get_database_ok(get_session()):
        return jsonify(status="ok"), 200
    return jsonify(status="database unavailable"), 503
