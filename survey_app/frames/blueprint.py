"""URL rules of contact frames and contact governance; ``survey frame import`` on the CLI."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from survey_app.blueprints import NavItem
from survey_app.frames import cli, controllers, governance_controllers
from survey_app.frames.labels import ACTIONS, FIELDS, POLICIES, REASONS, STATUSES

bp = Blueprint("frames", __name__, template_folder="templates", url_prefix="/frames", cli_group="frame")
bp.cli.add_command(cli.import_command)
bp.cli.add_command(cli.issues_command)

F = "/<int:frame_id>"
bp.add_url_rule("", view_func=controllers.index)
bp.add_url_rule("/new", view_func=controllers.new, methods=["GET", "POST"])
bp.add_url_rule("/import", view_func=controllers.start, methods=["POST"])
bp.add_url_rule(F, view_func=controllers.show)
bp.add_url_rule(F + "/report.csv", view_func=controllers.issues_csv)
bp.add_url_rule(F + "/requeue", view_func=controllers.requeue, methods=["POST"])
bp.add_url_rule(F + "/delete", view_func=controllers.delete, methods=["POST"])
bp.add_url_rule("/do-not-contact", view_func=governance_controllers.do_not_contact)
bp.add_url_rule("/do-not-contact/add", view_func=governance_controllers.add_address, methods=["POST"])
bp.add_url_rule("/do-not-contact/import", view_func=governance_controllers.import_addresses, methods=["POST"])
bp.add_url_rule(
    "/do-not-contact/<int:opt_out_id>/remove",
    view_func=governance_controllers.remove_address,
    methods=["POST"],
)
bp.add_url_rule("/rules", view_func=governance_controllers.rules, methods=["GET", "POST"])

NAV = (
    NavItem("frames.index", _l("Frames")),
    NavItem("frames.do_not_contact", _l("Do not contact")),
)


@bp.context_processor
def _labels() -> dict[str, object]:
    return {
        "reason_labels": REASONS,
        "action_labels": ACTIONS,
        "status_labels": STATUSES,
        "policy_labels": POLICIES,
        "field_labels": FIELDS,
    }
