"""Allocation: published/derived worked examples, the bounded optimum, rounding, infeasible requests."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.sampling.design import (
    Allocation,
    AllocationError,
    allocate,
    lambda_clip,
    round_hamilton,
)

# --------------------------------------------------------------------------------------------------
# independent reference implementations (deliberately naive)
# --------------------------------------------------------------------------------------------------


def objective(a: list[float], x: list[float]) -> float:
    """sum A_h^2 / n_h (the variance part the allocation minimises)."""
    total = 0.0
    for ah, xh in zip(a, x, strict=True):
        if ah == 0:
            continue
        if xh <= 0:
            return math.inf
        total += ah * ah / xh
    return total


def brute_force_optimum(a: list[float], n: float, lo: list[float], up: list[float]) -> list[float]:
    """Exact optimum by enumerating every active set (each stratum at its lower bound, upper bound or free).

    For a free set F the stationarity condition gives n_h = r A_h / sum_F A (r = what is left after the
    bound strata); among the candidates that respect all bounds the one with the smallest objective is the
    optimum (the problem is convex and the objective strictly convex in the strata with A_h > 0).
    """
    best: tuple[float, list[float]] | None = None
    for states in itertools.product("LUF", repeat=len(a)):
        x = [0.0] * len(a)
        rest = n
        free = []
        for h, state in enumerate(states):
            if state == "L":
                x[h] = lo[h]
                rest -= lo[h]
            elif state == "U":
                x[h] = up[h]
                rest -= up[h]
            else:
                free.append(h)
        free_a = sum(a[h] for h in free)
        if free:
            if free_a <= 0:
                continue
            for h in free:
                x[h] = rest * a[h] / free_a
        elif abs(rest) > 1e-9:
            continue
        if any(x[h] < lo[h] - 1e-9 or x[h] > up[h] + 1e-9 for h in range(len(a))):
            continue
        value = objective(a, x)
        if best is None or value < best[0] - 1e-12:
            best = (value, x)
    assert best is not None
    return best[1]


def recursive_neyman(a: Sequence[float], n: float, caps: Sequence[float]) -> list[float]:
    """Cochran's take-all cascade: allocate, make every stratum over its cap take-all, repeat."""
    x = [0.0] * len(a)
    done = [False] * len(a)
    while True:
        rest = n - sum(caps[h] for h in range(len(a)) if done[h])
        open_a = sum(a[h] for h in range(len(a)) if not done[h])
        over = False
        for h in range(len(a)):
            if not done[h]:
                x[h] = rest * a[h] / open_a
                if x[h] > caps[h]:
                    over = True
        if not over:
            return x
        for h in range(len(a)):
            if not done[h] and x[h] > caps[h]:
                done[h] = True
                x[h] = caps[h]


def naive_one_pass(a: list[float], n: float, lo: list[float], up: list[float]) -> list[float]:
    """The tempting but wrong fix: clip all violations of the unbounded optimum at once, share the rest."""
    x = [n * ah / sum(a) for ah in a]
    fixed = {h: lo[h] for h in range(len(a)) if x[h] < lo[h]} | {
        h: up[h] for h in range(len(a)) if x[h] > up[h]
    }
    rest = n - sum(fixed.values())
    open_a = sum(a[h] for h in range(len(a)) if h not in fixed)
    return [fixed[h] if h in fixed else rest * a[h] / open_a for h in range(len(a))]


# --------------------------------------------------------------------------------------------------
# worked examples
# --------------------------------------------------------------------------------------------------

# PracTools' smho98 example (strAlloc help page): hospital strata sizes and standard deviations of
# expenditure; Neyman with n = 100.  Expected values from n N_h S_h / sum N_k S_k.
SMHO_N = {"h1": 215, "h2": 65, "h3": 252, "h4": 50, "h5": 149, "h6": 144}
SMHO_S = {
    "h1": 26787207,
    "h2": 10645109,
    "h3": 6909676,
    "h4": 11085034,
    "h5": 9817762,
    "h6": 11005707,
}


def test_neyman_practools_smho98() -> None:
    alloc = allocate(SMHO_N, 100, "neyman", stddev=SMHO_S)
    expected_real = [48.8306, 5.8666, 14.7633, 4.6993, 12.4030, 13.4371]
    assert [round(row.n_real, 4) for row in alloc.strata] == expected_real
    total_ns = sum(SMHO_N[h] * SMHO_S[h] for h in SMHO_N)
    for row in alloc.strata:
        assert row.n_real == pytest.approx(
            100 * SMHO_N[row.stratum] * SMHO_S[row.stratum] / total_ns, rel=1e-12
        )
    # floors 48+5+14+4+12+13 = 96; the 4 leftovers go to the largest remainders .8306 .8666 .7633 .6993
    assert list(alloc.sizes.values()) == [49, 6, 15, 5, 12, 13]
    assert alloc.n == 100
    assert alloc.take_all == ()
    assert alloc["h1"].design_weight == pytest.approx(215 / 49)


def test_optimal_cost_weighted() -> None:
    cost = {"h1": 1400, "h2": 200, "h3": 300, "h4": 600, "h5": 450, "h6": 1000}
    alloc = allocate(SMHO_N, 100, "optimal", stddev=SMHO_S, cost=cost)
    shares = {h: SMHO_N[h] * SMHO_S[h] / math.sqrt(cost[h]) for h in SMHO_N}
    for row in alloc.strata:
        assert row.n_real == pytest.approx(100 * shares[row.stratum] / sum(shares.values()), rel=1e-12)
    assert [round(row.n_real, 4) for row in alloc.strata] == [
        34.5829,
        10.9928,
        22.5869,
        5.0838,
        15.4936,
        11.2600,
    ]
    assert list(alloc.sizes.values()) == [35, 11, 23, 5, 15, 11]


def test_equal_proportional_power() -> None:
    pop = {"a": 100, "b": 400, "c": 900}
    assert [r.n_real for r in allocate(pop, 30, "equal").strata] == pytest.approx([10, 10, 10])
    prop = allocate(pop, 70, "proportional")
    assert [r.n_real for r in prop.strata] == pytest.approx([5, 20, 45])
    assert [r.design_weight for r in prop.strata] == pytest.approx([20, 20, 20])
    sqrt = allocate(pop, 60, "power")  # sqrt(N_h) = 10, 20, 30
    assert [r.n_real for r in sqrt.strata] == pytest.approx([10, 20, 30])
    assert [r.n_real for r in allocate(pop, 60, "power", power=1.0).strata] == pytest.approx(
        [60 / 14, 240 / 14, 540 / 14]
    )
    assert [r.n_real for r in allocate(pop, 60, "power", power=0.0).strata] == pytest.approx([20, 20, 20])


def test_neyman_with_equal_sd_is_proportional() -> None:
    pop = {"a": 120, "b": 300, "c": 580}
    ney = allocate(pop, 50, "neyman", stddev={"a": 0.5, "b": 0.5, "c": 0.5})
    prop = allocate(pop, 50, "proportional")
    assert [r.n_real for r in ney.strata] == pytest.approx([r.n_real for r in prop.strata])
    assert ney.sizes == prop.sizes


# stratallo-style example (N = 3000, 4000, 5000, 2000; S = 48, 79, 76, 16; n = 190).
STRAT_N = {"s1": 3000, "s2": 4000, "s3": 5000, "s4": 2000}
STRAT_S = {"s1": 48, "s2": 79, "s3": 76, "s4": 16}


def test_take_all_cascade_upper_bounds() -> None:
    # unbounded Neyman: 31.3761 68.8532 82.7982 6.9725; caps 50 70 80 140.  s3 is capped at 80, then s2
    # at 70 (a second pass), and the last 40 units go to s1, s4 in ratio 144000 : 32000.
    alloc = allocate(STRAT_N, 190, "neyman", stddev=STRAT_S, max_n={"s1": 50, "s2": 70, "s3": 80, "s4": 140})
    assert [round(r.n_real, 4) for r in alloc.strata] == [32.7273, 70.0, 80.0, 7.2727]
    assert list(alloc.sizes.values()) == [33, 70, 80, 7]
    a = [STRAT_N[h] * STRAT_S[h] for h in STRAT_N]
    assert [r.n_real for r in alloc.strata] == pytest.approx(
        recursive_neyman(a, 190, [50, 70, 80, 140]), abs=1e-9
    )


def test_take_all_strata_flagged_with_weight_one() -> None:
    pop = {"big": 10_000, "small": 30, "tiny": 5}
    alloc = allocate(pop, 200, "neyman", stddev={"big": 1.0, "small": 100.0, "tiny": 100.0})
    assert alloc.take_all == ("small", "tiny")
    assert alloc["small"].n == 30
    assert alloc["tiny"].n == 5
    assert alloc["big"].n == 165
    assert alloc["small"].design_weight == 1.0
    assert alloc["small"].sampling_fraction == 1.0
    assert alloc["big"].design_weight == pytest.approx(10_000 / 165)


def test_box_constraints_beat_naive_one_pass() -> None:
    # A = 1, 10, 10; m = 1, 0, 0; M = 100, 2, 100; n = 15.  Unbounded: 0.714, 7.143, 7.143.
    # Naive one pass fixes s1 at 1 and s2 at 2 together: (1, 2, 12).  But capping s2 frees units and
    # lifts s1 above its minimum: the optimum is (13/11, 2, 130/11).
    pop = {"a": 100, "b": 100, "c": 100}
    alloc = allocate(
        pop, 15, "neyman", stddev={"a": 0.01, "b": 0.1, "c": 0.1}, min_n={"a": 1}, max_n={"b": 2}
    )
    assert [round(r.n_real, 4) for r in alloc.strata] == [1.1818, 2.0, 11.8182]
    assert alloc.multiplier == pytest.approx(13 / 11)
    assert list(alloc.sizes.values()) == [1, 2, 12]
    a, lo, up = [1.0, 10.0, 10.0], [1.0, 0.0, 0.0], [100.0, 2.0, 100.0]
    naive = naive_one_pass(a, 15, lo, up)
    assert naive == pytest.approx([1, 2, 12])
    best = brute_force_optimum(a, 15, lo, up)
    assert [r.n_real for r in alloc.strata] == pytest.approx(best, abs=1e-9)
    assert objective(a, best) < objective(a, naive) - 0.02


def test_box_constraints_stratallo_style() -> None:
    lower = {"s1": 30, "s2": 40, "s3": 50, "s4": 10}
    upper = {"s1": 50, "s2": 70, "s3": 80, "s4": 140}
    alloc = allocate(STRAT_N, 190, "neyman", stddev=STRAT_S, min_n=lower, max_n=upper)
    # s3 at its maximum 80, s4 at its minimum 10, s1 and s2 share 100 in ratio 144000 : 316000
    assert [round(r.n_real, 4) for r in alloc.strata] == [31.3043, 68.6957, 80.0, 10.0]
    assert list(alloc.sizes.values()) == [31, 69, 80, 10]
    a = [float(STRAT_N[h] * STRAT_S[h]) for h in STRAT_N]
    best = brute_force_optimum(a, 190, [float(v) for v in lower.values()], [float(v) for v in upper.values()])
    assert [r.n_real for r in alloc.strata] == pytest.approx(best, abs=1e-9)


def test_minimums_lower_bounds_only() -> None:
    pop = {"a": 5000, "b": 200, "c": 100, "d": 3}
    alloc = allocate(pop, 100, "proportional", min_n=10)
    # d (N = 3) is taken whole (m_h = min(10, N_h)); b, c get their minimum; a the rest.
    assert alloc.sizes == {"a": 77, "b": 10, "c": 10, "d": 3}
    assert [r.lower for r in alloc.strata] == [10, 10, 10, 3]
    assert alloc.take_all == ("d",)
    a = [5000.0, 200.0, 100.0, 3.0]
    assert [r.n_real for r in alloc.strata] == pytest.approx(
        brute_force_optimum(a, 100, [10, 10, 10, 3], [5000, 200, 100, 3]), abs=1e-9
    )


def test_zero_sd_stratum_gets_its_minimum() -> None:
    alloc = allocate({"a": 100, "b": 100}, 20, "neyman", stddev={"a": 0.0, "b": 3.0}, min_n=2)
    assert alloc.sizes == {"a": 2, "b": 18}


def test_fixed_method() -> None:
    alloc = allocate({"a": 10, "b": 20}, None, "fixed", fixed={"a": 10, "b": 5})
    assert alloc.n == 15
    assert alloc.multiplier is None
    assert alloc.take_all == ("a",)
    assert allocate({"a": 10, "b": 20}, 15, "fixed", fixed={"a": 10, "b": 5}).sizes == {"a": 10, "b": 5}
    zero = allocate({"a": 10, "b": 20}, None, "fixed", fixed={"a": 0, "b": 5})
    assert zero["a"].design_weight is None
    assert zero["a"].sampling_fraction == 0.0


# --------------------------------------------------------------------------------------------------
# rounding
# --------------------------------------------------------------------------------------------------


def test_hamilton_ties_go_to_stratum_order() -> None:
    assert list(allocate(dict.fromkeys("abcd", 100), 10, "equal").sizes.values()) == [3, 3, 2, 2]
    assert list(allocate(dict.fromkeys("dcba", 100), 10, "equal").sizes.items()) == [
        ("d", 3),
        ("c", 3),
        ("b", 2),
        ("a", 2),
    ]
    assert list(allocate({"x": 1, "y": 1, "z": 1}, 2, "proportional").sizes.values()) == [1, 1, 0]
    # float noise below 1e-9 does not break a tie
    assert round_hamilton([0.5, 0.5 + 1e-12, 1.0], 2) == [1, 0, 1]
    # largest remainder wins over order
    assert round_hamilton([0.4, 0.6, 1.0], 2) == [0, 1, 1]
    # a value at its upper bound never rounds up past it; values within 1e-9 of a whole number snap
    assert round_hamilton([2.0000000000001, 0.9999999999999, 1.0], 4, upper=[2, 5, 5]) == [2, 1, 1]


def test_hamilton_matches_known_apportionment() -> None:
    # Classic largest-remainder example: 3 parties, votes 4700, 3300, 2000 -> 10 seats.
    alloc = allocate({"A": 4700, "B": 3300, "C": 2000}, 10, "proportional")
    assert alloc.sizes == {"A": 5, "B": 3, "C": 2}
    # 5.81, 2.19 ... (Alabama-paradox style numbers): floors 5, 2, 1 + 1 leftover to the .81
    alloc = allocate({"A": 581, "B": 219, "C": 200}, 10, "proportional")
    assert alloc.sizes == {"A": 6, "B": 2, "C": 2}


def test_response_rate_inflation() -> None:
    alloc = allocate(
        {"a": 1000, "b": 500, "c": 60}, 100, "fixed", fixed={"a": 30, "b": 45, "c": 25}, response_rate=0.3
    )
    # 30 / 0.3 is exactly 100 (not 101 from float noise); 45 / 0.3 = 150; 25 / 0.3 = 83.3 -> 84 capped at 60
    assert alloc.sizes == {"a": 30, "b": 45, "c": 25}
    assert alloc.issued_sizes == {"a": 100, "b": 150, "c": 60}
    assert alloc.n == 100
    assert alloc.n_issued == 310
    assert alloc.take_all == ("c",)
    assert alloc["a"].design_weight == pytest.approx(10.0)
    per = allocate({"a": 1000, "b": 500}, 100, "proportional", response_rate={"a": 0.5, "b": 0.8})
    assert per.sizes == {"a": 67, "b": 33}
    assert per.issued_sizes == {"a": 134, "b": 42}  # 33 / 0.8 = 41.25 -> 42


# --------------------------------------------------------------------------------------------------
# the bounded optimum against brute force
# --------------------------------------------------------------------------------------------------


@st.composite
def bounded_problems(draw: st.DrawFn) -> tuple[list[float], float, list[float], list[float]]:
    h = draw(st.integers(1, 5))
    a = [float(draw(st.integers(0, 50))) for _ in range(h)]
    if sum(a) == 0:
        a[0] = 1.0
    lo = [float(draw(st.integers(0, 10))) for _ in range(h)]
    # a stratum with A_h > 0 forced to 0 would make sum A^2/n infinite everywhere: give it room
    up = [lo[i] + float(draw(st.integers(0 if a[i] == 0 else 1, 30))) for i in range(h)]
    reachable = sum(up[i] if a[i] > 0 else lo[i] for i in range(h))
    n = draw(st.floats(sum(lo), reachable, allow_nan=False))
    return a, n, lo, up


@settings(max_examples=300, deadline=None)
@given(bounded_problems())
def test_lambda_clip_equals_brute_force_optimum(
    problem: tuple[list[float], float, list[float], list[float]],
) -> None:
    a, n, lo, up = problem
    x, lam = lambda_clip(a, n, lo, up)
    assert math.fsum(x) == pytest.approx(n, abs=1e-8)
    assert all(lo[h] - 1e-12 <= x[h] <= up[h] + 1e-12 for h in range(len(a)))
    assert x == pytest.approx(
        [min(max(lam * ah, m), big) for ah, m, big in zip(a, lo, up, strict=True)], abs=1e-8
    )
    best = brute_force_optimum(a, n, lo, up)
    assert objective(a, x) == pytest.approx(objective(a, best), rel=1e-9, abs=1e-9)
    for h in range(len(a)):
        if a[h] > 0:
            assert x[h] == pytest.approx(best[h], abs=1e-6)
    # pairwise (projected) optimality: no transfer of units between free/bounded strata helps
    for i, j in itertools.permutations(range(len(a)), 2):
        if a[i] > 0 and a[j] > 0 and x[i] < up[i] - 1e-9 and x[j] > lo[j] + 1e-9:
            # moving a unit from j to i must not decrease sum A^2/x: marginal gain <= marginal loss
            assert a[i] ** 2 / x[i] ** 2 <= a[j] ** 2 / x[j] ** 2 * (1 + 1e-7)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 400), min_size=1, max_size=6),
    st.lists(st.floats(0.1, 50), min_size=6, max_size=6),
    st.data(),
)
def test_upper_bounds_only_equals_recursive_neyman(
    sizes: list[int], sds: list[float], data: st.DataObject
) -> None:
    names = [f"h{i}" for i in range(len(sizes))]
    n = data.draw(st.integers(1, sum(sizes)))
    alloc = allocate(
        dict(zip(names, sizes, strict=True)), n, "neyman", stddev=dict(zip(names, sds, strict=False))
    )
    a = [sizes[i] * sds[i] for i in range(len(sizes))]
    assert [r.n_real for r in alloc.strata] == pytest.approx(
        recursive_neyman(a, n, [float(s) for s in sizes]), abs=1e-7
    )
    ints = list(alloc.sizes.values())
    assert sum(ints) == n
    assert all(0 <= ints[i] <= sizes[i] for i in range(len(sizes)))
    assert all(abs(ints[i] - alloc.strata[i].n_real) < 1 for i in range(len(sizes)))
    for row in alloc.strata:
        assert row.take_all == (row.n == row.population)
        if row.n:
            assert row.design_weight == pytest.approx(row.population / row.n)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_integer_allocation_respects_bounds(data: st.DataObject) -> None:
    h = data.draw(st.integers(1, 6))
    sizes = data.draw(st.lists(st.integers(0, 300), min_size=h, max_size=h))
    names = [f"h{i}" for i in range(h)]
    mins = {names[i]: data.draw(st.integers(0, sizes[i])) for i in range(h)}
    maxs = {names[i]: data.draw(st.integers(mins[names[i]], max(mins[names[i]], sizes[i]))) for i in range(h)}
    lo, up = sum(mins.values()), sum(maxs.values())
    if up == 0:
        return
    n = data.draw(st.integers(max(lo, 1), up))
    method = data.draw(st.sampled_from(["equal", "proportional", "power"]))
    if method != "equal":  # strata with N_h = 0 have measure 0 and cannot take more than their minimum
        reachable = sum(maxs[nm] if sizes[i] > 0 else mins[nm] for i, nm in enumerate(names))
        if n > reachable:
            return
    alloc = allocate(dict(zip(names, sizes, strict=True)), n, method, min_n=mins, max_n=maxs)
    assert alloc.n == n
    for row in alloc.strata:
        assert row.lower <= row.n <= row.upper
        assert abs(row.n - row.n_real) < 1
        if row.n_real == row.lower or row.n_real == row.upper:
            assert row.n == row.n_real  # pinned at an integer bound: keeps it


def test_real_optimum_is_a_lower_bound_of_exhaustive_integer_search() -> None:
    a = [30.0, 5.0, 12.0, 1.0]
    lo, up = [2, 1, 0, 1], [9, 9, 4, 9]
    for n in range(sum(lo), sum(up) + 1):
        x, _ = lambda_clip(a, n, lo, up)
        real = objective(a, x)
        best_int = min(
            objective(a, [float(v) for v in combo])
            for combo in itertools.product(*(range(lo[h], up[h] + 1) for h in range(4)))
            if sum(combo) == n
        )
        assert real <= best_int + 1e-9
        rounded = round_hamilton(x, n, up)
        assert sum(rounded) == n
        assert all(lo[h] <= rounded[h] <= up[h] for h in range(4))
        # largest-remainder rounding of the real optimum is close to the exact integer optimum here
        assert objective(a, [float(v) for v in rounded]) <= best_int * 1.05


# --------------------------------------------------------------------------------------------------
# storage and table
# --------------------------------------------------------------------------------------------------


def test_to_dict_round_trip_and_table() -> None:
    alloc = allocate(
        STRAT_N,
        190,
        "neyman",
        stddev=STRAT_S,
        min_n={"s4": 10},
        max_n={"s3": 80},
        response_rate={"s1": 0.5, "s2": 0.6, "s3": 0.7, "s4": 0.9},
    )
    stored = json.loads(json.dumps(alloc.to_dict()))
    again = Allocation.from_dict(stored)
    assert again == alloc
    assert stored["inputs"]["stddev"] == {k: float(v) for k, v in STRAT_S.items()}
    assert stored["n"] == 190
    assert stored["n_issued"] == alloc.n_issued
    table = alloc.as_table()
    assert [row["stratum"] for row in table] == list(STRAT_N)
    assert set(table[0]) == {
        "stratum",
        "population",
        "lower",
        "upper",
        "n_real",
        "n",
        "issued",
        "take_all",
        "design_weight",
        "sampling_fraction",
    }
    assert alloc.population_total == 14000


# --------------------------------------------------------------------------------------------------
# infeasible requests
# --------------------------------------------------------------------------------------------------

POP = {"north": 100, "south": 50}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 10, "method": "random"}, "unknown allocation method 'random'; use one of equal, proportional"),
        ({"n": 0}, "n must be a whole number > 0; got 0"),
        ({"n": -5}, "n must be a whole number > 0"),
        ({"n": 2.5}, "n must be a whole number > 0"),
        ({"n": 151}, r"n = 151 is more than the frame can give \(sum of min\(N_h, max_n\) = 150\); lower n"),
        (
            {"n": 100, "max_n": {"north": 40}},
            r"n = 100 is more than the frame can give .* = 90\); lower n or raise max_n",
        ),
        (
            {"n": 15, "min_n": 10, "population": {"a": 10, "b": 10, "c": 10}},
            "the minimums add up to 30 but n = 15; raise n to at least 30 or lower min_n",
        ),
        (
            {"n": 10, "method": "neyman", "stddev": {"south": 1.0}},
            "stratum 'north' has no standard deviation; give S_h for every stratum or use proportional",
        ),
        (
            {"n": 10, "method": "neyman", "stddev": {"north": float("nan"), "south": 1.0}},
            "stratum 'north' has no standard deviation; give S_h for every stratum or use proportional",
        ),
        (
            {"n": 10, "method": "neyman"},
            "method 'neyman' needs stddev: give S_h for every stratum or use proportional",
        ),
        (
            {"n": 10, "method": "neyman", "stddev": {"north": -1, "south": 1.0}},
            "stratum 'north' has a negative standard deviation",
        ),
        (
            {"n": 10, "method": "neyman", "stddev": {"north": 1, "south": 1, "east": 1}},
            "stddev names strata that are not in the population: 'east'",
        ),
        ({"n": 10, "method": "optimal", "stddev": {"north": 1, "south": 1}}, "method 'optimal' needs cost"),
        (
            {
                "n": 10,
                "method": "optimal",
                "stddev": {"north": 1, "south": 1},
                "cost": {"north": 0, "south": 5},
            },
            "stratum 'north' has cost 0; costs per completed interview must be > 0",
        ),
        (
            {
                "n": 10,
                "method": "optimal",
                "stddev": {"north": 1, "south": 1},
                "cost": {"north": 2, "south": -5},
            },
            "stratum 'south' has cost -5",
        ),
        (
            {"n": 10, "method": "optimal", "stddev": {"north": 1, "south": 1}, "cost": {"north": 2}},
            "stratum 'south' has no cost",
        ),
        (
            {"n": 10, "min_n": 2, "population": {"a": 10, "empty": 0}},
            r"stratum 'empty' is empty \(N_h = 0\) but a minimum of 2 per stratum was asked",
        ),
        (
            {"n": 10, "min_n": {"empty": 1}, "population": {"a": 10, "empty": 0}},
            r"stratum 'empty' is empty \(N_h = 0\) but min_n asks for 1",
        ),
        (
            {"n": 10, "min_n": {"south": 60}},
            r"min_n for stratum 'south' is 60 but its frame has only N_h = 50 units; lower it to at most 50",
        ),
        (
            {"n": 10, "min_n": {"south": 5}, "max_n": {"south": 3}},
            r"stratum 'south' has minimum 5 but maximum 3",
        ),
        (
            {"n": None, "method": "fixed", "fixed": {"north": 101, "south": 5}},
            r"fixed n_h = 101 for stratum 'north' is larger than its frame \(N_h = 100\); "
            "lower it to at most 100",
        ),
        ({"n": None, "method": "fixed", "fixed": {"north": 10}}, "stratum 'south' has no fixed sample size"),
        (
            {"n": None, "method": "fixed", "fixed": {"north": -1, "south": 1}},
            "fixed n_h for stratum 'north' is -1",
        ),
        (
            {"n": None, "method": "fixed", "fixed": {"north": 0, "south": 0}},
            "the fixed sample sizes add up to 0; n must be > 0",
        ),
        (
            {"n": 20, "method": "fixed", "fixed": {"north": 10, "south": 5}},
            r"the fixed sample sizes add up to 15 but n = 20; pass n=15 or n=None",
        ),
        (
            {"n": None, "method": "fixed", "fixed": {"north": 1, "south": 5}, "min_n": 2},
            "fixed n_h = 1 for stratum 'north' is below its minimum 2",
        ),
        ({"n": None, "method": "fixed"}, "method 'fixed' needs fixed"),
        (
            {"n": 10, "stddev": {"north": 1, "south": 1}},
            "stddev is only used by the neyman and optimal methods, not 'proportional'",
        ),
        ({"n": 10, "cost": {"north": 1, "south": 1}}, "cost is only used by the optimal method"),
        ({"n": 10, "method": "power", "power": 1.5}, "power must be between 0 and 1"),
        ({"n": 10, "population": {}}, "population must be a non-empty mapping"),
        (
            {"n": 10, "population": {"a": -3}},
            "stratum 'a' has population -3; N_h must be a whole number >= 0",
        ),
        ({"n": 10, "population": {"a": 3.5}}, "stratum 'a' has population 3.5"),
        ({"n": 10, "response_rate": 0}, "response rate for stratum 'north' is 0; it must be > 0 and <= 1"),
        ({"n": 10, "response_rate": 1.2}, "response rate for stratum 'north' is 1.2"),
        ({"n": 10, "response_rate": {"north": 0.5}}, "stratum 'south' has no response rate"),
        (
            {"n": 60, "method": "neyman", "stddev": {"north": 0.0, "south": 1.0}},
            r"n = 60 cannot be reached with method 'neyman': "
            r"strata 'north' have allocation measure 0 \(S_h = 0\)",
        ),
    ],
)
def test_infeasible_requests_raise_with_a_specific_message(kwargs: dict[str, object], message: str) -> None:
    args = dict(kwargs)
    population = args.pop("population", POP)
    n = args.pop("n")
    with pytest.raises(AllocationError, match=message):
        allocate(population, n, **args)  # type: ignore[arg-type]


def test_allocation_error_is_a_value_error() -> None:
    assert issubclass(AllocationError, ValueError)
    with pytest.raises(ValueError, match="n must be"):
        allocate(POP, 0)


def test_lambda_clip_rejects_unreachable_totals() -> None:
    with pytest.raises(AllocationError, match="lower bounds add up to 5"):
        lambda_clip([1, 1], 4, [2, 3], [10, 10])
    with pytest.raises(AllocationError, match="more than the bounds allow"):
        lambda_clip([1, 0], 12, [0, 0], [10, 10])
