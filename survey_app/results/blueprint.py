"""URL rules of the results pages (analysts, researchers, admins)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from survey_app.blueprints import NavItem
from survey_app.designs.forms import language_name
from survey_app.results import controllers
from survey_app.surveys.times import format_local

bp = Blueprint("results", __name__, template_folder="templates", url_prefix="/results")

S = "/<int:survey_id>"
bp.add_url_rule("", "index", controllers.index)
bp.add_url_rule(S, "overview", controllers.overview)
bp.add_url_rule(S + "/responses", "responses", controllers.responses)
bp.add_url_rule(S + "/responses/<int:interview_id>", "response", controllers.response)
bp.add_url_rule(S + "/export.csv", "export", controllers.export)

NAV = (NavItem("results.index", _l("Results")),)


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {"language_name": language_name, "local_time": format_local}
