"""Interpenetrated interviewer assignment: balance overall and within strata, determinism, randomness."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.sampling.design import assign, assign_pools

Z_999 = 3.090232306167813


def chi2_critical(df: int) -> float:
    c = 2.0 / (9.0 * df)
    return df * (1.0 - c + Z_999 * math.sqrt(c)) ** 3


def spread(counts: Counter[str], workers: list[str]) -> int:
    values = [counts.get(w, 0) for w in workers]
    return max(values) - min(values)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from("ABCDEFG"), max_size=150),
    st.integers(1, 9),
    st.integers(0, 2**63),
)
def test_counts_differ_by_at_most_one_overall_and_within_strata(
    strata: list[str], n_workers: int, seed: int
) -> None:
    workers = [f"w{i}" for i in range(n_workers)]
    result = assign(strata, workers, seed)
    assert len(result) == len(strata)
    assert set(result) <= set(workers)
    assert spread(Counter(result), workers) <= 1
    for stratum in set(strata):
        got = Counter(w for w, s in zip(result, strata, strict=True) if s == stratum)
        assert spread(got, workers) <= 1
        if strata.count(stratum) >= n_workers:  # every workload spans every big enough stratum
            assert set(got) == set(workers)
    assert assign(strata, workers, seed) == result


def test_deterministic_per_seed_and_seed_matters() -> None:
    strata = ["n"] * 20 + ["s"] * 13 + ["e"] * 7
    workers = ["ana", "ben", "chloe", "dev"]
    first = assign(strata, workers, 42)
    assert first == assign(strata, workers, 42)
    assert any(assign(strata, workers, seed) != first for seed in range(43, 50))
    counts = Counter(first)
    assert sorted(counts.values()) == [10, 10, 10, 10]
    for stratum, size in (("n", 20), ("s", 13), ("e", 7)):
        got = Counter(w for w, s in zip(first, strata, strict=True) if s == stratum)
        assert sum(got.values()) == size
        assert spread(got, workers) <= 1


def test_each_case_goes_to_each_worker_equally_often() -> None:
    """Over seeds, case 0 of a 7-case stratum lands on each of 3 workers with probability 1/3."""
    workers = ["a", "b", "c"]
    strata = ["x"] * 7 + ["y"] * 5
    reps = 1500
    for case in (0, 6, 11):
        tally = Counter(assign(strata, workers, seed)[case] for seed in range(reps))
        statistic = sum((tally[w] - reps / 3) ** 2 / (reps / 3) for w in workers)
        assert statistic < chi2_critical(2), (case, tally)
    # who gets the extra case is random, not always the first listed worker
    extras = Counter(Counter(assign(["x"] * 4, workers, seed)).most_common(1)[0][0] for seed in range(300))
    assert set(extras) == set(workers)


def test_assign_edge_cases() -> None:
    assert assign([], ["a"], 1) == []
    assert assign([], [], 1) == []
    assert assign(["s", "t"], ["only"], 1) == ["only", "only"]
    with pytest.raises(ValueError, match="no interviewers"):
        assign(["s"], [], 1)
    with pytest.raises(ValueError, match="listed more than once: a"):
        assign(["s"], ["a", "b", "a"], 1)
    with pytest.raises(ValueError, match="seed must be"):
        assign(["s"], ["a"], -3)


def test_assign_pools() -> None:
    keys = ["fr"] * 9 + ["en"] * 10 + ["fr"] * 3
    strata = ["n", "s"] * 11
    pools = {"en": ["ann", "bob"], "fr": ["chantal", "didier", "eloise"]}
    result = assign_pools(keys, pools, 11, case_strata=strata)
    assert result == assign_pools(keys, pools, 11, case_strata=strata)
    for key, pool in pools.items():
        got = [w for w, k in zip(result, keys, strict=True) if k == key]
        assert set(got) <= set(pool)
        assert spread(Counter(got), pool) <= 1
        for stratum in ("n", "s"):
            inner = Counter(
                w for w, k, s in zip(result, keys, strata, strict=True) if k == key and s == stratum
            )
            assert spread(inner, pool) <= 1
    plain = assign_pools(keys, pools, 11)
    assert Counter(w for w, k in zip(plain, keys, strict=True) if k == "fr") == Counter(
        {"chantal": 4, "didier": 4, "eloise": 4}
    )


def test_assign_pools_lists_every_key_without_a_pool() -> None:
    with pytest.raises(ValueError, match=r"no interviewer pool for 'de' \(2 cases\), 'it' \(1 cases\)"):
        assign_pools(["en", "de", "it", "de"], {"en": ["ann"], "fr": ["chantal"]}, 1)
    with pytest.raises(ValueError, match=r"no interviewer pool for 'fr' \(1 cases\)"):
        assign_pools(["fr"], {"fr": []}, 1)
    with pytest.raises(ValueError, match="case_strata has 1 entries but there are 2 cases"):
        assign_pools(["en", "en"], {"en": ["ann"]}, 1, case_strata=["x"])
