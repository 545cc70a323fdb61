"""The column-mapping step of a frame import: which file column feeds which contact field.

A contact has seven standard fields (:data:`STANDARD_FIELDS`); every other column of the file is
kept as an *attribute* (usable for strata and piping) unless it is ignored.  :func:`guess_column_map`
proposes a mapping from the header (English and Chinese names), the user confirms or changes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

STANDARD_FIELDS = ("external_id", "name", "phone", "email", "language", "timezone", "stakeholder_group")
#: Fields a stratum can use besides the attributes (``name``, phone and e-mail are never strata).
BUILTIN_VARIABLES = ("stakeholder_group", "language", "timezone")

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "externalid", "id", "customerid", "clientid", "memberid", "contactid", "crmid", "custno",
        "客户编号", "客户id", "编号", "会员号", "会员编号", "客戶編號", "會員號", "會員編號", "编码",
    ),
    "name": (
        "name", "fullname", "customername", "contactname", "姓名", "名字", "客户姓名", "客戶姓名",
        "联系人", "聯絡人", "聯繫人", "称呼", "稱呼",
    ),
    "phone": (
        "phone", "mobile", "mobilephone", "cell", "cellphone", "tel", "telephone", "phonenumber",
        "mobilenumber", "手机", "手机号", "手机号码", "电话", "电话号码", "联系电话", "手機", "手機號",
        "手機號碼", "電話", "電話號碼", "聯絡電話", "聯繫電話", "移动电话", "流動電話",
    ),
    "email": (
        "email", "e-mail", "mail", "emailaddress", "邮箱", "邮件", "电子邮件", "电子邮箱", "邮箱地址",
        "電郵", "電子郵件", "郵箱", "電子郵箱",
    ),
    "language": ("language", "lang", "locale", "preferredlanguage", "语言", "語言", "首选语言", "首選語言"),
    "timezone": ("timezone", "tz", "zone", "时区", "時區"),
    "stakeholder_group": ("stakeholdergroup", "stakeholder", "利益相关方", "利益相關方", "持份者"),
}  # fmt: skip
_LOOKUP = {alias: name for name, aliases in _SYNONYMS.items() for alias in aliases}
_KEY_NOISE = re.compile(r"[\s_\-]+")
_SLUG = re.compile(r"[^\w]+")


class MappingError(ValueError):
    """A column mapping that cannot be used; ``code`` and ``params`` describe it for the UI."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ColumnMap:
    """Standard field -> column, attribute key -> column, and the columns left out."""

    fields: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": dict(self.fields),
            "attributes": dict(self.attributes),
            "ignored": list(self.ignored),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnMap:
        return cls(
            fields=dict(data.get("fields") or {}),
            attributes=dict(data.get("attributes") or {}),
            ignored=tuple(data.get("ignored") or ()),
        )

    def check(self, header: Sequence[str]) -> None:
        """Raise :class:`MappingError` unless the map fits ``header``."""
        columns = set(header)
        unknown_fields = sorted(set(self.fields) - set(STANDARD_FIELDS))
        if unknown_fields:
            raise MappingError("unknown_field", f"unknown contact field(s): {', '.join(unknown_fields)}")
        for column in [*self.fields.values(), *self.attributes.values(), *self.ignored]:
            if column not in columns:
                raise MappingError("unknown_column", f"the file has no column {column!r}", column=column)
        used = [*self.fields.values(), *self.attributes.values()]
        twice = sorted({c for c in used if used.count(c) > 1})
        if twice:
            raise MappingError("column_twice", f"column {twice[0]!r} is mapped twice", column=twice[0])
        if "phone" not in self.fields and "email" not in self.fields:
            raise MappingError("no_contact_column", "map a phone or an e-mail column")
        for key in self.attributes:
            if not key or key in STANDARD_FIELDS or not re.fullmatch(r"\w+", key):
                raise MappingError(
                    "bad_attribute_name",
                    f"attribute name {key!r} must be letters, digits or '_' and not a contact field",
                    name=key,
                )


def header_key(text: str) -> str:
    """How a header is compared with the synonyms: lower case, without spaces, '_' and '-'."""
    return _KEY_NOISE.sub("", text.strip().lower())


def attribute_key(header: str, taken: Iterable[str] = ()) -> str:
    """A piping-friendly attribute name for a column (``Customer Segment`` -> ``customer_segment``)."""
    base = _SLUG.sub("_", header.strip().lower()).strip("_") or "column"
    blocked = set(taken) | set(STANDARD_FIELDS)
    key, n = base, 2
    while key in blocked:
        key, n = f"{base}_{n}", n + 1
    return key


def clean_header(cells: Sequence[str]) -> list[str]:
    """Column names: trimmed, empty ones named ``column N``, repeats numbered ``Name (2)``."""
    names: list[str] = []
    for i, cell in enumerate(cells, start=1):
        name = cell.strip() or f"column {i}"
        candidate, n = name, 2
        while candidate in names:
            candidate, n = f"{name} ({n})", n + 1
        names.append(candidate)
    return names


def guess_column_map(
    header: Sequence[str], given: Mapping[str, str] | None = None, ignored: Iterable[str] = ()
) -> ColumnMap:
    """Propose a map: ``given`` entries first (standard field or attribute name -> column), then
    the standard fields recognised by name, then every other column as an attribute.

    :raises MappingError: a given column does not exist or a given target is used twice.
    """
    given = dict(given or {})
    skip = set(ignored)
    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for target, column in given.items():
        if column not in header:
            raise MappingError("unknown_column", f"the file has no column {column!r}", column=column)
        if target in STANDARD_FIELDS:
            fields[target] = column
        else:
            attributes[target] = column
    used = set(fields.values()) | set(attributes.values())
    for column in header:
        name = _LOOKUP.get(header_key(column))
        if name and name not in fields and column not in used and column not in skip:
            fields[name] = column
            used.add(column)
    for column in header:
        if column not in used and column not in skip:
            attributes[attribute_key(column, attributes)] = column
    return ColumnMap(fields=fields, attributes=attributes, ignored=tuple(c for c in header if c in skip))
