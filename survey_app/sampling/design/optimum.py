"""The two numeric building blocks of allocation, usable on their own from a notebook.

:func:`lambda_clip` solves the bounded optimum exactly; :func:`round_hamilton` rounds it to whole
numbers that add up to the total. See :mod:`survey_app.sampling.design.allocation` for the theory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Values this close to a whole number are that number (floating-point noise from the lambda sweep).
_SNAP = 1e-9
#: Fractional parts equal to this many decimals are ties, broken by stratum order.
_TIE_DECIMALS = 9


class AllocationError(ValueError):
    """An allocation request that cannot be met; the message says what to change."""


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
