"""The inputs of a sample design, as the web page and the CLI collect them.

:class:`DesignSpec` is what is stored with a draw (``SampleDraw.design["spec"]``): with the frame
and the seed it reproduces the draw. :func:`parse_per_stratum` reads the per-stratum values both
interfaces accept as ``stratum = value`` lines (``north / female = 1.8``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from survey_app.sampling.design import METHODS

#: Contact fields usable as stratification variables besides any attribute of the frame.
CONTACT_FIELDS = ("stakeholder_group", "language", "timezone")
#: Joins the values of several stratification variables into one stratum label.
LABEL_SEPARATOR = " / "
#: The label part of a contact with no value for a variable.
MISSING_VALUE = "(none)"
#: Stored Case.stratum and SampleStratum.stratum are at most this long.
MAX_LABEL = 200


class SampleError(ValueError):
    """A sampling request that cannot be carried out; ``field`` names the form field concerned."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


@dataclass(frozen=True)
class DesignSpec:
    """Everything a researcher chooses for a stratified draw.

    ``n`` is the number of completed interviews wanted (the issued sample is larger when response
    rates are given). ``stddev_wave``: ``(survey_id, answer key)`` of a previous wave whose
    completed interviews give ``S_h`` per stratum for neyman/optimal instead of ``stddev``.
    """

    frame_id: int
    by: tuple[str, ...]
    method: str = "proportional"
    n: int | None = None
    min_n: int = 0
    max_n: int | None = None
    power: float = 0.5
    stddev: dict[str, float] | None = None
    stddev_wave: tuple[int, str] | None = None
    cost: dict[str, float] | None = None
    fixed: dict[str, int] | None = None
    response_rate: float | dict[str, float] | None = None
    frequency_days: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise SampleError(
                _l("Choose one of the allocation methods: %(methods)s.", methods=", ".join(METHODS)), "method"
            )
        if not self.by:
            raise SampleError(_l("Choose at least one stratification variable."), "by")
        if len(set(self.by)) != len(self.by):
            raise SampleError(_l("Each stratification variable can be used only once."), "by")
        if self.frequency_days < 0:
            raise SampleError(_l("The contact-frequency rule needs 0 or more days."), "frequency_days")
        if self.min_n < 0 or (self.max_n is not None and self.max_n < 0):
            raise SampleError(_l("Minimum and maximum per stratum must be 0 or more."), "min_n")

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form, stored with the draw."""
        return {
            "frame_id": self.frame_id,
            "by": list(self.by),
            "method": self.method,
            "n": self.n,
            "min_n": self.min_n,
            "max_n": self.max_n,
            "power": self.power,
            "stddev": self.stddev,
            "stddev_wave": list(self.stddev_wave) if self.stddev_wave else None,
            "cost": self.cost,
            "fixed": self.fixed,
            "response_rate": self.response_rate,
            "frequency_days": self.frequency_days,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DesignSpec:
        """Inverse of :meth:`to_dict`."""
        wave = data.get("stddev_wave")
        return cls(
            frame_id=int(data["frame_id"]),
            by=tuple(data["by"]),
            method=str(data["method"]),
            n=data.get("n"),
            min_n=int(data.get("min_n") or 0),
            max_n=data.get("max_n"),
            power=float(data.get("power", 0.5)),
            stddev=data.get("stddev"),
            stddev_wave=(int(wave[0]), str(wave[1])) if wave else None,
            cost=data.get("cost"),
            fixed=data.get("fixed"),
            response_rate=data.get("response_rate"),
            frequency_days=int(data.get("frequency_days") or 0),
        )


def parse_by(text: str) -> tuple[str, ...]:
    """``"region, segment"`` -> ``("region", "segment")`` (blank parts ignored)."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_per_stratum(lines: Iterable[str], what: str, *, whole: bool = False) -> dict[str, float]:
    """Read ``stratum = value`` lines (blank lines skipped) into a dict.

    The value follows the last ``=``, so labels may contain one.

    :param what: the form field, named in errors.
    :raises SampleError: a line without ``=``, an empty label, a repeated stratum or a bad number.
    """
    values: dict[str, float] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        label, sep, value = line.rpartition("=")
        label = label.strip()
        if not sep or not label:
            raise SampleError(
                _l('Line %(line)d: write "stratum = value" (found "%(text)s").', line=number, text=line), what
            )
        if label in values:
            raise SampleError(
                _l("Line %(line)d: stratum %(stratum)s is given twice.", line=number, stratum=label), what
            )
        try:
            parsed = float(value.strip())
        except ValueError:
            parsed = math.nan
        if not math.isfinite(parsed) or (whole and not parsed.is_integer()):
            kind = _l("a whole number") if whole else _l("a number")
            raise SampleError(
                _l(
                    'Line %(line)d: "%(value)s" is not %(kind)s.',
                    line=number,
                    value=value.strip(),
                    kind=kind,
                ),
                what,
            )
        values[label] = parsed
    return values


def stratum_label(values: Iterable[object]) -> str:
    """The label of the stratum of a contact with these values of the stratification variables."""
    return LABEL_SEPARATOR.join(MISSING_VALUE if v is None or v == "" else str(v) for v in values)
