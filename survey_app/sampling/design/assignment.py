"""Randomised interpenetrated assignment of cases to interviewers.

Interpenetration (Mahalanobis 1946; Kish 1962) gives every interviewer a random subsample of the cases
of every stratum, so interviewer effects can be estimated and are not confounded with area or
stratum.  :func:`assign` does it with one ``numpy.random.default_rng(seed)``:

1. the interviewers are put in a random order (who gets the odd extra case is random);
2. strata are visited in order of first appearance; within a stratum the cases are shuffled and dealt
   round-robin to the interviewers, **continuing from the interviewer after the one who got the last
   case of the previous stratum**.

All the dealing is therefore one long round-robin sequence, cut into consecutive blocks (one per
stratum).  Any block of ``L`` consecutive turns of a round-robin over ``W`` interviewers gives each of
them ``floor(L/W)`` or ``ceil(L/W)`` cases, so the counts differ by at most one **within every
stratum** and (the whole sequence being one block) **overall**; every interviewer gets cases in every
stratum that has at least ``W`` cases.  Same inputs and seed, same assignment.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)

__all__ = ["assign", "assign_pools"]


def assign(case_strata: Sequence[Hashable], workers: Sequence[str], seed: int) -> list[str]:
    """Assign every case to an interviewer at random, balanced overall and within each stratum.

    Args:
        case_strata: the stratum (or any grouping, e.g. area) of each case, in case order.
        workers: the interviewers (distinct names).
        seed: seed (>= 0) for ``numpy.random.default_rng``; store it with the assignment.

    Returns:
        the interviewer of each case, aligned with ``case_strata``.  Interviewer workloads differ by at
        most one case overall and within every stratum (see the module docstring).

    Raises:
        ValueError: no interviewers for a non-empty case list, duplicate interviewers, bad seed.
    """
    rng = _rng(seed)
    result: list[str | None] = [None] * len(case_strata)
    _deal(list(range(len(case_strata))), list(case_strata), list(workers), rng, result)
    return _complete(result)


def assign_pools(
    case_keys: Sequence[K],
    pools: Mapping[K, Sequence[str]],
    seed: int,
    *,
    case_strata: Sequence[Hashable] | None = None,
) -> list[str]:
    """Assign cases to interviewers from the pool of their key (language, region, ...).

    Cases are grouped by key; the cases of each key are assigned to that key's pool exactly as
    :func:`assign` does (balanced within the pool, overall and within each of ``case_strata`` if given).
    Pools are processed in the order of ``pools`` with one generator seeded by ``seed``.  An
    interviewer who is in several pools is balanced within each pool, not across pools.

    Args:
        case_keys: the pool key of each case.
        pools: key -> interviewers able to take those cases.
        seed: seed (>= 0) for ``numpy.random.default_rng``.
        case_strata: optional stratum of each case, to balance within strata as well.

    Returns:
        the interviewer of each case, aligned with ``case_keys``.

    Raises:
        ValueError: listing every key that has cases but no pool (or an empty pool), or on bad inputs.
    """
    rng = _rng(seed)
    if case_strata is not None and len(case_strata) != len(case_keys):
        raise ValueError(f"case_strata has {len(case_strata)} entries but there are {len(case_keys)} cases")
    by_key: dict[K, list[int]] = {}
    for i, key in enumerate(case_keys):
        by_key.setdefault(key, []).append(i)
    missing = [key for key in by_key if key not in pools or len(pools[key]) == 0]
    if missing:
        listed = ", ".join(f"{key!r} ({len(by_key[key])} cases)" for key in missing)
        raise ValueError(
            f"no interviewer pool for {listed}; add a pool with at least one interviewer for each"
        )
    result: list[str | None] = [None] * len(case_keys)
    for key, pool in pools.items():
        cases = by_key.get(key)
        if not cases:
            continue
        strata = [None] * len(cases) if case_strata is None else [case_strata[i] for i in cases]
        _deal(cases, strata, list(pool), rng, result)
    return _complete(result)


def _complete(result: list[str | None]) -> list[str]:
    out = [worker for worker in result if worker is not None]
    if len(out) != len(result):  # pragma: no cover - every case is dealt
        raise RuntimeError("some cases were not assigned")
    return out


def _rng(seed: int) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise ValueError(f"seed must be a whole number >= 0; got {seed!r}")
    return np.random.default_rng(int(seed))


def _deal(
    cases: list[int],
    strata: Sequence[Hashable],
    workers: list[str],
    rng: np.random.Generator,
    result: list[str | None],
) -> None:
    """Deal ``cases`` (positions into ``result``) to ``workers`` as described in the module docstring."""
    if not cases:
        return
    if not workers:
        raise ValueError("there are cases to assign but no interviewers")
    if len(set(workers)) != len(workers):
        duplicates = sorted({w for w in workers if workers.count(w) > 1})
        raise ValueError(f"interviewers are listed more than once: {', '.join(duplicates)}")
    order = [workers[i] for i in rng.permutation(len(workers)).tolist()]
    groups: dict[Hashable, list[int]] = {}
    for case, stratum in zip(cases, strata, strict=True):
        groups.setdefault(stratum, []).append(case)
    turn = 0
    for members in groups.values():
        for k, j in enumerate(rng.permutation(len(members)).tolist()):
            result[members[j]] = order[(turn + k) % len(order)]
        turn = (turn + len(members)) % len(order)
