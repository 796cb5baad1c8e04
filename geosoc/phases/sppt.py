"""Andresen's spatial point pattern test (SPPT): does each unit keep its share of crime.

Two sets of events (a **base**, e.g. the baseline, and a **test**, e.g. a phase) are counted
in the same units of analysis (H3 cells, LSOAs). The question is not whether the volume
changed but whether each unit holds the same *share* of events.

:func:`sppt` is Andresen's test (2009) as in the reference R package ``sppt``
(Steenbeek, Wheeler & Andresen): ``nsamples`` times, ``percpoints``% of the test events are
drawn without replacement (or, with ``bootstrap=True``, as many as there are, with
replacement); each unit's share of the sample gives a ``conf_level``% interval (R's order
statistics: columns ``floor(a/2 * n) + 1`` and ``ceil((1 - a/2) * n)``). A unit whose base
share lies below the interval gets ``SIndex = -1``, above it ``+1``, inside ``0``;
``localS = -SIndex`` (+1 = the unit's share rose). The global S-index is the share of similar
units; the robust one counts only units with events; the generalised robust one divides by
``min(base events, test events, units with events)``. Draws are vectorised
(multivariate hypergeometric / multinomial) and seeded.

:func:`sppt_diff` is the alternative of Wheeler, Steenbeek & Andresen (2018): a two-proportion
test per unit (chi-squared with the ``(N-1)/N`` correction by default, as ``sppt_diff``) with a
multiple-comparison adjustment (Benjamini-Yekutieli by default, or Holm).

The PyPI ``sppt`` package (0.1.7) was compared: it bootstraps both variables and calls units
different when the two intervals do not overlap (more conservative than Andresen's test), and
prints while it runs; geosoc implements the reference method itself instead.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from geosoc.errors import AnalysisError, Problem


def _counts(values: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise AnalysisError(f"SPPT {name} counts must be whole numbers >= 0", [Problem(
            f"{name} counts are not non-negative integers", column=name,
            fix="pass event counts per unit of analysis")])
    return arr.astype(np.int64)


def _globals(out: pd.DataFrame) -> pd.DataFrame:
    robust = (out["base"] + out["test"]) > 0
    out["similarity"] = (out["SIndex"] == 0).astype(int)
    out["globalS"] = out["similarity"].mean()
    out["globalS_robust"] = out.loc[robust, "similarity"].mean() if robust.any() else math.nan
    denom = min(out["base"].sum(), out["test"].sum(), int(robust.sum()))
    out["generalizedS_robust"] = (out.loc[robust, "similarity"].sum() / denom if denom
                                  else math.nan)
    return out


def sppt(
    base: ArrayLike, test: ArrayLike, *, index: ArrayLike | None = None, nsamples: int = 200,
    percpoints: float = 85, conf_level: float = 95, bootstrap: bool = False, seed: int = 0,
) -> pd.DataFrame:
    """Andresen's SPPT of ``test`` against ``base`` counts in the same units.

    Parameters
    ----------
    base, test : array-like of int
        Events per unit in the base and test data (same order).
    index : array-like, optional
        Unit identifiers for the result's index.
    nsamples : int
        Resamples of the test events.
    percpoints : float
        Percentage of test events drawn per resample (without replacement).
    conf_level : float
        Confidence level in percent.
    bootstrap : bool
        Draw as many test events as there are, with replacement, instead.
    seed : int
        Random seed.

    Returns
    -------
    pandas.DataFrame
        Per unit ``base``, ``test``, ``pct_base``, ``pct_test``, ``conf_low``,
        ``conf_high`` (percent), ``SIndex``, ``localS``, ``similarity``, and the global
        ``globalS``, ``globalS_robust``, ``generalizedS_robust`` (same on every row).
    """
    b, t = _counts(base, "base"), _counts(test, "test")
    if len(b) != len(t):
        raise AnalysisError("SPPT base and test must cover the same units", [Problem(
            f"{len(b)} base units against {len(t)} test units", fix="align the units")])
    rng = np.random.default_rng(seed)
    n_test = int(t.sum())
    size = n_test if bootstrap else round(percpoints / 100 * n_test)
    if size == 0:
        draws = np.zeros((nsamples, len(t)))
    elif bootstrap:
        draws = rng.multinomial(size, t / n_test, size=nsamples)
    else:
        draws = rng.multivariate_hypergeometric(t, size, size=nsamples)
    pct = np.sort(draws / max(size, 1) * 100, axis=0)
    a = (100 - conf_level) / 100
    lo_col = math.floor(a / 2 * nsamples) + 1
    hi_col = math.ceil((1 - a / 2) * nsamples)
    lo, hi = pct[lo_col - 1], pct[hi_col - 1]
    pct_base = b / b.sum() * 100 if b.sum() else np.zeros(len(b))
    sindex = np.select([pct_base < lo, pct_base > hi], [-1, 1], default=0)
    out = pd.DataFrame({
        "base": b, "test": t, "pct_base": pct_base,
        "pct_test": t / n_test * 100 if n_test else np.zeros(len(t)),
        "conf_low": lo, "conf_high": hi, "SIndex": sindex, "localS": -sindex,
    }, index=None if index is None else pd.Index(index))
    return _globals(out)


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    m = len(p)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "by":
        q = (1 / np.arange(1, m + 1)).sum()
        adj = np.minimum.accumulate((ranked * m * q / np.arange(1, m + 1))[::-1])[::-1]
    else:
        raise AnalysisError("unknown p-value adjustment", [Problem(
            f"adj={method!r}", fix="use 'by' (Benjamini-Yekutieli) or 'holm'")])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def sppt_diff(
    base: ArrayLike, test: ArrayLike, *, index: ArrayLike | None = None,
    conf_level: float = 95, adj: str = "by",
) -> pd.DataFrame:
    """Proportion-difference SPPT (Wheeler, Steenbeek & Andresen 2018), vectorised.

    Parameters
    ----------
    base, test : array-like of int
        Events per unit in the two periods.
    index : array-like, optional
        Unit identifiers.
    conf_level : float
        Confidence level in percent.
    adj : {"by", "holm"}
        Multiple-comparison adjustment of the per-unit p-values.

    Returns
    -------
    pandas.DataFrame
        Per unit ``base``, ``test``, ``pct_base``, ``pct_test``, ``p`` (chi-squared,
        ``(N-1)/N`` corrected), ``p_adjusted``, ``SIndex`` (+1 base share larger, -1 smaller,
        0 not significant after adjustment), ``localS`` and the global S-indices.
    """
    b, t = _counts(base, "base"), _counts(test, "test")
    tb, tt = b.sum(), t.sum()
    a, c = b.astype(float), t.astype(float)
    bb, dd = tb - a, tt - c
    n = tb + tt
    with np.errstate(divide="ignore", invalid="ignore"):
        chi = n * (a * dd - c * bb) ** 2 / ((a + c) * (bb + dd) * tb * tt)
        p = stats.chi2.sf(chi * (n - 1) / n, 1)
    p = np.where(np.isfinite(p), p, 1.0)
    padj = _adjust(p, adj)
    pct_b, pct_t = b / max(tb, 1) * 100, t / max(tt, 1) * 100
    alpha = 1 - conf_level / 100
    sig = padj < alpha
    sindex = np.select([sig & (pct_b > pct_t), sig & (pct_b < pct_t)], [1, -1], default=0)
    out = pd.DataFrame({"base": b, "test": t, "pct_base": pct_b, "pct_test": pct_t, "p": p,
                        "p_adjusted": padj, "SIndex": sindex, "localS": -sindex},
                       index=None if index is None else pd.Index(index))
    return _globals(out)


def sppt_phases(
    counts: pd.DataFrame, zone_of: pd.Series, plan, *, nsamples: int = 200, seed: int = 0,
) -> pd.DataFrame:
    """SPPT of each phase against the baseline, within the site and within each ring.

    Parameters
    ----------
    counts : pandas.DataFrame
        Wide event counts: index unit (e.g. H3 cell), columns months (``Period[M]``).
    zone_of : pandas.Series
        Zone name of each unit (``"site"`` or a ring), indexed like ``counts``.
    plan : PhasePlan
        Dated phases.
    nsamples, seed : int
        As in :func:`sppt`.

    Returns
    -------
    pandas.DataFrame
        One row per phase x zone: ``units``, ``base_events``, ``test_events``,
        ``globalS_robust``, ``units_rose``, ``units_fell`` and ``reading``.
    """
    months = pd.PeriodIndex(counts.columns)
    base = plan.phases[0]
    values = counts.to_numpy(dtype=float)
    window = {p.name: values[:, (months >= p.start) & (months <= p.end)].sum(axis=1)
              for p in plan.phases}
    rows = []
    for phase in plan.phases[1:]:
        for zone in pd.unique(zone_of.reindex(counts.index).dropna()):
            inside = (zone_of.reindex(counts.index) == zone).to_numpy()
            res = sppt(window[base.name][inside], window[phase.name][inside],
                       nsamples=nsamples, seed=seed)
            s = res["globalS_robust"].iloc[0] if len(res) else math.nan
            rose, fell = int((res["localS"] == 1).sum()), int((res["localS"] == -1).sum())
            rows.append({"phase": phase.name, "zone": zone, "units": int(inside.sum()),
                         "base_events": int(res["base"].sum()),
                         "test_events": int(res["test"].sum()), "globalS_robust": s,
                         "units_rose": rose, "units_fell": fell,
                         "reading": f"{phase.name.capitalize()}, {zone}: robust S-index "
                                    f"{s:.2f} (share of cells with the same share of crime as "
                                    f"the baseline); {rose} cells took a larger share, {fell} "
                                    "a smaller one (Andresen's SPPT, descriptive)"})
    return pd.DataFrame(rows)
