"""Language columns of XLSForms: ``label::English (en)``, ``label::French``, ``label::العربية``.

XLSForm names a language freely; only the form ``Name (code)`` is machine-readable. We accept a
code in parentheses, a bare code, or a language name in English or in the language itself.
"""

from __future__ import annotations

import re

# Names (lower case, in English and in the language itself) -> BCP 47 tag.
_NAMES: dict[str, str] = {
    "english": "en",
    "anglais": "en",
    "inglés": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "arabic": "ar",
    "العربية": "ar",
    "عربي": "ar",
    "عربى": "ar",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "portuguese": "pt",
    "português": "pt",
    "portugues": "pt",
    "swahili": "sw",
    "kiswahili": "sw",
    "indonesian": "id",
    "bahasa indonesia": "id",
    "bahasa": "id",
    "malay": "ms",
    "bahasa melayu": "ms",
    "chinese": "zh",
    "中文": "zh",
    "chinese (simplified)": "zh-Hans",
    "simplified chinese": "zh-Hans",
    "简体中文": "zh-Hans",
    "chinese (traditional)": "zh-Hant",
    "traditional chinese": "zh-Hant",
    "繁體中文": "zh-Hant",
    "繁体中文": "zh-Hant",
    "russian": "ru",
    "русский": "ru",
    "ukrainian": "uk",
    "українська": "uk",
    "hindi": "hi",
    "हिन्दी": "hi",
    "hindī": "hi",
    "bengali": "bn",
    "bangla": "bn",
    "বাংলা": "bn",
    "urdu": "ur",
    "اردو": "ur",
    "nepali": "ne",
    "नेपाली": "ne",
    "amharic": "am",
    "አማርኛ": "am",
    "tigrinya": "ti",
    "oromo": "om",
    "afaan oromoo": "om",
    "somali": "so",
    "soomaali": "so",
    "hausa": "ha",
    "yoruba": "yo",
    "igbo": "ig",
    "kinyarwanda": "rw",
    "luganda": "lg",
    "chichewa": "ny",
    "zulu": "zu",
    "xhosa": "xh",
    "afrikaans": "af",
    "lingala": "ln",
    "wolof": "wo",
    "fulfulde": "ff",
    "bambara": "bm",
    "malagasy": "mg",
    "turkish": "tr",
    "türkçe": "tr",
    "kurdish": "ku",
    "kurdî": "ku",
    "sorani": "ckb",
    "کوردی": "ckb",
    "kurmanji": "kmr",
    "persian": "fa",
    "farsi": "fa",
    "فارسی": "fa",
    "dari": "prs",
    "دری": "prs",
    "pashto": "ps",
    "پښتو": "ps",
    "hebrew": "he",
    "עברית": "he",
    "german": "de",
    "deutsch": "de",
    "italian": "it",
    "italiano": "it",
    "dutch": "nl",
    "nederlands": "nl",
    "polish": "pl",
    "polski": "pl",
    "romanian": "ro",
    "greek": "el",
    "ελληνικά": "el",
    "thai": "th",
    "ไทย": "th",
    "vietnamese": "vi",
    "tiếng việt": "vi",
    "khmer": "km",
    "lao": "lo",
    "burmese": "my",
    "myanmar": "my",
    "tagalog": "tl",
    "filipino": "fil",
    "japanese": "ja",
    "日本語": "ja",
    "korean": "ko",
    "한국어": "ko",
    "tamil": "ta",
    "தமிழ்": "ta",
    "sinhala": "si",
    "haitian creole": "ht",
    "kreyòl": "ht",
    "quechua": "qu",
    "tetum": "tet",
    "armenian": "hy",
    "georgian": "ka",
    "azerbaijani": "az",
    "uzbek": "uz",
    "kazakh": "kk",
    "tajik": "tg",
    "kyrgyz": "ky",
    "mongolian": "mn",
}

# Tag -> English name used in exported column headers.
_EXPORT_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "French",
    "ar": "Arabic",
    "es": "Spanish",
    "pt": "Portuguese",
    "sw": "Swahili",
    "id": "Indonesian",
    "ms": "Malay",
    "zh": "Chinese",
    "zh-Hans": "Simplified Chinese",
    "zh-Hant": "Traditional Chinese",
    "ru": "Russian",
    "uk": "Ukrainian",
    "hi": "Hindi",
    "bn": "Bengali",
    "ur": "Urdu",
    "ne": "Nepali",
    "am": "Amharic",
    "so": "Somali",
    "ha": "Hausa",
    "tr": "Turkish",
    "fa": "Persian",
    "de": "German",
    "it": "Italian",
    "nl": "Dutch",
    "th": "Thai",
    "vi": "Vietnamese",
    "ja": "Japanese",
    "ko": "Korean",
}

_CODE_IN_PARENS = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\s*\)\s*$")
_BARE_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def normalise_tag(tag: str) -> str:
    """Return ``tag`` in BCP 47 case: ``EN`` -> ``en``, ``zh-hans`` -> ``zh-Hans``, ``pt_br`` -> ``pt-BR``."""
    parts = re.split(r"[-_]", tag.strip())
    result = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            result.append(part.title())
        elif len(part) == 2 and part.isalpha():
            result.append(part.upper())
        else:
            result.append(part.lower())
    return "-".join(result)


def language_code(column_language: str) -> str | None:
    """Return the language tag a column's language part names, or None when it is not recognised.

    ``English (en)`` -> ``en``; ``Indonesian(id)`` -> ``id``; ``French`` -> ``fr``;
    ``العربية`` -> ``ar``; ``zh-Hans`` -> ``zh-Hans``.
    """
    text = " ".join(column_language.split())
    match = _CODE_IN_PARENS.search(text)
    if match:
        return normalise_tag(match.group(1))
    lowered = text.lower()
    if lowered in _NAMES:
        return _NAMES[lowered]
    if _BARE_CODE.match(text) and lowered not in ("default",):
        return normalise_tag(text)
    return None


def column_language(tag: str) -> str:
    """Return the XLSForm language name for ``tag``, in the machine-readable ``Name (code)`` form."""
    name = _EXPORT_NAMES.get(tag) or _EXPORT_NAMES.get(tag.split("-")[0]) or tag
    return f"{name} ({tag})"
