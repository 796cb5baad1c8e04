"""Calibrated verdicts on phase change and displacement: placebo-in-space with Holm control.

Why not the published tests alone? On real police.uk data the Poisson rate-ratio test and the
WDD test claim an effect at ward sites where nothing was done most of the time: monthly crime
counts vary far more than Poisson, and every area drifts on its own. The calibrated test
asks instead *how unusual the site's change is among comparable untreated areas*:

1. For the site and for each ring, the statistic is the log change of the monthly rate from
   the baseline to the phase, ``log((after + 0.5) / (before * m1/m0 + 0.5))``.
2. The same statistic is computed for ``k`` donor areas matched on baseline level, trend
   and seasonality (:mod:`geosoc.phases.controls`), over the same calendar months, so
   season and city-wide trend cancel.
3. The site's statistic is compared with the donors' as a new draw from their distribution
   (placebo-in-space, as in synthetic-control practice): ``z = (s - median) /
   (sd * sqrt(1 + 1/k))``, two-sided p from Student's t with ``k - 1`` degrees of freedom.
4. The p-values of every phase x zone x measure of a site form one family; Holm's step-down
   adjustment keeps the chance of *any* false claim at ``alpha``.

When the data cannot support a verdict the row says "cannot evaluate yet" and why: a baseline
under 12 months (seasonality cannot be told from change), too few events in the zone's
baseline, or fewer than ``min_donors`` comparable areas. The null calibration on real London
and Liverpool data is ``bench/bench_null_sites.py`` (:mod:`geosoc.phases.nullbench`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from geosoc.phases.controls import Features, baseline_features, match_donors
from geosoc.phases.plan import PhasePlan

#: The method, named in every verdict.
METHOD = ("placebo-in-space: change against {n} comparable untreated areas matched on "
          "baseline level, trend and seasonality; Holm family-wise control over {m} tests")
CANNOT = "cannot evaluate yet"
NO_EVIDENCE = "no evidence of an effect"
MIN_BASELINE_MONTHS, MIN_EVENTS, MIN_DONORS, DONORS_K = 12, 20, 19, 40


def log_change(before: ArrayLike, after: ArrayLike, months_before: float,
               months_after: float) -> np.ndarray:
    """Log change of the monthly rate, ``log((after + 0.5) / (before * m1/m0 + 0.5))``."""
    b = np.asarray(before, dtype=float) * (months_after / months_before)
    return np.log((np.asarray(after, dtype=float) + 0.5) / (b + 0.5))


def placebo_test(stat: ArrayLike, donor_stats: ArrayLike) -> dict[str, np.ndarray]:
    """Compare each target statistic with its donors' (a prediction-interval test).

    Parameters
    ----------
    stat : array-like
        ``(m,)`` target statistics.
    donor_stats : array-like
        ``(m, k)`` donor statistics, NaN where a donor is missing.

    Returns
    -------
    dict of str to numpy.ndarray
        ``loc`` (donor median), ``scale`` (donor standard deviation), ``n`` (donors used),
        ``z`` and two-sided ``p`` (Student's t, ``n - 1`` df); NaN with fewer than 3 donors.
    """
    s = np.atleast_1d(np.asarray(stat, dtype=float))
    d = np.atleast_2d(np.asarray(donor_stats, dtype=float))
    n = np.isfinite(d).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        loc = np.median(d, axis=1) if n.min(initial=d.shape[1]) == d.shape[1] else (
            np.nanmedian(d, axis=1))
        scale = np.nanstd(d, axis=1, ddof=1)
        z = (s - loc) / (scale * np.sqrt(1 + 1 / n))
        p = 2 * stats.t.sf(np.abs(z), np.maximum(n - 1, 1))
    few = n < 3
    return {"loc": np.where(few, np.nan, loc), "scale": np.where(few, np.nan, scale),
            "n": n, "z": np.where(few, np.nan, z), "p": np.where(few, np.nan, p)}


def holm(p: ArrayLike) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN entries are not tests and stay NaN."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if len(ok) == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def _window(values: np.ndarray, months: pd.PeriodIndex, phase) -> np.ndarray:
    mask = (months >= phase.start) & (months <= phase.end)
    return values[..., mask].sum(axis=-1)


def null_scale(z: ArrayLike) -> tuple[float, float]:
    """Fit Student's t (centre 0) to placebo z-scores: the calibrated null of ``z``.

    Real areas' changes have heavier tails than a normal model allows (on London wards
    ``|z| > 3`` happens about ten times as often as it should), so the p-value of a site's
    ``z`` comes from the z-scores of the donors themselves, each tested against its own
    matched donors ("placebo of placebos").

    Returns
    -------
    tuple of float
        ``(df, scale)``; ``(inf, 1)`` when fewer than 30 finite z-scores are given.
    """
    z = np.abs(np.asarray(z, dtype=float))
    z = z[np.isfinite(z)]
    if len(z) < 30:
        return math.inf, 1.0
    # quantile matching of |z| (fast and robust): the scale from the median, the degrees of
    # freedom from the 90th, 97.5th and 99th percentiles
    probs = np.array([0.9, 0.975, 0.99])
    seen = np.quantile(z, probs)
    dfs = np.array([1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100, 1e6])
    scales = np.median(z) / stats.t.ppf(0.75, dfs)
    model = stats.t.ppf(0.5 + probs[None, :] / 2, dfs[:, None]) * scales[:, None]
    best = int(np.argmin(((np.log(model) - np.log(seen)) ** 2).sum(axis=1)))
    return float(dfs[best]), float(max(scales[best], 0.5))


def _zone_tests(target: np.ndarray, pool: np.ndarray, km: np.ndarray | None,
                xy: np.ndarray | None, separation_km: float, months: pd.PeriodIndex,
                plan: PhasePlan, k: int, n_ref: int) -> tuple[np.ndarray, dict, np.ndarray]:
    """Donors picked for the target, its placebo z per phase, and reference donors' z."""
    base = plan.phases[0]
    bmask = (months >= base.start) & (months <= base.end)
    feats = baseline_features(pool[:, bmask])
    wide = match_donors(baseline_features(target[None, bmask]), feats, k=max(k, n_ref),
                        distance_km=km)[0]
    wide = wide[wide >= 0]
    picked, refs = wide[:k], wide[:n_ref]
    allowed = np.ones((len(refs), len(pool)), dtype=bool)
    allowed[np.arange(len(refs)), refs] = False
    if xy is not None and len(refs):
        gap = np.hypot(*(xy[refs][:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        allowed &= gap > separation_km
    rk = km[None, :] if km is not None else None
    ref_feats = Features(feats.level[refs], feats.trend[refs], feats.shape[refs])
    ref_picked = match_donors(ref_feats, feats, k=k, distance_km=rk, allowed=allowed)
    z_site, z_ref = {}, []
    for phase in plan.phases[1:]:
        st = log_change(_window(pool, months, base), _window(pool, months, phase),
                        base.months, phase.months)
        s = log_change(_window(target, months, base), _window(target, months, phase),
                       base.months, phase.months)
        z_site[phase.name] = (s, st[picked])
        if len(refs):
            ds = np.where(ref_picked >= 0, st[np.maximum(ref_picked, 0)], np.nan)
            ref = placebo_test(st[refs], ds)
            z_ref.append(np.where(ref["n"] >= MIN_DONORS, ref["z"], np.nan))
    return picked, z_site, np.concatenate(z_ref) if z_ref else np.zeros(0)


def _per_donor(frame: pd.DataFrame | None, zone: str, index: pd.Index,
               cols: str | list[str]) -> np.ndarray | None:
    if frame is None or not len(index):
        return None
    return frame.xs(zone, level=0).reindex(index)[cols].to_numpy(dtype=float)


def evaluate_change(
    series: pd.DataFrame, donors: pd.DataFrame, plan: PhasePlan, *, measure: str = "count",
    events: pd.DataFrame | None = None, donor_km: pd.Series | None = None,
    donor_xy: pd.DataFrame | None = None, separation_km: float = 0.0,
    k: int = DONORS_K, n_ref: int = 120, min_donors: int = MIN_DONORS,
    min_events: int = MIN_EVENTS, min_baseline_months: int = MIN_BASELINE_MONTHS,
) -> pd.DataFrame:
    """Placebo-in-space test of every phase x zone against matched donor areas.

    Parameters
    ----------
    series : pandas.DataFrame
        Wide: index zone names (``"site"`` and rings), columns months (``Period[M]``), values
        the measure per month (counts or harm days), zero-filled.
    donors : pandas.DataFrame
        Wide donor series, index ``(zone, donor)``, the same month columns: for each zone the
        untreated areas it may be compared with (e.g. shifted copies, or other areas' rings).
    plan : PhasePlan
        Dated phases; every phase after the baseline is tested.
    measure : str
        Label of the measure (``"count"`` or ``"harm"``).
    events : pandas.DataFrame, optional
        Event counts per zone and month (same shape as ``series``) for the "too few events"
        rule; defaults to ``series``.
    donor_km : pandas.Series, optional
        Distance of each donor from the site (km), indexed like ``donors``.
    donor_xy : pandas.DataFrame, optional
        Donor positions (columns ``x_km``, ``y_km``, indexed like ``donors``); donors closer
        than ``separation_km`` to each other never stand in for each other when the null
        distribution is calibrated (they would share their changes).
    separation_km : float
        See ``donor_xy``.
    k, n_ref : int
        Donors matched per zone; reference donors whose own placebo z-scores calibrate the
        null (:func:`null_scale`).
    min_donors, min_events, min_baseline_months : int
        Fewest comparable donors, baseline events and baseline months for a verdict.

    Returns
    -------
    pandas.DataFrame
        One row per phase x zone: ``phase``, ``zone``, ``measure``, ``months_before``,
        ``months_after``, ``before``, ``after``, ``change_pct`` (monthly rate, %),
        ``expected_pct`` (the donors' median change, %), ``effect_pct`` (change beyond the
        donors', %), ``n_donors``, ``donor_km`` (median distance), ``z``, ``p`` (from the
        calibrated null), ``null_df``, ``null_scale``, ``status`` (``"tested"`` or
        ``"cannot evaluate yet"``) and ``reason``.
    """
    months = pd.PeriodIndex(series.columns)
    base = plan.phases[0]
    bmask = (months >= base.start) & (months <= base.end)
    events = series if events is None else events
    zones_in = set(donors.index.get_level_values(0))
    rows, z_refs = [], []
    for zone in series.index:
        target = series.loc[zone].to_numpy(dtype=float)
        pool = donors.xs(zone, level=0) if zone in zones_in else donors.iloc[:0].droplevel(0)
        pool_v = pool.reindex(columns=months).to_numpy(dtype=float)
        km = _per_donor(None if donor_km is None else donor_km.to_frame("km"), zone,
                        pool.index, "km")
        xy = _per_donor(donor_xy, zone, pool.index, ["x_km", "y_km"])
        picked, z_site, z_ref = _zone_tests(target, pool_v, km, xy, separation_km, months,
                                            plan, k, n_ref)
        base_events = float(events.loc[zone].to_numpy(dtype=float)[bmask].sum())
        reason = None
        if base.months < min_baseline_months:
            reason = (f"the baseline has {base.months} months; at least {min_baseline_months} "
                      "are needed to tell a change from the usual seasonal swing")
        elif base_events < min_events:
            reason = (f"only {base_events:.0f} events in the {zone} baseline; at least "
                      f"{min_events} are needed")
        elif len(picked) < min_donors:
            reason = (f"only {len(picked)} comparable untreated areas (similar baseline level, "
                      f"trend and seasonality) were found; at least {min_donors} are needed")
        if reason is None:
            z_refs.append(z_ref)
        for phase in plan.phases[1:]:
            b, a = _window(target, months, base), _window(target, months, phase)
            s, ds = z_site[phase.name]
            t = placebo_test([s], ds[None, :]) if reason is None else None
            rows.append({
                "phase": phase.name, "zone": zone, "measure": measure,
                "months_before": base.months, "months_after": phase.months,
                "before": b, "after": a,
                "change_pct": (a / phase.months) / (b / base.months) * 100 - 100 if b > 0
                else math.nan,
                "expected_pct": math.expm1(float(np.median(ds))) * 100 if len(ds) else math.nan,
                "effect_pct": math.expm1(s - t["loc"][0]) * 100 if t else math.nan,
                "n_donors": len(picked),
                "donor_km": float(np.median(km[picked])) if km is not None and len(picked)
                else math.nan,
                "z": t["z"][0] if t else math.nan,
                "z_per_log": 1 / (t["scale"][0] * math.sqrt(1 + 1 / t["n"][0])) if t
                else math.nan,
                "status": "tested" if t else CANNOT, "reason": reason,
            })
    out = pd.DataFrame(rows)
    df, scale = null_scale(np.concatenate(z_refs) if z_refs else [])
    out["p"] = 2 * stats.t.sf(np.abs(out["z"].to_numpy(dtype=float)) / scale, df)
    out["null_df"], out["null_scale"] = df, scale
    return out


def power(z_per_log: ArrayLike, change: float, df: ArrayLike, scale: ArrayLike, *,
          alpha: float = 0.05, n_tests: int = 1) -> np.ndarray:
    """Chance that a true change of ``change`` (-0.4 = a 40% fall) would be called significant.

    From the calibrated placebo distribution of the same test: under no effect the site's
    ``z`` is ``scale x t(df)`` (:func:`null_scale`); a true change shifts it by
    ``log(1 + change) x z_per_log``. The level is ``alpha / n_tests``, the first (strictest)
    step of Holm's method, so the figure is a lower bound of the chance under Holm.

    Parameters
    ----------
    z_per_log : array-like
        The ``z_per_log`` column of :func:`evaluate_change` (1 / (donor SD x sqrt(1+1/k))).
    change : float
        Relative change of the monthly rate, e.g. ``-0.4``.
    df, scale : array-like
        The calibrated null (``null_df``, ``null_scale`` columns).
    alpha : float
        Family-wise level.
    n_tests : int
        Tests in the family.

    Returns
    -------
    numpy.ndarray
        Probabilities in [0, 1]; NaN where the test could not be run.
    """
    zl = np.asarray(z_per_log, dtype=float)
    df = np.broadcast_to(np.asarray(df, dtype=float), zl.shape)
    scale = np.broadcast_to(np.asarray(scale, dtype=float), zl.shape)
    crit = stats.t.isf(alpha / max(n_tests, 1) / 2, df)
    shift = np.log1p(change) * zl / scale
    return stats.t.sf(crit - shift, df) + stats.t.cdf(-crit - shift, df)
