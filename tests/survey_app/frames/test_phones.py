"""The fast path of ``PhoneNormaliser`` gives exactly phonenumbers' own answer."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from survey_app.frames.phones import INVALID, PhoneNormaliser, is_valid_region


def _slow(raw: str, region: str | None) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return "error"
    if not phonenumbers.is_valid_number(number):
        return INVALID
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _generated(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    shapes = [
        lambda: f"1{rng.randint(30, 99)}{rng.randint(0, 99999999):08d}",  # CN mobiles and junk
        lambda: f"+86 1{rng.randint(30, 99)} {rng.randint(0, 9999):04d} {rng.randint(0, 9999):04d}",
        lambda: f"{rng.randint(100, 999)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        lambda: f"+{rng.choice([1, 44, 49, 81, 82, 852, 853, 886, 65, 61])} {rng.randint(10**6, 10**11)}",
        lambda: f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
        lambda: f"0{rng.randint(10, 999)}-{rng.randint(10**6, 10**8)}",
        lambda: str(rng.randint(10**5, 10**13)),
    ]
    return [rng.choice(shapes)() for _ in range(count)]


@pytest.mark.parametrize("region", ["CN", "US", "HK", None])
def test_fast_path_equals_phonenumbers(region: str | None) -> None:
    normaliser = PhoneNormaliser(region)
    for raw in _generated(sum(map(ord, region or "-")), 3000):
        fast = normaliser.normalise(raw)
        got = fast if isinstance(fast, str) else fast.e164
        expected = _slow(raw, region)
        if expected == "error":
            assert isinstance(got, str), raw
            assert got != INVALID, raw
        else:
            assert got == expected, raw


def test_region_codes() -> None:
    assert is_valid_region("cn")
    assert is_valid_region("HK")
    assert not is_valid_region("XX")
