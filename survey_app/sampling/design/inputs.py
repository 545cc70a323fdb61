"""Checking and normalising the inputs of :func:`~survey_app.sampling.design.allocation.allocate`.

Every problem raises :class:`AllocationError` with a message that says what to change; nothing is
relaxed silently.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from survey_app.sampling.design.optimum import AllocationError


def whole(value: object) -> int | None:
    """``value`` as an int if it is a whole number (not a bool), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def real(value: object) -> float | None:
    """``value`` as a finite float, else None (missing, NaN, not a number)."""
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def check_population(population: Mapping[str, int]) -> tuple[list[str], list[int]]:
    if not isinstance(population, Mapping) or not population:
        raise AllocationError("population must be a non-empty mapping of stratum -> frame size N_h")
    names: list[str] = []
    sizes: list[int] = []
    for name, value in population.items():
        size = whole(value)
        if size is None or size < 0:
            raise AllocationError(
                f"stratum {name!r} has population {value!r}; N_h must be a whole number >= 0"
            )
        names.append(name)
        sizes.append(size)
    return names, sizes


def check_unused(
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


def check_keys(what: str, given: Mapping[str, Any], names: list[str]) -> None:
    known = set(names)
    unknown = [k for k in given if k not in known]
    if unknown:
        listed = ", ".join(repr(k) for k in unknown)
        raise AllocationError(f"{what} names strata that are not in the population: {listed}")


def check_n(n: int | None) -> int:
    total = whole(n)
    if total is None or total <= 0:
        raise AllocationError(f"n must be a whole number > 0; got {n!r}")
    return total


def bounds(
    names: list[str], sizes: list[int], min_n: int | Mapping[str, int], max_n: Mapping[str, int] | None
) -> tuple[list[int], list[int]]:
    upper = list(sizes)
    if max_n is not None:
        check_keys("max_n", max_n, names)
        for h, name in enumerate(names):
            if name in max_n:
                cap = whole(max_n[name])
                if cap is None or cap < 0:
                    raise AllocationError(
                        f"max_n for stratum {name!r} is {max_n[name]!r}; it must be a whole number >= 0"
                    )
                upper[h] = min(sizes[h], cap)
    lower = [0] * len(names)
    if isinstance(min_n, Mapping):
        check_keys("min_n", min_n, names)
        for h, name in enumerate(names):
            if name not in min_n:
                continue
            m = whole(min_n[name])
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
        m = whole(min_n)
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


def measures(
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
        a = real(power)
        if a is None or not 0 <= a <= 1:
            raise AllocationError(f"power must be between 0 and 1 (0.5 = square root); got {power!r}")
        return [float(size) ** a if size > 0 else 0.0 for size in sizes]
    # neyman / optimal
    if stddev is None:
        raise AllocationError(
            f"method {method!r} needs stddev: give S_h for every stratum or use proportional"
        )
    check_keys("stddev", stddev, names)
    sds: list[float] = []
    for name in names:
        s = real(stddev.get(name))
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
    check_keys("cost", cost, names)
    out: list[float] = []
    for name, measure in zip(names, measures, strict=True):
        c = real(cost.get(name))
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


def check_feasible(
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


def check_fixed(
    names: list[str],
    sizes: list[int],
    fixed: Mapping[str, int] | None,
    n: int | None,
    lower: list[int],
    upper: list[int],
) -> list[int]:
    if fixed is None:
        raise AllocationError("method 'fixed' needs fixed: give n_h for every stratum (0 to skip one)")
    check_keys("fixed", fixed, names)
    targets: list[int] = []
    for h, name in enumerate(names):
        if name not in fixed:
            raise AllocationError(
                f"stratum {name!r} has no fixed sample size; give n_h for every stratum (0 to skip one)"
            )
        value = whole(fixed[name])
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
    if n is not None and whole(n) != total:
        raise AllocationError(
            f"the fixed sample sizes add up to {total} but n = {n!r}; pass n={total} or n=None"
        )
    return targets


def response_rates(names: list[str], response_rate: Mapping[str, float] | float | None) -> list[float]:
    if response_rate is None:
        return [1.0] * len(names)
    if isinstance(response_rate, Mapping):
        check_keys("response_rate", response_rate, names)
        raw: list[object] = [response_rate.get(name) for name in names]
    else:
        raw = [response_rate] * len(names)
    rates: list[float] = []
    for name, value in zip(names, raw, strict=True):
        rr = real(value)
        if rr is None:
            raise AllocationError(
                f"stratum {name!r} has no response rate; give one rate or a rate for every stratum"
            )
        if not 0 < rr <= 1:
            raise AllocationError(f"response rate for stratum {name!r} is {rr:g}; it must be > 0 and <= 1")
        rates.append(rr)
    return rates


def issued(target: int, rate: float, size: int) -> int:
    """``ceil(target / rate)`` capped at ``size`` (ratio rounded to 9 decimals first: 3/0.3 is 10)."""
    if target == 0:
        return 0
    return min(size, math.ceil(round(target / rate, 9)))
