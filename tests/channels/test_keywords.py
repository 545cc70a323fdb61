"""Twilio SMS keywords: exact single words only, and the YES ambiguity."""

from __future__ import annotations

import pytest

from channels.base import Control
from channels.keywords import match_keyword, normalise_keyword


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        *[
            (word, Control.STOP)
            for word in ("STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL")
        ],
        *[(word, Control.STOP) for word in ("退订", "退訂", "TD", "td")],
        ("START", Control.START),
        ("UNSTOP", Control.START),
        ("HELP", Control.HELP),
        ("INFO", Control.HELP),
        ("stop", Control.STOP),
        ("Stop", Control.STOP),
        ("  stop  ", Control.STOP),
        ("STOP!", Control.STOP),
        ("stop.", Control.STOP),
        ("“STOP”", Control.STOP),
        ("ＳＴＯＰ", Control.STOP),  # full-width letters from a Chinese keyboard
        ("退订。", Control.STOP),
        ("help?", Control.HELP),
        ("STOP PLEASE", None),
        ("please stop", None),
        ("STOP STOP", None),
        ("stopped", None),
        ("TDD", None),
        ("不要退订", None),
        ("3", None),
        ("", None),
        (None, None),
    ],
)
def test_only_an_exact_single_keyword_triggers(body: str | None, expected: Control | None) -> None:
    assert match_keyword(body) is expected


@pytest.mark.parametrize(
    ("body", "opted_out", "expected"),
    [
        ("YES", False, None),  # an answer to a yes/no question
        ("yes", False, None),
        ("YES", True, Control.START),  # an opted-out sender opting back in
        ("yes!", True, Control.START),
        ("START", False, Control.START),
        ("STOP", True, Control.STOP),
    ],
)
def test_yes_is_opt_in_only_for_an_opted_out_sender(
    body: str, opted_out: bool, expected: Control | None
) -> None:
    assert match_keyword(body, opted_out=opted_out) is expected


def test_normalise_trims_punctuation_and_space_only_at_the_ends() -> None:
    assert normalise_keyword(" ¡stop! ") == "STOP"
    assert normalise_keyword("st-op") == "ST-OP"
