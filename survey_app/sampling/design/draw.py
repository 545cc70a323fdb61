"""Stratified simple random sampling without replacement, released in random replicate groups.

:func:`draw` selects, in every stratum ``h``, ``n_h`` of the ``N_h`` frame units with equal probability
and without replacement (stratified SRSWOR), using only ``numpy.random.default_rng(seed)``:

1. the frame's stratum labels are coded once and the positions are sorted by stratum with one stable
   argsort (positions keep frame order inside a stratum);
2. strata are visited in the order of the allocation; for each stratum with ``n_h > 0`` the generator
   draws ``N_h`` uniform keys (``rng.random(N_h)``), and the units with the ``n_h`` smallest keys form the
   sample, in increasing key order (a uniformly random order);
3. that random order deals the units round-robin into replicate groups ``1..R``, continuing from where
   the previous stratum stopped (the first group is chosen with ``rng.integers(R)``), so replicate sizes
   differ by at most one overall and within every stratum, and each replicate is itself a random
   stratified subsample: releasing replicates 1..k and stopping there keeps the sample unbiased.

The design weight of a selected unit is ``N_h / n_h`` (exactly 1 in a take-all stratum).  The result
records the seed, :data:`ALGORITHM_VERSION` and the numpy version; re-running with the same frame (same
order), allocation and seed gives the same sample.  The random-key method uses only the generator's
stream of doubles, which numpy keeps stable, rather than ``Generator.choice`` whose algorithm may change.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from survey_app.sampling.design.allocation import Allocation

__all__ = ["ALGORITHM_VERSION", "Draw", "draw", "inclusion_probabilities"]

#: Stored with every draw; bump whenever the same (frame, allocation, seed) could select other units.
ALGORITHM_VERSION = "stratified-srswor/1: PCG64 default_rng, random keys, round-robin replicates"

# Integer labels up to this value are coded with a lookup table instead of a sort.
_MAX_DENSE_CODE = 1 << 22


@dataclass(frozen=True, eq=False)
class Draw:
    """A drawn sample; the arrays are aligned and ordered by frame position.

    Attributes:
        indices: positions of the selected units in the frame that was passed to :func:`draw`
            (ascending).
        strata: stratum label of each selected unit (object array).
        weights: design weight ``N_h / n_h`` of each selected unit (1.0 in take-all strata).
        replicate: replicate group ``1..replicates`` of each selected unit (release order).
        seed: the seed given to ``numpy.random.default_rng``.
        replicates: number of replicate groups.
        population: ``N_h`` per stratum as counted in the frame (allocation order).
        sample_sizes: ``n_h`` drawn per stratum (allocation order).
        algorithm_version: :data:`ALGORITHM_VERSION`.
        numpy_version: numpy version used (part of what is needed to reproduce the draw).
    """

    indices: NDArray[np.intp]
    strata: NDArray[np.object_]
    weights: NDArray[np.float64]
    replicate: NDArray[np.int64]
    seed: int
    replicates: int
    population: dict[Hashable, int]
    sample_sizes: dict[Hashable, int]
    algorithm_version: str = ALGORITHM_VERSION
    numpy_version: str = np.__version__

    def __len__(self) -> int:
        """Number of selected units."""
        return int(self.indices.shape[0])

    def released(self, upto: int) -> NDArray[np.intp]:
        """Frame positions of the units in replicate groups ``1..upto`` (what fieldwork has released)."""
        return self.indices[self.replicate <= upto]

    def as_records(self) -> list[dict[str, Any]]:
        """One plain dict per selected unit: ``position``, ``stratum``, ``weight``, ``replicate``."""
        return [
            {"position": int(i), "stratum": s, "weight": float(w), "replicate": int(r)}
            for i, s, w, r in zip(
                self.indices.tolist(),
                self.strata.tolist(),
                self.weights.tolist(),
                self.replicate.tolist(),
                strict=True,
            )
        ]

    def metadata(self) -> dict[str, Any]:
        """What to persist with the sample to reproduce and audit it (JSON-compatible when labels are)."""
        return {
            "algorithm_version": self.algorithm_version,
            "numpy_version": self.numpy_version,
            "seed": self.seed,
            "replicates": self.replicates,
            "population": dict(self.population),
            "sample_sizes": dict(self.sample_sizes),
            "n": len(self),
        }


def draw(
    frame_strata: Sequence[Hashable] | ArrayLike,
    allocation: Allocation | Mapping[Any, int],
    seed: int,
    *,
    replicates: int = 1,
    labels: Sequence[Hashable] | None = None,
) -> Draw:
    """Draw a stratified simple random sample without replacement (see the module docstring).

    Args:
        frame_strata: the stratum label of every frame unit, in frame order (a list or a 1-D numpy
            array).  Fastest with integer codes: pass e.g. ``pandas.Categorical.codes`` here and the
            category names as ``labels``; 1,000,000 units in 50 strata then take about 20 ms.
        allocation: an :class:`~survey_app.sampling.design.Allocation` (its *issued* sizes are drawn,
            and its ``N_h`` must match the frame), or a mapping stratum -> ``n_h``.  Every stratum in the
            frame must appear (give 0 to skip one).
        seed: seed (>= 0) for ``numpy.random.default_rng``; store it with the sample.
        replicates: number of random replicate groups to release the sample in.
        labels: with integer codes in ``frame_strata``, the stratum name of each code.

    Returns:
        a :class:`Draw`.

    Raises:
        ValueError: unknown strata, ``n_h > N_h``, an allocation computed on a different frame, or bad
            arguments.
    """
    seed_value = _whole(seed)
    if seed_value is None or seed_value < 0:
        raise ValueError(f"seed must be a whole number >= 0; got {seed!r}")
    n_groups = _whole(replicates)
    if n_groups is None or n_groups < 1:
        raise ValueError(f"replicates must be a whole number >= 1; got {replicates!r}")

    expected: dict[Hashable, int] | None = None
    if isinstance(allocation, Allocation):
        sizes: dict[Hashable, int] = {row.stratum: row.issued for row in allocation.strata}
        expected = {row.stratum: row.population for row in allocation.strata}
    else:
        sizes = {}
        for name, value in allocation.items():
            size = _whole(value)
            if size is None or size < 0:
                raise ValueError(
                    f"sample size for stratum {name!r} is {value!r}; it must be a whole number >= 0"
                )
            sizes[name] = size
    names = list(sizes)
    position_of = {name: h for h, name in enumerate(names)}

    codes, code_labels = _factorize(frame_strata, labels)
    code_counts = np.bincount(codes, minlength=len(code_labels))
    present = np.flatnonzero(code_counts)
    unknown = [code_labels[c] for c in present.tolist() if code_labels[c] not in position_of]
    if unknown:
        listed = ", ".join(repr(u) for u in unknown[:10])
        raise ValueError(
            f"the frame has strata that are not in the allocation: {listed}; "
            "allocate them (give 0 to skip a stratum)"
        )
    lut = np.zeros(len(code_labels), dtype=np.intp)
    for c in present.tolist():
        lut[c] = position_of[code_labels[c]]
    n_strata = len(names)
    small = np.uint8 if n_strata <= 1 << 8 else (np.uint16 if n_strata <= 1 << 16 else np.intp)
    stratum_codes = lut.astype(small)[codes]
    # N_h from the per-code counts (no second pass over the frame).
    counts = np.bincount(lut[present], weights=code_counts[present], minlength=n_strata).astype(np.int64)

    problems = []
    for h, name in enumerate(names):
        big_n = int(counts[h])
        if expected is not None and expected[name] != big_n:
            problems.append(
                f"stratum {name!r} has {big_n} frame units but the allocation was computed for "
                f"N_h = {expected[name]}"
            )
        elif sizes[name] > big_n:
            problems.append(f"stratum {name!r} asks for n_h = {sizes[name]} but the frame has N_h = {big_n}")
    if problems:
        hint = "recompute the allocation on this frame" if expected is not None else "lower n_h"
        raise ValueError("; ".join(problems) + f"; {hint}")

    order = np.argsort(stratum_codes, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)))
    rng = np.random.default_rng(seed_value)
    offset = int(rng.integers(n_groups)) if n_groups > 1 else 0
    picked: list[NDArray[np.intp]] = []
    groups: list[NDArray[np.int64]] = []
    for h, name in enumerate(names):
        n_h, big_n = sizes[name], int(counts[h])
        if n_h == 0:
            continue
        keys = rng.random(big_n)
        chosen = _smallest(keys, n_h) if n_h < big_n else np.argsort(keys, kind="stable")
        picked.append(order[starts[h] + chosen])
        groups.append((offset + np.arange(n_h, dtype=np.int64)) % n_groups + 1)
        offset = (offset + n_h) % n_groups

    if picked:
        positions = np.concatenate(picked)
        replicate = np.concatenate(groups)
    else:
        positions = np.zeros(0, dtype=np.intp)
        replicate = np.zeros(0, dtype=np.int64)
    sort = np.argsort(positions, kind="stable")
    positions = positions[sort]
    replicate = replicate[sort]
    unit_strata = stratum_codes[positions].astype(np.intp)

    per_stratum_weight = np.array(
        [counts[h] / sizes[name] if sizes[name] else 0.0 for h, name in enumerate(names)], dtype=np.float64
    )
    label_array = np.empty(n_strata, dtype=object)
    label_array[:] = names
    return Draw(
        indices=positions.astype(np.intp),
        strata=label_array[unit_strata],
        weights=per_stratum_weight[unit_strata],
        replicate=replicate.astype(np.int64),
        seed=seed_value,
        replicates=n_groups,
        population={name: int(counts[h]) for h, name in enumerate(names)},
        sample_sizes=dict(sizes),
    )


def _smallest(keys: NDArray[np.float64], n: int) -> NDArray[np.intp]:
    """Positions of the ``n`` smallest of ``keys`` (uniform on [0, 1)), in increasing key order.

    The n-th smallest of N uniform keys is close to n/N, so only the keys below a bound six
    standard deviations above it are partitioned: one cheap comparison pass over the stratum
    instead of a selection over all of it. The result is the same as selecting over all keys (the
    n smallest keys are all below the bound whenever at least n are); in the rare case that fewer
    than n fall below it, the selection runs over all keys.
    """
    big_n = keys.shape[0]
    share = n / big_n
    bound = share + 6.0 * np.sqrt(share * (1.0 - share) / big_n) + 1.0 / big_n
    chosen: NDArray[np.intp] | None = None
    if bound < 0.5:
        candidates = np.flatnonzero(keys < bound)
        if candidates.size >= n:
            chosen = candidates[np.argpartition(keys[candidates], n - 1)[:n]]
    if chosen is None:
        chosen = np.argpartition(keys, n - 1)[:n]
    return chosen[np.argsort(keys[chosen], kind="stable")]


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    return None


def _factorize(
    frame_strata: Sequence[Hashable] | ArrayLike, labels: Sequence[Hashable] | None
) -> tuple[NDArray[np.intp], list[Hashable]]:
    """Integer codes ``0..K-1`` for the frame's labels, and the label of each code."""
    if labels is not None:
        codes = np.asarray(frame_strata)
        if codes.ndim != 1 or (codes.size and codes.dtype.kind not in "iu"):
            raise ValueError("with labels=, frame_strata must be a 1-D array of integer codes")
        names = list(labels)
        if len(set(names)) != len(names):
            raise ValueError("labels must be distinct")
        if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= len(names)):
            raise ValueError(f"stratum codes must be between 0 and {len(names) - 1} (one label per code)")
        return codes.astype(np.intp, copy=False), names
    if not isinstance(frame_strata, np.ndarray | Sequence) or isinstance(frame_strata, str | bytes):
        # other array-likes (a pandas Series, a tuple-like column, ...)
        frame_strata = np.asarray(frame_strata)
    if isinstance(frame_strata, np.ndarray):
        arr = frame_strata
        if arr.ndim != 1:
            raise ValueError("frame_strata must be one-dimensional")
        if arr.size == 0:
            return np.zeros(0, dtype=np.intp), []
        if arr.dtype.kind in "iu":
            low, high = int(arr.min()), int(arr.max())
            if low >= 0 and high < _MAX_DENSE_CODE:
                present = np.flatnonzero(np.bincount(arr))
                table = np.zeros(high + 1, dtype=np.intp)
                table[present] = np.arange(present.size)
                return table[arr], [int(v) for v in present.tolist()]
        if arr.dtype.kind in "iuUSb":
            uniques, inverse = np.unique(arr, return_inverse=True)
            return inverse.reshape(-1).astype(np.intp, copy=False), list(uniques.tolist())
        sequence: Sequence[Hashable] = arr.tolist()
    else:
        sequence = frame_strata
    index: dict[Hashable, int] = {}
    codes = np.fromiter(
        (index.setdefault(label, len(index)) for label in sequence), dtype=np.intp, count=len(sequence)
    )
    return codes, list(index)


def inclusion_probabilities(a: Sequence[float] | ArrayLike, n: int) -> NDArray[np.float64]:
    """First-order inclusion probabilities proportional to size, capped at 1 (R ``sampling``).

    Implements the logic of ``sampling::inclusionprobabilities(a, n)`` (Tillé & Matei): start from
    ``pi_k = n a_k / sum(a)``; while some ``pi_k >= 1``, set those to 1 (take-all units) and rescale the
    others to ``(n - #take-all) a_k / sum(a over the others)``.  ``sum(pi) == n``.  Example:
    ``inclusion_probabilities(range(1, 21), 12)`` gives ``k/17`` for ``k = 1..16`` and 1 for 17..20.

    Differences from R: negative or non-finite sizes raise ``ValueError`` (R shifts negatives to 0 with a
    warning), as does ``n`` larger than the number of positive sizes (the probabilities could not add up
    to ``n``).  Zero sizes get probability 0.  A probability within 1e-12 of 1 is treated as 1.

    Args:
        a: size measures ``a_k >= 0``.
        n: expected sample size, ``0 <= n <= #(a_k > 0)``.

    Returns:
        ``pi_k`` as a float64 array.
    """
    sizes = np.asarray(a, dtype=np.float64).reshape(-1)
    total_n = _whole(n)
    if total_n is None or total_n < 0:
        raise ValueError(f"n must be a whole number >= 0; got {n!r}")
    if not np.all(np.isfinite(sizes)) or np.any(sizes < 0):
        raise ValueError("size measures must be finite and >= 0")
    positive = sizes > 0
    if total_n > int(positive.sum()):
        raise ValueError(f"n = {total_n} is more than the {int(positive.sum())} units with a positive size")
    pik = np.zeros_like(sizes)
    if total_n == 0:
        return pik
    certain = np.zeros(sizes.shape, dtype=bool)
    while True:
        rest = positive & ~certain
        remaining = total_n - int(certain.sum())
        pik[certain] = 1.0
        if remaining == 0:
            pik[rest] = 0.0
            break
        pik[rest] = remaining * sizes[rest] / sizes[rest].sum()
        new = rest & (pik >= 1.0 - 1e-12)
        if not new.any():
            break
        certain |= new
    pik[certain] = 1.0
    return pik
