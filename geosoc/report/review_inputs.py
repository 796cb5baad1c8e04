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


def evaluation_rows(incidents: gpd.GeoDataFrame, geometry: shapely.Geometry,
                    plan: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Return the calibrated verdicts: the site verdict, then one row per test.

    From :func:`geosoc.phases.calibrated.calibrated_verdicts` (placebo-in-space against
    matched untreated areas, Holm family-wise control), which says "cannot evaluate yet"
    rather than a verdict when the data cannot support one. Columns ``phase``, ``measure``,
    ``verdict`` (the label alone), ``reading`` (with the raw-derived figures: analyst copy)
    and ``method``.
    """
    from geosoc.errors import GeosocError
    from geosoc.phases.calibrated import calibrated_verdicts
    from geosoc.phases.plan import PhasePlan
    from geosoc.phases.rings import buffer_rings

    last = series[MONTH].max()
    steps = [(p, s, last if pd.isna(e) or e > last else e) for p, s, e in zip(
        plan["phase"], plan["start_month"], plan["end_month"], strict=True) if s <= last]
    try:
        cycle, _ = PhasePlan.from_sequence(steps).within(incidents[MONTH].min(), last)
        rings = buffer_rings(geometry, (0.0, 250.0, 500.0))
        rows, verdict = calibrated_verdicts(
            incidents[incidents[MONTH] <= last], geometry,
            dict(zip(rings["ring"], rings.geometry, strict=True)), cycle)
    except GeosocError as error:
        return pd.DataFrame([{"phase": "all phases", "measure": "site verdict",
                              "verdict": "cannot evaluate yet",
                              "reading": f"cannot evaluate yet: {error.summary}",
                              "method": "none (the plan or data cannot support a test)"}])
    head = pd.DataFrame([{"phase": "all phases", "measure": "site verdict",
                          "verdict": verdict["reading"],  # names phases and zones, no figures
                          "reading": verdict["reading"], "method": verdict["method"]}])
    tests = rows.assign(measure=rows["measure"] + " in the " + rows["zone"])[
        ["phase", "measure", "verdict", "reading", "method"]]
    return pd.concat([head, tests], ignore_index=True)


def _up_to(frame: pd.DataFrame, column: str, as_of: pd.Period) -> pd.DataFrame:
    end = as_of.to_timestamp(how="end")
    return frame[frame[column] <= end].reset_index(drop=True)


def demo_review_inputs(demo: DemoTown, as_of: pd.Period) -> ReviewInputs:
    """Review inputs of the demo town's site up to ``as_of``."""
    plan = trim_plan(demo.site.plan_frame(), as_of)
    series, events, data_caveats = series_to(demo.incidents, demo.site.geometry, plan, as_of)
    ops = demo.operations
    assert ops is not None  # load_demo always reads them
    return ReviewInputs(
        study="Demoford (fictional)", site=demo.site.name, as_of=as_of, plan=plan,
        monthly=series, site_incidents=events,
        evaluation=evaluation_rows(demo.incidents, demo.site.geometry, plan, series),
        activities=_up_to(ops.activities, "date", as_of),
        morile=_up_to(ops.morile, "date", as_of), waves=ops.waves,
        assets=demo.assets, site_geometry=demo.site.geometry,
        caveats=["Fictional data generated by geosoc.synth; effects were injected.",
                 *data_caveats],
        incidents=demo.incidents, demo=True,
        partner_counts=None if demo.area_counts is None else PartnerCounts.build(
            demo.area_counts, {"lsoa": demo.lsoas, "ward": demo.wards}))


def workspace_partner_counts(ws: Workspace) -> PartnerCounts | None:
    """Return the workspace's stored partner area counts on its stored boundaries, or None."""
    from geosoc.workspace.dataset_store import load_areas, load_table

    counts = load_table(ws, "area_counts", required=False)
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
    full = ws.sites.phases(site)
    plan = trim_plan(full, as_of)
    first = incidents[MONTH].min()
    series, events, caveats = series_to(incidents, geometry, plan, as_of)
    if pd.isna(first) or first > plan["start_month"].min():
        caveats.append(f"The data start in {first}, after the baseline starts: the baseline "
                       "is shorter than planned.")
    if (plan["phase"] == "baseline").any():
        base = plan[plan["phase"] == "baseline"].iloc[0]
        length = (base["end_month"] - base["start_month"]).n + 1
        if length < 12:
            caveats.append(f"The baseline is {length} months: seasonality cannot be "
                           "separated from change.")
    return ReviewInputs(
        study=study, site=site, as_of=as_of, plan=plan, monthly=series,
        site_incidents=events, partner_counts=workspace_partner_counts(ws),
        evaluation=evaluation_rows(incidents, geometry, plan, series),
        activities=_up_to(ws.operations.activities(site, user=user, role=role), "date", as_of),
        morile=_up_to(ws.operations.morile(site), "date", as_of),
        waves=ws.operations.waves(site), assets=ws.assets.frame(role=role),
        site_geometry=geometry, caveats=caveats, incidents=incidents)
