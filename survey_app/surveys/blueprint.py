"""URL rules of the survey pages: list, create, edit, open link and personal links (researchers, admins)."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from survey_app.blueprints import NavItem
from survey_app.designs.forms import group_label, language_name
from survey_app.surveys import controllers
from survey_app.surveys.times import format_local

bp = Blueprint("surveys", __name__, template_folder="templates", url_prefix="/surveys")

S = "/<int:survey_id>"
bp.add_url_rule("", "index", controllers.index)
bp.add_url_rule("/new", "new", controllers.new, methods=["GET", "POST"])
bp.add_url_rule(S, "show", controllers.show)
bp.add_url_rule(S + "/edit", "edit", controllers.edit, methods=["GET", "POST"])
bp.add_url_rule(S + "/open-link", "open_link", controllers.open_link, methods=["POST"])
bp.add_url_rule(S + "/open-link/off", "close_open_link", controllers.close_open_link, methods=["POST"])
bp.add_url_rule(S + "/links", "links", controllers.links, methods=["POST"])

NAV = (NavItem("surveys.index", _l("Surveys")),)


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {"group_label": group_label, "language_name": language_name, "local_time": format_local}
