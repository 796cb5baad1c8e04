"""Vectorised conditional randomisation for local statistics on binary weights.

esda's conditional randomisation (``esda.crand``) holds each location's own value fixed and
redraws its ``k_i`` neighbours' values, without replacement, from the other ``n - 1``
locations. With binary weights the simulated statistic is an affine function of one number,
the sum ``S`` of the ``k_i`` redrawn values, so counting how many simulations reach the
observed statistic is a sort and a ``searchsorted`` per distinct cardinality instead of a
loop over locations. Like esda, one set of random draws is shared by all locations.

Each simulation is a random ordered sample of ``k_max + 1`` distinct positions. Location
``i`` takes the first ``k_i`` of them; when ``i`` is among those, it is swapped for the
spare last position. By exchangeability this is a uniform ``k_i``-subset of the other
``n - 1`` positions, i.e. exactly esda's null distribution.
"""

from __future__ import annotations

import numpy as np

#: Relative tolerance when comparing a simulated with an observed statistic, so ties
#: (common with zero-filled cells) count as "at least as large" like esda's ``>=``.
_TIE_RTOL = 1e-9


def _distinct_draws(n: int, size: int, permutations: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``(permutations, size)`` positions in ``range(n)``, distinct within each row."""
    if 4 * size > n:  # dense: rejection would rarely succeed, shuffle whole rows instead
        return np.argsort(rng.random((permutations, n)), axis=1)[:, :size]
    draws = rng.integers(0, n, size=(permutations, size))
    while True:
        ordered = np.sort(draws, axis=1)
        bad = (np.diff(ordered, axis=1) == 0).any(axis=1)
        if not bad.any():
            return draws
        draws[bad] = rng.integers(0, n, size=(int(bad.sum()), size))


def _count_reaching(sums: np.ndarray, coef: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Count ``coef * sums >= coef * thresholds`` for each location against sorted ``sums``."""
    tol = _TIE_RTOL * (np.abs(thresholds) + 1.0)
    n_sims = len(sums)
    above = n_sims - np.searchsorted(sums, thresholds - tol, side="left")
    below = np.searchsorted(sums, thresholds + tol, side="right")
    return np.where(coef > 0, above, np.where(coef < 0, below, n_sims))


def _reaches(value: np.ndarray, coef: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Elementwise version of :func:`_count_reaching` (bool)."""
    tol = _TIE_RTOL * (np.abs(thresholds) + 1.0)
    return np.where(
        coef > 0, value >= thresholds - tol, np.where(coef < 0, value <= thresholds + tol, True)
    )


def folded_pseudo_p(larger: np.ndarray, permutations: int) -> np.ndarray:
    """Pseudo p-value as esda defines it: ``(min(larger, P - larger) + 1) / (P + 1)`` (one tail)."""
    larger = np.minimum(larger, permutations - larger)
    return (larger + 1.0) / (permutations + 1.0)


def conditional_pseudo_p(
    values: np.ndarray,
    cardinality: np.ndarray,
    coef: np.ndarray,
    observed: np.ndarray,
    *,
    permutations: int,
    seed: int,
) -> np.ndarray:
    """Pseudo p-values of statistics ``coef_i * S_i + c_i`` under conditional randomisation.

    Parameters
    ----------
    values : numpy.ndarray
        The values redrawn for neighbours (``y`` for Gi*, ``z`` for Local Moran), length n.
    cardinality : numpy.ndarray
        Number of neighbours ``k_i`` of each location (self excluded), ints.
    coef : numpy.ndarray
        Multiplier of the neighbour sum in the statistic; its sign decides the direction.
    observed : numpy.ndarray
        The observed neighbour sum ``S_i`` (the statistic mapped back through the affine
        function, so constant terms cancel).
    permutations : int
        Number of simulations (9,999 or more to survive FDR on thousands of locations).
    seed : int
        Seed of the random generator.

    Returns
    -------
    numpy.ndarray
        Folded one-tailed pseudo p-values, esda's ``p_sim`` definition; 1 for locations
        without neighbours.
    """
    values = np.asarray(values, dtype=float)
    card = np.asarray(cardinality, dtype=np.int64)
    n = len(values)
    k_max = int(card.max()) if n else 0
    if k_max == 0 or n < 2:
        return np.ones(n)
    k_max = min(k_max, n - 1)
    rng = np.random.default_rng(seed)
    draws = _distinct_draws(n, k_max + 1, permutations, rng)
    drawn = values[draws]
    sums = np.cumsum(drawn[:, :k_max], axis=1)
    spare = drawn[:, k_max]
    larger = np.zeros(n, dtype=np.int64)
    for k in np.unique(card[card > 0]):
        at = np.flatnonzero(card == k)
        larger[at] = _count_reaching(np.sort(sums[:, k - 1]), coef[at], observed[at])
    # simulations where location i drew itself: swap i for the spare draw
    sim = np.repeat(np.arange(permutations), k_max)
    pos = np.tile(np.arange(k_max), permutations)
    who = draws[sim, pos]
    hit = pos < card[who]
    sim, who = sim[hit], who[hit]
    before = sums[sim, card[who] - 1]
    after = before - values[who] + spare[sim]
    delta = _reaches(after, coef[who], observed[who]).astype(np.int64)
    delta -= _reaches(before, coef[who], observed[who])
    np.add.at(larger, who, delta)
    p_sim = folded_pseudo_p(larger, permutations)
    p_sim[card == 0] = 1.0  # no neighbours: nothing to randomise
    return p_sim
