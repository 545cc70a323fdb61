"""Sampling design core: allocation, stratified draw, interviewer assignment.

No staff member and no interviewer ever chooses who is asked: the sample sizes come from a documented
optimisation (:func:`allocate`), the units from a seeded random draw (:func:`draw`) and the
interviewer of each case from a seeded random, balanced assignment (:func:`assign`).  The package is
pure Python + numpy (no web framework, no database), so analysts can use it from a notebook::

    >>> from survey_app.sampling.design import allocate, draw, assign
    >>> frame = ["north"] * 600 + ["south"] * 300 + ["islands"] * 20
    >>> alloc = allocate({"north": 600, "south": 300, "islands": 20}, 100, "neyman",
    ...                  stddev={"north": 1.0, "south": 2.0, "islands": 4.0}, min_n=10)
    >>> alloc.sizes
    {'north': 45, 'south': 45, 'islands': 10}
    >>> sample = draw(frame, alloc, seed=20240601, replicates=4)
    >>> len(sample), sorted(set(sample.replicate.tolist()))
    (100, [1, 2, 3, 4])
    >>> workers = assign([frame[i] for i in sample.indices], ["ana", "ben", "chloe"], seed=7)
    >>> sorted(workers.count(w) for w in ("ana", "ben", "chloe"))
    [33, 33, 34]

``alloc.as_table()`` gives one dict per stratum (real and integer ``n_h``, issued sample, take-all
flag, design weight ``N_h/n_h``, sampling fraction); ``alloc.to_dict()`` / ``Allocation.from_dict``
store it.  ``sample.indices`` are positions in the frame, ``sample.weights`` the design weights and
``sample.replicate`` the release group of each unit.

References: Cochran, *Sampling Techniques* (1977) ch. 5 (Neyman/optimal allocation, take-all strata);
Bankier (1988) power allocation; Wright (2012, 2017) on rounding; stratallo (Wójciak) for the bounded
optimum; Tillé, R ``sampling::inclusionprobabilities``; Kish (1962) on interpenetration.
"""

from survey_app.sampling.design.allocation import (
    METHODS,
    Allocation,
    AllocationError,
    StratumAllocation,
    allocate,
    lambda_clip,
    round_hamilton,
)
from survey_app.sampling.design.assignment import assign, assign_pools
from survey_app.sampling.design.draw import Draw, draw, inclusion_probabilities

__all__ = [
    "METHODS",
    "Allocation",
    "AllocationError",
    "Draw",
    "StratumAllocation",
    "allocate",
    "assign",
    "assign_pools",
    "draw",
    "inclusion_probabilities",
    "lambda_clip",
    "round_hamilton",
]
