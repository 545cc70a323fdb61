"""Phone numbers to E.164 with ``phonenumbers``, and their time zone when it is unambiguous.

``phonenumbers.parse`` + ``is_valid_number`` cost about 45 µs a number, too slow for frames of a
million contacts. :class:`PhoneNormaliser` therefore takes a **fast path** for the common plain forms
(``+8613800138000``, ``138-0013-8000``: digits with spaces, hyphens, dots or parentheses) that
gives exactly the answer of the slow path, by construction:

- it handles only strings that are ASCII digits (with an optional leading ``+``) once spaces,
  hyphens, dots, parentheses and tabs are removed: for those, ``parse`` does nothing else than
  what the fast path does (no extension, no letters, no ``tel:`` URI);
- it hands every number to the slow path whenever ``parse`` could transform it: a national number
  starting with ``0``, an international dialling prefix, the default region's country code, a match
  of the region's ``national_prefix_for_parsing`` (carrier codes such as CN ``179xx``), a country
  code shared by several regions (+1, +7, +44 ...) or a non-geographic one;
- validity is ``phonenumbers``' own rule (``_number_type_helper`` is not UNKNOWN): the general
  pattern and lengths match, and so does at least one number type, using the library's metadata
  patterns.  Only the order of the type checks differs (mobile first), which cannot change whether
  *some* type matches.

``tests/survey_app/frames/test_phones.py`` checks fast == slow on generated numbers.

Time zones: a valid number's zones come from ``phonenumbers.timezone``.  For a country code whose
every prefix maps to the same single zone (CN: Asia/Shanghai) the zone is a constant; other numbers
are looked up one by one.  A number with several zones (most of the US) gets none.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, NumberParseException, PhoneMetadata, PhoneNumber
from phonenumbers.timezone import time_zones_for_number
from phonenumbers.tzdata import TIMEZONE_DATA

#: Reason codes of an unusable phone number (labels in ``survey_app.frames.labels``).
PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "phone_no_country",
    NumberParseException.NOT_A_NUMBER: "phone_not_a_number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "phone_too_short",
    NumberParseException.TOO_SHORT_NSN: "phone_too_short",
    NumberParseException.TOO_LONG: "phone_too_long",
}
INVALID = "phone_invalid"
UNKNOWN_ZONE = "Etc/Unknown"

_SEPARATORS = str.maketrans("", "", " -().\u00a0")
_PLAIN = re.compile(r"\+?[0-9]{6,17}")
#: ``phonenumbers.parse`` refuses longer input outright.
_MAX_INPUT = 250
_TYPE_NAMES = (
    "mobile",
    "fixed_line",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


@dataclass(frozen=True, slots=True)
class Phone:
    """A valid number: its E.164 form, country code and national significant number."""

    e164: str
    country_code: int
    national: str
    #: True when the input carried an extension, which E.164 cannot hold (it is dropped).
    had_extension: bool = False


@dataclass(frozen=True, slots=True)
class _Region:
    """Compiled validity rule and prefix checks of a single-region country code."""

    country_code: int
    is_valid: Callable[[str], bool]
    national_prefix: re.Pattern[str] | None
    international_prefix: re.Pattern[str] | None


def _desc_matcher(desc: object) -> Callable[[str], bool] | None:
    """``phonenumbers._is_number_matching_desc`` for one description, compiled once."""
    pattern = getattr(desc, "national_number_pattern", None)
    if desc is None or not pattern:
        return None
    lengths = frozenset(getattr(desc, "possible_length", ()) or ())
    fullmatch = re.compile(pattern).fullmatch
    if lengths:
        return lambda nsn: len(nsn) in lengths and fullmatch(nsn) is not None
    return lambda nsn: fullmatch(nsn) is not None


@functools.cache
def _region(country_code: int) -> _Region | None:
    """The fast-path rule for ``country_code``, or None when it must take the slow path."""
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions or len(regions) != 1 or regions[0] == "001":
        return None
    metadata = PhoneMetadata.metadata_for_region(regions[0], None)
    if metadata is None:
        return None
    general = _desc_matcher(metadata.general_desc)
    if general is None:
        return None
    names = [n for n in _TYPE_NAMES if not (n == "mobile" and metadata.same_mobile_and_fixed_line_pattern)]
    types = [m for m in (_desc_matcher(getattr(metadata, n)) for n in names) if m is not None]

    def is_valid(nsn: str) -> bool:
        return general(nsn) and any(match(nsn) for match in types)

    prefix = metadata.national_prefix_for_parsing
    idd = metadata.international_prefix
    return _Region(
        country_code=country_code,
        is_valid=is_valid,
        national_prefix=re.compile(prefix) if prefix else None,
        international_prefix=re.compile(idd) if idd else None,
    )


@functools.cache
def _constant_zone(country_code: int) -> str | None:
    """The single time zone of every number of ``country_code``, or None if it varies."""
    code = str(country_code)
    if not any(code[:k] in TIMEZONE_DATA for k in range(1, len(code) + 1)):
        return None  # some numbers would fall through to "unknown"
    zones = {zone for key, value in TIMEZONE_DATA.items() if key.startswith(code) for zone in value}
    zones |= {zone for k in range(1, len(code) + 1) for zone in TIMEZONE_DATA.get(code[:k], ())}
    if len(zones) == 1:
        (zone,) = zones
        return None if zone == UNKNOWN_ZONE else zone
    return None


class PhoneNormaliser:
    """Normalise raw phone strings of one frame (numbers without ``+`` are read in ``region``)."""

    def __init__(self, region: str | None) -> None:
        self.region = region.upper() if region else None
        self._default = None
        if self.region:
            metadata = PhoneMetadata.metadata_for_region(self.region, None)
            if metadata is not None:
                self._default = _region(metadata.country_code)
        self._default_code = str(self._default.country_code) if self._default else None

    def normalise(self, raw: str) -> Phone | str:
        """The number as a :class:`Phone`, or the reason code why it is not a valid number."""
        compact = raw.translate(_SEPARATORS)
        if len(raw) <= _MAX_INPUT and _PLAIN.fullmatch(compact):
            fast = self._fast(compact)
            if fast is not None:
                return fast
        return self._slow(raw)

    def _fast(self, digits: str) -> Phone | str | None:
        if digits[0] == "+":
            digits = digits[1:]
            if digits[0] == "0":
                return None
            for k in (1, 2, 3):
                code = int(digits[:k])
                if code in COUNTRY_CODE_TO_REGION_CODE:
                    region = _region(code)
                    national = digits[k:]
                    break
            else:
                return None
        else:
            region = self._default
            if region is None or digits[0] == "0" or digits.startswith(self._default_code or "?"):
                return None
            if region.international_prefix is not None and region.international_prefix.match(digits):
                return None
            national = digits
        if region is None or not 2 < len(national) <= 17 or national[0] == "0":
            return None
        if region.national_prefix is not None and region.national_prefix.match(national):
            return None
        if not region.is_valid(national):
            return INVALID
        return Phone(f"+{region.country_code}{national}", region.country_code, national)

    def _slow(self, raw: str) -> Phone | str:
        try:
            number = phonenumbers.parse(raw, self.region)
        except NumberParseException as exc:
            return PARSE_ERRORS.get(exc.error_type, "phone_not_a_number")
        if not phonenumbers.is_valid_number(number):
            return INVALID
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        country_code = number.country_code or 0  # a valid number always has one
        national = e164[1 + len(str(country_code)) :]
        return Phone(e164, country_code, national, had_extension=bool(number.extension))


def time_zone(phone: Phone) -> str | None:
    """The time zone of a valid number when it has exactly one, else None."""
    constant = _constant_zone(phone.country_code)
    if constant is not None:
        return constant
    number = PhoneNumber(country_code=phone.country_code, national_number=int(phone.national))
    if phone.national.startswith("0"):
        number.italian_leading_zero = True
        number.number_of_leading_zeros = len(phone.national) - len(phone.national.lstrip("0"))
    zones = time_zones_for_number(number)
    if len(zones) == 1 and zones[0] != UNKNOWN_ZONE:
        return str(zones[0])
    return None


def is_valid_region(region: str) -> bool:
    """True for a region code phonenumbers knows (``CN``, ``HK``, ``US``...)."""
    return PhoneMetadata.metadata_for_region(region.upper(), None) is not None
