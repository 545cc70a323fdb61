"""Automated phone calls (IVR): spoken prompts, keypad and speech answers, TwiML built with the SDK.

Voices, by interview language (Twilio ``<Say voice language>``; ``<Gather language>`` is the
speech-recognition language and is only sent when speech input is on):

=========  ============================  ==============  ===================
Language   Say ``voice``                 Say ``language``  Gather ``language``
=========  ============================  ==============  ===================
en         ``Polly.Joanna``              ``en-US``         ``en-US``
zh-Hans    ``Polly.Zhiyu``               ``cmn-CN``        ``cmn-Hans-CN``
zh-Hant    ``Google.cmn-TW-Standard-A``  ``cmn-TW``        ``cmn-Hant-TW``
=========  ============================  ==============  ===================

Amazon Polly has no Taiwanese Mandarin voice, hence Google's for zh-Hant. Other languages fall
back to English; pass ``voices=`` to :class:`IvrChannel` to change the table.

Keypad conventions:

* options, scale points and yes (1) / no (2) are pressed by their key; a single keypress
  completes the answer when every key is one digit, otherwise the caller ends with ``#``;
* several options: their keys one after another (``135#``), or separated by ``*`` when some key
  has two digits (``1*12#``);
* numbers are whole numbers typed then ``#``; dates are eight digits ``YYYYMMDD`` then ``#``;
  a matrix takes one digit per row, in row order, then ``#``;
* Don't know / Refused use the engine's keys (8 / 9, doubled where an option has that key); on
  questions answered with free digits they are ``*8`` / ``*9``, so that 8 stays a number;
* ``*`` alone repeats the question; no input also repeats it (after "we did not get your
  answer"). ``0`` is always an answer (NPS 0), never a control: there is no operator to reach.
* "Other (please specify)" is not offered on the keypad (its text cannot be typed); with speech
  on, saying the answer picks an option by its label or records the words as Other.
* Spoken answers (``ivr_speech``, and always for text questions) are read like SMS replies.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from twilio.twiml.voice_response import VoiceResponse

from channels.base import (
    KEYED_TYPES,
    Control,
    Inbound,
    Outbound,
    ParsedInbound,
    register,
    single_question,
    special_keys,
)
from channels.sms import key_range, parse_text
from channels.texts import join, language_family, text
from channels.words import fold, yes_no
from questionnaires.media import spoken_seconds
from questionnaires.messages import message
from questionnaires.state import QuestionView, Reply, Step

SPEECH_TYPES = frozenset({"text", "long_text"})


@dataclass(frozen=True, slots=True)
class Voice:
    """A text-to-speech voice and the matching recognition language."""

    voice: str
    language: str
    speech_language: str


VOICES: Mapping[str, Voice] = {
    "en": Voice("Polly.Joanna", "en-US", "en-US"),
    "zh-Hans": Voice("Polly.Zhiyu", "cmn-CN", "cmn-Hans-CN"),
    "zh-Hant": Voice("Google.cmn-TW-Standard-A", "cmn-TW", "cmn-Hant-TW"),
}


def voice_for(language: str, voices: Mapping[str, Voice] = VOICES) -> Voice:
    """Return the voice for ``language`` (its family, else English)."""
    return voices.get(language) or voices.get(language_family(language)) or VOICES["en"]


@dataclass(frozen=True, slots=True)
class GatherSpec:
    """How to collect the answer: Twilio ``<Gather>`` attributes."""

    input: str = "dtmf"
    """``dtmf``, or ``dtmf speech`` when spoken answers are accepted."""
    num_digits: int | None = 1
    """Complete after this many keys; None to wait for ``finish_on_key``."""
    finish_on_key: str | None = None
    timeout: int = 5
    language: str | None = None
    """Speech-recognition language, set only with speech input."""
    hints: str | None = None
    """Words the recogniser should expect (the option labels)."""
    speech_timeout: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrPrompt(Outbound):
    """What to say (``text``), in which voice, and how to collect the answer (None: just say it)."""

    voice: Voice
    gather: GatherSpec | None
    seconds: float
    """Estimated speaking time; prompts over ``questionnaires.media.MAX_SPOKEN_SECONDS`` lose callers."""


def ivr_special_keys(question: QuestionView) -> dict[str, str]:
    """Return the key sequence of each special answer on the keypad (``8``, ``88`` or ``*8``)."""
    if question.type in KEYED_TYPES:
        return special_keys(question)
    return {s.code: "*" + s.key for s in question.special}


def spoken_key(key: str, language: str) -> str:
    """Return a key sequence as spoken (``*8`` -> "star 8")."""
    return text("ivr_star", language, key=key[1:]) if key.startswith("*") else key


def _menu(entries: list[tuple[str, str]], language: str) -> str:
    parts = [
        text("ivr_option", language, label=label, key=spoken_key(key, language)) for label, key in entries
    ]
    if language_family(language) == "en":
        return " ".join(parts)
    joined = "".join(parts)
    return joined[:-1] + "。" if joined.endswith("，") else joined


def _specials_menu(question: QuestionView, language: str) -> str:
    keys = ivr_special_keys(question)
    return _menu([(s.label, keys[s.code]) for s in question.special], language)


def _sentence(words: str, language: str) -> str:
    """End ``words`` with a full stop unless it already ends with punctuation (a pause when spoken)."""
    words = words.strip()
    if not words or unicodedata.category(words[-1]).startswith("P"):
        return words
    return words + text("full_stop", language)


def compose(question: QuestionView, language: str) -> str:
    """Return the spoken prompt: ``ivr_prompt`` as written, else the text with keypad instructions."""
    if question.ivr_prompt:
        return question.ivr_prompt
    kind = question.type
    parts = [_sentence(question.text, language)]
    labelled = any(c.label != c.key for c in question.choices)
    if kind in ("single_choice", "multiple_choice", "yes_no") or (kind in ("rating", "nps") and labelled):
        parts.append(_menu([(c.label, c.key) for c in question.choices], language))
        if kind == "multiple_choice":
            parts.append(text("ivr_multiple", language))
        elif any(len(c.key) > 1 for c in question.choices):
            parts.append(text("ivr_pound", language))
    elif kind in ("rating", "nps"):
        low, high = question.scale_min or 0, question.scale_max or 0
        two_digits = len(str(high)) > 1
        parts.append(text("ivr_scale_pound" if two_digits else "ivr_scale", language, low=low, high=high))
        if question.low_label and question.high_label:
            parts.append(
                text(
                    "ivr_scale_ends",
                    language,
                    low=low,
                    high=high,
                    low_label=question.low_label,
                    high_label=question.high_label,
                )
            )
    elif kind == "numeric":
        parts.append(text("ivr_number", language))
    elif kind == "date":
        parts.append(text("ivr_date", language))
    elif kind == "matrix":
        low, high = key_range(question.choices) or (0, 0)
        if labelled:
            parts.append(_menu([(c.label, c.key) for c in question.choices], language))
        items = join([item.label for item in question.items], language)
        parts.append(text("ivr_matrix", language, low=low, high=high, items=items))
    elif kind in SPEECH_TYPES:
        parts.append(text("ivr_speak", language))
    if question.special:
        parts.append(_specials_menu(question, language))
    separator = " " if language_family(language) == "en" else ""
    return separator.join(p for p in parts if p)


def gather_spec(question: QuestionView, voice: Voice) -> GatherSpec:
    """Return how to collect the answer to ``question``."""
    kind = question.type
    speech = question.ivr_speech or kind in SPEECH_TYPES
    specials = ivr_special_keys(question)
    num_digits: int | None
    finish: str | None = "#"
    if kind in KEYED_TYPES and kind != "multiple_choice":
        longest = max([len(c.key) for c in question.choices] + [len(k) for k in specials.values()])
        num_digits = longest
        finish = None if longest == 1 else "#"
    elif kind == "date" and not specials:
        num_digits = 8
    elif kind == "matrix" and not specials:
        num_digits = len(question.items)
    elif kind == "numeric" and not specials and question.max is not None and (question.min or 0) >= 0:
        num_digits = len(str(int(question.max)))
    else:
        num_digits = None
    hints = join([c.label for c in question.choices if c.label != c.key], "en") if speech else None
    return GatherSpec(
        input="dtmf speech" if speech else "dtmf",
        num_digits=num_digits,
        finish_on_key=finish,
        language=voice.speech_language if speech else None,
        hints=hints or None,
        speech_timeout="auto" if speech else None,
    )


def reprompt(question: QuestionView, language: str) -> str:
    """Return what to say after an unusable answer: which keys are possible."""
    kind = question.type
    if kind in KEYED_TYPES:
        low, high = key_range(question.choices) or (0, 0)
        return text("ivr_err_choice", language, low=low, high=high)
    if kind == "numeric":
        return message("not_a_number", language, example="12")
    if kind == "date":
        return text("ivr_err_digits", language, n=8)
    if kind == "matrix":
        return text("ivr_err_digits", language, n=len(question.items))
    return text("ivr_err_speak", language)


def _digits_reply(question: QuestionView, digits: str) -> Reply | None:
    kind = question.type
    by_key = {c.key: c.code for c in question.choices}
    if kind in KEYED_TYPES and kind != "multiple_choice" and digits in by_key:
        return Reply(value=by_key[digits])
    for code, key in ivr_special_keys(question).items():
        if digits == key:
            return Reply(special=code)
    if kind in ("rating", "nps") and digits.isdigit():
        return Reply(value=str(int(digits)))  # out of range: the engine says which values are possible
    if kind == "multiple_choice":
        keys = digits.split("*") if "*" in digits else list(digits)
        codes = [by_key.get(k) for k in keys if k]
        if codes and all(codes):
            return Reply(value=tuple(dict.fromkeys(c for c in codes if c)))
        return None
    if kind == "numeric" and digits.isdigit():
        return Reply(value=digits)
    if kind == "date" and digits.isdigit() and len(digits) == 8:
        return Reply(value=f"{digits[:4]}-{digits[4:6]}-{digits[6:]}")
    if kind == "matrix" and len(digits) == len(question.items) and all(d in by_key for d in digits):
        return Reply(value={item.code: by_key[d] for item, d in zip(question.items, digits, strict=True)})
    return None


class IvrChannel:
    """Automated calls: one spoken question per step, answered on the keypad or by voice."""

    name: ClassVar[str] = "ivr"

    def __init__(self, voices: Mapping[str, Voice] = VOICES) -> None:
        self.voices = voices

    def render(self, step: Step, language: str) -> IvrPrompt:
        """Return the prompt for ``step``: the question and its keys, a statement, or goodbye."""
        voice = voice_for(language, self.voices)
        if step.done:
            return self._prompt(text("ivr_goodbye", language), language, voice, None)
        question = single_question(step, self.name)
        if question is None:
            spoken = " ".join(q.ivr_prompt or q.text for q in step.questions)
            return self._prompt(spoken, language, voice, None)
        return self._prompt(compose(question, language), language, voice, gather_spec(question, voice))

    @staticmethod
    def _prompt(spoken: str, language: str, voice: Voice, gather: GatherSpec | None) -> IvrPrompt:
        return IvrPrompt(
            channel="ivr",
            language=language,
            text=spoken,
            expects_reply=gather is not None,
            voice=voice,
            gather=gather,
            seconds=spoken_seconds(spoken),
        )

    def parse(self, step: Step, inbound: Inbound, language: str) -> ParsedInbound:
        """Map keys pressed (``inbound.digits``) or words said (``inbound.speech``) to a reply."""
        digits = (inbound.digits or "").strip().removesuffix("#")
        if digits == "*":
            return ParsedInbound(control=Control.REPEAT)
        question = single_question(step, self.name) if not step.done else None
        if question is None:
            return ParsedInbound()  # a statement was heard: move on
        if digits:
            reply = _digits_reply(question, digits)
            if reply is None:
                return ParsedInbound(error=reprompt(question, language))
            return ParsedInbound(replies={question.id: reply})
        if inbound.speech and inbound.speech.strip():
            parsed = parse_text(inbound.speech, step, language, opted_out=False, channel=self.name)
            if parsed.error is not None:
                return ParsedInbound(error=reprompt(question, language))
            return parsed
        return ParsedInbound(control=Control.REPEAT)  # no input: say the question again


def parse_consent(inbound: Inbound) -> bool | None:
    """Read the answer to :func:`twiml_intro`: True for 1 / yes, False for 2 / no, None otherwise."""
    digits = (inbound.digits or "").strip()
    if digits in ("1", "2"):
        return digits == "1"
    said = yes_no(fold(inbound.speech or ""))
    return None if said is None else said == "yes"


def _say(target: VoiceResponse, spoken: str, voice: Voice) -> None:
    target.say(spoken, voice=voice.voice, language=voice.language)


def twiml_question(
    prompt: IvrPrompt, action_url: str, *, repeat_url: str | None = None, method: str = "POST"
) -> str:
    """Return TwiML asking ``prompt``: Say inside Gather, then "we did not get your answer" and Redirect.

    Without input Twilio falls through to the Redirect (``repeat_url``, default ``action_url``),
    whose request carries no ``Digits``: :meth:`IvrChannel.parse` reads that as REPEAT. Count the
    repeats in the application and hang up after a few. A statement (no gather) is said and
    followed by a Redirect to ``action_url`` to move on.
    """
    response = VoiceResponse()
    spec = prompt.gather
    if spec is None:
        _say(response, prompt.text, prompt.voice)
        response.redirect(action_url, method=method)
        return str(response)
    gather = response.gather(
        action=action_url,
        method=method,
        input=spec.input,
        num_digits=spec.num_digits,
        finish_on_key=spec.finish_on_key,
        timeout=spec.timeout,
        language=spec.language,
        hints=spec.hints,
        speech_timeout=spec.speech_timeout,
    )
    _say(gather, prompt.text, prompt.voice)
    _say(response, text("ivr_no_input", prompt.language), prompt.voice)
    response.redirect(repeat_url or action_url, method=method)
    return str(response)


def twiml_message(
    spoken: str, language: str, *, hangup: bool = True, voices: Mapping[str, Voice] = VOICES
) -> str:
    """Return TwiML saying ``spoken`` in the voice of ``language``, then hanging up (unless told not to)."""
    response = VoiceResponse()
    _say(response, spoken, voice_for(language, voices))
    if hangup:
        response.hangup()
    return str(response)


def twiml_intro(
    intro: str,
    language: str,
    action_url: str,
    *,
    repeat_url: str | None = None,
    method: str = "POST",
    voices: Mapping[str, Voice] = VOICES,
) -> str:
    """Return TwiML reading the introduction and asking consent: 1 to start, 2 to decline.

    Read the answer with :func:`parse_consent`.
    """
    voice = voice_for(language, voices)
    response = VoiceResponse()
    gather = response.gather(
        action=action_url,
        method=method,
        input="dtmf speech",
        num_digits=1,
        timeout=5,
        language=voice.speech_language,
        speech_timeout="auto",
    )
    _say(gather, intro, voice)
    _say(gather, text("ivr_consent", language), voice)
    _say(response, text("ivr_no_input", language), voice)
    response.redirect(repeat_url or action_url, method=method)
    return str(response)


def twiml_goodbye(language: str, spoken: str | None = None, *, voices: Mapping[str, Voice] = VOICES) -> str:
    """Return TwiML thanking the caller (or saying ``spoken``, e.g. the survey's thank-you) and hanging up."""
    return twiml_message(spoken or text("ivr_goodbye", language), language, voices=voices)


register(IvrChannel)
