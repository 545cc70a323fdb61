"""URL rules of the authoring module: questionnaires, their builder and editor, previews and versions."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from survey_app.blueprints import NavItem
from survey_app.designs import cli, controllers, editor_controllers, preview_controllers
from survey_app.designs.forms import STAKEHOLDER_GROUPS, group_label, language_name, localized, type_label

bp = Blueprint("designs", __name__, template_folder="templates", url_prefix="/questionnaires")
bp.cli.add_command(cli.load_library_command)

Q = "/<int:questionnaire_id>"
FORMATS = "<any(yaml, json, xlsform):kind>"


def _rule(rule: str, view: object, methods: tuple[str, ...] = ("GET",), endpoint: str | None = None) -> None:
    bp.add_url_rule(rule, endpoint, view, methods=list(methods))  # type: ignore[arg-type]


_rule("", controllers.index)
_rule("/new", controllers.new)
_rule("/new", controllers.create, ("POST",))
_rule("/new/template", controllers.create_from_template, ("POST",))
_rule("/new/import", controllers.import_file, ("POST",))
_rule(Q, controllers.show)
_rule(Q + "/publish", controllers.publish, ("GET", "POST"))
_rule(Q + "/clone", controllers.clone, ("GET", "POST"))
_rule(Q + "/versions/<int:number>", controllers.version)
_rule(Q + "/export/" + FORMATS, controllers.export_draft)
_rule(Q + "/versions/<int:number>/export/" + FORMATS, controllers.export_version)

_rule(Q + "/settings", editor_controllers.settings, ("GET", "POST"))
_rule(Q + "/pages/new", editor_controllers.edit_page, ("GET", "POST"), "add_page")
_rule(Q + "/pages/<int:page>", editor_controllers.edit_page, ("GET", "POST"))
_rule(
    Q + "/pages/<int:page>/questions/new", editor_controllers.edit_question, ("GET", "POST"), "add_question"
)
_rule(Q + "/pages/<int:page>/questions/<int:question>", editor_controllers.edit_question, ("GET", "POST"))
_rule(Q + "/structure", editor_controllers.structure, ("POST",))
_rule(Q + "/definition", editor_controllers.definition)
_rule(Q + "/definition", editor_controllers.save_definition, ("POST",))

_rule(Q + "/preview", preview_controllers.preview_web, ("GET", "POST"))
_rule(Q + "/preview/<any(sms, ivr, agent):channel>", preview_controllers.preview_channel)

NAV = (NavItem("designs.index", _l("Questionnaires")),)


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "group_label": group_label,
        "type_label": type_label,
        "language_name": language_name,
        "localized": localized,
        "stakeholder_groups": list(STAKEHOLDER_GROUPS),
    }
