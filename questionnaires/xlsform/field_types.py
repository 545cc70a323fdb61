"""Which XLSForm field types become which of our question types, and which cannot be imported.

Metadata fields (``start``, ``deviceid`` ...) are recorded by the system, not asked; the types in
``UNSUPPORTED_TYPES`` (GPS, media, barcodes ...) have no question type of ours. Everything else maps
to one of our types by :func:`question_kind`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "imei",
        "username",
        "phonenumber",
        "email",
        "audit",
        "start-geopoint",
        "subscriberid",
        "simserial",
        "uri:deviceid",
        "uri:email",
        "uri:phonenumber",
        "uri:subscriberid",
        "uri:simserial",
        "uri:username",
    }
)

UNSUPPORTED_TYPES: Mapping[str, str] = {
    "geopoint": "a GPS location field",
    "gps": "a GPS location field",
    "geotrace": "a GPS line (geotrace) field",
    "geoshape": "a GPS area (geoshape) field",
    "background-geopoint": "a background GPS location field",
    "photo": "a photo field",
    "image": "a photo field",
    "audio": "an audio recording field",
    "background-audio": "a background audio recording",
    "video": "a video field",
    "file": "a file upload field",
    "barcode": "a barcode scan field",
    "time": "a time-of-day field",
    "dateTime": "a date-and-time field",
    "rank": "a ranking field",
    "acknowledge": "an acknowledge (OK) field",
    "trigger": "an acknowledge (OK) field",
    "hidden": "a hidden field",
    "xml-external": "an external XML data file",
    "csv-external": "an external CSV data file",
    "select one external": "a select_one_external question (its choices live in an external file)",
}
_EXTERNAL_LIST = re.compile(r"\.(csv|xml|geojson)$", re.IGNORECASE)


def question_kind(
    element: Mapping[str, Any], marker: Mapping[str, Any], choices: Mapping[str, Any]
) -> tuple[str | None, str]:
    """Return our question type for a pyxform field, or None and what the field is that we lack.

    ``marker`` is the field's ``fieldwork`` marker (an exported rating, NPS or yes/no question is a
    ``select_one``); ``choices`` holds the form's choice lists by name.
    """
    kind = str(element.get("type", ""))
    appearance = str((element.get("control") or {}).get("appearance", "")).split()
    if kind in UNSUPPORTED_TYPES:
        return None, UNSUPPORTED_TYPES[kind]
    if kind in ("select one", "select all that apply"):
        itemset = str(element.get("itemset") or element.get("list_name") or "")
        if _EXTERNAL_LIST.search(itemset):
            return (
                None,
                f"a select_one_from_file / select_multiple_from_file question (choices in '{itemset}')",
            )
        if "${" in itemset or not (element.get("choices") or choices.get(itemset)):
            return None, "a select whose choices come from a repeat or another field"
        wanted = marker.get("type")
        if kind == "select one" and wanted in ("yes_no", "rating", "nps"):
            return str(wanted), ""
        return ("single_choice" if kind == "select one" else "multiple_choice"), ""
    if kind in ("integer", "decimal", "range"):
        return "numeric", ""
    if kind == "text":
        return ("long_text" if "multiline" in appearance else "text"), ""
    if kind == "date":
        return "date", ""
    if kind == "note":
        return "info", ""
    if kind == "calculate":
        return "calculate", ""
    return None, f"the field type '{kind}'"
