"""Provider retries: 429 with Retry-After honoured, exponential back-off otherwise; rate limits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from survey_app.fieldwork.models import AttemptState, ContactAttempt
from survey_app.fieldwork.ratelimit import RateLimiter, limiter_for
from survey_app.fieldwork.sending import BACKOFF_BASE_SECONDS
from tests.survey_app.fieldwork.conftest import launch, make_case, make_survey, plan, send, twilio_settings

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
SMS = [{"channel": "sms", "day": 0, "kind": "invite"}]
TOO_MANY = {"code": 20429, "message": "Too Many Requests", "status": 429}


def the_attempt(session) -> ContactAttempt:
    session.expire_all()
    return session.exec(select(ContactAttempt)).one()


@pytest.fixture
def sms_case(app, db_session, fake_twilio):
    twilio_settings(app, fake_twilio)
    survey = make_survey(db_session)
    case = make_case(db_session, survey, phone="+14155550123")
    launch(db_session, survey, SMS, now=NOW)
    plan(app, db_session, NOW)
    return case


@pytest.mark.usefixtures("sms_case")
def test_429_waits_as_long_as_retry_after_says(app, db_session, fake_twilio):
    fake_twilio.replies.append((429, {"Retry-After": "600"}, TOO_MANY))
    assert send(app, db_session, "sms", NOW) == {"retry": 1}
    attempt = the_attempt(db_session)
    assert attempt.state is AttemptState.planned
    assert attempt.next_retry_at == NOW + dt.timedelta(seconds=600)
    assert attempt.error_code == "20429"
    # Not before Retry-After has passed, even though the back-off alone would allow it.
    assert send(app, db_session, "sms", NOW + dt.timedelta(seconds=BACKOFF_BASE_SECONDS)) == {}
    assert send(app, db_session, "sms", NOW + dt.timedelta(seconds=600)) == {"sent": 1}
    attempt = the_attempt(db_session)
    assert (attempt.state, attempt.retry_count) == (AttemptState.sent, 1)
    assert attempt.provider_id is not None
    assert attempt.provider_id.startswith("SM")
    assert len(fake_twilio.requests) == 2


@pytest.mark.usefixtures("sms_case")
def test_a_short_retry_after_never_shortens_the_backoff(app, db_session, fake_twilio):
    fake_twilio.replies.append((429, {"Retry-After": "1"}, TOO_MANY))
    send(app, db_session, "sms", NOW)
    assert the_attempt(db_session).next_retry_at == NOW + dt.timedelta(seconds=BACKOFF_BASE_SECONDS)


@pytest.mark.usefixtures("sms_case")
def test_429_without_retry_after_and_503_back_off_exponentially(app, db_session, fake_twilio):
    fake_twilio.replies += [
        (429, {}, TOO_MANY),
        (503, {}, {"code": 20503, "message": "Service Unavailable", "status": 503}),
    ]
    assert send(app, db_session, "sms", NOW) == {"retry": 1}
    first = the_attempt(db_session).next_retry_at
    assert first == NOW + dt.timedelta(seconds=BACKOFF_BASE_SECONDS)
    assert send(app, db_session, "sms", first) == {"retry": 1}
    assert the_attempt(db_session).next_retry_at == first + dt.timedelta(seconds=2 * BACKOFF_BASE_SECONDS)


@pytest.mark.usefixtures("sms_case")
def test_a_permanent_twilio_error_fails_with_its_code(app, db_session, fake_twilio):
    fake_twilio.replies.append(
        (400, {}, {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400})
    )
    assert send(app, db_session, "sms", NOW) == {"failed": 1}
    attempt = the_attempt(db_session)
    assert (attempt.state, attempt.error_code) == (AttemptState.failed, "21211")
    assert "not a valid phone number" in (attempt.error_message or "")


class FakeClock:
    """A monotonic clock that only moves when the limiter sleeps (no real waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_rate_limiter_spaces_sends_one_interval_apart() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4.0, clock=clock, sleep=clock.sleep, capacity=1)  # no burst
    starts = []
    for _ in range(9):
        limiter.wait()
        starts.append(clock.now)
    # 9 sends at 4 per second: the first at once, then every 0.25 s; 8 intervals = 2 s.
    assert starts[-1] - starts[0] == pytest.approx(2.0)
    assert all(b - a == pytest.approx(0.25) for a, b in zip(starts, starts[1:], strict=False))


def test_time_spent_elsewhere_counts_towards_the_interval() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2.0, clock=clock, sleep=clock.sleep, capacity=1)
    limiter.wait()
    clock.now += 0.3  # the provider call took 0.3 s
    limiter.wait()
    assert clock.sleeps == [pytest.approx(0.2)]
    clock.now += 5  # idle: no more than the bucket's one send is saved up
    limiter.wait()
    limiter.wait()
    assert clock.sleeps[-1] == pytest.approx(0.5)


def test_each_channel_and_sender_has_its_own_limiter() -> None:
    email = limiter_for("email", "a@example.org", 5.0)
    assert limiter_for("email", "a@example.org", 5.0) is email
    assert limiter_for("sms", "+14155550100", 5.0) is not email
    assert limiter_for("email", "b@example.org", 5.0) is not email


def test_sending_goes_through_the_channels_limiter(app, db_session, mailbox, monkeypatch):
    survey = make_survey(db_session)
    for n in range(5):
        make_case(db_session, survey, email=f"p{n}@example.org")
    launch(db_session, survey, [{"channel": "email", "day": 0}], now=NOW)
    plan(app, db_session, NOW)
    clock = FakeClock()
    limiter = RateLimiter(2.0, clock=clock, sleep=clock.sleep)
    seen = []
    monkeypatch.setattr(
        "survey_app.fieldwork.sending.limiter_for",
        lambda channel, sender, rate: seen.append((channel, sender, rate)) or limiter,
    )
    assert send(app, db_session, "email", NOW) == {"sent": 5}
    settings = app.config["SURVEY_SETTINGS"]
    assert seen == [("email", settings.mail_from, settings.email_per_second)]
    # 5 messages at 2 per second, a bucket of one second (2 sends): 2 at once, then 3 waits of 0.5 s.
    assert clock.sleeps == [pytest.approx(0.5)] * 3
