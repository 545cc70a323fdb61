"""Reading delivery status notifications (RFC 3464 bounces) with the stdlib ``email`` package.

A DSN is a ``multipart/report; report-type=delivery-status`` (RFC 6522): a human-readable part,
a ``message/delivery-status`` part (one block of per-message fields, then one block per
recipient: ``Action``, ``Status``, ``Diagnostic-Code``, ``Final-Recipient``…) and usually the
returned message (``message/rfc822``) or only its headers (``text/rfc822-headers``). The
internationalised forms (RFC 6533: ``message/global-delivery-status``, ``message/global``,
``message/global-headers``) are read the same way.

Nothing here knows about attempts or the database: :func:`read_report` says what the report
says, :func:`recipient_addresses` where the message was delivered to (where a VERP token is).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_string
from email.message import Message
from email.policy import default as default_policy
from email.utils import getaddresses

_STATUS_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})
_MESSAGE_PARTS = frozenset({"message/rfc822", "message/global"})
_HEADER_PARTS = frozenset({"text/rfc822-headers", "message/global-headers", "message/rfc822-headers"})
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_REPLY = re.compile(r"^\s*smtp\s*;\s*([245])\d\d\b", re.IGNORECASE)
#: Headers a receiving server adds with the address it delivered to, most specific first.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
#: Action values, worst first: a report about several recipients is judged by its worst.
_SEVERITY = {"failed": 0, "delayed": 1, "delivered": 2, "relayed": 3, "expanded": 4}


@dataclass(frozen=True)
class RecipientStatus:
    """What a report says about one recipient."""

    action: str
    """``failed``, ``delayed``, ``delivered``, ``relayed`` or ``expanded`` (lower-cased)."""
    status: str | None
    """The RFC 3463 status code (``5.1.1``), or None when the report has none."""
    diagnostic: str | None
    """The remote server's words (``smtp; 550 5.1.1 <ann@example.net>: User unknown``)."""
    final_recipient: str | None
    original_recipient: str | None

    @property
    def status_class(self) -> str | None:
        """``5`` (permanent), ``4`` (transient) or ``2`` (success); from the SMTP reply if no Status."""
        if self.status:
            return self.status[0]
        match = _SMTP_REPLY.match(self.diagnostic or "")
        return match.group(1) if match else None

    @property
    def permanent(self) -> bool:
        """Delivery failed for good (``Action: failed``, ``Status: 5.x.x``): a hard bounce."""
        return self.action == "failed" and self.status_class == "5"


@dataclass(frozen=True)
class DeliveryReport:
    """A parsed DSN: its recipients and, when returned, the headers of the original message."""

    recipients: tuple[RecipientStatus, ...]
    reporting_mta: str | None
    original: Message | None

    @property
    def worst(self) -> RecipientStatus | None:
        """The recipient whose outcome counts (permanent failures first, then failures, delays…)."""
        ranked = sorted(
            self.recipients,
            key=lambda r: (not r.permanent, _SEVERITY.get(r.action, len(_SEVERITY))),
        )
        return ranked[0] if ranked else None


def _parts(message: Message) -> Iterator[Message]:
    """Walk the MIME tree without descending into ``message/*`` parts (a quoted DSN is not ours)."""
    yield message
    if message.is_multipart() and message.get_content_maintype() != "message":
        for part in message.get_payload():
            if isinstance(part, Message):
                yield from _parts(part)


def _field(block: Message, name: str) -> str | None:
    value = block.get(name)
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _address_field(block: Message, name: str) -> str | None:
    # ``rfc822; ann@example.net``: the address type, then the address.
    value = _field(block, name)
    if value is None or ";" not in value:
        return value
    return value.partition(";")[2].strip() or None


def _text_blocks(text: str) -> list[Message]:
    blocks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [message_from_string(block + "\n", policy=default_policy) for block in blocks if block.strip()]


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if not isinstance(payload, list):
        text = part.get_payload(decode=True)
        return _text_blocks(text.decode("utf-8", "replace") if isinstance(text, bytes) else str(payload))
    # message/delivery-status: the stdlib parsed one header block per field group. Other message/*
    # types (message/global-delivery-status) come as one "message": the first block as its
    # headers, the other blocks as its body.
    blocks: list[Message] = []
    for block in payload:
        if not isinstance(block, Message):
            continue
        blocks.append(block)
        body = block.get_payload(decode=True)  # bytes: the UTF-8 of message/global-* intact
        if isinstance(body, bytes) and body.strip():
            blocks += _text_blocks(body.decode("utf-8", "replace"))
    return blocks


def _original(part: Message) -> Message | None:
    content_type = part.get_content_type()
    if content_type not in _MESSAGE_PARTS | _HEADER_PARTS:
        return None
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload[0]  # the stdlib parses message/* parts (message/global-headers too)
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    if content_type in _HEADER_PARTS:
        # Headers only: stop at the first blank line should the server have added body lines.
        text = re.split(r"\r?\n\r?\n", text, maxsplit=1)[0] + "\n\n"
    return message_from_string(text, policy=default_policy)


def read_report(message: Message) -> DeliveryReport | None:
    """Return what a delivery status notification reports, or None when ``message`` is not one.

    Auto-replies (``Auto-Submitted``, vacation notices), challenge mails and the free-text bounces
    of old servers have no ``message/delivery-status`` part: they are not reports.
    """
    status_part = None
    original = None
    for part in _parts(message):
        content_type = part.get_content_type()
        if status_part is None and content_type in _STATUS_PARTS:
            status_part = part
        elif status_part is not None and original is None:
            original = _original(part)
    if status_part is None:
        return None
    blocks = _status_blocks(status_part)
    if not blocks:
        return DeliveryReport((), None, original)
    per_message, per_recipient = blocks[0], blocks[1:]
    recipients = tuple(
        RecipientStatus(
            action=(_field(block, "Action") or "").lower(),
            status=_status(_field(block, "Status")),
            diagnostic=_field(block, "Diagnostic-Code"),
            final_recipient=_address_field(block, "Final-Recipient"),
            original_recipient=_address_field(block, "Original-Recipient"),
        )
        for block in per_recipient
        if _field(block, "Action")
    )
    return DeliveryReport(recipients, _address_field(per_message, "Reporting-MTA"), original)


def _status(value: str | None) -> str | None:
    match = _STATUS.search(value or "")
    return match.group(0) if match else None


def recipient_addresses(message: Message) -> list[str]:
    """Return the addresses ``message`` was delivered to, from the headers receiving servers add.

    ``Delivered-To`` (Postfix, Exim, Dovecot), ``X-Original-To`` (Postfix), ``Envelope-To`` (Exim),
    then ``To``: the first carry the envelope recipient, which holds the VERP token.
    """
    found: list[str] = []
    for name in RECIPIENT_HEADERS:
        values = [str(value) for value in message.get_all(name) or []]
        found += [address for _, address in getaddresses(values) if address]
    return found
