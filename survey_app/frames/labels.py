"""Translated texts for the codes the frames module reports (issues, file and mapping errors)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from survey_app.frames.models import DuplicatePolicy, FrameStatus, IssueAction

REASONS = {
    "phone_invalid": _l("Not a valid phone number"),
    "phone_no_country": _l("No country code, and the frame has no default region"),
    "phone_not_a_number": _l("Not a phone number"),
    "phone_too_short": _l("Too short for a phone number"),
    "phone_too_long": _l("Too long for a phone number"),
    "phone_extension_dropped": _l("Extension dropped (E.164 cannot hold one)"),
    "email_invalid": _l("Not a valid e-mail address"),
    "timezone_invalid": _l("Not an IANA time zone name (e.g. Asia/Shanghai)"),
    "text_truncated": _l("Longer than the field allows: cut"),
    "no_contact": _l("Neither a usable phone number nor a usable e-mail address"),
    "too_many_cells": _l("More cells than the header has columns"),
    "duplicate_phone": _l("Same phone number as another row"),
    "duplicate_email": _l("Same e-mail address as another row"),
}
ACTIONS = {
    IssueAction.rejected: _l("Rejected"),
    IssueAction.changed: _l("Changed"),
    IssueAction.duplicate: _l("Duplicate, left out"),
}
STATUSES = {
    FrameStatus.queued: _l("Waiting for the worker"),
    FrameStatus.importing: _l("Importing"),
    FrameStatus.ready: _l("Ready"),
    FrameStatus.failed: _l("Failed"),
}
POLICIES = {
    DuplicatePolicy.keep_first: _l("Keep the first row"),
    DuplicatePolicy.reject: _l("Reject every copy"),
    DuplicatePolicy.keep_last: _l("Keep the last row"),
}
FIELDS = {
    "external_id": _l("External id"),
    "name": _l("Name"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "language": _l("Language"),
    "timezone": _l("Time zone"),
    "stakeholder_group": _l("Stakeholder group"),
}


def error_text(code: str, params: dict[str, Any], fallback: str) -> str:
    """The translated message of a file, mapping or governance error code."""
    texts = {
        "encoding_unknown": _("The file's encoding could not be recognised: choose it below."),
        "encoding_mismatch": _(
            "Row %(row)s is not valid %(encoding)s: choose the file's encoding below.",
            row=params.get("row"),
            encoding=params.get("encoding"),
        ),
        "csv_error": _("Row %(row)s cannot be read as CSV.", row=params.get("row")),
        "empty_file": _("The file has no header row."),
        "xls_unsupported": _("Old .xls files are not supported: save the sheet as .xlsx or CSV."),
        "xlsx_unreadable": _("The workbook cannot be read. Is it an .xlsx file?"),
        "unknown_column": _("The file has no column “%(column)s”.", column=params.get("column")),
        "field_twice": _(
            "“%(field)s” is chosen for two columns: choose it for one.", field=params.get("field")
        ),
        "column_twice": _("Column “%(column)s” is mapped twice.", column=params.get("column")),
        "no_contact_column": _("Map a phone or an e-mail column: contacts need one of them."),
        "unknown_field": _("Unknown contact field."),
        "bad_attribute_name": _("Attribute names use letters, digits and “_” only."),
        "address_invalid": _(
            "“%(value)s” is neither a valid phone number nor a valid e-mail address.",
            value=params.get("value"),
        ),
        "already_listed": _("%(address)s is already on the list.", address=params.get("address")),
        "not_found": _("That entry no longer exists."),
        "not_staff": _("The respondent opted out themselves: staff cannot undo it."),
        "too_many_lines": _("The file has more than %(limit)s lines.", limit=params.get("limit")),
        "days_out_of_range": _("Enter a number of days from 0 to %(limit)s.", limit=params.get("limit")),
        "too_large": _("The file is larger than %(limit)s MB.", limit=params.get("limit")),
        "upload_missing": _("The uploaded file is no longer available: upload it again."),
        "upload_gone": _("The uploaded file is no longer kept: upload it again."),
        "not_failed": _("Only a failed import can be queued again."),
        "frame_importing": _("The frame is being imported: wait until the import ends, then delete it."),
        "frame_sampled": _(
            "This frame cannot be deleted: a sample of %(n)s survey(s) was drawn from it.",
            n=params.get("surveys"),
        ),
    }
    return str(texts.get(code, fallback))
