"""Fixtures of fieldwork tests: surveys, cases with delivery details, plans, and a real SMTP server.

The SMTP server is ``aiosmtpd`` on loopback, started once per test session (per xdist worker);
``mailbox`` empties it for each test and lets a test make it slow or refuse recipients. Every
fieldwork ``app`` sends its e-mail there and builds links on ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlmodel import Session

from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.fieldwork import operations, sending
from survey_app.fieldwork.models import FieldworkCase
from survey_app.surveys.models import Case, Survey
from survey_app.surveys.tokens import new_token, token_hash
from tests.conftest import build_test_app

PUBLIC_BASE_URL = "https://survey.example.org"
MAIL_FROM = "Survey team <survey@example.org>"
#: A window open all day, so tests that are not about calling hours send at once.
ALL_DAY = ["00:00", "23:59:59"]
#: When fixture cases were drawn: before every launch time the tests use.
DRAWN_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def tr(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh-Hans": zh}


DOCUMENT: dict[str, Any] = {
    "id": "fieldwork_test",
    "title": tr("Service survey", "服务调查"),
    "languages": ["en", "zh-Hans"],
    "pages": [
        {
            "id": "p1",
            "questions": [
                {
                    "id": "sat",
                    "type": "single_choice",
                    "required": True,
                    "text": tr("Are you satisfied?", "您满意吗？"),
                    "options": [
                        {"code": "yes", "label": tr("Yes", "是")},
                        {"code": "no", "label": tr("No", "否")},
                    ],
                }
            ],
        }
    ],
}


# --- SMTP ----------------------------------------------------------------------------------------


@dataclass
class Received:
    """One message the SMTP server accepted (answered 250 to)."""

    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """What the test SMTP server received, and how it behaves (reset for every test)."""

    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    #: Recipient address → SMTP reply to RCPT (e.g. ``"550 5.1.1 no such user"``).
    refuse: dict[str, str] = field(default_factory=dict)
    #: Reply to DATA instead of 250 (e.g. ``"451 4.3.0 try later"``), for every message.
    data_reply: str | None = None
    #: Seconds to wait before answering DATA, by message number (1-based, counting every DATA).
    delay_for: Callable[[int], float] = lambda number: 0.0
    #: Set while the handler is waiting on a delayed message.
    waiting: threading.Event = field(default_factory=threading.Event)
    data_count: int = 0
    #: Messages abandoned by a client that disconnected before the server's reply to DATA.
    dropped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
        self.refuse.clear()
        self.data_reply = None
        self.delay_for = lambda number: 0.0
        self.waiting.clear()
        self.data_count = 0
        self.dropped = 0

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(r.message["Message-ID"]) for r in self.received]


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self.box.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        box = self.box
        box.data_count += 1
        delay = box.delay_for(box.data_count)
        if delay:
            box.waiting.set()
            try:
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                # The client died meanwhile (aiosmtpd cancels the handler): no 250, nothing accepted.
                box.dropped += 1
                raise
            finally:
                box.waiting.clear()
        if box.data_reply:
            return box.data_reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with box.lock:
            box.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[Mailbox]:
    box = Mailbox("127.0.0.1", _free_port())
    controller = Controller(_Handler(box), hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def mailbox(_smtp_server: Mailbox) -> Iterator[Mailbox]:
    """The test SMTP server, emptied, with default behaviour (accept everything at once)."""
    _smtp_server.reset()
    yield _smtp_server
    _smtp_server.reset()


def fieldwork_settings(box: Mailbox) -> dict[str, Any]:
    """The settings a fieldwork app (or worker process) needs to send e-mail to ``box``."""
    return {
        "SURVEY_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SURVEY_SMTP_HOST": box.host,
        "SURVEY_SMTP_PORT": box.port,
        "SURVEY_SMTP_SECURITY": "none",
        "SURVEY_MAIL_FROM": MAIL_FROM,
        "SURVEY_ORGANISATION_NAME": "Acme Research",
        "SURVEY_EMAIL_PER_SECOND": 1000,
        "SURVEY_SMS_PER_SECOND": 1000,
        "SURVEY_CALLS_PER_SECOND": 1000,
    }


@pytest.fixture
def app(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path, mailbox: Mailbox
) -> Iterator[Flask]:
    """The shared ``app`` fixture, configured to send e-mail to the test SMTP server."""
    from survey_app.db import get_engine

    marker = request.node.get_closest_marker("app_config")
    settings = {**fieldwork_settings(mailbox), **(marker.kwargs if marker else {})}
    application = build_test_app(database_url, tmp_path / "instance", **settings)
    yield application
    get_engine(application).dispose()


# --- data ----------------------------------------------------------------------------------------


def make_survey(
    session: Session,
    *,
    document: dict[str, Any] = DOCUMENT,
    closes_at: dt.datetime | None = None,
    opens_at: dt.datetime | None = None,
    name: str = "Service survey",
) -> Survey:
    """Create a published questionnaire version and a survey fielding it."""
    record = QuestionnaireRecord(
        key=f"{document['id']}_{new_token()[:6]}",
        title=name,
        stakeholder_group="end_customer",
        draft=document,
    )
    session.add(record)
    session.flush()
    version = QuestionnaireVersion(questionnaire_id=record.id, number=1, document=document)
    session.add(version)
    session.flush()
    survey = Survey(
        name=name,
        version_id=version.id,
        stakeholder_group="end_customer",
        languages=list(document["languages"]),
        default_language="en",
        closes_at=closes_at,
        opens_at=opens_at,
    )
    session.add(survey)
    session.commit()
    return survey


def make_case(
    session: Session,
    survey: Survey,
    *,
    email: str | None = None,
    phone: str | None = None,
    timezone: str | None = None,
    language: str | None = None,
    stratum: str | None = None,
    wave: int = 1,
    preferred_channel: str | None = None,
    name: str | None = None,
    created_at: dt.datetime | None = None,
) -> Case:
    """Create a drawn case and its delivery details, as sampling does when it draws."""
    case = Case(
        survey_id=survey.id,
        token_hash=token_hash(new_token()),
        language=language,
        stratum=stratum,
        created_at=created_at or DRAWN_AT,
    )
    session.add(case)
    session.flush()
    session.add(
        FieldworkCase(
            case_id=case.id,
            survey_id=survey.id,
            email=email.lower() if email else None,
            phone_e164=phone,
            timezone=timezone,
            preferred_channel=preferred_channel,
            name=name,
            wave=wave,
        )
    )
    session.commit()
    return case


def plan_document(steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A plan document with ``steps``, open all day unless ``window`` is given."""
    return {"steps": steps, "window": ALL_DAY, "timezone": "UTC", **extra}


def launch(
    session: Session, survey: Survey, steps: list[dict[str, Any]], *, now: dt.datetime, **extra: Any
) -> None:
    """Save a plan for ``survey`` and launch it at ``now``."""
    assert survey.id is not None
    operations.save_plan(session, survey.id, plan_document(steps, **extra), now=now)
    operations.launch(session, survey.id, now=now)


def send(app: Flask, session: Session, channel: str, now: dt.datetime) -> dict[str, int]:
    """Run one sending pass of ``channel`` as the worker does (in an app context); return its counts."""
    with app.app_context():
        return sending.send_due_attempts(
            session, app.config["SURVEY_SETTINGS"], channel, clock=lambda: now
        ).counts


def plan(app: Flask, session: Session, now: dt.datetime) -> int:
    """Run the planning job once; return the attempts planned."""
    with app.app_context():
        return operations.plan_waves(session, secret_key=app.config["SECRET_KEY"], now=now)


# --- a stand-in for Twilio's REST API (only what the sending tests need; Prism serves the rest) ----

TWILIO_SID = "AC" + "0" * 32
TWILIO_FROM = "+14155550100"


@dataclass
class FakeTwilio:
    """A loopback HTTP server answering Twilio REST calls with queued replies; records requests."""

    url: str
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    #: Replies to give, in order: (status, headers, JSON body); when empty, a queued message.
    replies: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio API on loopback; configure the app with :func:`twilio_settings`."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs

    state: dict[str, FakeTwilio] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            fake = state["fake"]
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode("utf-8"))
            fake.requests.append(("POST", self.path, form))
            status, headers, body = (
                fake.replies.pop(0)
                if fake.replies
                else (201, {}, {"sid": f"SM{len(fake.requests):032x}", "status": "queued"})
            )
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["fake"] = FakeTwilio(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["fake"]
    server.shutdown()
    server.server_close()


def twilio_settings(app: Flask, fake: FakeTwilio) -> None:
    """Point ``app``'s Twilio settings at ``fake``."""
    from pydantic import SecretStr

    app.config["SURVEY_SETTINGS"] = app.config["SURVEY_SETTINGS"].model_copy(
        update={
            "twilio_account_sid": TWILIO_SID,
            "twilio_auth_token": SecretStr("test-auth-token"),
            "twilio_from_number": TWILIO_FROM,
            "twilio_api_base_url": fake.url,
        }
    )


def make_interview(
    session: Session, survey: Survey, case: Case, status: str, *, channel: str = "web"
) -> None:
    """Store an interview of ``case`` with ``status`` (``complete`` gets a completion time)."""
    from survey_app.surveys.models import Interview, InterviewSource

    session.add(
        Interview(
            survey_id=survey.id,
            case_id=case.id,
            version_id=survey.version_id,
            source=InterviewSource.personal,
            channel=channel,
            language="en",
            status=status,
            state={},
            step_key=status,
            completed_at=DRAWN_AT if status == "complete" else None,
        )
    )
    session.commit()
