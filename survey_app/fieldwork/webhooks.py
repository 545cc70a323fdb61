"""Twilio webhooks: inbound SMS, delivery/call status callbacks and the IVR call flow.

They authenticate by ``X-Twilio-Signature`` (validated with the SDK's ``RequestValidator``
on the public URL Twilio called) and are exempt from CSRF; anything unsigned or tampered gets 403.
"""

from __future__ import annotations

from functools import lru_cache

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from survey_app.auth.access import public_route
from survey_app.db import get_session, utcnow
from survey_app.fieldwork import conversation, operations, voice

TWIML = "application/xml"


def signed_form() -> MultiDict[str, str]:
    """Return the webhook's form after checking its Twilio signature; abort with 403 otherwise."""
    settings = current_app.config["SURVEY_SETTINGS"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if settings.twilio_auth_token is None or not signature:
        abort(403)
    validator = _validator(settings.twilio_auth_token.get_secret_value())
    if not validator.validate(public_request_url(), request.form, signature):
        abort(403)
    return request.form


@lru_cache(maxsize=4)
def _validator(token: str) -> RequestValidator:
    # One per auth token (settings are per app; tests run several apps in one process).
    return RequestValidator(token)


def public_request_url() -> str:
    """Return the URL Twilio called: the configured public base URL, else the (ProxyFix'd) request URL."""
    base = current_app.config["SURVEY_SETTINGS"].public_base_url
    if not base:
        return request.url
    query = request.query_string.decode("utf-8")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


@public_route
def twilio_sms() -> Response:
    """Inbound SMS: a keyword (STOP/START/HELP) or the next turn of an SMS interview."""
    form = signed_form()
    reply = conversation.handle_inbound_sms(get_session(), form.to_dict(), now=utcnow())
    return Response(reply, mimetype=TWIML)


@public_route
def twilio_status() -> Response:
    """Message or call status callback: updates the contact attempt named in the URL."""
    form = voice.call_status_form(signed_form().to_dict())
    operations.handle_status_callback(get_session(), request.args.get("attempt"), form, now=utcnow())
    return Response("", status=204)


@public_route
def twilio_voice() -> Response:
    """One step of an interview call, outbound or inbound; the URL carries the step (stage, turn, repeats)."""
    form, args = signed_form(), request.args
    reply = voice.handle_voice(
        get_session(),
        {"attempt": args.get("attempt"), "case": args.get("case")},
        form.to_dict(),
        stage=args.get("stage", "start"),
        turn=_int(args.get("t")),
        repeats=_int(args.get("n")),
        now=utcnow(),
    )
    return Response(reply, mimetype=TWIML)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0
