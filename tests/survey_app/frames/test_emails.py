"""The fast path of ``normalise_email`` gives exactly email-validator's answer."""

from __future__ import annotations

import random

import pytest
from email_validator import EmailNotValidError, validate_email

from survey_app.frames.emails import normalise_email

PIECES = ["a", "Zhang", "san", "1", "x-y", "_", "+tag", ".", "..", "-", "é", "张", "xn--", "ab--", " ", '"']
PIECES.append("@")
DOMAINS = [
    "example.com",
    "EXAMPLE.COM",
    "qq.com",
    "163.com",
    "mail.example.co.uk",
    "b",
    "localhost",
    "foo.test",
    "foo.invalid",
    "-bad.com",
    "bad-.com",
    "x.123",
    "例子.中国",
    "xn--fsqu00a.xn--fiqs8s",
    "ab--cd.com",
    "a." + "b" * 64 + ".com",
    "sub.-x.com",
    "my-host.org",
    "1.2.3.4",
    "[127.0.0.1]",
    "a.b-",
    "ex.c0m",
]


def _library(raw: str) -> str | None:
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _generated(count: int) -> list[str]:
    rng = random.Random(20261202)
    out = []
    for _ in range(count):
        local = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 4)))
        if rng.random() < 0.05:
            local = "a" * rng.choice([63, 64, 65])
        out.append(f"{local}@{rng.choice(DOMAINS)}")
    return out


def test_fast_path_equals_the_library() -> None:
    for raw in _generated(5000):
        assert normalise_email(raw) == _library(raw), raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zhang.San@Example.COM", "zhang.san@example.com"),
        ("user+tag@qq.com", "user+tag@qq.com"),
        ("张三@例子.中国", "张三@例子.中国"),
        ("a@b", None),
        ("a@@example.com", None),
        ("a..b@example.com", None),
        ("x@foo.test", None),
    ],
)
def test_examples(raw: str, expected: str | None) -> None:
    assert normalise_email(raw) == expected
