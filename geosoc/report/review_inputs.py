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

from geosoc.harm import apply_harm_weights
from geosoc.operations import phase_of
from geosoc.phases.change import monthly_series
from geosoc.report.review_pack import ReviewInputs
from geosoc.schema import HARM, MONTH

if TYPE_CHECKING:
    from geosoc.synth.demo import DemoTown
    from geosoc.workspace import Workspace


def plan_frame(phases: dict[str, tuple[pd.Period, pd.Period | None]]) -> pd.DataFrame:
    """Phase plan frame (``phase``, ``start_month``, ``end_month``) from ``{phase: span}``."""
    frame = pd.DataFrame({
        "phase": list(phases),
        "start_month": pd.PeriodIndex([s for s, _ in phases.values()], freq="M"),
        "end_month": pd.PeriodIndex([e for _, e in phases.values()], freq="M"),
    })
    return frame.sort_values("start_month", ignore_index=True)


def trim_plan(plan: pd.DataFrame, as_of: pd.Period) -> pd.DataFrame:
    """Phases started by ``as_of``, the running one ending at ``as_of``."""
    started = plan[plan["start_month"] <= as_of].copy()
    ends = started["end_month"].astype(object)
    started["end_month"] = pd.PeriodIndex(
        [as_of if pd.isna(e) or e > as_of else e for e in ends], freq="M")
    return started.reset_index(drop=True)


def site_series(incidents: gpd.GeoDataFrame, geometry: shapely.Geometry,
                months: pd.PeriodIndex) -> pd.DataFrame:
    """Monthly ``month``, ``count``, ``harm`` (days) inside the site, police activity excluded."""
    weighted = incidents if HARM in incidents.columns else apply_harm_weights(incidents,
                                                                              unknown=1.0)
    series = monthly_series(weighted, {"site": geometry}, months=months,
                            exclude_police_activity=True)
    return series[[MONTH, "count", HARM]].reset_index(drop=True)


def series_to(incidents: gpd.GeoDataFrame, geometry: shapely.Geometry, plan: pd.DataFrame,
              as_of: pd.Period) -> tuple[pd.DataFrame, list[str]]:
    """Return the site's series from the plan's start to ``as_of`` (or the data's end).

    Months after the data's last month are left out, never shown as zero.
    """
    last = incidents[MONTH].max()
    data_end = min(as_of, last) if not pd.isna(last) else as_of
    months = pd.period_range(plan["start_month"].min(), data_end, freq="M")
    caveats = ([] if data_end >= as_of else [
        f"Incident data end in {data_end}; the activity log runs to {as_of}. Harm after "
        "the data's last month is not shown (not zero)."])
    return site_series(incidents, geometry, months), caveats


def phase_change_rows(series: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """Descriptive change of each phase against the baseline: harm per month, % change.

    These are descriptive figures, not significance tests; the calibrated verdicts of the
    phase evaluation are added beside them by the caller when available.
    """
    phases = phase_of(series[MONTH].dt.to_timestamp(), plan)
    per_month = series.assign(phase=phases.to_numpy()).dropna(subset=["phase"]).groupby(
        "phase", sort=False)[[HARM, "count"]].mean()
    base = per_month.loc["baseline"] if "baseline" in per_month.index else None
    rows = []
    for phase, values in per_month.iterrows():
        if phase == "baseline" or base is None:
            continue
        change = (100 * (values[HARM] - base[HARM]) / base[HARM]) if base[HARM] > 0 else None
        reading = (f"Harm per month in {phase}: {values[HARM]:,.0f} days against "
                   f"{base[HARM]:,.0f} in the baseline"
                   + (f" ({change:+.0f}%)." if change is not None else "."))
        rows.append({"phase": phase, "measure": "harm per month (site)", "reading": reading,
                     "method": "descriptive: mean monthly harm against the baseline mean"})
    return pd.DataFrame(rows, columns=["phase", "measure", "reading", "method"])


def evaluation_rows(incidents: gpd.GeoDataFrame, geometry: shapely.Geometry,
                    plan: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    """Return the calibrated verdicts (site verdict first), then the descriptive figures.

    The site verdict and one line per phase x zone x measure come from
    :func:`geosoc.phases.calibrated.calibrated_verdicts` (placebo-in-space against matched
    untreated areas, Holm family-wise control); it says "cannot evaluate yet" rather than a
    verdict when the data cannot support one. The descriptive rows say so in their method.
    """
    from geosoc.errors import GeosocError
    from geosoc.phases.calibrated import calibrated_verdicts
    from geosoc.phases.plan import PhasePlan
    from geosoc.phases.rings import buffer_rings

    last = series[MONTH].max()
    steps = [(p, s, last if pd.isna(e) or e > last else e) for p, s, e in zip(
        plan["phase"], plan["start_month"], plan["end_month"], strict=True) if s <= last]
    described = phase_change_rows(series, plan)
    try:
        cycle, _ = PhasePlan.from_sequence(steps).within(incidents[MONTH].min(), last)
        rings = buffer_rings(geometry, (0.0, 250.0, 500.0))
        rows, verdict = calibrated_verdicts(
            incidents[incidents[MONTH] <= last], geometry,
            dict(zip(rings["ring"], rings.geometry, strict=True)), cycle)
    except GeosocError as error:
        head = pd.DataFrame([{"phase": "all phases", "measure": "site verdict",
                              "reading": f"cannot evaluate yet: {error.summary}",
                              "method": "none (the plan or data cannot support a test)"}])
        return pd.concat([head, described], ignore_index=True)
    head = pd.DataFrame([{"phase": "all phases", "measure": "site verdict",
                          "reading": verdict["reading"], "method": verdict["method"]}])
    tests = rows.assign(measure=rows["measure"] + " in the " + rows["zone"])[
        ["phase", "measure", "reading", "method"]]
    return pd.concat([head, tests, described], ignore_index=True)


def _up_to(frame: pd.DataFrame, column: str, as_of: pd.Period) -> pd.DataFrame:
    end = as_of.to_timestamp(how="end")
    return frame[frame[column] <= end].reset_index(drop=True)


def demo_review_inputs(demo: DemoTown, as_of: pd.Period) -> ReviewInputs:
    """Review inputs of the demo town's site up to ``as_of``."""
    plan = trim_plan(plan_frame(dict(demo.site.phases)), as_of)
    series, data_caveats = series_to(demo.incidents, demo.site.geometry, plan, as_of)
    ops = demo.operations
    assert ops is not None  # load_demo always reads them
    return ReviewInputs(
        study="Demoford (fictional)", site=demo.site.name, as_of=as_of, plan=plan,
        monthly=series, evaluation=evaluation_rows(demo.incidents, demo.site.geometry, plan,
                                                   series),
        activities=_up_to(ops.activities, "date", as_of),
        morile=_up_to(ops.morile, "date", as_of), waves=ops.waves,
        assets=demo.assets, site_geometry=demo.site.geometry,
        caveats=["Fictional data generated by geosoc.synth; effects were injected.",
                 *data_caveats],
        incidents=demo.incidents, demo=True)


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
    series, caveats = series_to(incidents, geometry, plan, as_of)
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
        evaluation=evaluation_rows(incidents, geometry, plan, series),
        activities=_up_to(ws.operations.activities(site, user=user, role=role), "date", as_of),
        morile=_up_to(ws.operations.morile(site), "date", as_of),
        waves=ws.operations.waves(site), assets=ws.assets.frame(role=role),
        site_geometry=geometry, caveats=caveats, incidents=incidents)
