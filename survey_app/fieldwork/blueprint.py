"""URL rules of fieldwork: the monitor (staff), unsubscribe (respondents), Twilio webhooks (signed)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from survey_app.blueprints import NavItem
from survey_app.extensions import csrf
from survey_app.fieldwork import cli, controllers, webhooks

bp = Blueprint("fieldwork", __name__, template_folder="templates")
bp.cli.add_command(cli.bounce_command)  # survey fieldwork bounce
bp.add_url_rule("/fieldwork", view_func=controllers.index)
bp.add_url_rule("/fieldwork/surveys/<int:survey_id>", view_func=controllers.monitor)
bp.add_url_rule(
    "/fieldwork/surveys/<int:survey_id>/plan", view_func=controllers.edit_plan, methods=["GET", "POST"]
)
bp.add_url_rule("/fieldwork/surveys/<int:survey_id>/launch", view_func=controllers.launch, methods=["POST"])
bp.add_url_rule("/fieldwork/surveys/<int:survey_id>/pause", view_func=controllers.pause, methods=["POST"])
bp.add_url_rule("/fieldwork/surveys/<int:survey_id>/resume", view_func=controllers.resume, methods=["POST"])
# Public, authenticated by their token or Twilio signature; no session, hence no CSRF token.
bp.add_url_rule("/u/<token>", view_func=controllers.unsubscribe, methods=["GET", "POST"])
bp.add_url_rule("/webhooks/twilio/sms", view_func=webhooks.twilio_sms, methods=["POST"])
bp.add_url_rule("/webhooks/twilio/status", view_func=webhooks.twilio_status, methods=["POST"])
bp.add_url_rule("/webhooks/twilio/voice", view_func=webhooks.twilio_voice, methods=["POST"])
for _view in (
    controllers.unsubscribe,
    webhooks.twilio_sms,
    webhooks.twilio_status,
    webhooks.twilio_voice,
):
    csrf.exempt(_view)

NAV = (NavItem("fieldwork.index", _l("Fieldwork")),)
