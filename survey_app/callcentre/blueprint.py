"""URL rules of the call centre: staff pages under /callcentre, the agent console below /console."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from survey_app.blueprints import NavItem
from survey_app.callcentre import call_controllers as extra
from survey_app.callcentre import console_controllers as agent
from survey_app.callcentre import staff_controllers as staff
from survey_app.callcentre import twilio_webhooks as twilio
from survey_app.extensions import csrf

bp = Blueprint("callcentre", __name__, template_folder="templates", url_prefix="/callcentre")


def _rule(rule: str, view: object, methods: tuple[str, ...] = ("GET",)) -> None:
    bp.add_url_rule(rule, None, view, methods=list(methods))  # type: ignore[arg-type]


_rule("/vendors", staff.vendors, ("GET", "POST"))
_rule("/vendors/<int:vendor_id>", staff.vendor)
_rule("/vendors/<int:vendor_id>/agents/<int:user_id>", staff.agent, ("GET", "POST"))
_rule("/supervisor", staff.supervisor)
_rule("/alerts", staff.alerts)

_rule("/console", agent.home)
_rule("/console/next", agent.next_case, ("POST",))
_rule("/console/case", agent.case)
for _name in ("dial", "start", "answer", "back", "language", "pause", "resume", "outcome", "skip"):
    _rule(f"/console/case/{_name}", getattr(agent, _name), ("POST",))
for _name in ("rating", "rating_answer", "call", "record"):
    _rule(f"/console/case/{_name}", getattr(extra, _name), ("POST",))
_rule("/twilio/bridge", twilio.bridge, ("POST",))
_rule("/twilio/bridge/status", twilio.bridge_status, ("POST",))
_rule("/twilio/recording", twilio.recording_status, ("POST",))
for _webhook in (twilio.bridge, twilio.bridge_status, twilio.recording_status):
    csrf.exempt(_webhook)  # signed by Twilio instead (fieldwork.webhooks.signed_form)

NAV = (
    NavItem("callcentre.vendors", _l("Vendors")),
    NavItem("callcentre.supervisor", _l("Supervisor")),
    NavItem("callcentre.alerts", _l("Call alerts")),
    NavItem("callcentre.home", _l("Calls")),
)
