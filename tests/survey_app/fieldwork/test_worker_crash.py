"""Exactly-once: ``survey worker`` killed with SIGKILL in the middle of a wave, then restarted.

The worker runs as a real subprocess on this test's database (a SQLite file, or PostgreSQL)
and sends to the test's SMTP server. The server holds one message mid-DATA (before its 250
reply) until the worker is killed, so the kill always falls inside a provider call. After a
restart every due message must have reached the server exactly once (counted there, by
Message-ID): nothing sent twice, nothing skipped.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlmodel import Session, select

from survey_app.db import get_engine, utcnow
from survey_app.fieldwork.models import AttemptState, ContactAttempt
from tests.survey_app.fieldwork.conftest import fieldwork_settings, launch, make_case, make_survey

CASES = 12
#: The message the SMTP server holds until the worker dies (1-based, in arrival order).
HELD = 5
SURVEY = Path(sys.executable).with_name("survey")


def start_worker(database_url: str, tmp_path: Path, mailbox, log_name: str) -> subprocess.Popen[bytes]:
    env = {
        **{
            k: v for k, v in os.environ.items() if not k.startswith("SURVEY_") or k.startswith("SURVEY_TEST_")
        },
        **{k: str(v) for k, v in fieldwork_settings(mailbox).items()},
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SURVEY_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "SURVEY_WORKER_POLL_SECONDS": "1",
        # Any attempt another (dead) worker left "sending" is settled at once.
        "SURVEY_RECONCILE_AFTER_SECONDS": "0",
    }
    log = (tmp_path / log_name).open("wb")
    return subprocess.Popen([str(SURVEY), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)


def states(app) -> Counter[str]:
    with Session(get_engine(app)) as session:
        return Counter(str(a.state) for a in session.exec(select(ContactAttempt)))


def wait_for(condition, what: str, tmp_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(
                p.read_text(errors="replace")[-3000:] for p in sorted(tmp_path.glob("worker-*.log"))
            )
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.1)


def test_a_worker_killed_mid_wave_and_restarted_sends_every_message_exactly_once(
    app, db_session, database_url, mailbox, tmp_path
):
    survey = make_survey(db_session)
    for number in range(CASES):
        make_case(db_session, survey, email=f"person{number}@example.org")
    # Launched a minute ago, open all day: every invitation is due now.
    launch(db_session, survey, [{"channel": "email", "day": 0}], now=utcnow() - dt.timedelta(minutes=1))
    mailbox.delay_for = lambda number: 120.0 if number == HELD else 0.0

    first = start_worker(database_url, tmp_path, mailbox, "worker-1.log")
    try:
        wait_for(mailbox.waiting.is_set, "the held message", tmp_path)
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
    # The held message never got its 250: the server did not take it.
    wait_for(lambda: mailbox.dropped == 1, "the server to drop the held message", tmp_path)
    assert len(mailbox.received) == HELD - 1
    at_kill = states(app)
    assert at_kill["sent"] == HELD - 1
    assert at_kill["sending"] == 1  # claimed before the call, outcome unknown
    assert at_kill["planned"] == CASES - HELD

    mailbox.delay_for = lambda number: 0.0
    second = start_worker(database_url, tmp_path, mailbox, "worker-2.log")
    try:
        wait_for(lambda: states(app)["sent"] == CASES, "every attempt to be sent", tmp_path)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        if second.poll() is None:
            second.kill()

    counts = Counter(mailbox.message_ids())
    assert len(counts) == CASES, "a due message was skipped"
    assert set(counts.values()) == {1}, f"sent twice: {[m for m, n in counts.items() if n > 1]}"
    recipients = Counter(r.recipients[0] for r in mailbox.received)
    assert recipients == Counter(f"person{n}@example.org" for n in range(CASES))
    db_session.expire_all()
    attempts = db_session.exec(select(ContactAttempt)).all()
    assert {a.state for a in attempts} == {AttemptState.sent}
    assert {a.provider_id for a in attempts} == set(counts)
    resent = [a for a in attempts if a.error_message and a.error_message.startswith("re-sent")]
    assert len(resent) == 1
