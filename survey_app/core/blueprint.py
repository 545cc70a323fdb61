"""URL rules of the core module."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from survey_app.blueprints import NavItem
from survey_app.core import controllers

bp = Blueprint("core", __name__, template_folder="templates")
bp.add_url_rule("/", view_func=controllers.index)
bp.add_url_rule("/healthz", view_func=controllers.healthz)

NAV = (NavItem("core.index", _l("Home")),)
