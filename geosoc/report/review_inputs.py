"""Gather a site's review-pack inputs from the demo town or a workspace, up to a review month.

Both paths call the same functions: the site's monthly series (police activity excluded, as
in the phase report), the phase evaluation rows, and the operations record trimmed to the
review month (nothing dated after it is shown).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from geosoc.aggregate.count_layers import PartnerCounts
from geosoc.harm import POLICE_ACTIVITY, apply_harm_weights
from geosoc.phases.change import monthly_series
from geosoc.phases.plan import PhasePlan
from geosoc.phases.site_evaluation import (
    SiteEvaluation,
    cannot_evaluate,
    evaluate_site,
    evaluation_events,
)
from geosoc.report.review_pack import ReviewInputs
from geosoc.schema import HARM, LAT, LON, MONTH

if TYPE_CHECKING:
    from geosoc.synth.demo import DemoTown
    from geosoc.workspace import Workspace


def trim_plan(plan: pd.DataFrame, as_of: pd.Period) -> pd.DataFrame:
    """Phases started by ``as_of``, the running one ending at ``as_of``."""
    started = plan[plan["start_month"] <= as_of].copy()
    ends = started["end_month"].astype(object)
    started["end_month"] = pd.PeriodIndex(
        [as_of if pd.isna(e) or e > as_of else e for e in ends], freq="M")
    return started.reset_index(drop=True)


def _weighted(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return incidents if HARM in incidents.columns else apply_harm_weights(incidents,
                                                                          unknown=1.0)


def site_series(incidents: gpd.GeoDataFrame, geometry: shapely.Geometry,
                months: pd.PeriodIndex) -> pd.DataFrame:
    """Monthly ``month``, ``count``, ``harm`` (days) inside the site, police activity excluded."""
    series = monthly_series(_weighted(incidents), {"site": geometry}, months=months,
                            exclude_police_activity=True)
    return series[[MONTH, "count", HARM]].reset_index(drop=True)


def site_events(incidents: gpd.GeoDataFrame, geometry: shapely.Geometry,
                months: pd.PeriodIndex) -> gpd.GeoDataFrame:
    """Return the incidents behind :func:`site_series` (inside the site, no police activity).

    A partner or public pack discloses its series from these with the cell key method
    (:func:`geosoc.disclosure.tables.disclosed_series`), never from the raw totals.
    """
    weighted = _weighted(incidents)
    inside = shapely.contains_xy(geometry, weighted[LON].to_numpy(float),
                                 weighted[LAT].to_numpy(float))
    keep = (inside & ~weighted[POLICE_ACTIVITY].to_numpy(bool)
            & weighted[MONTH].between(months[0], months[-1]).to_numpy())
    return weighted[keep]


def series_to(incidents: gpd.GeoDataFrame, geometry: shapely.Geometry, plan: pd.DataFrame,
              as_of: pd.Period) -> tuple[pd.DataFrame, gpd.GeoDataFrame, list[str]]:
    """Return the site's series and its events from the plan's start to ``as_of``.

    The series ends at ``as_of`` or the data's last month: later months are left out,
    never shown as zero (a caveat says so).
    """
    last = incidents[MONTH].max()
    data_end = min(as_of, last) if not pd.isna(last) else as_of
    months = pd.period_range(plan["start_month"].min(), data_end, freq="M")
    caveats = ([] if data_end >= as_of else [
        f"Incident data end in {data_end}; the activity log runs to {as_of}. Harm after "
        "the data's last month is not shown (not zero)."])
    return site_series(incidents, geometry, months), site_events(incidents, geometry,
                                                                 months), caveats


def site_evaluation(incidents: gpd.GeoDataFrame, geometry: shapely.Geometry,
                    plan: pd.DataFrame, series: pd.DataFrame, *, name: str,
                    wards: gpd.GeoDataFrame | None = None) -> SiteEvaluation:
    """Return the site's one evaluation up to the series' last month (tests and watch).

    The same :func:`geosoc.phases.site_evaluation.evaluate_site` as ``geosoc phases
    report`` and ``geosoc phases watch``, on the same events (:func:`evaluation_events`,
    harm-weighted there), so the pack's verdicts (counts and harm) are theirs. When the plan
    or data cannot support a test the result says "cannot evaluate yet" and why.
    """
    from geosoc.errors import GeosocError
    from geosoc.phases.rings import adjacent_areas

    last = series[MONTH].max() if len(series) else plan["start_month"].min()
    steps = [(p, s, last if pd.isna(e) or e > last else e) for p, s, e in zip(
        plan["phase"], plan["start_month"], plan["end_month"], strict=True) if s <= last]
    try:
        cycle = PhasePlan.from_sequence(steps)
        neighbours = adjacent_areas(geometry, wards) if wards is not None else None
        return evaluate_site(evaluation_events(incidents), geometry, cycle, name=name,
                             as_of=last, neighbours=neighbours, parts=("tests", "watch"))
    except GeosocError as error:
        return cannot_evaluate(name, last, None, error.summary)


def evaluation_rows(result: SiteEvaluation) -> pd.DataFrame:
    """Return the pack's verdict rows: the site verdict, then one row per calibrated test.

    Columns ``phase``, ``measure``, ``zone``, ``verdict`` (the label alone), ``reading``
    (with the figures: analyst copy) and ``method``
    (:meth:`geosoc.phases.site_evaluation.SiteEvaluation.review_rows`).
    """
    return result.review_rows()


def _check_as_of(plan: pd.DataFrame, as_of: pd.Period, site: str) -> None:
    """Refuse a review month before the site's plan starts, with the fix."""
    first = plan["start_month"].min()
    if pd.isna(first) or as_of < first:
        from geosoc.errors import ConfigError, Problem

        clear = plan.loc[plan["phase"] == "clear", "start_month"]
        since = clear.min() if len(clear) else first
        raise ConfigError(f"--as-of {as_of} is before the plan of {site!r} starts", [Problem(
            f"the baseline starts in {first}; nothing of the site's plan has happened by "
            f"{as_of}", column="--as-of",
            fix=f"choose a review month from {since} (Clear starts) on")])


def _up_to(frame: pd.DataFrame, column: str, as_of: pd.Period) -> pd.DataFrame:
    end = as_of.to_timestamp(how="end")
    return frame[frame[column] <= end].reset_index(drop=True)


def demo_review_inputs(demo: DemoTown, as_of: pd.Period, *, role: str) -> ReviewInputs:
    """Review inputs of the demo town's site up to ``as_of``, holding what ``role`` may see.

    The demo's sharing records apply as a workspace's would: a source whose widest role is
    narrower than ``role`` (the analyst-only A&E extract) leaves the incidents and partner
    counts before anything is computed.
    """
    from dataclasses import replace

    from geosoc.workspace.sharing import restrict_by_source

    if demo.sharing is not None:
        demo = replace(demo, incidents=restrict_by_source(
            demo.incidents, demo.sharing, role).reset_index(drop=True), area_counts=None
            if demo.area_counts is None else restrict_by_source(
                demo.area_counts, demo.sharing, role).reset_index(drop=True))
    full = demo.site.plan_frame()
    _check_as_of(full, as_of, demo.site.name)
    plan = trim_plan(full, as_of)
    series, events, data_caveats = series_to(demo.incidents, demo.site.geometry, plan, as_of)
    result = site_evaluation(demo.incidents, demo.site.geometry, plan, series,
                             name=demo.site.name, wards=demo.wards)
    ops = demo.operations
    assert ops is not None  # load_demo always reads them
    return ReviewInputs(
        study="Demoford (fictional)", site=demo.site.name, as_of=as_of, plan=plan,
        monthly=series, site_incidents=events,
        evaluation=evaluation_rows(result), result=result,
        activities=_up_to(ops.activities, "date", as_of),
        morile=_up_to(ops.morile, "date", as_of), waves=ops.waves,
        assets=demo.assets, site_geometry=demo.site.geometry,
        caveats=["Fictional data generated by geosoc.synth; effects were injected.",
                 *data_caveats],
        incidents=demo.incidents, demo=True,
        partner_counts=None if demo.area_counts is None else PartnerCounts.build(
            demo.area_counts, {"lsoa": demo.lsoas, "ward": demo.wards}))


def workspace_partner_counts(ws: Workspace, *, role: str) -> PartnerCounts | None:
    """Return the stored partner area counts ``role`` may see on the stored boundaries, or None.

    Count datasets whose sharing record limits them to a narrower role are not loaded.
    """
    from geosoc.workspace.dataset_store import load_areas, load_table

    counts = load_table(ws, "area_counts", required=False, role=role)
    if counts is None or counts.empty:
        return None
    areas = {kind: load_areas(ws, kind, required=False)
             for kind in ("lsoa", "ward", "postcode_sector")}
    bundle = PartnerCounts.build(counts, areas)
    return bundle if bundle.treatment else None


def workspace_review_inputs(ws: Workspace, site: str, as_of: pd.Period, *,
                            incidents: gpd.GeoDataFrame, user: str, role: str,
                            study: str | None = None) -> ReviewInputs:
    """Review inputs of a workspace site up to ``as_of`` (activities as ``role`` may see).

    ``study`` defaults to the study name stored in the workspace (``geosoc workspace init``).
    """
    from geosoc.workspace.study_name import study_name

    study = study or study_name(ws) or "CHB study"
    geometry = ws.sites.frame().geometry[site]
    from geosoc.workspace.dataset_store import load_areas

    full = ws.sites.phases(site)
    _check_as_of(full, as_of, site)
    plan = trim_plan(full, as_of)
    first = incidents[MONTH].min()
    series, events, caveats = series_to(incidents, geometry, plan, as_of)
    if pd.isna(first) or first > plan["start_month"].min():
        caveats.append(f"The data start in {first}, after the baseline starts: the baseline "
                       "is shorter than planned.")
    result = site_evaluation(incidents, geometry, plan, series, name=site,
                             wards=load_areas(ws, "ward", required=False, role=role))
    if (plan["phase"] == "baseline").any():
        base = plan[plan["phase"] == "baseline"].iloc[0]
        length = (base["end_month"] - base["start_month"]).n + 1
        if length < 12:
            caveats.append(f"The baseline is {length} months: seasonality cannot be "
                           "separated from change.")
    return ReviewInputs(
        study=study, site=site, as_of=as_of, plan=plan, monthly=series,
        site_incidents=events, partner_counts=workspace_partner_counts(ws, role=role),
        evaluation=evaluation_rows(result), result=result,
        activities=_up_to(ws.operations.activities(site, user=user, role=role), "date", as_of),
        morile=_up_to(ws.operations.morile(site), "date", as_of),
        waves=ws.operations.waves(site), assets=ws.assets.frame(role=role),
        site_geometry=geometry, caveats=caveats, incidents=incidents)
