"""Stratified SRSWOR draw: exact sizes, equal inclusion probabilities, replicates, reproducibility, speed."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.sampling.design import allocate, draw, inclusion_probabilities

Z_999 = 3.090232306167813  # standard normal 0.999 quantile


def chi2_critical(df: int, z: float = Z_999) -> float:
    """Upper chi-square quantile by the Wilson-Hilferty approximation (alpha = 0.001 by default)."""
    c = 2.0 / (9.0 * df)
    return df * (1.0 - c + z * math.sqrt(c)) ** 3


def test_wilson_hilferty_is_close_to_tabulated_quantiles() -> None:
    # chi-square 0.999 quantiles from standard tables
    assert chi2_critical(9) == pytest.approx(27.877, rel=0.01)
    assert chi2_critical(30) == pytest.approx(59.703, rel=0.005)


# A small frame: strata interleaved in frame order; 'c' is take-all and 'd' gets nothing.
FRAME = (["a", "b"] * 10) + ["b"] * 10 + ["c"] * 5 + ["d"] * 7
SIZES = {"a": 3, "b": 5, "c": 5, "d": 0}
N_H = Counter(FRAME)


def test_exact_sizes_no_duplicates_weights() -> None:
    sample = draw(FRAME, SIZES, seed=1)
    assert len(sample) == 13
    assert len(set(sample.indices.tolist())) == 13
    assert np.all(np.diff(sample.indices) > 0)
    assert Counter(sample.strata.tolist()) == {"a": 3, "b": 5, "c": 5}
    for pos, stratum, weight in zip(sample.indices, sample.strata, sample.weights, strict=True):
        assert FRAME[pos] == stratum
        assert weight == N_H[stratum] / SIZES[stratum]
    assert set(sample.weights[sample.strata == "c"].tolist()) == {1.0}
    assert sample.population == {"a": 10, "b": 20, "c": 5, "d": 7}
    assert sample.sample_sizes == SIZES
    # weighted counts reproduce the frame counts exactly
    for stratum in ("a", "b", "c"):
        assert sample.weights[sample.strata == stratum].sum() == pytest.approx(N_H[stratum])
    meta = sample.metadata()
    assert meta["seed"] == 1
    assert meta["algorithm_version"].startswith("stratified-srswor/1")
    assert sample.as_records()[0].keys() == {"position", "stratum", "weight", "replicate"}


def test_same_seed_same_sample_other_seed_other_sample() -> None:
    one = draw(FRAME, SIZES, seed=123, replicates=3)
    two = draw(FRAME, SIZES, seed=123, replicates=3)
    assert np.array_equal(one.indices, two.indices)
    assert np.array_equal(one.replicate, two.replicate)
    assert any(not np.array_equal(one.indices, draw(FRAME, SIZES, seed=s).indices) for s in range(124, 130))


def test_input_types_give_the_same_sample() -> None:
    alloc = allocate(dict(N_H), None, "fixed", fixed=SIZES)
    as_list = draw(FRAME, alloc, seed=99, replicates=2)
    as_array = draw(np.array(FRAME), alloc, seed=99, replicates=2)
    names = ["a", "b", "c", "d"]
    codes = np.array([names.index(s) for s in FRAME], dtype=np.int16)
    as_codes = draw(codes, alloc, seed=99, replicates=2, labels=names)
    as_objects = draw(np.array(FRAME, dtype=object), alloc, seed=99, replicates=2)

    class Column:  # an array-like that is not a Sequence (like a pandas Series)
        def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
            return np.array(FRAME, dtype=object)

    as_column = draw(Column(), alloc, seed=99, replicates=2)
    for other in (as_array, as_codes, as_objects, as_column):
        assert np.array_equal(as_list.indices, other.indices)
        assert np.array_equal(as_list.replicate, other.replicate)
        assert as_list.strata.tolist() == other.strata.tolist()
    # integer labels without names work too (keys are the integers)
    ints = draw(codes, {0: 3, 1: 5, 2: 5, 3: 0}, seed=99, replicates=2)
    assert np.array_equal(ints.indices, as_list.indices)


def test_issued_sizes_are_drawn_from_an_allocation() -> None:
    alloc = allocate(dict(N_H), None, "fixed", fixed={"a": 2, "b": 4, "c": 3, "d": 0}, response_rate=0.5)
    sample = draw(FRAME, alloc, seed=5)
    assert Counter(sample.strata.tolist()) == {"a": 4, "b": 8, "c": 5}


def test_inclusion_frequencies_match_n_over_N() -> None:
    """Chi-square goodness of fit of per-unit selection counts over 2,000 seeded draws.

    In stratum h each draw selects exactly n_h units, so the counts O_k of the N_h units have
    covariance R pi (1 - pi) N/(N-1) (I - J/N); (N-1)/N * sum (O_k - R pi)^2 / (R pi (1 - pi)) is then
    chi-square with N_h - 1 degrees of freedom.
    """
    reps = 2000
    counts = np.zeros(len(FRAME))
    for seed in range(reps):
        counts[draw(FRAME, SIZES, seed=seed).indices] += 1
    strata = np.array(FRAME)
    assert np.all(counts[strata == "c"] == reps)
    assert np.all(counts[strata == "d"] == 0)
    statistic, df = 0.0, 0
    for stratum in ("a", "b"):
        observed = counts[strata == stratum]
        big_n, pi = observed.size, SIZES[stratum] / observed.size
        assert observed.sum() == reps * SIZES[stratum]
        statistic += (big_n - 1) / big_n * float(((observed - reps * pi) ** 2).sum()) / (reps * pi * (1 - pi))
        df += big_n - 1
    assert statistic < chi2_critical(df), (statistic, df)
    assert statistic > 0.2 * df  # not suspiciously perfect either


def test_every_sample_equally_likely() -> None:
    """SRSWOR of 2 out of 5: all 10 samples have probability 1/10 (joint inclusion n(n-1)/N(N-1))."""
    reps = 2000
    tally = Counter(tuple(draw(["x"] * 5, {"x": 2}, seed=seed).indices.tolist()) for seed in range(reps))
    assert set(tally) == set(itertools.combinations(range(5), 2))
    expected = reps / 10
    statistic = sum((o - expected) ** 2 / expected for o in tally.values())
    assert statistic < chi2_critical(9), statistic


def test_replicates_are_random_and_balanced() -> None:
    frame = ["p"] * 12 + ["q"] * 9
    sizes = {"p": 6, "q": 4}
    reps = 1800
    tally = np.zeros((len(frame), 3))
    for seed in range(reps):
        sample = draw(frame, sizes, seed=seed, replicates=3)
        for stratum in ("p", "q"):
            per = np.bincount(sample.replicate[sample.strata == stratum], minlength=4)[1:]
            assert per.max() - per.min() <= 1
        overall = np.bincount(sample.replicate, minlength=4)[1:]
        assert overall.max() - overall.min() <= 1
        tally[sample.indices, sample.replicate - 1] += 1
    # a given unit is selected with probability n_h/N_h and then lands in each replicate equally often
    for unit in (0, 11, 12, 20):
        observed = tally[unit]
        expected = observed.sum() / 3
        statistic = float(((observed - expected) ** 2 / expected).sum())
        assert statistic < chi2_critical(2), (unit, observed)
    assert tally[:12].sum() / reps == pytest.approx(6, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=6),
    st.integers(1, 7),
    st.integers(0, 2**32 - 1),
    st.data(),
)
def test_replicate_groups_balanced_for_any_shape(
    sizes: list[int], groups: int, seed: int, data: st.DataObject
) -> None:
    frame = [f"s{h}" for h, size in enumerate(sizes) for _ in range(size)]
    wanted = {f"s{h}": data.draw(st.integers(0, size)) for h, size in enumerate(sizes)}
    sample = draw(frame, wanted, seed=seed, replicates=groups)
    assert len(sample) == sum(wanted.values())
    assert len(set(sample.indices.tolist())) == len(sample)
    overall = np.bincount(sample.replicate, minlength=groups + 1)[1:]
    assert overall.max() - overall.min() <= 1 if len(sample) else True
    for stratum, n_h in wanted.items():
        per = np.bincount(sample.replicate[sample.strata == stratum], minlength=groups + 1)[1:]
        assert per.sum() == n_h
        assert per.max() - per.min() <= 1
    released = sample.released(1)
    assert len(released) == int(overall[0])


def test_draw_errors() -> None:
    with pytest.raises(ValueError, match="not in the allocation: 'd'"):
        draw(FRAME, {"a": 1, "b": 1, "c": 1}, seed=1)
    with pytest.raises(ValueError, match=r"stratum 'a' asks for n_h = 11 but the frame has N_h = 10"):
        draw(FRAME, {"a": 11, "b": 1, "c": 1, "d": 0}, seed=1)
    stale = allocate({"a": 11, "b": 20, "c": 5, "d": 7}, 10)
    with pytest.raises(
        ValueError, match=r"stratum 'a' has 10 frame units but the allocation was computed for N_h = 11"
    ):
        draw(FRAME, stale, seed=1)
    with pytest.raises(ValueError, match="seed must be a whole number >= 0"):
        draw(FRAME, SIZES, seed=-1)
    with pytest.raises(ValueError, match="replicates must be"):
        draw(FRAME, SIZES, seed=1, replicates=0)
    with pytest.raises(ValueError, match="stratum codes must be between 0 and 1"):
        draw(np.array([0, 1, 2]), {"x": 1, "y": 1}, seed=1, labels=["x", "y"])
    with pytest.raises(ValueError, match="sample size for stratum 'a'"):
        draw(FRAME, {"a": -1}, seed=1)


def test_empty_frame_and_zero_sample() -> None:
    sample = draw([], {}, seed=0)
    assert len(sample) == 0
    sample = draw(["a", "a"], {"a": 0}, seed=0)
    assert len(sample) == 0
    assert sample.weights.shape == (0,)


def test_one_million_units_fifty_strata_gives_exact_sizes() -> None:
    """A frame the size of the benchmark draws exactly n_h per stratum (speed: bench/sample_draw.py)."""
    rng = np.random.default_rng(2024)
    codes = rng.integers(0, 50, 1_000_000).astype(np.int32)
    names = [f"stratum-{h:02d}" for h in range(50)]
    counts = np.bincount(codes, minlength=50)
    alloc = allocate({names[h]: int(counts[h]) for h in range(50)}, 10_000, "proportional")
    sample = draw(codes, alloc, seed=7, replicates=10, labels=names)
    assert len(sample) == 10_000
    assert len(set(sample.indices.tolist())) == 10_000
    assert Counter(sample.strata.tolist()) == alloc.issued_sizes


# --------------------------------------------------------------------------------------------------
# inclusion probabilities proportional to size
# --------------------------------------------------------------------------------------------------


def test_inclusion_probabilities_r_example() -> None:
    pik = inclusion_probabilities(list(range(1, 21)), 12)
    expected = [k / 17 for k in range(1, 17)] + [1.0] * 4
    assert pik == pytest.approx(expected, abs=1e-12)
    assert pik.sum() == pytest.approx(12)


def test_inclusion_probabilities_cascade_and_edges() -> None:
    # 100 is far above n * a / sum a; after it is certain, 50 becomes certain too (second pass)
    pik = inclusion_probabilities([100, 50, 10, 10, 10, 10], 4)
    assert pik == pytest.approx([1, 1, 0.5, 0.5, 0.5, 0.5])
    assert inclusion_probabilities([0, 1, 3], 1) == pytest.approx([0, 0.25, 0.75])
    assert inclusion_probabilities([1, 2, 3], 0) == pytest.approx([0, 0, 0])
    assert inclusion_probabilities([0, 5, 5], 2) == pytest.approx([0, 1, 1])
    with pytest.raises(ValueError, match="finite and >= 0"):
        inclusion_probabilities([1, -2], 1)
    with pytest.raises(ValueError, match="more than the 1 units with a positive size"):
        inclusion_probabilities([0, 1], 2)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.just(0.0), st.floats(1e-3, 1000)), min_size=1, max_size=30), st.data())
def test_inclusion_probabilities_properties(sizes: list[float], data: st.DataObject) -> None:
    positive = sum(1 for s in sizes if s > 0)
    n = data.draw(st.integers(0, positive))
    pik = inclusion_probabilities(sizes, n)
    assert pik.sum() == pytest.approx(n, abs=1e-9)
    assert np.all((pik >= 0) & (pik <= 1))
    a = np.array(sizes)
    free = (pik < 1) & (a > 0)
    if free.sum() > 1:  # proportional to size among the non-certain units
        ratio = pik[free] / a[free]
        assert ratio == pytest.approx(np.full(ratio.shape, ratio[0]), rel=1e-9)
        assert pik[free].max() <= 1
        assert np.all(a[pik == 1] >= a[free].max() - 1e-9)
