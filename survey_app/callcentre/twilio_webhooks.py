"""Twilio webhooks of click-to-call: the bridge TwiML, call status and recording status.

Authenticated exactly as fieldwork's: ``fieldwork.webhooks.signed_form`` checks
``X-Twilio-Signature`` with the SDK's ``RequestValidator`` on the public URL (403 otherwise);
exempt from CSRF in the blueprint.
"""

from __future__ import annotations

from flask import current_app, request
from werkzeug.wrappers import Response

from survey_app.auth.access import public_route
from survey_app.callcentre import bridge as operations
from survey_app.db import get_session, utcnow
from survey_app.fieldwork.webhooks import TWIML, signed_form


@public_route
def bridge() -> Response:
    """The agent answered: TwiML dialling the respondent with the survey's caller id."""
    form = signed_form().to_dict()
    settings = current_app.config["SURVEY_SETTINGS"]
    reply = operations.bridge_twiml(get_session(), settings, request.args.get("bridge"), form, now=utcnow())
    return Response(reply, mimetype=TWIML)


@public_route
def bridge_status() -> Response:
    """Status of the agent's leg."""
    form = signed_form().to_dict()
    operations.update_status(get_session(), request.args.get("bridge"), form, now=utcnow())
    return Response("", status=204)


@public_route
def recording_status() -> Response:
    """The recording is ready: keep its reference for QA."""
    form = signed_form().to_dict()
    operations.save_recording(get_session(), request.args.get("bridge"), form, now=utcnow())
    return Response("", status=204)
