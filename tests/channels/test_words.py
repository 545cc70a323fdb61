"""Numbers, Chinese numerals and dates as respondents write them."""

from __future__ import annotations

import pytest

from channels.words import chinese_int, date_text, number_text, split_list, whole_number, yes_no


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("零", 0), ("〇", 0), ("一", 1), ("两", 2), ("兩", 2), ("三", 3), ("九", 9), ("十", 10),
        ("十一", 11), ("二十", 20), ("二十五", 25), ("一百", 100), ("一百零五", 105),
        ("三千二百", 3200), ("一万二千", 12000), ("二〇二四", 2024), ("一九八五", 1985),
        ("", None), ("三a", None), ("好", None),
    ],
)  # fmt: skip
def test_chinese_numerals(text: str, expected: int | None) -> None:
    assert chinese_int(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        ("７", 7),
        (" 7. ", 7),
        ("(7)", 7),
        ("七", 7),
        ("seven", 7),
        ("Ten", 10),
        ("-3", -3),
        ("7a", None),
    ],
)
def test_whole_numbers(text: str, expected: int | None) -> None:
    assert whole_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35", "35"), ("35岁", "35"), ("35 years", "35"), ("三十五", "35"), ("三十五岁", "35"),
        ("1,234", "1234"), ("12.50", "12.50"), ("１２.５", "12.5"), ("-4", "-4"),
        ("35 or 36", None), ("about", None), ("", None),
    ],
)  # fmt: skip
def test_numbers(text: str, expected: str | None) -> None:
    assert number_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", "2024-03-05"), ("2024/3/5", "2024-03-05"), ("2024.3.5", "2024-03-05"),
        ("２０２４－０３－０５", "2024-03-05"), ("2024年3月5日", "2024-03-05"),
        ("2024年3月5号", "2024-03-05"), ("2024 年 3 月 5 日", "2024-03-05"),
        ("二〇二四年三月五日", "2024-03-05"), ("2024年十二月三十一日", "2024-12-31"),
        ("2024-02-30", "2024-02-30"),  # impossible, but the engine says so in the respondent's language
        ("5/3/2024", None), ("March 5", None), ("24-3-5", None),
    ],
)  # fmt: skip
def test_dates(text: str, expected: str | None) -> None:
    assert date_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1 3 5", ["1", "3", "5"]), ("1,3,5", ["1", "3", "5"]), ("1、3、5", ["1", "3", "5"]),
     ("1，3", ["1", "3"]), ("1和3", ["1", "3"]), ("1 and 3", ["1", "3"]), ("1; 3 / 5", ["1", "3", "5"]),
     ("brand", ["brand"])],
)  # fmt: skip
def test_list_separators(text: str, expected: list[str]) -> None:
    assert split_list(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Y", "yes"), ("yes", "yes"), ("是", "yes"), ("是的", "yes"), ("对", "yes"), ("好的", "yes"),
     ("N", "no"), ("No.", "no"), ("否", "no"), ("不", "no"), ("不是", "no"), ("没有", "no"), ("maybe", None)],
)  # fmt: skip
def test_yes_no_words(text: str, expected: str | None) -> None:
    assert yes_no(text) == expected
