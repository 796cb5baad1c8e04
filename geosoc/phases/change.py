"""Clear, Hold, Build phases and change against the baseline (FB7 performance baseline).

A :class:`PhasePlan` holds dated monthly phases. :func:`compare_phases` (points) and
:func:`compare_phases_counts` (area counts) report, per phase, counts and harm per category
and source, monthly rates, the change against the baseline and a Poisson rate-ratio test.
Drugs and possession of weapons are mostly *found by police activity* (they rise in Clear),
so they are reported in a separate ``layer`` ("police activity"), not as harm.

The rate-ratio test (:func:`rate_ratio_test`) is the **exact conditional binomial test**:
given ``n = c1 + c0`` events in phase and baseline, under "no change"
``c1 ~ Binomial(n, m1/(m1+m0))`` (``m`` = months). The two-sided p-value doubles the smaller
tail (central method, capped at 1); the confidence interval is the Clopper-Pearson interval of
the binomial proportion mapped to a rate ratio. It uses counts only: harm totals are not Poisson.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from scipy import stats

from geosoc.errors import AnalysisError, Problem
from geosoc.harm import POLICE_ACTIVITY
from geosoc.phases.plan import PHASE_ORDER, Phase, PhasePlan
from geosoc.phases.readings import describe_rate_ratio
from geosoc.schema import (
    AREA_CODE,
    CATEGORY,
    COUNT,
    HARM,
    MONTH,
    POLICE_ACTIVITY_CATEGORIES,
    require_columns,
)

__all__ = [
    "LAYER_HARM",
    "LAYER_POLICE",
    "PHASE_ORDER",
    "Phase",
    "PhasePlan",
    "compare_phases",
    "compare_phases_counts",
    "monthly_series",
    "monthly_series_counts",
    "rate_ratio_test",
]

#: Layer labels in the phase table.
LAYER_HARM, LAYER_POLICE = "harm", "police activity"
def rate_ratio_test(
    count1: ArrayLike, months1: ArrayLike, count0: ArrayLike, months0: ArrayLike, *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Exact conditional (binomial) test of two Poisson rates, vectorised.

    Parameters
    ----------
    count1, months1 : array-like
        Event counts and exposure (months) in the phase.
    count0, months0 : array-like
        Event counts and exposure (months) in the baseline.
    confidence : float
        Level of the Clopper-Pearson interval.

    Returns
    -------
    pandas.DataFrame
        ``rate_ratio`` (phase rate / baseline rate), ``rr_ci_low``, ``rr_ci_high``, ``rr_p``
        (two-sided, central). NaN where there are no events at all; infinite ratio/upper
        bound when the baseline had none.
    """
    c1, m1, c0, m0 = (np.asarray(x, dtype=float) for x in (count1, months1, count0, months0))
    n = c1 + c0
    p0 = m1 / (m1 + m0)
    alpha = 1 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        lower_tail = stats.binom.cdf(c1, n, p0)
        upper_tail = stats.binom.sf(c1 - 1, n, p0)
        p = np.minimum(1.0, 2 * np.minimum(lower_tail, upper_tail))
        lo = np.where(c1 > 0, stats.beta.ppf(alpha / 2, c1, c0 + 1), 0.0)
        hi = np.where(c0 > 0, stats.beta.ppf(1 - alpha / 2, c1 + 1, c0), 1.0)
        odds = m0 / m1
        rr = (c1 / m1) / (c0 / m0)
        rr_lo = lo / (1 - lo) * odds
        rr_hi = np.where(hi < 1, hi / (1 - hi) * odds, np.inf)
    none = n == 0
    return pd.DataFrame({
        "rate_ratio": np.where(none, np.nan, rr),
        "rr_ci_low": np.where(none, np.nan, rr_lo),
        "rr_ci_high": np.where(none, np.nan, rr_hi),
        "rr_p": np.where(none, np.nan, p),
    })


def _police_activity(frame: pd.DataFrame) -> np.ndarray:
    if POLICE_ACTIVITY in frame.columns:
        return frame[POLICE_ACTIVITY].fillna(False).to_numpy(dtype=bool)
    return frame[CATEGORY].isin(POLICE_ACTIVITY_CATEGORIES).to_numpy()


def _phase_table(
    events: pd.DataFrame, plan: PhasePlan, by: Sequence[str], separate: bool, confidence: float
) -> pd.DataFrame:
    """Per phase x layer x ``by`` totals, rates and tests; ``events`` has month/count/harm."""
    keys = ["layer", *by]
    frame = pd.DataFrame({
        "phase": plan.label(events[MONTH]).to_numpy(),
        "layer": np.where(_police_activity(events) & separate, LAYER_POLICE, LAYER_HARM),
        **{k: events[k].astype("string").to_numpy() for k in by},
        COUNT: events[COUNT].to_numpy(dtype=float),
        HARM: events[HARM].to_numpy(dtype=float),
    }).dropna(subset=["phase"])
    parts = [frame.groupby(["phase", *keys], observed=True)[[COUNT, HARM]].sum(min_count=1)]
    if by:
        totals = frame.groupby(["phase", "layer"], observed=True)[[COUNT, HARM]].sum(min_count=1)
        parts.append(totals.assign(**dict.fromkeys(by, "all")).set_index(list(by), append=True))
    table = pd.concat(parts)
    names = [p.name for p in plan.phases]
    wide = table[COUNT].unstack("phase").reindex(columns=names).fillna(0.0)
    harm_wide = table[HARM].unstack("phase").reindex(columns=names)
    months = pd.Series({p.name: p.months for p in plan.phases})
    long = wide.stack().rename(COUNT).to_frame()
    long[HARM] = harm_wide.stack(future_stack=True).reindex(long.index)
    long = long.reset_index()
    long["months"] = long["phase"].map(months).astype("int64")
    base = long[long["phase"] == "baseline"].set_index(keys)
    joined = long.merge(base[[COUNT, HARM, "months"]].add_suffix("_baseline"),
                        left_on=keys, right_index=True, how="left")
    out = pd.DataFrame({
        "phase": joined["phase"], **{k: joined[k] for k in keys},
        "months": joined["months"], COUNT: joined[COUNT].astype("int64"), HARM: joined[HARM],
        "count_per_month": joined[COUNT] / joined["months"],
        "harm_per_month": joined[HARM] / joined["months"],
    })
    base_count = joined["count_baseline"] / joined["months_baseline"]
    base_harm = joined["harm_baseline"] / joined["months_baseline"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["count_pct_change"] = (out["count_per_month"] / base_count - 1) * 100
        out["harm_pct_change"] = (out["harm_per_month"] / base_harm - 1) * 100
    out = out.replace([np.inf, -np.inf], np.nan)
    test = rate_ratio_test(joined[COUNT], joined["months"], joined["count_baseline"],
                           joined["months_baseline"], confidence=confidence)
    out = pd.concat([out.reset_index(drop=True), test], axis=1)
    out.loc[out["phase"] == "baseline", list(test.columns)] = np.nan
    out["reading"] = [
        "baseline" if ph == "baseline"
        else describe_rate_ratio(rr, lo, hi, p, confidence=confidence)
        for ph, rr, lo, hi, p in zip(out["phase"], out["rate_ratio"], out["rr_ci_low"],
                                     out["rr_ci_high"], out["rr_p"], strict=True)
    ]
    order = pd.Categorical(out["phase"], categories=names, ordered=True)
    return out.assign(_o=order).sort_values(["_o", *keys]).drop(columns="_o").reset_index(drop=True)


def _with_harm(frame: pd.DataFrame) -> pd.Series:
    return frame[HARM].astype(float) if HARM in frame.columns else pd.Series(
        np.nan, index=frame.index)


def _inside(incidents: gpd.GeoDataFrame, geometry: shapely.Geometry) -> np.ndarray:
    """Vectorised points-in-polygon on the incident points (both EPSG:4326)."""
    xy = shapely.get_coordinates(incidents.geometry.to_numpy())
    if len(xy) != len(incidents):
        raise AnalysisError("incidents must be single points",
                            [Problem("some incident geometries are empty or not points",
                                     column="geometry", fix="drop rows without a location")])
    return shapely.contains_xy(geometry, xy[:, 0], xy[:, 1])


def compare_phases(
    incidents: gpd.GeoDataFrame,
    site_geometry: shapely.Geometry,
    plan: PhasePlan,
    *,
    by: Sequence[str] = (CATEGORY, "source"),
    police_activity_separate: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Compare every phase with the baseline inside a site.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents contract (Points, EPSG:4326, ``month`` Period[M]); ``harm`` and
        ``police_activity`` are used when present (harm is NaN otherwise, and police activity
        falls back to :data:`geosoc.schema.POLICE_ACTIVITY_CATEGORIES`).
    site_geometry : shapely geometry
        The site polygon in EPSG:4326.
    plan : PhasePlan
        Dated phases.
    by : sequence of str
        Columns to break the table down by; rows with ``"all"`` in them are layer totals.
    police_activity_separate : bool
        Report drugs and weapons possession in their own ``"police activity"`` layer.
    confidence : float
        Level of the rate-ratio confidence interval.

    Returns
    -------
    pandas.DataFrame
        One row per phase x layer x ``by``: ``months``, ``count``, ``harm`` (days),
        ``count_per_month``, ``harm_per_month``, ``count_pct_change``, ``harm_pct_change``
        (monthly rate against the baseline, %), ``rate_ratio``, ``rr_ci_low``, ``rr_ci_high``,
        ``rr_p`` (exact conditional test on counts) and ``reading``.
    """
    require_columns(incidents, (MONTH, CATEGORY, *by), what="incidents")
    inside = incidents[_inside(incidents, site_geometry)]
    events = pd.DataFrame({MONTH: inside[MONTH], COUNT: 1.0, HARM: _with_harm(inside),
                           **{k: inside[k] for k in {CATEGORY, *by}}})
    events[POLICE_ACTIVITY] = _police_activity(inside)
    return _phase_table(events, plan, list(by), police_activity_separate, confidence)


def _counts_events(counts: pd.DataFrame, weights: Mapping[str, float] | None) -> pd.DataFrame:
    require_columns(counts, (AREA_CODE, MONTH, CATEGORY, COUNT), what="area counts")
    harm = (counts[CATEGORY].map(dict(weights)).astype(float) * counts[COUNT]
            if weights is not None else _with_harm(counts))
    return counts.assign(**{HARM: harm, POLICE_ACTIVITY: _police_activity(counts)})


def compare_phases_counts(
    counts: pd.DataFrame,
    site_area_codes: Iterable[str],
    plan: PhasePlan,
    *,
    by: Sequence[str] = (CATEGORY, "source"),
    weights: Mapping[str, float] | None = None,
    police_activity_separate: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Compare every phase with the baseline for a site made of areas (area-counts path).

    Parameters
    ----------
    counts : pandas.DataFrame
        Area counts contract: ``area_code``, ``month`` (Period[M]), ``category``, ``source``,
        ``count``; absent rows mean zero.
    site_area_codes : iterable of str
        The areas (e.g. the LSOAs of a ward) that make up the site.
    plan : PhasePlan
        Dated phases.
    by, police_activity_separate, confidence
        As in :func:`compare_phases`.
    weights : mapping of str to float, optional
        Harm weight (days) per category; without it ``harm`` is NaN unless ``counts`` has one.

    Returns
    -------
    pandas.DataFrame
        The same table as :func:`compare_phases`.
    """
    events = _counts_events(counts, weights)
    events = events[events[AREA_CODE].isin(list(site_area_codes))]
    return _phase_table(events, plan, list(by), police_activity_separate, confidence)


def _zone_series(
    labelled: pd.DataFrame, zones: Sequence[str], months: pd.PeriodIndex | None,
    by: Sequence[str],
) -> pd.DataFrame:
    """Zero-filled month x zone (x by) totals of ``labelled`` (columns zone, month, count, harm)."""
    keys = [MONTH, "zone", *by]
    sums = labelled.groupby(keys, observed=True)[[COUNT, HARM]].sum(min_count=1)
    if months is None:
        if labelled.empty:
            raise AnalysisError("no events fall in any zone", [Problem(
                "every zone is empty", column=MONTH,
                fix="check the zone geometries/area codes, or pass months= to zero-fill")])
        months = pd.period_range(labelled[MONTH].min(), labelled[MONTH].max(), freq="M")
    levels = [months, list(zones)] + [sorted(labelled[k].dropna().unique()) for k in by]
    full = pd.MultiIndex.from_product(levels, names=keys)
    out = sums.reindex(full)
    out[COUNT] = out[COUNT].fillna(0).astype("int64")
    out[HARM] = out[HARM].fillna(0.0) if labelled[HARM].notna().any() else np.nan
    return out.reset_index()


def monthly_series(
    incidents: gpd.GeoDataFrame,
    geometries: Mapping[str, shapely.Geometry],
    *,
    by: Sequence[str] = (),
    months: pd.PeriodIndex | None = None,
    exclude_police_activity: bool = False,
) -> pd.DataFrame:
    """Monthly counts and harm per zone (site, rings, control), zero-filled.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents contract (Points, EPSG:4326).
    geometries : mapping of str to shapely geometry
        Zone name to polygon in EPSG:4326. A point in two zones counts in both.
    by : sequence of str
        Extra breakdown columns (e.g. ``("category",)``).
    months : pandas.PeriodIndex, optional
        Months to report (default: first to last incident month).
    exclude_police_activity : bool
        Drop drugs and weapons possession (police-activity categories).

    Returns
    -------
    pandas.DataFrame
        Tidy ``month``, ``zone``, [``by``...], ``count`` (int64), ``harm`` (days; NaN when the
        incidents carry no harm).
    """
    require_columns(incidents, (MONTH, CATEGORY, *by), what="incidents")
    if exclude_police_activity:
        incidents = incidents[~_police_activity(incidents)]
    events = pd.DataFrame({MONTH: incidents[MONTH], COUNT: 1, HARM: _with_harm(incidents),
                           **{k: incidents[k] for k in by}})
    parts = [events[_inside(incidents, geometry)].assign(zone=name)
             for name, geometry in geometries.items()]
    return _zone_series(pd.concat(parts, ignore_index=True), list(geometries), months, by)


def monthly_series_counts(
    counts: pd.DataFrame,
    groups: Mapping[str, Iterable[str]],
    *,
    by: Sequence[str] = (),
    months: pd.PeriodIndex | None = None,
    weights: Mapping[str, float] | None = None,
    exclude_police_activity: bool = False,
) -> pd.DataFrame:
    """Monthly counts and harm per zone where each zone is a group of areas.

    Parameters
    ----------
    counts : pandas.DataFrame
        Area counts contract (``area_code``, ``month``, ``category``, ``count``).
    groups : mapping of str to iterable of str
        Zone name to the area codes in it (site, buffer, control).
    by, months, exclude_police_activity
        As in :func:`monthly_series`.
    weights : mapping of str to float, optional
        Harm weight per category (days); ``harm`` is NaN without it.

    Returns
    -------
    pandas.DataFrame
        The same tidy frame as :func:`monthly_series`.
    """
    events = _counts_events(counts, weights)
    if exclude_police_activity:
        events = events[~events[POLICE_ACTIVITY]]
    zone_of = pd.Series({code: name for name, codes in groups.items() for code in codes})
    labelled = events.assign(zone=events[AREA_CODE].map(zone_of)).dropna(subset=["zone"])
    return _zone_series(labelled, list(groups), months, by)
