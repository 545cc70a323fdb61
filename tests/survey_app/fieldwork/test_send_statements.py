"""Sending writes each attempt with guarded UPDATEs only: no unguarded write-back by a later flush.

Regression: ``update_attempt`` used to ``setattr`` the new values after its conditional UPDATE had
committed, which left the attempt dirty; the next flush repeated the change as an unconditional
``UPDATE contact_attempts … WHERE id = ?`` (4 UPDATEs per message instead of 2) and could
overwrite a delivery status stored by a callback in between.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event

from survey_app.db import get_engine
from tests.survey_app.fieldwork.conftest import launch, make_case, make_survey, plan, send
from tests.survey_app.fieldwork.twilio_fixtures import NOW

INVITE = [{"channel": "email", "day": 0, "kind": "invite"}]


@pytest.fixture
def attempt_updates(app) -> Iterator[list[str]]:
    """Every UPDATE of ``contact_attempts`` sent to the database while the test runs (upper-cased)."""
    engine = get_engine(app)
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        normalised = " ".join(statement.split()).upper()
        if normalised.startswith("UPDATE CONTACT_ATTEMPTS"):
            seen.append(normalised)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_each_e_mail_costs_two_guarded_updates_and_nothing_is_left_to_flush(
    app, db_session, mailbox, attempt_updates
):
    survey = make_survey(db_session)
    for number in range(3):
        make_case(db_session, survey, email=f"person{number}@example.org")
    launch(db_session, survey, INVITE, now=NOW)
    assert plan(app, db_session, NOW) == 3
    attempt_updates.clear()

    assert send(app, db_session, "email", NOW) == {"sent": 3}
    db_session.flush()  # a dirty attempt would be written back here
    db_session.commit()

    assert len(mailbox.received) == 3
    # Claim (planned → sending) and outcome (sending → sent), per message; both guarded by state.
    assert len(attempt_updates) == 2 * 3
    assert all("STATE IN" in statement for statement in attempt_updates)
    assert not db_session.dirty
