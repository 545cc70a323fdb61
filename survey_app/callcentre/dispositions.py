"""The agent-facing call outcomes, their AAPOR codes (``fieldwork-standards.md`` §1.2) and what
each does to the case.

``Effect`` says what happens next: ``retry`` (try again later, in another day part), ``callback``
(an appointment at the time the respondent gave), ``conversion`` (a soft refusal: one more attempt
by another agent after a delay; a second refusal ends the case), ``final`` and ``opt_out`` (final,
and the number goes on the do-not-call list).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

#: queXS-style delays: no answer 3 h, refusal conversion 7 days.
RETRY_DELAY = dt.timedelta(hours=3)
CONVERSION_DELAY = dt.timedelta(days=7)


class Effect(enum.StrEnum):
    """What an outcome does to the case."""

    retry = "retry"
    callback = "callback"
    conversion = "conversion"
    final = "final"
    opt_out = "opt_out"


@dataclass(frozen=True)
class Disposition:
    """One choice of the agent's outcome list."""

    key: str
    label: object
    aapor: str
    effect: Effect


DISPOSITIONS: tuple[Disposition, ...] = (
    Disposition("no_answer", _l("No answer"), "3.13", Effect.retry),
    Disposition("busy", _l("Busy"), "3.12", Effect.retry),
    Disposition("machine_no_message", _l("Answering machine, no message left"), "2.221", Effect.retry),
    Disposition("machine_message", _l("Answering machine, message left"), "2.222", Effect.retry),
    Disposition("technical", _l("Technical phone problem"), "3.16", Effect.retry),
    Disposition("callback", _l("Callback appointment"), "2.21", Effect.callback),
    Disposition("soft_refusal", _l("Soft refusal (not now)"), "2.112", Effect.conversion),
    Disposition("hard_refusal", _l("Hard refusal"), "2.112", Effect.opt_out),
    Disposition("do_not_call", _l("Do not call me again"), "2.112", Effect.opt_out),
    Disposition("break_off", _l("Break-off during the interview"), "2.12", Effect.final),
    Disposition("language_barrier", _l("Language barrier"), "2.332", Effect.final),
    Disposition("unable", _l("Physically or mentally unable"), "2.32", Effect.final),
    Disposition("wrong_number", _l("Wrong number (person not known there)"), "3.30", Effect.final),
    Disposition("disconnected", _l("Number not in service"), "4.32", Effect.final),
    Disposition("not_eligible", _l("Not eligible"), "4.70", Effect.final),
    Disposition("complete", _l("Complete"), "1.1", Effect.final),
)
BY_KEY = {d.key: d for d in DISPOSITIONS}
#: Outcomes that are a refusal: after a soft refusal, any of them ends the case.
REFUSALS = frozenset({"soft_refusal", "hard_refusal", "do_not_call"})
#: Outcomes in which the agent spoke with someone at the number (the supervisor's "contacts").
CONTACTS = REFUSALS | {
    "complete",
    "break_off",
    "callback",
    "language_barrier",
    "unable",
    "wrong_number",
    "not_eligible",
}


def aapor_category(code: str) -> str:
    """The rate category of a detailed AAPOR code (I, P, R, NC, O, UH, UO, NE)."""
    if code.startswith("1.1"):
        return "I"
    if code.startswith("1.2"):
        return "P"
    if code.startswith("2.1"):
        return "R"
    if code.startswith("2.2"):
        return "NC"
    if code.startswith("2."):
        return "O"
    if code.startswith("3.1"):
        return "UH"
    if code.startswith("3."):
        return "UO"
    return "NE"


def exhausted_code(codes: list[str]) -> str:
    """The final code of a case whose attempts ran out: the latest eligible-contact code (2.x)
    when there was one (it tells more than "no answer"), else the latest code."""
    for code in reversed(codes):
        if code.startswith("2."):
            return code
    return codes[-1] if codes else "3.11"
