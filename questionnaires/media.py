"""Limits of the media a question is delivered through: SMS segments, spoken prompt length."""

from __future__ import annotations

# The GSM 03.38 basic alphabet plus its extension table (extension characters take two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7_SINGLE_SEGMENT = 160
UCS2_SINGLE_SEGMENT = 70
# Text-to-speech runs at roughly 150 words (or 250 Chinese characters) a minute; 40 s is the most
# a respondent will listen to before pressing a key.
MAX_SPOKEN_SECONDS = 40


def is_gsm7(text: str) -> bool:
    """Return True when ``text`` can be sent in the 7-bit GSM alphabet."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def sms_length(text: str) -> int:
    """Return the length as the network counts it: extension characters count twice in GSM-7."""
    if is_gsm7(text):
        return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    # UCS-2 counts UTF-16 code units: characters outside the BMP (emoji) take two.
    return len(text.encode("utf-16-le")) // 2


def sms_segment_limit(text: str) -> tuple[int, str]:
    """Return the one-segment character limit for ``text`` and the encoding it needs."""
    if is_gsm7(text):
        return GSM7_SINGLE_SEGMENT, "GSM-7"
    return UCS2_SINGLE_SEGMENT, "UCS-2"


def sms_segments(text: str) -> int:
    """Return how many SMS segments ``text`` takes (concatenated segments carry a header)."""
    length = sms_length(text)
    single, _ = sms_segment_limit(text)
    if length <= single:
        return 1
    per_part = 153 if single == GSM7_SINGLE_SEGMENT else 67
    return -(-length // per_part)


def spoken_seconds(text: str) -> float:
    """Estimate how long a text-to-speech voice takes to say ``text``."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    words = len(text.split()) if cjk == 0 else 0
    return cjk / 250 * 60 + words / 150 * 60


def ivr_prompt_too_long(text: str) -> bool:
    """Return True when a spoken prompt would run past what a caller listens to."""
    return spoken_seconds(text) > MAX_SPOKEN_SECONDS
