"""Per-phase displacement report: WDQ and WDD for every phase x buffer ring.

The measures themselves (:func:`weighted_displacement_quotient`,
:func:`weighted_displacement_difference`, :func:`harm_weighted_wdd`) live in
:mod:`geosoc.phases.measures` and are re-exported here. This module turns incidents (a
site polygon, rings and a control polygon) or area counts (groups of area codes) into a tidy
table with one row per phase x ring, with readings.

By default the report scales the control to each zone's baseline volume and inflates the
Poisson variances by each zone's baseline dispersion, because a real control is rarely the
same size as the site and real crime counts vary more than Poisson (see
:func:`displacement_table`). Pass ``scale_controls=False, overdispersion=False`` for the
published unscaled test.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from geosoc.errors import AnalysisError, Problem
from geosoc.phases.change import Phase, PhasePlan, monthly_series, monthly_series_counts
from geosoc.phases.measures import (
    CONTROL_SCALING_NOTE,
    SM_NOT_NEGATIVE,
    WDDResult,
    WDQResult,
    baseline_dispersion,
    harm_weighted_wdd,
    weighted_displacement_difference,
    weighted_displacement_quotient,
)
from geosoc.phases.readings import describe_displacement, wdq_band
from geosoc.schema import CATEGORY, COUNT, HARM, MONTH

__all__ = [
    "CONTROL_SCALING_NOTE",
    "SM_NOT_NEGATIVE",
    "WDDResult",
    "WDQResult",
    "baseline_dispersion",
    "displacement_report",
    "displacement_report_counts",
    "displacement_table",
    "harm_weighted_wdd",
    "weighted_displacement_difference",
    "weighted_displacement_quotient",
]


def _phase_totals(series: pd.DataFrame, plan: PhasePlan) -> pd.DataFrame:
    """Sum count and harm per phase x zone x category (category ``"all"`` when absent)."""
    cats = series[CATEGORY] if CATEGORY in series.columns else "all"
    frame = series.assign(phase=plan.label(series[MONTH]), **{CATEGORY: cats})
    totals = frame.groupby(["phase", "zone", CATEGORY], observed=True)[[COUNT, HARM]].sum()
    return totals.reindex(pd.MultiIndex.from_product(
        [[p.name for p in plan.phases], series["zone"].unique(), frame[CATEGORY].unique()],
        names=totals.index.names), fill_value=0)


def _pct(before: float, after: float, months_before: int, months_after: int) -> float:
    if before == 0:
        return math.nan
    return (after / months_after) / (before / months_before) * 100 - 100


def _zone_dispersion(series: pd.DataFrame, base: Phase) -> dict[str, float]:
    """Quasi-Poisson dispersion of each zone's baseline monthly totals (all categories)."""
    months = series[(series[MONTH] >= base.start) & (series[MONTH] <= base.end)]
    monthly = months.groupby(["zone", MONTH], observed=True)[COUNT].sum()
    return {str(z): baseline_dispersion(v.to_numpy()) for z, v in monthly.groupby(level="zone")}


@dataclass(frozen=True)
class _WDDOptions:
    """How the report runs each WDD (see :func:`displacement_table`)."""

    weights: Mapping[str, float] | None
    scale_controls: bool
    dispersion: Mapping[str, float]
    confidence: float


def _wdd_for(
    totals: pd.DataFrame, base: Phase, phase: Phase, zones: tuple[str, str, str],
    measure: str, options: _WDDOptions,
) -> WDDResult:
    """WDD on counts, or harm-weighted over categories when ``measure == "harm"``.

    ``zones`` is (site, ring, control); the control serves as both Ct and Cd.
    """
    site, ring, control = zones
    by_cat = totals[COUNT].unstack(CATEGORY)
    phi = options.dispersion
    dispersion = {"t": phi.get(site, 1.0), "ct": phi.get(control, 1.0),
                  "d": phi.get(ring, 1.0), "cd": phi.get(control, 1.0)}
    confidence = options.confidence

    def test(values: pd.Series | pd.DataFrame) -> WDDResult:
        counts = [float(values.loc[(p.name, z)]) for z in (site, control, ring, control)
                  for p in (base, phase)]
        return weighted_displacement_difference(
            *counts, months_before=base.months, months_after=phase.months,
            scale_controls=options.scale_controls, dispersion=dispersion,
            confidence=confidence)
    if measure == COUNT:
        return test(by_cat.sum(axis=1))
    per_category = {str(k): test(by_cat[k]) for k in by_cat.columns}
    weights = options.weights
    if weights is None:
        sums = totals.groupby(CATEGORY)[[COUNT, HARM]].sum()
        weights = (sums[HARM] / sums[COUNT].where(sums[COUNT] > 0)).fillna(0).to_dict()
    return harm_weighted_wdd(per_category, weights, confidence=confidence)


def displacement_table(
    series: pd.DataFrame,
    plan: PhasePlan,
    *,
    rings: Sequence[str],
    site: str = "site",
    control: str = "control",
    measure: str = COUNT,
    weights: Mapping[str, float] | None = None,
    scale_controls: bool = True,
    overdispersion: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """WDQ and WDD for every phase x ring from a tidy monthly zone series.

    Parameters
    ----------
    series : pandas.DataFrame
        Output of :func:`geosoc.phases.change.monthly_series` (or ``monthly_series_counts``) with
        zones ``site``, each of ``rings`` and ``control``; for ``measure="harm"`` it must be
        broken down by ``category``.
    plan : PhasePlan
        Dated phases; every phase after the baseline is compared with the baseline.
    rings : sequence of str
        Buffer zone names, innermost first.
    site, control : str
        Zone names of the site and the control.
    measure : {"count", "harm"}
        WDQ uses counts or harm totals; the harm WDD is the harm-weighted combination of
        per-category count WDDs (weights from ``weights`` or harm per event in ``series``).
    weights : mapping of str to float, optional
        Harm weight per category (days).
    scale_controls : bool
        Scale the control to each zone's baseline volume before differencing (needed
        whenever the control is not the same size as site and ring; see
        :data:`CONTROL_SCALING_NOTE`). ``False`` gives the published unscaled WDD.
    overdispersion : bool
        Inflate each zone's Poisson variance by its baseline dispersion
        (:func:`baseline_dispersion`); real crime counts vary more than Poisson, and without
        this the test claims effects that are only month-to-month noise.
    confidence : float
        Level of the WDD confidence interval.

    Returns
    -------
    pandas.DataFrame
        One row per phase x ring: ``months_before``, ``months_after``, site/ring/control
        totals before and after (``*_before``, ``*_after`` in the measure's units),
        ``site_pct``, ``ring_pct``, ``control_pct`` (monthly rate change, %), ``sm``, ``bdm``,
        ``wdq``, ``tne``, ``wdq_band``, ``wdq_refused``, ``wdd``, ``wdd_se``, ``wdd_z``,
        ``wdd_p``, ``wdd_ci_low``, ``wdd_ci_high``, ``wdd_reading`` and ``reading``.
    """
    if measure not in (COUNT, HARM):
        raise AnalysisError("measure must be 'count' or 'harm'",
                            [Problem(f"measure={measure!r}", fix="use 'count' or 'harm'")])
    if measure == HARM and (CATEGORY not in series.columns or series[HARM].isna().all()):
        raise AnalysisError("a harm displacement report needs harm per category",
                            [Problem("the series has no category breakdown or no harm",
                                     column=HARM, fix="build the series with by=('category',) "
                                     "from harm-weighted incidents or pass weights")])
    base = plan.phases[0]
    totals = _phase_totals(series, plan)
    options = _WDDOptions(weights, scale_controls,
                          _zone_dispersion(series, base) if overdispersion else {}, confidence)
    overall = totals[measure].groupby(level=["phase", "zone"]).sum()
    rows = []
    for phase in plan.phases[1:]:
        for ring in rings:
            v = {f"{z}_{when}": float(overall.loc[(p.name, name)])
                 for z, name in (("site", site), ("ring", ring), ("control", control))
                 for when, p in (("before", base), ("after", phase))}
            q = weighted_displacement_quotient(v["site_before"], v["site_after"],
                                               v["ring_before"], v["ring_after"],
                                               v["control_before"], v["control_after"])
            d = _wdd_for(totals, base, phase, (site, ring, control), measure, options)
            pct = {f"{z}_pct": _pct(v[f"{z}_before"], v[f"{z}_after"], base.months,
                                    phase.months) for z in ("site", "ring", "control")}
            title = phase.name.capitalize()
            rows.append({
                "phase": phase.name, "ring": ring, "measure": measure,
                "months_before": base.months, "months_after": phase.months, **v, **pct,
                "sm": q.sm, "bdm": q.bdm, "wdq": q.wdq, "tne": q.tne,
                "wdq_band": wdq_band(q.wdq), "wdq_refused": q.refused_reason,
                "wdd": d.wdd, "wdd_se": d.se, "wdd_z": d.z, "wdd_p": d.p,
                "wdd_ci_low": d.ci_low, "wdd_ci_high": d.ci_high, "wdd_reading": d.reading,
                "reading": describe_displacement(
                    measure, pct["site_pct"], pct["ring_pct"], title, ring, q.wdq,
                    q.refused_reason, control_pct=pct["control_pct"],
                    wdd_significant=None if d.refused_reason else not (
                        d.ci_low <= 0 <= d.ci_high)),
            })
    return pd.DataFrame(rows).astype({"wdq": "float64"})


def _ring_geometries(rings: gpd.GeoDataFrame | Mapping[str, shapely.Geometry]
                     ) -> dict[str, shapely.Geometry]:
    if isinstance(rings, gpd.GeoDataFrame):
        return dict(zip(rings["ring"], rings.geometry, strict=True))
    return dict(rings)


def displacement_report(
    incidents: gpd.GeoDataFrame,
    site_geometry: shapely.Geometry,
    plan: PhasePlan,
    *,
    rings: gpd.GeoDataFrame | Mapping[str, shapely.Geometry],
    control_geometry: shapely.Geometry,
    measure: str = COUNT,
    exclude_police_activity: bool = True,
    scale_controls: bool = True,
    overdispersion: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """WDQ and WDD per phase x ring for a site drawn as a polygon (points path).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents contract (Points, EPSG:4326); ``harm`` needed for ``measure="harm"``.
    site_geometry, control_geometry : shapely geometry
        Site and control polygons in EPSG:4326 (the control must not touch site or rings).
    plan : PhasePlan
        Dated phases.
    rings : GeoDataFrame or mapping
        Output of :func:`geosoc.phases.rings.buffer_rings`, or ring name to polygon (EPSG:4326).
    measure : {"count", "harm"}
        What to compare.
    exclude_police_activity : bool
        Leave drugs and weapons possession out (they measure police activity, not harm).
    scale_controls, overdispersion : bool
        As in :func:`displacement_table`.
    confidence : float
        Level of the WDD confidence interval.

    Returns
    -------
    pandas.DataFrame
        As :func:`displacement_table`.
    """
    zones = {"site": site_geometry, **_ring_geometries(rings), "control": control_geometry}
    series = monthly_series(incidents, zones, by=(CATEGORY,), months=plan.span,
                            exclude_police_activity=exclude_police_activity)
    ring_names = [z for z in zones if z not in ("site", "control")]
    return displacement_table(series, plan, rings=ring_names, measure=measure,
                              scale_controls=scale_controls, overdispersion=overdispersion,
                              confidence=confidence)


def displacement_report_counts(
    counts: pd.DataFrame,
    plan: PhasePlan,
    *,
    site_codes: Iterable[str],
    ring_codes: Mapping[str, Iterable[str]],
    control_codes: Iterable[str],
    measure: str = COUNT,
    weights: Mapping[str, float] | None = None,
    exclude_police_activity: bool = True,
    scale_controls: bool = True,
    overdispersion: bool = True,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """WDQ and WDD per phase x buffer for a site made of areas (area-counts path).

    Parameters
    ----------
    counts : pandas.DataFrame
        Area counts contract (``area_code``, ``month``, ``category``, ``count``).
    plan : PhasePlan
        Dated phases.
    site_codes, control_codes : iterable of str
        Area codes of the site (e.g. the LSOAs of a ward) and of the control.
    ring_codes : mapping of str to iterable of str
        Buffer name to its area codes (e.g. ``{"adjacent LSOAs": [...]}``).
    measure, exclude_police_activity, scale_controls, overdispersion, confidence
        As in :func:`displacement_report`.
    weights : mapping of str to float, optional
        Harm weight per category (days); required for ``measure="harm"``.

    Returns
    -------
    pandas.DataFrame
        As :func:`displacement_table`.
    """
    groups = {"site": list(site_codes), **{k: list(v) for k, v in ring_codes.items()},
              "control": list(control_codes)}
    series = monthly_series_counts(counts, groups, by=(CATEGORY,), months=plan.span,
                                   weights=weights,
                                   exclude_police_activity=exclude_police_activity)
    return displacement_table(series, plan, rings=list(ring_codes), measure=measure,
                              weights=weights, scale_controls=scale_controls,
                              overdispersion=overdispersion, confidence=confidence)
