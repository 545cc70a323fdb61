"""URL rules of sampling (staff only) and the ``survey sample`` commands."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from survey_app.blueprints import NavItem
from survey_app.sampling import cli, controllers

bp = Blueprint("sampling", __name__, template_folder="templates", url_prefix="/sampling", cli_group="sample")
bp.cli.add_command(cli.allocate_command)
bp.cli.add_command(cli.draw_command)

S = "/surveys/<int:survey_id>"
bp.add_url_rule("", view_func=controllers.index)
bp.add_url_rule(S + "/design", view_func=controllers.design, methods=["GET", "POST"])
bp.add_url_rule(S, view_func=controllers.show)
bp.add_url_rule(S + "/release", view_func=controllers.release, methods=["POST"])
bp.add_url_rule(S + "/assign", view_func=controllers.assign, methods=["POST"])
bp.add_url_rule(S + "/move", view_func=controllers.move, methods=["POST"])
bp.add_url_rule(S + "/assignments.csv", view_func=controllers.assignments_csv)

NAV = (NavItem("sampling.index", _l("Sampling")),)
