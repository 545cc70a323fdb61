"""One file row to one contact: normalised values, and every rejection or change reported.

Rules (documented on the report page):

- the phone becomes E.164 (numbers without ``+`` are read in the frame's default region); the
  e-mail is checked for syntax only (no DNS) and stored lower-cased, as opt-outs are;
- a row needs a usable phone or e-mail. An invalid phone or e-mail beside a usable other one is
  removed from the contact (``changed``); with nothing usable left the row is ``rejected``;
- the time zone comes from its column when that is a valid IANA name, else from the phone number
  when the number has exactly one zone (a bad zone in the file is ``changed``);
- texts longer than their field are cut (``changed``); a row with more cells than the header is
  ``rejected`` (its columns have most likely shifted);
- reformatting alone (``138-0013-8000`` → ``+8613800138000``) is not a change worth reporting.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from survey_app.frames.columns import ColumnMap
from survey_app.frames.emails import normalise_email
from survey_app.frames.models import IssueAction
from survey_app.frames.phones import Phone, PhoneNormaliser, time_zone

#: Longest text kept per standard field (the column sizes of ``Contact``).
MAX_LENGTH = {"external_id": 200, "name": 200, "language": 16, "stakeholder_group": 100}
MAX_ATTRIBUTE = 1000
_VALUE_SHOWN = 500

MESSAGES = {
    "phone_invalid": "not a valid phone number",
    "phone_no_country": "no country code, and the frame has no default region",
    "phone_not_a_number": "not a phone number",
    "phone_too_short": "too short for a phone number",
    "phone_too_long": "too long for a phone number",
    "phone_extension_dropped": "the extension was dropped (E.164 cannot hold one)",
    "email_invalid": "not a valid e-mail address",
    "timezone_invalid": "not an IANA time zone name (e.g. Asia/Shanghai)",
    "text_truncated": "longer than the field allows: cut",
    "no_contact": "neither a usable phone number nor a usable e-mail address",
    "too_many_cells": "more cells than the header has columns",
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One reported problem of one row (``FrameImportIssue`` before it has a frame)."""

    row_number: int
    column: str | None
    value: str | None
    reason: str
    action: IssueAction
    detail: str = ""

    @property
    def message(self) -> str:
        text = MESSAGES.get(self.reason, self.reason)
        return f"{text}: {self.detail}" if self.detail else text

    def as_row(self, frame_id: int) -> dict[str, Any]:
        """The ``frame_import_issues`` insert parameters."""
        value = None if self.value is None else self.value[:_VALUE_SHOWN]
        return {
            "frame_id": frame_id,
            "row_number": self.row_number,
            "column": self.column,
            "value": value,
            "reason": self.reason,
            "message": self.message,
            "action": self.action.value,
            "related_row": None,
        }


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class RowCleaner:
    """Turns rows of one file into ``contacts`` insert parameters plus issues.

    Written for speed (it runs once per row of a million-row file): column positions are resolved
    once, and an unmapped field reads an always-empty cell past the end of the row.
    """

    def __init__(self, header: Sequence[str], column_map: ColumnMap, region: str | None) -> None:
        self.width = len(header)
        self._blank = [""] * (self.width + 1)
        index = {name: i for i, name in enumerate(header)}
        self.columns = dict(column_map.fields)
        position = {t: index[c] for t, c in column_map.fields.items()}
        self._at = {t: position.get(t, self.width) for t in (*MAX_LENGTH, "phone", "email", "timezone")}
        self._texts = [(t, self._at[t], self.columns.get(t), limit) for t, limit in MAX_LENGTH.items()]
        self.attributes = [(key, index[column], column) for key, column in column_map.attributes.items()]
        self.phones = PhoneNormaliser(region)

    def clean(self, row_number: int, cells: Sequence[str]) -> tuple[dict[str, Any] | None, list[Issue]]:
        """The contact of this row (None: rejected) and the issues found in it."""
        issues: list[Issue] = []
        width = self.width
        if len(cells) > width:
            extra = ", ".join(c for c in cells[width:] if c.strip())
            if extra:
                return None, [Issue(row_number, None, extra, "too_many_cells", IssueAction.rejected)]
            cells = cells[:width]
        row = [*cells, *self._blank[len(cells) :]]
        contact: dict[str, Any] = {"row_number": row_number}
        for target, i, column, limit in self._texts:
            value = row[i].strip()
            if len(value) > limit:
                issues.append(Issue(row_number, column, value, "text_truncated", IssueAction.changed))
                value = value[:limit]
            contact[target] = value or None
        phone, phone_issue = self._phone(row_number, row[self._at["phone"]].strip())
        email, email_issue = self._email(row_number, row[self._at["email"]].strip())
        if phone is None and email is None:
            found = [i for i in (phone_issue, email_issue) if i is not None]
            if not found:
                found = [Issue(row_number, None, None, "no_contact", IssueAction.rejected)]
            rejected = [Issue(i.row_number, i.column, i.value, i.reason, IssueAction.rejected) for i in found]
            return None, issues + rejected
        if phone_issue is not None:
            issues.append(phone_issue)
        if email_issue is not None:
            issues.append(email_issue)
        contact["phone_e164"] = phone.e164 if phone else None
        contact["email"] = email
        contact["timezone"] = self._zone(row_number, row[self._at["timezone"]].strip(), phone, issues)
        attributes = {}
        for key, i, column in self.attributes:
            value = row[i].strip()
            if len(value) > MAX_ATTRIBUTE:
                issues.append(Issue(row_number, column, value, "text_truncated", IssueAction.changed))
                value = value[:MAX_ATTRIBUTE]
            if value:
                attributes[key] = value
        contact["attributes"] = attributes
        return contact, issues

    def _phone(self, row_number: int, raw: str) -> tuple[Phone | None, Issue | None]:
        if not raw:
            return None, None
        result = self.phones.normalise(raw)
        column = self.columns.get("phone")
        if isinstance(result, str):
            return None, Issue(row_number, column, raw, result, IssueAction.changed, "removed")
        if result.had_extension:
            return result, Issue(row_number, column, raw, "phone_extension_dropped", IssueAction.changed)
        return result, None

    def _email(self, row_number: int, raw: str) -> tuple[str | None, Issue | None]:
        if not raw:
            return None, None
        email = normalise_email(raw)
        if email is None or len(email) > 320:
            column = self.columns.get("email")
            return None, Issue(row_number, column, raw, "email_invalid", IssueAction.changed, "removed")
        return email, None

    def _zone(self, row_number: int, raw: str, phone: Phone | None, issues: list[Issue]) -> str | None:
        if raw:
            if raw in _zones():
                return raw
            fallback = time_zone(phone) if phone else None
            detail = f"replaced by {fallback} from the phone number" if fallback else "removed"
            column = self.columns.get("timezone")
            issues.append(Issue(row_number, column, raw, "timezone_invalid", IssueAction.changed, detail))
            return fallback
        return time_zone(phone) if phone else None
