"""The inbound half of ``bench/fieldwork_wave.py``: signed SMS replies, and the bare endpoint beside the app.

:func:`create_bare_app` is the baseline: one Flask endpoint at the webhook's path that validates
``X-Twilio-Signature`` with the SDK's ``RequestValidator`` (as the app does, on the public URL)
and answers with a one-message TwiML ``MessagingResponse`` — no database, no interview.

The load generator is ``bench/_load.py``'s (threads with one keep-alive connection each, in
client processes, bounded by a deadline and by the phones handed out). Its flows are extended
here: a flow is one respondent (one phone) texting an answer to each of the questionnaire's
questions in a row, each POST signed with ``RequestValidator.compute_signature`` and carrying a
new ``MessageSid``; the reply must be the next question (or, at the end, the thank-you text).
``_load.Client`` sends no custom headers, so :class:`SignedClient` (installed in the client
processes by :func:`client_entry`) adds the signature of the request being sent.
"""

from __future__ import annotations

import http.client
import os
import random
import uuid
from typing import Any
from urllib.parse import urlencode

import _load
from _flow import FlowError

WEBHOOK_PATH = "/webhooks/twilio/sms"
PUBLIC_BASE_URL = "https://survey.bench.example"
#: Answers per flow (the questionnaire's one-question pages); set by the driver via the environment.
TURNS_ENV = "BENCH_FW_TURNS"


def create_bare_app() -> Any:
    """``POST /webhooks/twilio/sms``: 403 unless the Twilio signature is valid, else a TwiML reply."""
    from flask import Flask, Response, abort, request
    from twilio.request_validator import RequestValidator
    from twilio.twiml.messaging_response import MessagingResponse

    token = os.environ["SURVEY_TWILIO_AUTH_TOKEN"]
    base = os.environ.get("SURVEY_PUBLIC_BASE_URL", PUBLIC_BASE_URL).rstrip("/")
    app = Flask(__name__)

    @app.post(WEBHOOK_PATH)
    def sms() -> Response:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not RequestValidator(token).validate(
            base + request.path, request.form, signature
        ):
            abort(403)
        reply = MessagingResponse()
        reply.message("Rate aspect 2")
        return Response(str(reply), mimetype="application/xml")

    return app


class _SignedConnection(http.client.HTTPConnection):
    """An ``HTTPConnection`` that adds the client's pending ``X-Twilio-Signature`` to each request."""

    owner: SignedClient

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
        headers = dict(headers or {})
        if self.owner.signature:
            headers["X-Twilio-Signature"] = self.owner.signature
        super().request(method, url, body=body, headers=headers, **kwargs)


class SignedClient(_load.Client):
    """``_load.Client`` whose connections carry the signature set in :attr:`signature`."""

    signature = ""

    @property
    def conn(self) -> http.client.HTTPConnection | None:
        return self._conn

    @conn.setter
    def conn(self, value: http.client.HTTPConnection | None) -> None:
        # ``_load.Client`` opens plain connections (also when it reconnects): sign them all.
        if value is not None and not isinstance(value, _SignedConnection):
            signed = _SignedConnection(value.host, value.port, timeout=value.timeout)
            signed.owner = self
            value = signed
        self._conn = value


def signed_body(client: SignedClient, phone: str, text: str) -> str:
    """The form of one inbound SMS from ``phone``; sets the client's signature for it."""
    from _fw_send import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM
    from twilio.request_validator import RequestValidator

    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": TWILIO_ACCOUNT_SID,
        "From": phone,
        "To": TWILIO_FROM,
        "Body": text,
        "NumMedia": "0",
    }
    validator = _VALIDATOR.get("v") or _VALIDATOR.setdefault("v", RequestValidator(TWILIO_AUTH_TOKEN))
    client.signature = validator.compute_signature(PUBLIC_BASE_URL + WEBHOOK_PATH, params)
    return urlencode(params)


_VALIDATOR: dict[str, Any] = {}


def sms_flow(client: _load.Client, phone: str, rng: random.Random) -> None:
    """One respondent answers every question by SMS; each reply must ask the next question."""
    assert isinstance(client, SignedClient)
    client.new_respondent()
    turns = int(os.environ[TURNS_ENV])
    for turn in range(turns):
        body = client.request(turn, "POST", WEBHOOK_PATH, signed_body(client, phone, str(rng.randint(1, 5))))
        expected = "Thanks, your answers are in." if turn == turns - 1 else f"Rate aspect {turn + 2}"
        if expected not in body:
            raise FlowError("reply is not the next question" if "<Message>" in body else "empty reply")


def bare_flow(client: _load.Client, phone: str, rng: random.Random) -> None:
    """The same signed requests to the bare endpoint."""
    assert isinstance(client, SignedClient)
    client.new_respondent()
    for turn in range(int(os.environ[TURNS_ENV])):
        body = client.request(turn, "POST", WEBHOOK_PATH, signed_body(client, phone, str(rng.randint(1, 5))))
        if "<Message>" not in body:
            raise FlowError("no TwiML message")


def client_entry(*args: Any) -> None:
    """``_load.client_process`` with the signed client and the SMS flows installed (spawned child)."""
    _load.Client = SignedClient  # type: ignore[misc]
    _load.FLOWS["sms"] = sms_flow
    _load.FLOWS["bare"] = bare_flow
    _load.client_process(*args)
