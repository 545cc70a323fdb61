"""Writes of contact governance (the do-not-contact list, the contact-frequency rule) and
deleting a frame. Importing is in ``importer`` (the file) and ``queue`` (the worker's queue).

Do-not-contact entries are ``fieldwork.models.OptOut`` rows with ``source='staff'``: the one list
every survey and channel already checks. Staff may remove only what staff added: an opt-out a
respondent asked for (reply STOP, unsubscribe link, carrier block) is never undone by staff.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from survey_app.db import utcnow
from survey_app.fieldwork.models import OptOut
from survey_app.frames.emails import normalise_email
from survey_app.frames.models import Contact, ContactRules, Frame, FrameImportIssue, FrameStatus
from survey_app.frames.phones import PhoneNormaliser
from survey_app.frames.queries import DNC_SOURCE, get_frame
from survey_app.sampling.models import SampleDraw

MAX_FREQUENCY_DAYS = 3650
#: A do-not-contact file bigger than this is refused (the list is typed or pasted, not a frame).
MAX_DNC_LINES = 100_000
MAX_DNC_BYTES = 20 * 1024 * 1024


class GovernanceError(ValueError):
    """A refused change; ``code`` and ``params`` describe it for the UI."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def normalise_address(raw: str, region: str | None) -> str:
    """An e-mail (lower-cased) or a phone number in E.164, as opt-outs store them.

    :raises GovernanceError: ``address_invalid`` when it is neither.
    """
    text = raw.strip()
    if "@" in text:
        email = normalise_email(text)
        if email is None:
            raise GovernanceError("address_invalid", f"{text!r} is not a valid e-mail address", value=text)
        return email
    phone = PhoneNormaliser(region).normalise(text) if text else "phone_not_a_number"
    if isinstance(phone, str):
        raise GovernanceError(
            "address_invalid", f"{text!r} is not a valid phone number or e-mail", value=text
        )
    return phone.e164


def add_do_not_contact(session: Session, raw: str, region: str | None) -> OptOut:
    """Put one address on the do-not-contact list.

    :raises GovernanceError: invalid address, or ``already_listed`` (with the existing source).
    """
    address = normalise_address(raw, region)
    existing = session.exec(select(OptOut).where(OptOut.address == address)).first()
    if existing is not None:
        raise GovernanceError(
            "already_listed", f"{address} is already listed", address=address, source=existing.source
        )
    entry = OptOut(address=address, source=DNC_SOURCE)
    session.add(entry)
    try:
        session.commit()
    except IntegrityError:  # added by a concurrent request or an incoming STOP meanwhile
        session.rollback()
        raise GovernanceError(
            "already_listed", f"{address} is already listed", address=address, source=""
        ) from None
    return entry


@dataclass
class DncImportResult:
    """What a do-not-contact file import did, line by line where a line was not added."""

    added: int = 0
    already: int = 0
    #: ``(line number, text)`` of each line that is not an address.
    invalid: list[tuple[int, str]] = field(default_factory=list)


def import_do_not_contact(session: Session, lines: Iterable[str], region: str | None) -> DncImportResult:
    """Add every address of ``lines`` (first cell of each CSV line; a header line is reported as invalid).

    All or nothing per call: the valid addresses are committed together.
    """
    result = DncImportResult()
    addresses: dict[str, int] = {}
    for number, cells in enumerate(csv.reader(lines), start=1):
        if number > MAX_DNC_LINES:
            raise GovernanceError("too_many_lines", f"more than {MAX_DNC_LINES} lines", limit=MAX_DNC_LINES)
        text = cells[0].strip() if cells else ""
        if not text:
            continue
        try:
            address = normalise_address(text, region)
        except GovernanceError:
            result.invalid.append((number, text))
            continue
        addresses.setdefault(address, number)
    listed = _listed(session, list(addresses))
    for address in addresses:
        if address in listed:
            result.already += 1
        else:
            session.add(OptOut(address=address, source=DNC_SOURCE))
            result.added += 1
    session.commit()
    return result


def _listed(session: Session, addresses: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(addresses), 500):
        chunk = addresses[start : start + 500]
        found.update(session.exec(select(OptOut.address).where(OptOut.address.in_(chunk))).all())  # type: ignore[attr-defined]
    return found


def decode_upload(data: bytes) -> io.StringIO:
    """A small uploaded text file as text (UTF-8 with or without BOM, else GB18030).

    :raises GovernanceError: ``too_large`` (rather than reading a cut file), ``encoding_unknown``.
    """
    if len(data) > MAX_DNC_BYTES:
        raise GovernanceError(
            "too_large", f"the file is larger than {MAX_DNC_BYTES // 2**20} MB", limit=MAX_DNC_BYTES // 2**20
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return io.StringIO(data.decode(encoding), newline="")
        except UnicodeDecodeError:
            continue
    raise GovernanceError("encoding_unknown", "the file is neither UTF-8 nor GB18030 text")


def remove_do_not_contact(session: Session, opt_out_id: int) -> str:
    """Take a staff-added address off the list; returns the address.

    :raises GovernanceError: ``not_found``, or ``not_staff`` for a respondent's own opt-out.
    """
    entry = session.get(OptOut, opt_out_id)
    if entry is None:
        raise GovernanceError("not_found", "no such entry")
    if entry.source != DNC_SOURCE:
        raise GovernanceError(
            "not_staff", "the respondent opted out: staff cannot undo it", source=entry.source
        )
    address = entry.address
    session.delete(entry)
    session.commit()
    return address


def set_contact_frequency(session: Session, days: int, user_id: int | None) -> ContactRules:
    """Exclude at draw time anyone invited in the last ``days`` days (0: rule off)."""
    if not 0 <= days <= MAX_FREQUENCY_DAYS:
        raise GovernanceError(
            "days_out_of_range", f"days must be 0 to {MAX_FREQUENCY_DAYS}", limit=MAX_FREQUENCY_DAYS
        )
    rules = session.get(ContactRules, 1) or ContactRules(id=1)
    rules.frequency_days = days
    rules.updated_by_id = user_id
    rules.updated_at = utcnow()
    session.add(rules)
    session.commit()
    return rules


def delete_frame(session: Session, frame_id: int, upload_dir: Path) -> str:
    """Delete a frame with its contacts, import report and kept upload; returns its name.

    :raises FrameNotFound: no such frame.
    :raises GovernanceError: ``frame_importing`` (the worker is writing it: wait for the end) or
        ``frame_sampled`` (a survey's sample was drawn from it: the draw is the audit record).
    """
    frame = get_frame(session, frame_id)
    name, upload = frame.name, frame.upload_name
    if frame.status is FrameStatus.importing:
        raise GovernanceError("frame_importing", "the frame is being imported: wait until it ends")
    draws = session.exec(
        select(func.count()).select_from(SampleDraw).where(SampleDraw.frame_id == frame_id)
    ).one()
    if draws:
        raise GovernanceError(
            "frame_sampled", f"{draws} survey sample(s) were drawn from this frame", surveys=draws
        )
    for table in (Contact.__table__, FrameImportIssue.__table__):  # type: ignore[attr-defined]
        session.execute(table.delete().where(table.c.frame_id == frame_id))
    frames = Frame.__table__  # type: ignore[attr-defined]
    # Conditional: a worker may have claimed the queued frame since it was read.
    deleted = session.execute(
        frames.delete().where(frames.c.id == frame_id, frames.c.status != FrameStatus.importing)
    )
    if deleted.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise GovernanceError("frame_importing", "the frame is being imported: wait until it ends")
    session.commit()
    if upload:
        (upload_dir / upload).unlink(missing_ok=True)
    return name
