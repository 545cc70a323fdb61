"""Delivery status notifications and other replies, built with ``email.message`` as servers send them.

``postfix_bounce`` follows what Postfix's bounce(8) writes (RFC 3464: a text part, the
``message/delivery-status`` part, then the returned message or its headers).
"""

from __future__ import annotations

from email.message import EmailMessage, Message

MTA = "mx.example.net"


def _status_block(fields: dict[str, str]) -> Message:
    block = Message()
    for name, value in fields.items():
        block[name] = value
    return block


def delivery_report(
    *,
    to: str,
    recipient: str = "ann@example.net",
    action: str = "failed",
    status: str | None = "5.1.1",
    diagnostic: str | None = "smtp; 550 5.1.1 <ann@example.net>: Recipient address rejected: User unknown",
    original: EmailMessage | None = None,
    headers_only: bool = True,
    extra_headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A ``multipart/report; report-type=delivery-status`` about one recipient (Postfix's layout)."""
    report = EmailMessage()
    report["Return-Path"] = "<>"
    for name, value in (extra_headers or {}).items():
        report[name] = value
    report["From"] = f"MAILER-DAEMON@{MTA} (Mail Delivery System)"
    report["To"] = to
    report["Subject"] = (
        "Delayed Mail (still being retried)" if action == "delayed" else "Undelivered Mail Returned to Sender"
    )
    report["Auto-Submitted"] = "auto-replied"
    report["MIME-Version"] = "1.0"
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")

    text = EmailMessage()
    text.set_content(
        f"This is the mail system at host {MTA}.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n"
    )
    report.attach(text)

    status_part = Message()
    status_part["Content-Type"] = "message/delivery-status"
    recipient_fields = {
        "Final-Recipient": f"rfc822; {recipient}",
        "Original-Recipient": f"rfc822;{recipient}",
        "Action": action,
    }
    if status:
        recipient_fields["Status"] = status
    recipient_fields["Remote-MTA"] = f"dns; {MTA}"
    if diagnostic:
        recipient_fields["Diagnostic-Code"] = diagnostic
    status_part.set_payload(
        [
            _status_block(
                {
                    "Reporting-MTA": f"dns; {MTA}",
                    "X-Postfix-Queue-ID": "4bQxYz0Hc9z9vG1",
                    "Arrival-Date": "Wed, 10 Jun 2026 09:00:01 +0000 (UTC)",
                }
            ),
            _status_block(recipient_fields),
        ]
    )
    report.attach(status_part)

    if original is not None:
        returned = EmailMessage()
        if headers_only:
            head = "".join(f"{name}: {value}\n" for name, value in original.items())
            returned.set_content(head, subtype="rfc822-headers")
        else:
            returned.set_content(original)
        report.attach(returned)
    return report


def auto_reply(*, to: str) -> EmailMessage:
    """A vacation notice: sent back to the return path, but not a delivery status report."""
    reply = EmailMessage()
    reply["From"] = "Ann <ann@example.net>"
    reply["To"] = to
    reply["Subject"] = "Out of office: Your opinion on Service survey"
    reply["Auto-Submitted"] = "auto-replied"
    reply.set_content("I am away until Monday and will answer your message then.\n")
    return reply
