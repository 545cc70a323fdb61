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

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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

# Real values this close to a whole number are treated as that whole number before rounding, and
# fractional parts are compared to this many decimals (so float noise never decides a tie).
_SNAP = 1e-9
_TIE_DECIMALS = 9


class AllocationError(ValueError):
    """An allocation request that cannot be met; the message says what to change."""


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
# The two numeric building blocks (usable on their own from a notebook)
# --------------------------------------------------------------------------------------------------


def lambda_clip(
    measures: Sequence[float], n: float, lower: Sequence[float], upper: Sequence[float]
) -> tuple[list[float], float]:
    """Exact solution of ``min sum A_h^2/n_h`` s.t. ``sum n_h = n``, ``lower_h <= n_h <= upper_h``.

    The optimum is ``n_h = clip(lambda * A_h, lower_h, upper_h)`` (KKT).  ``g(lambda) = sum_h clip(...)`` is
    continuous, piecewise linear and non-decreasing with breakpoints ``lower_h/A_h`` and
    ``upper_h/A_h``; the breakpoints are sorted, the segment where ``g`` reaches ``n`` is found by a
    sweep, and ``lambda`` is solved on that segment in closed form:
    ``lambda = (n - sum_fixed n_h) / sum_free A_h``.  Strata with ``A_h = 0`` stay at their lower bound.

    Args:
        measures: allocation measures ``A_h >= 0`` (see the module docstring).
        n: the total to allocate; ``sum lower <= n <= sum upper`` over strata with ``A_h > 0`` (plus
            ``sum lower`` of the others).
        lower: lower bounds ``m_h >= 0``.
        upper: upper bounds ``M_h >= m_h``.

    Returns:
        ``(n_h list, lambda)``; ``lambda`` is 0 when ``n`` equals the sum of the lower bounds.

    Raises:
        AllocationError: if the bounds make ``n`` unreachable or the inputs are malformed.
    """
    a = [float(x) for x in measures]
    lo = [float(x) for x in lower]
    up = [float(x) for x in upper]
    if not len(a) == len(lo) == len(up):
        raise AllocationError("measures, lower and upper must have the same length")
    for h, (ah, mh, big_mh) in enumerate(zip(a, lo, up, strict=True)):
        if not (math.isfinite(ah) and ah >= 0):
            raise AllocationError(f"allocation measure #{h} is {ah}; measures must be finite and >= 0")
        if not (math.isfinite(mh) and math.isfinite(big_mh) and 0 <= mh <= big_mh):
            raise AllocationError(f"bounds #{h} are [{mh}, {big_mh}]; need 0 <= lower <= upper")
    floor_total = math.fsum(lo)
    reachable = math.fsum(up[h] if a[h] > 0 else lo[h] for h in range(len(a)))
    tol = _SNAP * max(1.0, abs(n))
    if n < floor_total - tol:
        raise AllocationError(f"the lower bounds add up to {floor_total:g}, more than n = {n:g}")
    if n > reachable + tol:
        raise AllocationError(f"n = {n:g} is more than the bounds allow ({reachable:g})")
    if n <= floor_total:
        return list(lo), 0.0

    # Sweep the sorted breakpoints with running constant + slope of g.
    events: list[tuple[float, int, int]] = []
    for h, ah in enumerate(a):
        if ah > 0:
            events.append((lo[h] / ah, 0, h))
            events.append((up[h] / ah, 1, h))
    events.sort()
    const, slope = floor_total, 0.0
    previous = 0.0
    segment: tuple[float, float] | None = None
    i = 0
    while i < len(events):
        point = events[i][0]
        if const + slope * point >= n:
            segment = (previous, point)
            break
        while i < len(events) and events[i][0] == point:
            _, kind, h = events[i]
            if kind == 0:  # h becomes free: m_h -> A_h * lambda
                slope += a[h]
                const -= lo[h]
            else:  # h reaches its upper bound: A_h * lambda -> M_h
                slope -= a[h]
                const += up[h]
            i += 1
        previous = point
    if segment is None:  # n equals the reachable maximum (up to rounding)
        lam = events[-1][0]
    else:
        # Recompute on the segment from scratch (free set at its midpoint) instead of trusting the
        # running sums, which can accumulate rounding.
        mid = 0.5 * (segment[0] + segment[1])
        fixed_total, free_measure = 0.0, 0.0
        for h, ah in enumerate(a):
            if ah > 0 and lo[h] / ah < mid < up[h] / ah:
                free_measure += ah
            else:
                fixed_total += min(max(mid * ah, lo[h]), up[h])
        lam = (n - fixed_total) / free_measure if free_measure > 0 else segment[1]
    values = [min(max(lam * ah, mh), big_mh) for ah, mh, big_mh in zip(a, lo, up, strict=True)]
    return values, lam


def round_hamilton(values: Sequence[float], total: int, upper: Sequence[int] | None = None) -> list[int]:
    """Round reals to integers adding up to ``total`` (Hamilton / largest remainder).

    Each value gets its floor; the ``total - sum floor`` leftover units go one each to the values with
    the largest fractional parts.  Fractional parts are compared to 9 decimals and **ties go to the
    earlier position** (stratum order).  Values within 1e-9 of a whole number are that whole number
    (so a stratum pinned at an integer bound keeps it), and a value never rounds up past ``upper``.

    Args:
        values: the real-valued allocation, ``sum(values) == total`` up to rounding error.
        total: the integer total the result must add up to.
        upper: optional integer upper bounds (``values[h] <= upper[h]``).

    Returns:
        the integer allocation.

    Raises:
        AllocationError: if the values do not add up to ``total`` (so no rounding can fix them).
    """
    snapped = []
    for v in values:
        r = round(v)
        snapped.append(float(r) if abs(v - r) <= _SNAP * max(1.0, abs(v)) else float(v))
    floors = [math.floor(v) for v in snapped]
    leftover = total - sum(floors)
    fractions = [v - f for v, f in zip(snapped, floors, strict=True)]
    candidates = [
        h for h, frac in enumerate(fractions) if frac > 0 and (upper is None or floors[h] + 1 <= upper[h])
    ]
    candidates.sort(key=lambda h: (-round(fractions[h], _TIE_DECIMALS), h))
    if leftover < 0 or leftover > len(candidates):
        raise AllocationError(f"values add up to {math.fsum(values):g}, which cannot be rounded to {total}")
    for h in candidates[:leftover]:
        floors[h] += 1
    return floors


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
    names, sizes = _check_population(population)
    _check_unused(method, stddev=stddev, cost=cost, fixed=fixed)

    lower, upper = _bounds(names, sizes, min_n, max_n)
    multiplier: float | None
    if method == "fixed":
        targets = _check_fixed(names, sizes, fixed, n, lower, upper)
        total = sum(targets)
        reals = [float(t) for t in targets]
        multiplier = None
    else:
        total = _check_n(n)
        measures = _measures(method, names, sizes, stddev, cost, power)
        _check_feasible(names, measures, total, lower, upper, method)
        reals, multiplier = lambda_clip(measures, total, lower, upper)
        targets = round_hamilton(reals, total, upper)

    rates = _response_rates(names, response_rate)
    rows = []
    for h, name in enumerate(names):
        issued = _issued(targets[h], rates[h], sizes[h])
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
        "n": None if n is None else _whole(n),
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


def _whole(value: object) -> int | None:
    """``value`` as an int if it is a whole number (not a bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _real(value: object) -> float | None:
    """``value`` as a finite float, else None (missing, NaN, not a number)."""
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def _check_population(population: Mapping[str, int]) -> tuple[list[str], list[int]]:
    if not isinstance(population, Mapping) or not population:
        raise AllocationError("population must be a non-empty mapping of stratum -> frame size N_h")
    names: list[str] = []
    sizes: list[int] = []
    for name, value in population.items():
        size = _whole(value)
        if size is None or size < 0:
            raise AllocationError(
                f"stratum {name!r} has population {value!r}; N_h must be a whole number >= 0"
            )
        names.append(name)
        sizes.append(size)
    return names, sizes


def _check_unused(
    method: str,
    *,
    stddev: Mapping[str, float] | None,
    cost: Mapping[str, float] | None,
    fixed: Mapping[str, int] | None,
) -> None:
    if stddev is not None and method not in ("neyman", "optimal"):
        raise AllocationError(
            f"stddev is only used by the neyman and optimal methods, not {method!r}; "
            "drop it or use method='neyman'"
        )
    if cost is not None and method != "optimal":
        raise AllocationError(
            f"cost is only used by the optimal method, not {method!r}; drop it or use method='optimal'"
        )
    if fixed is not None and method != "fixed":
        raise AllocationError(
            f"fixed sample sizes are only used by method='fixed', not {method!r}; drop them or "
            "use method='fixed'"
        )


def _check_keys(what: str, given: Mapping[str, Any], names: list[str]) -> None:
    known = set(names)
    unknown = [k for k in given if k not in known]
    if unknown:
        listed = ", ".join(repr(k) for k in unknown)
        raise AllocationError(f"{what} names strata that are not in the population: {listed}")


def _check_n(n: int | None) -> int:
    total = _whole(n)
    if total is None or total <= 0:
        raise AllocationError(f"n must be a whole number > 0; got {n!r}")
    return total


def _bounds(
    names: list[str], sizes: list[int], min_n: int | Mapping[str, int], max_n: Mapping[str, int] | None
) -> tuple[list[int], list[int]]:
    upper = list(sizes)
    if max_n is not None:
        _check_keys("max_n", max_n, names)
        for h, name in enumerate(names):
            if name in max_n:
                cap = _whole(max_n[name])
                if cap is None or cap < 0:
                    raise AllocationError(
                        f"max_n for stratum {name!r} is {max_n[name]!r}; it must be a whole number >= 0"
                    )
                upper[h] = min(sizes[h], cap)
    lower = [0] * len(names)
    if isinstance(min_n, Mapping):
        _check_keys("min_n", min_n, names)
        for h, name in enumerate(names):
            if name not in min_n:
                continue
            m = _whole(min_n[name])
            if m is None or m < 0:
                raise AllocationError(
                    f"min_n for stratum {name!r} is {min_n[name]!r}; it must be a whole number >= 0"
                )
            if m > 0 and sizes[h] == 0:
                raise AllocationError(
                    f"stratum {name!r} is empty (N_h = 0) but min_n asks for {m}; remove the stratum "
                    "or set its minimum to 0"
                )
            if m > sizes[h]:
                raise AllocationError(
                    f"min_n for stratum {name!r} is {m} but its frame has only N_h = {sizes[h]} units; "
                    f"lower it to at most {sizes[h]}"
                )
            lower[h] = m
    else:
        m = _whole(min_n)
        if m is None or m < 0:
            raise AllocationError(f"min_n must be a whole number >= 0; got {min_n!r}")
        if m > 0:
            empty = [name for name, size in zip(names, sizes, strict=True) if size == 0]
            if empty:
                listed = ", ".join(repr(e) for e in empty)
                raise AllocationError(
                    f"stratum {listed} is empty (N_h = 0) but a minimum of {m} per stratum was asked; "
                    "remove empty strata from the population or give min_n per stratum"
                )
        lower = [min(m, size) for size in sizes]
    for h, name in enumerate(names):
        if lower[h] > upper[h]:
            raise AllocationError(
                f"stratum {name!r} has minimum {lower[h]} but maximum {upper[h]} "
                f"(min(N_h, max_n)); raise max_n or lower min_n for it"
            )
    return lower, upper


def _measures(
    method: str,
    names: list[str],
    sizes: list[int],
    stddev: Mapping[str, float] | None,
    cost: Mapping[str, float] | None,
    power: float,
) -> list[float]:
    if method == "equal":
        return [1.0] * len(names)
    if method == "proportional":
        return [float(size) for size in sizes]
    if method == "power":
        a = _real(power)
        if a is None or not 0 <= a <= 1:
            raise AllocationError(f"power must be between 0 and 1 (0.5 = square root); got {power!r}")
        return [float(size) ** a if size > 0 else 0.0 for size in sizes]
    # neyman / optimal
    if stddev is None:
        raise AllocationError(
            f"method {method!r} needs stddev: give S_h for every stratum or use proportional"
        )
    _check_keys("stddev", stddev, names)
    sds: list[float] = []
    for name in names:
        s = _real(stddev.get(name))
        if s is None:
            raise AllocationError(
                f"stratum {name!r} has no standard deviation; give S_h for every stratum or use proportional"
            )
        if s < 0:
            raise AllocationError(
                f"stratum {name!r} has a negative standard deviation ({s:g}); give S_h >= 0 for every stratum"
            )
        sds.append(s)
    measures = [size * s for size, s in zip(sizes, sds, strict=True)]
    if method == "neyman":
        return measures
    if cost is None:
        raise AllocationError("method 'optimal' needs cost: give c_h > 0 for every stratum or use neyman")
    _check_keys("cost", cost, names)
    out: list[float] = []
    for name, measure in zip(names, measures, strict=True):
        c = _real(cost.get(name))
        if c is None:
            raise AllocationError(
                f"stratum {name!r} has no cost; give c_h > 0 for every stratum or use neyman"
            )
        if c <= 0:
            raise AllocationError(
                f"stratum {name!r} has cost {c:g}; costs per completed interview must be > 0"
            )
        out.append(measure / math.sqrt(c))
    return out


def _check_feasible(
    names: list[str], measures: list[float], n: int, lower: list[int], upper: list[int], method: str
) -> None:
    floor_total = sum(lower)
    if floor_total > n:
        raise AllocationError(
            f"the minimums add up to {floor_total} but n = {n}; raise n to at least {floor_total} "
            "or lower min_n"
        )
    capacity = sum(upper)
    if n > capacity:
        raise AllocationError(
            f"n = {n} is more than the frame can give (sum of min(N_h, max_n) = {capacity}); "
            "lower n or raise max_n"
        )
    reachable = sum(up if a > 0 else lo for a, lo, up in zip(measures, lower, upper, strict=True))
    if n > reachable:
        stuck = [
            name for name, a, lo, up in zip(names, measures, lower, upper, strict=True) if a == 0 and up > lo
        ]
        listed = ", ".join(repr(s) for s in stuck)
        raise AllocationError(
            f"n = {n} cannot be reached with method {method!r}: strata {listed} have allocation measure 0 "
            f"(S_h = 0) and get only their minimum, so at most {reachable} units can be allocated; "
            "lower n, give those strata S_h > 0 or a minimum, or use proportional"
        )


def _check_fixed(
    names: list[str],
    sizes: list[int],
    fixed: Mapping[str, int] | None,
    n: int | None,
    lower: list[int],
    upper: list[int],
) -> list[int]:
    if fixed is None:
        raise AllocationError("method 'fixed' needs fixed: give n_h for every stratum (0 to skip one)")
    _check_keys("fixed", fixed, names)
    targets: list[int] = []
    for h, name in enumerate(names):
        if name not in fixed:
            raise AllocationError(
                f"stratum {name!r} has no fixed sample size; give n_h for every stratum (0 to skip one)"
            )
        value = _whole(fixed[name])
        if value is None or value < 0:
            raise AllocationError(
                f"fixed n_h for stratum {name!r} is {fixed[name]!r}; it must be a whole number >= 0"
            )
        if value > sizes[h]:
            raise AllocationError(
                f"fixed n_h = {value} for stratum {name!r} is larger than its frame (N_h = {sizes[h]}); "
                f"lower it to at most {sizes[h]}"
            )
        if value < lower[h]:
            raise AllocationError(
                f"fixed n_h = {value} for stratum {name!r} is below its minimum {lower[h]}; "
                "raise it or lower min_n"
            )
        if value > upper[h]:
            raise AllocationError(
                f"fixed n_h = {value} for stratum {name!r} is above its maximum {upper[h]}; "
                "lower it or raise max_n"
            )
        targets.append(value)
    total = sum(targets)
    if total <= 0:
        raise AllocationError("the fixed sample sizes add up to 0; n must be > 0")
    if n is not None and _whole(n) != total:
        raise AllocationError(
            f"the fixed sample sizes add up to {total} but n = {n!r}; pass n={total} or n=None"
        )
    return targets


def _response_rates(names: list[str], response_rate: Mapping[str, float] | float | None) -> list[float]:
    if response_rate is None:
        return [1.0] * len(names)
    if isinstance(response_rate, Mapping):
        _check_keys("response_rate", response_rate, names)
        raw: list[object] = [response_rate.get(name) for name in names]
    else:
        raw = [response_rate] * len(names)
    rates: list[float] = []
    for name, value in zip(names, raw, strict=True):
        rr = _real(value)
        if rr is None:
            raise AllocationError(
                f"stratum {name!r} has no response rate; give one rate or a rate for every stratum"
            )
        if not 0 < rr <= 1:
            raise AllocationError(f"response rate for stratum {name!r} is {rr:g}; it must be > 0 and <= 1")
        rates.append(rr)
    return rates


def _issued(target: int, rate: float, size: int) -> int:
    """``ceil(target / rate)`` capped at ``size`` (ratio rounded to 9 decimals first: 3/0.3 is 10)."""
    if target == 0:
        return 0
    return min(size, math.ceil(round(target / rate, 9)))
