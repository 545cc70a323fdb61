"""Twilio stand-ins for the SMS, IVR and webhook tests: Prism, signed webhook requests, fieldwork rows.

* ``prism``: Stoplight Prism serving Twilio's official OpenAPI spec (``../shared/twilio/``), started
  once per test session on a free port and stopped by its PID. Without Node, Prism or the spec the
  tests that need it are skipped with the reason, except under ``CI=true``, where that is a failure.
* :func:`post_signed`: a webhook request signed with the SDK's own ``RequestValidator.compute_signature``
  on the public URL (``SURVEY_PUBLIC_BASE_URL``), the way Twilio signs it.
* :func:`make_phone_survey` / :func:`add_phone_case`: a survey of a library questionnaire with a channel
  plan, and cases that have a phone number.

Import the fixtures into a test module with ``from tests.survey_app.fieldwork.twilio_fixtures import prism``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from questionnaires.documents import load_document
from survey_app.db import get_engine
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.fieldwork import operations
from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkPlan
from survey_app.integrations.twilio_client import RedirectingHttpClient
from survey_app.respond.operations import start_interview, submit_page
from survey_app.surveys.models import Case, Interview, Survey
from survey_app.surveys.queries import get_questionnaire, get_survey
from survey_app.surveys.tokens import new_token, token_hash
from tests.conftest import build_test_app

REPO = Path(__file__).resolve().parents[3]
LIBRARY = REPO / "questionnaires" / "library"
SPEC = Path(
    os.environ.get("SURVEY_TEST_TWILIO_SPEC", REPO.parent / "shared" / "twilio" / "twilio_api_v2010.json")
)
PRISM = REPO / "node_modules" / ".bin" / "prism"

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-test-auth-token-0123456789"
FROM_NUMBER = "+14155550100"
PUBLIC_BASE = "https://survey.example.org"
#: A Wednesday noon, UTC: inside the calling hours of every test plan.
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
#: When fixture cases were drawn: before :data:`NOW`, whatever the real clock says (a case drawn
#: after the launch would be due at its own draw time, later than the tests' clock).
DRAWN_AT = NOW - dt.timedelta(days=1)
#: Settings for ``@pytest.mark.app_config(**TWILIO_CONFIG)`` (add ``SURVEY_TWILIO_API_BASE_URL``).
TWILIO_CONFIG: dict[str, Any] = {
    "SURVEY_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "SURVEY_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "SURVEY_TWILIO_FROM_NUMBER": FROM_NUMBER,
    "SURVEY_PUBLIC_BASE_URL": PUBLIC_BASE,
}


# --- Prism ---------------------------------------------------------------------------------------


def _missing_tool(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the Twilio mock is required)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start Prism on Twilio's spec on a free port; yield its base URL (``http://127.0.0.1:PORT``)."""
    if shutil.which("node") is None:
        _missing_tool("Node.js is not installed: the Twilio mock (Prism) cannot run")
    if not PRISM.exists():
        _missing_tool(f"Prism is not installed at {PRISM}: run `npm ci` in {REPO}")
    if not SPEC.exists():
        _missing_tool(f"Twilio's OpenAPI spec is missing at {SPEC} (set SURVEY_TEST_TWILIO_SPEC)")
    port = _free_port()
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "error", str(SPEC)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        if not _wait_for_port(port, process, seconds=60):
            pytest.fail(f"Prism did not start on port {port}: {log.read_text(errors='replace')[-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class SentRequest:
    """One request the Twilio SDK made (to Prism), as our HTTP client saw it."""

    method: str
    url: str
    data: dict[str, Any]
    status: int


@pytest.fixture(name="app")
def prism_app(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path, mailbox: Any, prism: str
) -> Iterator[Flask]:
    """The fieldwork ``app`` with Twilio configured and its REST calls going to Prism.

    Import it into a test module (``from ...twilio_fixtures import prism_app``) to replace ``app``.
    """
    from tests.survey_app.fieldwork.conftest import fieldwork_settings

    marker = request.node.get_closest_marker("app_config")
    settings = {
        **fieldwork_settings(mailbox),
        **TWILIO_CONFIG,
        "SURVEY_TWILIO_API_BASE_URL": prism,
        **(marker.kwargs if marker else {}),
    }
    application = build_test_app(database_url, tmp_path / "instance", **settings)
    yield application
    get_engine(application).dispose()


@pytest.fixture
def twilio_requests(monkeypatch: pytest.MonkeyPatch) -> list[SentRequest]:
    """Record every request the SDK sends through the project's client factory (and its answer)."""
    sent: list[SentRequest] = []
    original = RedirectingHttpClient.request

    def recording(self: RedirectingHttpClient, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        response = original(self, method, url, *args, **kwargs)
        sent.append(
            SentRequest(method, self.rewrite(url), dict(kwargs.get("data") or {}), response.status_code)
        )
        return response

    monkeypatch.setattr(RedirectingHttpClient, "request", recording)
    return sent


# --- signed webhooks -----------------------------------------------------------------------------


def public_url(path: str, query: Mapping[str, str] | None = None) -> str:
    """Return the public URL Twilio calls for ``path`` (and its query string)."""
    return f"{PUBLIC_BASE}{path}" + (f"?{urlencode(query)}" if query else "")


def signature(url: str, params: Mapping[str, str], token: str = AUTH_TOKEN) -> str:
    """Return ``X-Twilio-Signature`` for a POST of ``params`` to ``url``, computed by the SDK."""
    return str(RequestValidator(token).compute_signature(url, dict(params)))


def post_signed(
    client: FlaskClient,
    path: str,
    params: Mapping[str, str],
    *,
    query: Mapping[str, str] | None = None,
    signed_url: str | None = None,
    header: str | None = None,
) -> TestResponse:
    """POST ``params`` to a webhook, signed as Twilio does on its public URL.

    :param signed_url: sign this URL instead (a request signed for another address).
    :param header: send this signature instead of the computed one ("" sends none).
    """
    url = path + (f"?{urlencode(query)}" if query else "")
    value = signature(signed_url or public_url(path, query), params) if header is None else header
    headers = {"X-Twilio-Signature": value} if value else {}
    return client.post(url, data=dict(params), headers=headers)


# --- surveys, cases, plans -----------------------------------------------------------------------


def library_document(name: str) -> dict[str, Any]:
    """Return a library questionnaire (``questionnaires/library/<name>.yaml``) with includes expanded."""
    return load_document(LIBRARY / f"{name}.yaml")


def make_phone_survey(
    session: Session, document: Mapping[str, Any], *, steps: list[dict[str, Any]] | None = None
) -> Survey:
    """Create a published survey of ``document`` with a channel plan (calling hours all day, UTC)."""
    record = QuestionnaireRecord(
        key=f"{document['id']}_{new_token()[:6]}",
        title=str(document["id"]),
        stakeholder_group="end_customer",
        draft=dict(document),
    )
    session.add(record)
    session.flush()
    version = QuestionnaireVersion(questionnaire_id=record.id, number=1, document=dict(document))
    session.add(version)
    session.flush()
    survey = Survey(
        name=str(document["id"]),
        version_id=version.id,
        stakeholder_group="end_customer",
        languages=list(document["languages"]),
        default_language="en",
    )
    session.add(survey)
    session.flush()
    plan = {
        "steps": steps or [{"channel": "sms", "day": 0, "kind": "interview"}],
        "window": ["00:00", "23:59"],
    }
    session.add(FieldworkPlan(survey_id=survey.id, document=plan))
    session.commit()
    return survey


def add_phone_case(
    session: Session,
    survey: Survey,
    phone: str,
    *,
    language: str = "en",
    first_name: str = "Ann",
    email: str | None = None,
) -> Case:
    """Create a case of ``survey`` reachable at ``phone`` (and ``email``)."""
    case = Case(
        survey_id=survey.id,
        token_hash=token_hash(new_token()),
        language=language,
        context={"first_name": first_name},
        created_at=DRAWN_AT,
    )
    session.add(case)
    session.commit()
    operations.set_delivery_details(session, case, phone_e164=phone, email=email)
    return case


def add_attempt(
    session: Session, case: Case, *, channel: str, step: int = 0, kind: str = "interview"
) -> ContactAttempt:
    """Record a contact attempt of ``case`` (as the worker does before calling Twilio)."""
    key = operations.attempt_key(case.survey_id, int(case.id or 0), step, 1)
    now = dt.datetime.now(dt.UTC)
    attempt = ContactAttempt(
        survey_id=case.survey_id,
        case_id=int(case.id or 0),
        channel=channel,
        step=step,
        kind=kind,
        idempotency_key=key,
        due_at=now,
        address=None,
        state=AttemptState.sent,
        sent_at=now,
    )
    session.add(attempt)
    session.commit()
    return attempt


def start_sms_interview(session: Session, case: Case) -> Interview:
    """Start the SMS interview of ``case`` (what the worker does when it sends the first question).

    Started on the real clock, which the webhook reads: started at :data:`NOW`, the interview
    would count as paused (``conversation.PAUSE_AFTER``) once the real clock is 12 hours past it.
    """
    survey = get_survey(session, case.survey_id)
    questionnaire = get_questionnaire(session, survey.version_id)
    now = dt.datetime.now(dt.UTC)
    return start_interview(
        session, survey, questionnaire, case=case, channel="sms", language=str(case.language), now=now
    )


def web_answers(
    session: Session, survey_id: int, language: str, pages: list[dict[str, Any]]
) -> dict[str, Any]:
    """Answer ``pages`` on the web path (``respond.operations``); return the stored answers."""
    survey = get_survey(session, survey_id)
    case = add_phone_case(session, survey, "+14155550999", language=language)
    questionnaire = get_questionnaire(session, survey.version_id)
    interview = start_interview(
        session, survey, questionnaire, case=case, channel="web", language=language, now=NOW
    )
    for replies in pages:
        outcome = submit_page(
            session,
            survey,
            interview,
            questionnaire,
            step_key=str(interview.step_key),
            replies=replies,
            go_back=False,
            now=NOW,
        )
        assert not outcome.errors, outcome
        assert not outcome.stale
    stored = interview_of(session, case)
    assert stored is not None
    assert stored.completed_at is not None
    return dict(stored.answers)


def interview_of(session: Session, case: Case) -> Interview | None:
    """Return the interview of ``case`` as stored now."""
    session.expire_all()
    return session.exec(select(Interview).where(Interview.case_id == case.id)).first()


def attempt_row(session: Session, attempt_id: int) -> ContactAttempt:
    """Return an attempt as stored now."""
    session.expire_all()
    return session.exec(select(ContactAttempt).where(ContactAttempt.id == attempt_id)).one()


# --- a phone call, as Twilio drives it -----------------------------------------------------------


class Call:
    """Plays Twilio's part in a call: fetches TwiML, then follows ``<Gather action>`` and ``<Redirect>``.

    Each request is signed on its public URL; ``twiml`` is the last document received.
    """

    def __init__(
        self, client: FlaskClient, sid: str, *, caller: str, callee: str = FROM_NUMBER, inbound: bool = False
    ) -> None:
        self.client = client
        self.params = {
            "CallSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": caller if inbound else callee,
            "To": callee if inbound else caller,
            "Direction": "inbound" if inbound else "outbound-api",
        }
        self.twiml: ET.Element | None = None

    def fetch(self, url: str, **extra: str) -> ET.Element:
        """POST to the public ``url`` (signed) with the call's fields and ``extra``; keep the TwiML."""
        parts = urlsplit(url)
        assert url.startswith(PUBLIC_BASE), url
        params = {**self.params, **extra}
        headers = {"X-Twilio-Signature": signature(url, params)}
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = self.client.post(path, data=params, headers=headers)
        assert response.status_code == 200, response.data
        assert response.mimetype == "application/xml"
        self.twiml = ET.fromstring(response.data)
        return self.twiml

    def answer(self, url: str, answered_by: str = "human") -> ET.Element:
        """The callee picks up (or a machine does): Twilio fetches the call's URL."""
        return self.fetch(url, CallStatus="in-progress", AnsweredBy=answered_by)

    def gather(self) -> ET.Element:
        """Return the ``<Gather>`` of the last TwiML (fails if it has none)."""
        assert self.twiml is not None
        gather = self.twiml.find("Gather")
        assert gather is not None, ET.tostring(self.twiml, encoding="unicode")
        return gather

    def press(self, digits: str) -> ET.Element:
        """Key in ``digits``: Twilio posts them to the Gather's action URL."""
        return self.fetch(self.gather().attrib["action"], CallStatus="in-progress", Digits=digits)

    def say(self, words: str) -> ET.Element:
        """Answer by voice: Twilio posts the recognised words to the Gather's action URL."""
        gather = self.gather()
        assert "speech" in gather.attrib["input"]
        return self.fetch(
            gather.attrib["action"], CallStatus="in-progress", SpeechResult=words, Confidence="0.9"
        )

    def silence(self) -> ET.Element:
        """Say nothing: the Gather times out and Twilio follows the ``<Redirect>``."""
        assert self.twiml is not None
        redirect = self.twiml.find("Redirect")
        assert redirect is not None
        assert redirect.text
        return self.fetch(redirect.text, CallStatus="in-progress")

    def spoken(self) -> str:
        """Return everything the last TwiML says, in order."""
        assert self.twiml is not None
        return " ".join(say.text or "" for say in self.twiml.iter("Say"))

    def hung_up(self) -> bool:
        """Return True when the last TwiML ends the call."""
        return self.twiml is not None and self.twiml.find("Hangup") is not None
