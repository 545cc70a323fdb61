"""A delivery status stored between a send and the worker's next flush is never overwritten.

Regression: ``update_attempt`` used to leave the attempt dirty after its guarded UPDATE, so the
worker's next flush wrote ``state = 'sent'`` back unconditionally over the callback's ``delivered``.
"""

from __future__ import annotations

from sqlmodel import select

from survey_app.fieldwork import operations
from survey_app.fieldwork.models import AttemptState, ContactAttempt
from tests.survey_app.fieldwork import twilio_fixtures
from tests.survey_app.fieldwork.conftest import plan, send
from tests.survey_app.fieldwork.twilio_fixtures import (
    FROM_NUMBER,
    NOW,
    add_phone_case,
    library_document,
    make_phone_survey,
    post_signed,
)

# Fixtures: Prism serving Twilio's API, and the app sending to it (replacing ``app``).
prism = twilio_fixtures.prism
app = twilio_fixtures.prism_app
PHONE = "+14155550171"


def test_a_delivery_status_between_the_send_and_the_next_flush_is_kept(app, client, db_session):
    survey = make_phone_survey(
        db_session,
        library_document("interviewer_rating"),
        steps=[{"channel": "sms", "day": 0, "kind": "invite"}],
    )
    add_phone_case(db_session, survey, PHONE)
    operations.launch(db_session, survey.id, now=NOW)
    assert plan(app, db_session, NOW) == 1
    assert send(app, db_session, "sms", NOW) == {"sent": 1}
    # Looked at without flushing: whatever the send left pending must wait for the flush below.
    with db_session.no_autoflush:
        attempt = db_session.exec(select(ContactAttempt)).one()
    assert attempt.state is AttemptState.sent

    # Twilio reports delivery (another request, another session) before the worker flushes again.
    params = {
        "MessageSid": str(attempt.provider_id),
        "MessageStatus": "delivered",
        "To": PHONE,
        "From": FROM_NUMBER,
    }
    response = post_signed(
        client, "/webhooks/twilio/status", params, query={"attempt": attempt.idempotency_key}
    )
    assert response.status_code == 204

    db_session.flush()  # the worker's next statement autoflushes its session
    db_session.commit()
    db_session.expire_all()
    assert db_session.exec(select(ContactAttempt)).one().state is AttemptState.delivered
