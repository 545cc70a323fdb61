"""Reading delivery status notifications (``integrations.dsn``): no database needed."""

from __future__ import annotations

import email
from email.message import Message
from email.policy import default

from survey_app.integrations import dsn
from tests.survey_app.fieldwork.dsn_fixtures import auto_reply, delivery_report


def parsed(message: Message) -> Message:
    """The message as it arrives: bytes parsed again, the way the CLI and the Maildir job read it."""
    return email.message_from_bytes(message.as_bytes(), policy=default)


def test_a_postfix_hard_bounce_is_permanent_with_its_status_and_diagnostic():
    report = dsn.read_report(parsed(delivery_report(to="bounces+1-x@example.org")))
    assert report is not None
    (recipient,) = report.recipients
    assert (recipient.action, recipient.status, recipient.final_recipient) == (
        "failed",
        "5.1.1",
        "ann@example.net",
    )
    assert recipient.diagnostic == (
        "smtp; 550 5.1.1 <ann@example.net>: Recipient address rejected: User unknown"
    )
    assert recipient.permanent
    assert report.reporting_mta == "mx.example.net"


def test_without_a_status_the_smtp_reply_decides_and_delays_are_never_permanent():
    no_status = dsn.read_report(parsed(delivery_report(to="b@example.org", status=None)))
    assert no_status is not None
    assert no_status.worst is not None
    assert (no_status.worst.status, no_status.worst.status_class) == (None, "5")
    assert no_status.worst.permanent
    delayed = dsn.read_report(parsed(delivery_report(to="b@example.org", action="delayed", status="4.4.1")))
    assert delayed is not None
    assert delayed.worst is not None
    assert not delayed.worst.permanent


def test_an_internationalised_report_is_read_from_its_text():
    # RFC 6533: UTF-8 addresses, in a part the stdlib leaves as text.
    raw = delivery_report(to="b@example.org", recipient="placeholder@example.cn").as_bytes()
    raw = raw.replace(b"message/delivery-status", b"message/global-delivery-status")
    raw = raw.replace(b"placeholder", "李雷".encode())
    found = dsn.read_report(email.message_from_bytes(raw, policy=default))
    assert found is not None
    assert found.worst is not None
    assert (found.worst.final_recipient, found.worst.status) == ("李雷@example.cn", "5.1.1")
    assert found.worst.permanent


def test_an_auto_reply_is_not_a_report_and_recipients_come_from_delivery_headers():
    reply = auto_reply(to="bounces+1-x@example.org")
    reply["Delivered-To"] = "bounces+2-y@example.org"
    message = parsed(reply)
    assert dsn.read_report(message) is None
    assert dsn.recipient_addresses(message) == ["bounces+2-y@example.org", "bounces+1-x@example.org"]
