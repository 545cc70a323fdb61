"""E-mail syntax checks with ``email-validator`` (no DNS), with a fast path for plain addresses.

``validate_email`` costs ~100 µs an address, most of it Unicode and IDNA handling that a plain
ASCII address (``zhang.san@example.com``) does not need. The fast path accepts only addresses that
the library would accept with the same normalised form, by construction:

- the local part is a dot-atom of RFC 5322 ``atext`` of at most 64 characters (the library's own
  ``DOT_ATOM_TEXT``), the whole address at most 254;
- the domain is ASCII hostname labels (letters, digits, inner hyphens, at most 63 each, at most
  253 in all), has a period, ends with a letter, has no ``xx--`` label (Punycode and the rule
  against it are left to the library) and is not a special-use name (``SPECIAL_USE_DOMAIN_NAMES``);
- for such an address the library's normalised form is the address with the domain lower-cased.

Anything else goes to the library. ``tests/survey_app/frames/test_emails.py`` checks that both
paths agree on generated addresses.
"""

from __future__ import annotations

import re

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from email_validator.rfc_constants import DOT_ATOM_TEXT

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?:{_LABEL}\.)+(?:[a-z0-9][a-z0-9-]{{0,61}})?[a-z]")
_DASHES = re.compile(r"(?:^|\.)..--")
_SPECIAL = frozenset(SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_SUFFIXES = tuple("." + d for d in SPECIAL_USE_DOMAIN_NAMES)


def normalise_email(raw: str) -> str | None:
    """The address as stored (lower-cased, like opt-outs), or None when its syntax is invalid."""
    local, at, domain = raw.rpartition("@")
    if at and len(local) <= 64 and len(raw) <= 254 and DOT_ATOM_TEXT.match(local):
        lowered = domain.lower()
        if (
            len(lowered) <= 253
            and _DOMAIN.fullmatch(lowered)
            and not _DASHES.search(lowered)
            and lowered not in _SPECIAL
            and not lowered.endswith(_SPECIAL_SUFFIXES)
        ):
            return f"{local}@{lowered}".lower()
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized.lower()
