"""Emerging hot spot analysis: Gi* per time step, Mann-Kendall trend, 17 ArcGIS classes.

No Python library implements ArcGIS Pro's *Emerging Hot Spot Analysis* (esda issue #221);
this module follows ArcGIS's published definitions with the choices below made explicit.

Steps
    1. Gi* z-scores for every location and time step in one sparse product
       (:func:`geosoc.hotspots.gi_star_z`; the weights do not change over time), two-sided
       p-values (analytic, or conditional permutations per step).
    2. A step is a **hot** (cold) step of a location when its Gi* is significant and
       ``z > 0`` (``z < 0``). Significance: Benjamini-Hochberg q-value <= ``alpha`` across
       the locations of that step (``fdr=True``, as ArcGIS applies FDR), else ``p < alpha``.
    3. Mann-Kendall trend of each location's z-series against time, vectorised: ``S``,
       tie-corrected variance, no continuity correction; ``trend_tau`` is Kendall's tau-b
       and ``trend_p`` the two-sided normal p-value (both equal
       ``scipy.stats.kendalltau(time, z)`` with ``method="asymptotic"``).

Classes (``T`` steps; "90%" means ``n_hot_steps / T >= 0.9``; a trend is significant
when ``trend_p < alpha``). Evaluated in this order; the first match wins:

=====================  ========================================================================
New Hot Spot           final step hot; no earlier hot step
Consecutive Hot Spot   final run of >= 2 hot steps, no hot step before that run, < 90% hot
Intensifying Hot Spot  >= 90% hot, final step hot, significant upward trend
Persistent Hot Spot    >= 90% hot, final step hot, no significant trend
Diminishing Hot Spot   >= 90% hot, final step hot, significant downward trend
Sporadic Hot Spot      final step hot, < 90% hot, never a cold step (and not New/Consecutive)
Oscillating Hot Spot   final step hot, < 90% hot, at least one cold step (ditto)
(cold mirrors)         the same seven rules with hot and cold swapped and the trend reversed
Historical Hot Spot    final step not hot (nor cold), >= 90% hot
Historical Cold Spot   final step not cold (nor hot), >= 90% cold
No Pattern Detected    everything else
=====================  ========================================================================

Precedence choices (ArcGIS's text leaves them open): rules about the final step come before
the historical ones, so a location cold in the final step after 90% hot steps is a *New* (or
Sporadic/Oscillating) Cold Spot, not a Historical Hot Spot; Persistent requires the final
step hot (otherwise it is Historical); New wins over Oscillating when the only hot step is
the final one.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from scipy import stats

from geosoc.errors import AnalysisError, Problem
from geosoc.hotspots.local_stats import gi_star_z
from geosoc.hotspots.randomisation import conditional_pseudo_p
from geosoc.hotspots.significance import benjamini_hochberg
from geosoc.hotspots.weights import binary_adjacency

#: Hot-spot class names in precedence order (cold names are the same with "Cold").
_PATTERNS = ("New", "Consecutive", "Intensifying", "Persistent", "Diminishing", "Sporadic",
             "Oscillating")
#: All 17 ArcGIS classes.
EMERGING_CLASSES = (
    *(f"{p} Hot Spot" for p in _PATTERNS),
    *(f"{p} Cold Spot" for p in _PATTERNS),
    "Historical Hot Spot",
    "Historical Cold Spot",
    "No Pattern Detected",
)


def to_panel(
    incidents: pd.DataFrame,
    id_col: str,
    freq: Literal["M", "Q"] = "M",
    *,
    value: str = "harm",
    ids: pd.Index | None = None,
    periods: pd.PeriodIndex | None = None,
) -> pd.DataFrame:
    """Sum ``value`` per location and time period, zero-filled, in long form.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents with ``month`` (``Period[M]``), ``value`` and the location id column.
    id_col : str
        Location id column (``"h3"`` or ``"area_code"``).
    freq : {"M", "Q"}
        Monthly or quarterly periods.
    value : str
        Column to sum (``"harm"``; ``"count"`` counts rows when absent).
    ids : pandas.Index, optional
        Every location of the study area (a zero-filled cover); defaults to those seen.
    periods : pandas.PeriodIndex, optional
        Every period to keep; defaults to the full range seen.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id_col``; columns ``period`` (``Period[freq]``) and ``value``;
        one row per location and period.
    """
    period = incidents["month"].dt.asfreq(freq) if freq == "Q" else incidents["month"]
    weights = incidents[value] if value in incidents.columns else pd.Series(
        1.0, index=incidents.index)
    sums = weights.astype(float).groupby([incidents[id_col], period]).sum()
    ids = pd.Index(incidents[id_col].unique()) if ids is None else pd.Index(ids)
    if periods is None:
        periods = pd.period_range(period.min(), period.max(), freq=freq)
    full = pd.MultiIndex.from_product([ids, periods], names=[id_col, "period"])
    frame = sums.reindex(full, fill_value=0.0).rename(value).reset_index(level="period")
    return frame


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mann-Kendall trend test on each row of ``series`` against time, vectorised.

    Parameters
    ----------
    series : numpy.ndarray
        Shape ``(n_locations, T)``, equally spaced in time.

    Returns
    -------
    tuple of numpy.ndarray
        Kendall's tau-b and the two-sided p-value (tie-corrected variance, no continuity
        correction). Constant rows give tau 0 and p 1.
    """
    x = np.asarray(series, dtype=float)
    n_rows, t = x.shape
    s = np.zeros(n_rows)
    for lag in range(1, t):
        s += np.sign(x[:, lag:] - x[:, :-lag]).sum(axis=1)
    ordered = np.sort(x, axis=1)
    starts = np.ones_like(ordered, dtype=bool)
    starts[:, 1:] = np.diff(ordered, axis=1) != 0
    group = np.cumsum(starts.ravel()) - 1
    sizes = np.bincount(group).astype(float)
    row_of_group = np.repeat(np.arange(n_rows), t)[starts.ravel()]
    tie_var = np.bincount(row_of_group, sizes * (sizes - 1) * (2 * sizes + 5), n_rows)
    tie_pairs = np.bincount(row_of_group, sizes * (sizes - 1) / 2, n_rows)
    var = (t * (t - 1) * (2 * t + 5) - tie_var) / 18.0
    pairs = t * (t - 1) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = s / np.sqrt(pairs * (pairs - tie_pairs))
        p = 2 * stats.norm.sf(np.abs(s) / np.sqrt(var))
    flat = var <= 0
    tau[flat] = 0.0
    p[flat] = 1.0
    return tau, p


def _trailing_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True at the end of each row."""
    return np.cumprod(flags[:, ::-1], axis=1).sum(axis=1)


def _patterns(mine: np.ndarray, other: np.ndarray, trend: np.ndarray) -> list[np.ndarray]:
    """Return the seven final-step patterns (New ... Oscillating) as boolean rows."""
    t = mine.shape[1]
    count = mine.sum(axis=1)
    final = mine[:, -1]
    run = _trailing_run(mine)
    most = count / t >= 0.9
    new = final & (count == 1)
    consecutive = final & (run >= 2) & (count == run) & ~most
    rest = final & ~most & ~new & ~consecutive
    return [
        new,
        consecutive,
        final & most & (trend > 0),
        final & most & (trend == 0),
        final & most & (trend < 0),
        rest & ~other.any(axis=1),
        rest & other.any(axis=1),
    ]


def classify_emerging(
    z: np.ndarray, significant: np.ndarray, trend_tau: np.ndarray, trend_p: np.ndarray,
    *, alpha: float = 0.05,
) -> np.ndarray:
    """Assign each location one of the 17 ArcGIS emerging hot spot classes.

    Parameters
    ----------
    z : numpy.ndarray
        Gi* z-scores, shape ``(n_locations, T)``, oldest step first.
    significant : numpy.ndarray
        Boolean, same shape: the step's Gi* is significant.
    trend_tau, trend_p : numpy.ndarray
        Mann-Kendall tau and p-value of each location's z-series.
    alpha : float
        Level for the trend to count as significant.

    Returns
    -------
    numpy.ndarray
        Class names (see the module docstring for the rules and their precedence).
    """
    hot = significant & (z > 0)
    cold = significant & (z < 0)
    trend = np.where(trend_p < alpha, np.sign(trend_tau), 0)
    t = z.shape[1]
    conditions = [
        *_patterns(hot, cold, trend),
        *_patterns(cold, hot, -trend),
        hot.sum(axis=1) / t >= 0.9,
        cold.sum(axis=1) / t >= 0.9,
    ]
    return np.select(conditions, list(EMERGING_CLASSES[:-1]), EMERGING_CLASSES[-1])


def emerging_hotspots(
    panel: pd.DataFrame,
    graph: Graph,
    *,
    value: str = "harm",
    period: str = "period",
    permutations: int = 0,
    alpha: float = 0.05,
    fdr: bool = True,
    seed: int = 0,
) -> pd.DataFrame:
    """Emerging hot spot analysis of a location x period panel.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long form from :func:`to_panel`: index = location id, columns ``period`` and
        ``value``. Locations in the graph but absent from the panel count as 0.
    graph : libpysal.graph.Graph
        Neighbour graph over every location (binary; :func:`geosoc.hotspots.weights.h3_graph` or
        :func:`geosoc.hotspots.weights.contiguity_graph`).
    value : str
        Column analysed.
    period : str
        Column holding the time period.
    permutations : int
        0 for analytic Gi* p-values, else conditional permutations per step.
    alpha : float
        Significance level for hot/cold steps (after FDR) and for the trend.
    fdr : bool
        Benjamini-Hochberg per time step before calling a step hot or cold.
    seed : int
        Random seed (step ``t`` uses ``seed + t``).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``graph.unique_ids``: ``trend_tau``, ``trend_p``, ``emerging_class``,
        ``n_hot_steps``, ``n_cold_steps``, ``final_z``; ``attrs["periods"]`` lists periods.
    """
    for column in (value, period):
        if column not in panel.columns:
            raise AnalysisError("the panel lacks a column",
                                [Problem(f"no column {column!r}", column=column,
                                         fix="build the panel with to_panel()")])
    wide = panel.pivot_table(index=panel.index, columns=period, values=value,
                             aggfunc="sum", fill_value=0.0)
    ids = pd.Index(graph.unique_ids)
    unknown = wide.index.difference(ids)
    if len(unknown):
        raise AnalysisError(
            "panel locations missing from the weights graph",
            [Problem(f"{len(unknown)} location(s), e.g. {unknown[0]!r}",
                     fix="build the graph on the full zero-filled cover")],
        )
    if wide.shape[1] < 3:
        raise AnalysisError("emerging hot spots need at least 3 time periods",
                            [Problem(f"{wide.shape[1]} period(s)", column=period,
                                     fix="use a longer date range or monthly periods")])
    y = wide.reindex(ids, fill_value=0.0).sort_index(axis=1).to_numpy(dtype=float)
    z = gi_star_z(y, graph)
    if permutations:
        adj = binary_adjacency(graph)
        card = np.diff(adj.indptr)
        p = np.column_stack([
            np.minimum(1.0, 2.0 * conditional_pseudo_p(
                y[:, t], card, np.ones(len(ids)), adj @ y[:, t],
                permutations=permutations, seed=seed + t))
            for t in range(y.shape[1])
        ])
    else:
        p = 2.0 * stats.norm.sf(np.abs(z))
    if fdr:
        significant = np.column_stack([benjamini_hochberg(p[:, t]) <= alpha
                                       for t in range(p.shape[1])])
    else:
        significant = p < alpha
    tau, trend_p = mann_kendall(z)
    out = pd.DataFrame(
        {
            "trend_tau": tau,
            "trend_p": trend_p,
            "emerging_class": pd.array(
                classify_emerging(z, significant, tau, trend_p, alpha=alpha), dtype="str"),
            "n_hot_steps": (significant & (z > 0)).sum(axis=1),
            "n_cold_steps": (significant & (z < 0)).sum(axis=1),
            "final_z": z[:, -1],
        },
        index=ids,
    )
    out.attrs = {"periods": [str(c) for c in sorted(wide.columns)], "value": value,
                 "permutations": permutations, "alpha": alpha, "fdr": fdr}
    return out
