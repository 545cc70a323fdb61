"""The inbound SMS webhook is a hot path: one read, one write, one commit per reply that answers a question.

Statements are counted with SQLAlchemy engine events on the app's engine (as ``bench/web_flows.py``
counts the respondent path's). The write is one statement on PostgreSQL (the webhook marker
inserted in a CTE of the interview's UPDATE) and an INSERT and an UPDATE in one transaction on
SQLite, which has no INSERT inside WITH.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, select
from twilio.twiml.messaging_response import MessagingResponse

from survey_app.db import get_engine
from survey_app.fieldwork import conversation
from survey_app.fieldwork.conversation import twiml_messages
from survey_app.fieldwork.models import ProcessedWebhook
from tests.survey_app.fieldwork.twilio_fixtures import (
    TWILIO_CONFIG,
    add_phone_case,
    interview_of,
    library_document,
    make_phone_survey,
    post_signed,
    start_sms_interview,
)

TWILIO = pytest.mark.app_config(**TWILIO_CONFIG)
PHONE = "+14155550160"


def sms(body: str, sid: str) -> dict[str, str]:
    return {"MessageSid": sid, "From": PHONE, "To": "+14155550100", "Body": body}


@pytest.fixture
def statements(app) -> Iterator[Counter[str]]:
    """Statements by first keyword, commits and pool checkouts on the app's engine (clear it per request)."""
    engine = get_engine(app)
    seen: Counter[str] = Counter()

    def statement(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        seen[sql.lstrip().split(None, 1)[0].upper()] += 1

    def commit(conn: Any) -> None:
        seen["COMMIT"] += 1

    def checkout(*args: Any) -> None:
        seen["checkout"] += 1

    listeners = [("before_cursor_execute", statement), ("commit", commit), ("checkout", checkout)]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    yield seen
    for name, listener in listeners:
        event.remove(engine, name, listener)


def one_write(backend: str) -> Counter[str]:
    """What one stored turn writes, on ``backend``."""
    if backend == "postgresql":
        return Counter({"WITH": 1})  # WITH marker AS (INSERT … ON CONFLICT DO NOTHING) UPDATE …
    return Counter({"INSERT": 1, "UPDATE": 1})


@TWILIO
def test_each_reply_that_advances_an_interview_is_one_read_one_write_one_commit(
    client, db_session, statements, db_backend
):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE)
    start_sms_interview(db_session, case)
    expected = Counter({"checkout": 1, "SELECT": 1, "COMMIT": 1}) + one_write(db_backend)
    replies = [("4", "interviewer to understand"), ("5", "courteous"), ("5", "length of the interview")]
    for number, (body, next_question) in enumerate(replies):
        statements.clear()
        response = post_signed(client, "/webhooks/twilio/sms", sms(body, f"SM{number:032d}"))
        assert response.status_code == 200
        assert next_question in html.unescape(response.get_data(as_text=True))
        if number > 0:  # the first also reads the questionnaire (then cached) and checks the schema
            assert statements == expected, number
    assert interview_of(db_session, case).answers == {"ir_overall": 4, "ir_clear": 5, "ir_courteous": 5}
    markers = db_session.exec(select(ProcessedWebhook.key)).all()
    assert sorted(markers) == [f"sms:SM{n:032d}" for n in range(3)]


@TWILIO
def test_a_retried_message_is_one_read_and_writes_nothing(client, db_session, statements):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE)
    start_sms_interview(db_session, case)
    params = sms("4", "SM" + "1" * 32)
    first = post_signed(client, "/webhooks/twilio/sms", params)
    statements.clear()
    again = post_signed(client, "/webhooks/twilio/sms", params)
    assert again.data == first.data
    assert statements == Counter({"checkout": 1, "SELECT": 1})
    assert interview_of(db_session, case).answers == {"ir_overall": 4}


@TWILIO
def test_the_same_message_handled_meanwhile_by_another_worker_is_stored_once(
    app, client, db_session, monkeypatch
):
    """Twilio retried a message while the first delivery was in progress: the first reply stands."""
    from survey_app.db import utcnow
    from survey_app.respond.operations import take_turn

    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE)
    start_sms_interview(db_session, case)
    params = sms("4", "SM" + "2" * 32)
    other_reply: list[str] = []

    def the_other_delivery_finishes_first(*args, **kwargs):
        # After this request read the interview, before it writes.
        monkeypatch.setattr(conversation, "take_turn", take_turn)
        with Session(get_engine(app)) as other:
            other_reply.append(conversation.handle_inbound_sms(other, params, now=utcnow()))
        return take_turn(*args, **kwargs)

    monkeypatch.setattr(conversation, "take_turn", the_other_delivery_finishes_first)
    response = post_signed(client, "/webhooks/twilio/sms", params)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == other_reply[0]
    assert "interviewer to understand" in html.unescape(other_reply[0])
    assert interview_of(db_session, case).answers == {"ir_overall": 4}
    markers = db_session.exec(select(ProcessedWebhook)).all()
    assert [(m.key, m.response) for m in markers] == [(f"sms:{params['MessageSid']}", other_reply[0])]


@TWILIO
def test_a_marker_written_meanwhile_stops_the_turn_even_at_the_same_step(
    app, client, db_session, monkeypatch
):
    """Only the marker was written meanwhile (the interview still at the step): nothing is stored twice."""
    from survey_app.respond.operations import take_turn

    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE)
    start_sms_interview(db_session, case)
    params = sms("4", "SM" + "3" * 32)
    key = f"sms:{params['MessageSid']}"

    def marker_committed_meanwhile(*args, **kwargs):
        monkeypatch.setattr(conversation, "take_turn", take_turn)
        with Session(get_engine(app)) as other:
            other.add(ProcessedWebhook(key=key, response=twiml_messages(["first"])))
            other.commit()
        return take_turn(*args, **kwargs)

    monkeypatch.setattr(conversation, "take_turn", marker_committed_meanwhile)
    response = post_signed(client, "/webhooks/twilio/sms", params)
    assert response.get_data(as_text=True) == twiml_messages(["first"])
    assert interview_of(db_session, case).answers == {}
    assert db_session.exec(select(ProcessedWebhook.key)).all() == [key]


@pytest.mark.parametrize(
    "texts",
    [
        [],
        ["Rate aspect 2"],
        ["a & b <c> \"q\" 's' ]]> 你好\nline 2\r\ttab", "second"],
        ["Welcome back!\n1. Yes\n2. No"],
    ],
)
def test_twiml_is_written_as_the_sdk_writes_it(texts):
    response = MessagingResponse()
    for body in texts:
        response.message(body)
    assert twiml_messages(texts) == str(response)
