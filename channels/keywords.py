"""SMS keywords: Twilio's opt-out, opt-in and help words, plus the Chinese ones we add.

Twilio's defaults (Advanced Opt-Out, fieldwork standards §4):

============  ==============================================================  =============
Control       Keywords                                                        Source
============  ==============================================================  =============
``STOP``      STOP, UNSUBSCRIBE, END, QUIT, STOPALL, REVOKE, OPTOUT, CANCEL   Twilio
``STOP``      退订, 退訂, TD (the unsubscribe reply used in mainland China)    ours
``START``     START, YES, UNSTOP                                              Twilio
``HELP``      HELP, INFO                                                      Twilio
============  ==============================================================  =============

Only a message that is exactly one keyword triggers, compared case-insensitively after trimming
white space and punctuation around it (``" stop! "`` does; ``"STOP PLEASE"`` does not). Twilio
replies to these words itself unless the account disables it; the application must still record
an opt-out, because the message also reaches our webhook.

``YES`` is ambiguous: it is an opt-in keyword and also an answer to a yes/no question. It is read
as opt-in only when the sender is currently opted out (the caller passes ``opted_out``), since an
opted-out contact is not being asked questions; otherwise it is an answer.
"""

from __future__ import annotations

import unicodedata

from channels.base import Control

OPT_OUT = frozenset({"STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL"})
OPT_OUT_ZH = frozenset({"退订", "退訂", "TD"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})
AMBIGUOUS_OPT_IN = frozenset({"YES"})
"""Opt-in keywords that are also answers: opt-in only for an opted-out sender."""


def _is_trimmable(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def normalise_keyword(text: str) -> str:
    """Return ``text`` as compared with keywords: NFKC, punctuation and space trimmed, upper case."""
    folded = unicodedata.normalize("NFKC", text)
    start, end = 0, len(folded)
    while start < end and _is_trimmable(folded[start]):
        start += 1
    while end > start and _is_trimmable(folded[end - 1]):
        end -= 1
    return folded[start:end].upper()


def match_keyword(text: str | None, *, opted_out: bool = False) -> Control | None:
    """Return the control an SMS keyword asks for, or None when ``text`` is not exactly a keyword."""
    if not text:
        return None
    word = normalise_keyword(text)
    if word in OPT_OUT or word in OPT_OUT_ZH:
        return Control.STOP
    if word in HELP:
        return Control.HELP
    if word in AMBIGUOUS_OPT_IN:
        return Control.START if opted_out else None
    if word in OPT_IN:
        return Control.START
    return None
