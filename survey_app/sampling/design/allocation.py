"""Allocation of a total sample size ``n`` to strata.

Every method is one optimisation problem (Cochran 1977, ch. 5; stratallo's ``opt``)::

    minimise   sum_h A_h**2 / n_h
    subject to sum_h n_h = n  and  m_h <= n_h <= M_h

with the *allocation measure* ``A_h``:

============  ==============================  ===========================================
method        A_h                             real-valued target without bounds
============  ==============================  ===========================================
equal         1                               n / H
proportional  N_h                             n N_h / N
power         N_h ** a   (Bankier 1988)       n N_h^a / sum N_k^a  (a = 0.5: square root)
neyman        N_h S_h                         n N_h S_h / sum N_k S_k
optimal       N_h S_h / sqrt(c_h)             n (N_h S_h/sqrt c_h) / sum (N_k S_k/sqrt c_k)
fixed         (user gives n_h)                --
============  ==============================  ===========================================

``N_h`` is the stratum frame size, ``S_h`` the unit standard deviation of the key variable in the
stratum (divisor ``N_h - 1``), ``c_h`` the cost of one completed interview, ``M_h = min(N_h, max_n_h)``
(never more than the frame) and ``m_h`` the minimum per stratum (``min(min_n, N_h)`` for a scalar
``min_n``).

The KKT conditions give the exact bounded optimum ``n_h = clip(lambda * A_h, m_h, M_h)`` with the single
``lambda`` for which the ``n_h`` add up to ``n``.  ``sum_h clip(lambda A_h, m_h, M_h)`` is piecewise linear
and non-decreasing in ``lambda``, so :func:`lambda_clip` finds ``lambda`` exactly by walking the sorted
breakpoints ``m_h/A_h`` and ``M_h/A_h`` (no bisection).  With upper bounds only this is the classic
recursive Neyman / take-all cascade; with bounds on both sides it is *not* the same as fixing all the
violations of the unbounded solution in one pass (stratallo README), which is not optimal.

The real solution is rounded to integers by Hamilton's largest-remainder method
(:func:`round_hamilton`): every stratum gets ``floor(n_h)``, and the ``n - sum floor(n_h)`` leftover
units go to the strata with the largest fractional parts.  **Ties** (fractional parts equal to 9
decimals) go to the stratum that comes first in ``population``.  The bounds are whole numbers, so a
stratum pinned at a bound has no fractional part and keeps its bound.

Nothing is ever relaxed silently: every infeasible request raises :class:`AllocationError` with a
message that says what to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from survey_app.sampling.design import inputs as checks
from survey_app.sampling.design.optimum import AllocationError, lambda_clip, round_hamilton

__all__ = [
    "ALGORITHM_VERSION",
    "METHODS",
    "Allocation",
    "AllocationError",
    "StratumAllocation",
    "allocate",
    "lambda_clip",
    "round_hamilton",
]

#: Stored with every allocation; bump when the numbers an input produces could change.
ALGORITHM_VERSION = "allocate/1: lambda-clip KKT + Hamilton largest remainder (ties: stratum order)"

#: The allocation methods :func:`allocate` knows.
METHODS = ("equal", "proportional", "neyman", "optimal", "power", "fixed")


@dataclass(frozen=True)
class StratumAllocation:
    """One stratum of an :class:`Allocation`.

    Attributes:
        stratum: the stratum name (a key of ``population``).
        population: ``N_h``, the number of frame units in the stratum.
        lower: ``m_h``, the minimum sample size the solution had to respect.
        upper: ``M_h = min(N_h, max_n_h)``, the maximum.
        n_real: the exact real-valued bounded optimum ``clip(lambda A_h, m_h, M_h)``.
        n: the integer target number of completed interviews (Hamilton rounding of ``n_real``).
        issued: the number of frame units to draw: ``ceil(n / response_rate_h)`` capped at ``N_h``
            (equal to ``n`` when no response rate is given).
        take_all: every frame unit of the stratum is drawn (``issued == N_h > 0``): certainty stratum,
            weight 1, no sampling variance.
        design_weight: ``N_h / issued`` (the inverse inclusion probability of every drawn unit); exactly
            1 for a take-all stratum; ``None`` when nothing is drawn from the stratum.
        sampling_fraction: ``issued / N_h`` (0 for an empty stratum).
    """

    stratum: str
    population: int
    lower: int
    upper: int
    n_real: float
    n: int
    issued: int
    take_all: bool
    design_weight: float | None
    sampling_fraction: float

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-compatible)."""
        return {
            "stratum": self.stratum,
            "population": self.population,
            "lower": self.lower,
            "upper": self.upper,
            "n_real": self.n_real,
            "n": self.n,
            "issued": self.issued,
            "take_all": self.take_all,
            "design_weight": self.design_weight,
            "sampling_fraction": self.sampling_fraction,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StratumAllocation:
        """Inverse of :meth:`as_dict`."""
        weight = data["design_weight"]
        return cls(
            stratum=str(data["stratum"]),
            population=int(data["population"]),
            lower=int(data["lower"]),
            upper=int(data["upper"]),
            n_real=float(data["n_real"]),
            n=int(data["n"]),
            issued=int(data["issued"]),
            take_all=bool(data["take_all"]),
            design_weight=None if weight is None else float(weight),
            sampling_fraction=float(data["sampling_fraction"]),
        )


@dataclass(frozen=True)
class Allocation:
    """The result of :func:`allocate`: one :class:`StratumAllocation` row per stratum, in input order.

    Attributes:
        method: the allocation method used.
        strata: the per-stratum rows, in the order of ``population``.
        multiplier: the KKT multiplier ``lambda`` (``n_h = clip(lambda A_h, m_h, M_h)``); ``None`` for
            ``fixed``.
        inputs: every input of the call (JSON-compatible), so the allocation can be re-derived.
        algorithm_version: :data:`ALGORITHM_VERSION` at the time of the allocation.
    """

    method: str
    strata: tuple[StratumAllocation, ...]
    multiplier: float | None
    inputs: dict[str, Any] = field(hash=False, repr=False)
    algorithm_version: str = ALGORITHM_VERSION

    @property
    def n(self) -> int:
        """Total target sample size (completed interviews): ``sum n_h``."""
        return sum(row.n for row in self.strata)

    @property
    def n_issued(self) -> int:
        """Total number of frame units to draw: ``sum issued_h``."""
        return sum(row.issued for row in self.strata)

    @property
    def population_total(self) -> int:
        """Frame size ``N = sum N_h``."""
        return sum(row.population for row in self.strata)

    @property
    def sizes(self) -> dict[str, int]:
        """Integer target ``n_h`` per stratum."""
        return {row.stratum: row.n for row in self.strata}

    @property
    def issued_sizes(self) -> dict[str, int]:
        """Number of units to draw per stratum (what :func:`~survey_app.sampling.design.draw` uses)."""
        return {row.stratum: row.issued for row in self.strata}

    @property
    def take_all(self) -> tuple[str, ...]:
        """Names of the take-all (certainty) strata."""
        return tuple(row.stratum for row in self.strata if row.take_all)

    def __getitem__(self, stratum: str) -> StratumAllocation:
        """The row of one stratum."""
        for row in self.strata:
            if row.stratum == stratum:
                return row
        raise KeyError(stratum)

    def as_table(self) -> list[dict[str, Any]]:
        """One plain dict per stratum (for printing, a DataFrame or JSON)."""
        return [row.as_dict() for row in self.strata]

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form for storage; :meth:`from_dict` restores an equal object."""
        return {
            "algorithm_version": self.algorithm_version,
            "method": self.method,
            "n": self.n,
            "n_issued": self.n_issued,
            "multiplier": self.multiplier,
            "inputs": _jsonable(self.inputs),
            "strata": self.as_table(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Allocation:
        """Rebuild an allocation stored with :meth:`to_dict`."""
        multiplier = data.get("multiplier")
        return cls(
            method=str(data["method"]),
            strata=tuple(StratumAllocation.from_dict(row) for row in data["strata"]),
            multiplier=None if multiplier is None else float(multiplier),
            inputs=_jsonable(dict(data.get("inputs") or {})),
            algorithm_version=str(data.get("algorithm_version", ALGORITHM_VERSION)),
        )


def _jsonable(value: Any) -> Any:
    """Deep copy into plain dicts/lists (mappings keep their order)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------------
# allocate()
# --------------------------------------------------------------------------------------------------


def allocate(
    population: Mapping[str, int],
    n: int | None,
    method: str = "proportional",
    *,
    stddev: Mapping[str, float] | None = None,
    cost: Mapping[str, float] | None = None,
    power: float = 0.5,
    fixed: Mapping[str, int] | None = None,
    min_n: int | Mapping[str, int] = 0,
    max_n: Mapping[str, int] | None = None,
    response_rate: Mapping[str, float] | float | None = None,
) -> Allocation:
    """Allocate ``n`` completed interviews to strata, exactly optimal under the bounds, then round.

    Args:
        population: ``N_h`` per stratum (frame counts); the mapping order is the stratum order used for
            rounding ties and in the output.
        n: total number of completed interviews wanted.  For ``method="fixed"`` pass ``None`` (or the
            sum of ``fixed``): the sum of ``fixed`` is the total.
        method: ``"equal"``, ``"proportional"`` (``n_h`` ∝ ``N_h``), ``"neyman"`` (∝ ``N_h S_h``;
            needs ``stddev``), ``"optimal"`` (∝ ``N_h S_h / sqrt(c_h)``, minimum variance for a fixed
            ``n`` with costs ``c_h`` per completed interview -- SAS ``ALLOC=OPTIMAL``; needs ``stddev``
            and ``cost``), ``"power"`` (∝ ``N_h ** power``, Bankier 1988; 0.5 = square root, a
            compromise when strata are also reporting domains) or ``"fixed"`` (user-given ``n_h``).
        stddev: ``S_h`` per stratum (every stratum, >= 0) for neyman/optimal, from a previous wave or a
            pilot; for a proportion ``S_h = sqrt(N_h/(N_h-1) P_h (1-P_h))``.
        cost: ``c_h > 0`` per stratum for optimal.
        power: exponent ``a`` (0..1) for the power method.
        fixed: ``n_h`` per stratum for the fixed method (every stratum, ``0 <= n_h <= N_h``).
        min_n: minimum per stratum ``m``; a whole number applies to every stratum as
            ``m_h = min(m, N_h)`` (a stratum smaller than ``m`` is taken whole); a mapping gives
            ``m_h`` per stratum (missing strata: 0) and must not exceed ``N_h``.  Use ``m >= 2`` if a
            within-stratum variance must be estimable.
        max_n: maximum per stratum (missing strata: no maximum other than ``N_h``).
        response_rate: expected response rate ``0 < rr_h <= 1`` (one number or per stratum): the issued
            sample is ``ceil(n_h / rr_h)`` capped at ``N_h``.

    Returns:
        an :class:`Allocation` (real and integer ``n_h``, issued sample, take-all flags, weights).

    Raises:
        AllocationError: for every infeasible or malformed request (never relaxes a constraint).
    """
    if method not in METHODS:
        raise AllocationError(f"unknown allocation method {method!r}; use one of {', '.join(METHODS)}")
    names, sizes = checks.check_population(population)
    checks.check_unused(method, stddev=stddev, cost=cost, fixed=fixed)

    lower, upper = checks.bounds(names, sizes, min_n, max_n)
    multiplier: float | None
    if method == "fixed":
        targets = checks.check_fixed(names, sizes, fixed, n, lower, upper)
        total = sum(targets)
        reals = [float(t) for t in targets]
        multiplier = None
    else:
        total = checks.check_n(n)
        measures = checks.measures(method, names, sizes, stddev, cost, power)
        checks.check_feasible(names, measures, total, lower, upper, method)
        reals, multiplier = lambda_clip(measures, total, lower, upper)
        targets = round_hamilton(reals, total, upper)

    rates = checks.response_rates(names, response_rate)
    rows = []
    for h, name in enumerate(names):
        issued = checks.issued(targets[h], rates[h], sizes[h])
        big_n = sizes[h]
        rows.append(
            StratumAllocation(
                stratum=name,
                population=big_n,
                lower=lower[h],
                upper=upper[h],
                n_real=reals[h],
                n=targets[h],
                issued=issued,
                take_all=big_n > 0 and issued == big_n,
                design_weight=None if issued == 0 else (1.0 if issued == big_n else big_n / issued),
                sampling_fraction=issued / big_n if big_n else 0.0,
            )
        )
    inputs: dict[str, Any] = {
        "population": dict(zip(names, sizes, strict=True)),
        "n": None if n is None else checks.whole(n),
        "stddev": None if stddev is None else {k: float(v) for k, v in stddev.items()},
        "cost": None if cost is None else {k: float(v) for k, v in cost.items()},
        "power": float(power),
        "fixed": None if fixed is None else {k: int(v) for k, v in fixed.items()},
        "min_n": int(min_n) if not isinstance(min_n, Mapping) else {k: int(v) for k, v in min_n.items()},
        "max_n": None if max_n is None else {k: int(v) for k, v in max_n.items()},
        "response_rate": (
            None
            if response_rate is None
            else (
                {k: float(v) for k, v in response_rate.items()}
                if isinstance(response_rate, Mapping)
                else float(response_rate)
            )
        ),
    }
    return Allocation(method=method, strata=tuple(rows), multiplier=multiplier, inputs=inputs)


# --------------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------------
