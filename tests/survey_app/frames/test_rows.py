"""One row to one contact: phones in mixed formats, bad e-mails, zones, and what is reported."""

from __future__ import annotations

import pytest

from survey_app.frames.columns import guess_column_map
from survey_app.frames.models import IssueAction
from survey_app.frames.rows import RowCleaner

HEADER = ["id", "name", "phone", "email", "timezone", "segment"]


def _clean(cells: list[str], region: str | None = "CN") -> tuple[dict | None, list]:
    cleaner = RowCleaner(HEADER, guess_column_map(HEADER), region)
    return cleaner.clean(7, cells)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("+86 138 0013 8000", "CN", "+8613800138000"),
        ("138-0013-8000", "CN", "+8613800138000"),
        ("13800138000", "CN", "+8613800138000"),
        ("(415) 555-0132", "US", "+14155550132"),
        ("+1 (415) 555-0132", "CN", "+14155550132"),
        ("0086 138 0013 8000", "CN", "+8613800138000"),
        ("+852 9123 4567", "CN", "+85291234567"),
        ("010-6552 9988", "CN", "+861065529988"),
        ("１３８００１３８０００", "CN", "+8613800138000"),  # full-width digits, as typed in Chinese input
        ("+86 138 0013 8000\u3000", "CN", "+8613800138000"),  # ideographic space
    ],
)
def test_mixed_phone_formats_become_e164(raw: str, region: str, e164: str) -> None:
    contact, issues = _clean(["1", "A", raw, "", "", ""], region)
    assert contact is not None
    assert contact["phone_e164"] == e164
    assert issues == []


@pytest.mark.parametrize(("raw", "reason"), [("12345", "phone_invalid"), ("call me", "phone_not_a_number")])
def test_bad_phone_without_email_rejects_the_row_with_its_reason(raw: str, reason: str) -> None:
    contact, issues = _clean(["1", "A", raw, "", "", ""])
    assert contact is None
    assert [(i.row_number, i.column, i.value, i.reason, i.action) for i in issues] == [
        (7, "phone", raw, reason, IssueAction.rejected)
    ]


def test_number_without_country_code_and_no_region_is_rejected() -> None:
    contact, issues = _clean(["1", "A", "13800138000", "", "", ""], region=None)
    assert contact is None
    assert issues[0].reason == "phone_no_country"


def test_bad_phone_beside_a_good_email_is_removed_and_reported_as_changed() -> None:
    contact, issues = _clean(["1", "A", "12345", "a@example.com", "", ""])
    assert contact is not None
    assert contact["phone_e164"] is None
    assert contact["email"] == "a@example.com"
    assert [(i.reason, i.action) for i in issues] == [("phone_invalid", IssueAction.changed)]
    assert "removed" in issues[0].message


@pytest.mark.parametrize("raw", ["not-an-email", "a@b", "a@@example.com", "张三@", "a b@example.com"])
def test_bad_emails_are_reported(raw: str) -> None:
    contact, issues = _clean(["1", "A", "", raw, "", ""])
    assert contact is None
    assert [(i.column, i.value, i.reason) for i in issues] == [("email", raw, "email_invalid")]


def test_email_is_lower_cased_like_opt_outs() -> None:
    contact, _ = _clean(["1", "A", "", " Zhang.San@Example.COM ", "", ""])
    assert contact is not None
    assert contact["email"] == "zhang.san@example.com"


def test_row_without_any_contact_is_rejected() -> None:
    contact, issues = _clean(["1", "A", "", "", "", "vip"])
    assert contact is None
    assert [i.reason for i in issues] == ["no_contact"]


def test_time_zone_from_the_phone_when_unambiguous_else_none() -> None:
    china, _ = _clean(["1", "A", "13800138000", "", "", ""])
    san_francisco, _ = _clean(["1", "A", "+1 415 555 0132", "", "", ""])
    toll_free, _ = _clean(["1", "A", "+1 800 555 0132", "", "", ""])
    assert china is not None
    assert china["timezone"] == "Asia/Shanghai"
    assert san_francisco is not None
    assert san_francisco["timezone"] == "America/Los_Angeles"
    # A US toll-free number has every US zone: none is guessed.
    assert toll_free is not None
    assert toll_free["timezone"] is None


def test_time_zone_column_wins_and_a_bad_one_falls_back_to_the_phone() -> None:
    given, _ = _clean(["1", "A", "13800138000", "", "Asia/Hong_Kong", ""])
    assert given is not None
    assert given["timezone"] == "Asia/Hong_Kong"
    fallback, issues = _clean(["1", "A", "13800138000", "", "Beijing time", ""])
    assert fallback is not None
    assert fallback["timezone"] == "Asia/Shanghai"
    assert [(i.reason, i.action) for i in issues] == [("timezone_invalid", IssueAction.changed)]


def test_too_long_text_is_cut_and_reported() -> None:
    contact, issues = _clean(["1", "名" * 250, "13800138000", "", "", ""])
    assert contact is not None
    assert len(contact["name"]) == 200
    assert [(i.column, i.reason, i.action) for i in issues] == [
        ("name", "text_truncated", IssueAction.changed)
    ]


def test_extra_cells_reject_the_row() -> None:
    contact, issues = _clean(["1", "A", "13800138000", "", "", "", "shifted"])
    assert contact is None
    assert issues[0].reason == "too_many_cells"
    assert issues[0].value == "shifted"


def test_other_columns_become_attributes() -> None:
    contact, _ = _clean(["1", "A", "13800138000", "", "", "VIP"])
    assert contact is not None
    assert contact["attributes"] == {"segment": "VIP"}


def test_phone_extension_is_dropped_and_reported() -> None:
    contact, issues = _clean(["1", "A", "+1 415 555 0132 ext. 12", "", "", ""])
    assert contact is not None
    assert contact["phone_e164"] == "+14155550132"
    assert [i.reason for i in issues] == ["phone_extension_dropped"]
