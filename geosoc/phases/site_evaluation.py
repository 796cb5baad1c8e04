"""One evaluation of a site up to a month: the answer every report renders, computed once.

:func:`evaluate_site` runs, on the same events (harm-weighted, police activity left out,
months up to ``as_of``):

* the calibrated tests of every phase x zone (site and rings) x measure (counts **and**
  harm) with Holm family-wise control and the power beside every "no evidence"
  (:func:`geosoc.phases.calibrated.calibrated_verdicts`), and the one site verdict;
* the Hold watch over the site, rings and neighbouring areas with family-wise alerts
  (:func:`geosoc.phases.calibrated.displacement_watch`);
* Andresen's SPPT (descriptive) and the published measures (WDQ, WDD, rate ratio, raw %
  change) as numbers in one table under their own names (:func:`descriptive_table`).

``geosoc phases report``, ``geosoc phases watch``, the review pack and the Phases page all
render a :class:`SiteEvaluation`; none computes its own. Only the calibrated verdict uses
the words "significant", "evidence", "displacement" and "diffusion".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.errors import AnalysisError, Problem
from geosoc.harm import apply_harm_weights
from geosoc.phases.evaluation import CANNOT
from geosoc.phases.plan import PhasePlan
from geosoc.schema import HARM, MONTH, SOURCE

#: The published measures' columns, named for a reader.
DESCRIPTIVE_COLUMNS = {
    "phase": "phase", "ring": "ring", "measure": "measure",
    "site_pct": "site raw % change", "ring_pct": "ring raw % change",
    "control_pct": "control raw % change", "site_rate_ratio": "site rate ratio",
    "wdq": "WDQ", "wdd": "WDD (events or harm days)", "wdd_se": "WDD standard error",
}
#: Columns of the published tables that hold worded readings (left out of every output).
WORDED = ("reading", "wdq_band", "wdd_reading")
DESCRIPTIVE_NOTE = ("Published measures (WDQ, WDD, rate ratio, raw % change) against the "
                    "control wards, shown as numbers; they are not calibrated and give no "
                    "verdict.")


@dataclass(frozen=True)
class SiteEvaluation:
    """The calibrated answer for one site as of one month, and everything behind it.

    Attributes
    ----------
    site : str
        Site name.
    as_of : pandas.Period
        Last month used.
    plan : PhasePlan or None
        Phases trimmed to the data and ``as_of`` (None when the plan could not be read).
    verdict : dict
        :func:`geosoc.phases.verdicts.site_verdict` (``claim``, ``verdict``, ``reading``,
        ``method``, ``power`` when no evidence).
    tests : pandas.DataFrame
        :func:`geosoc.phases.verdicts.calibrate` rows (counts and harm; site and rings).
    watch : pandas.DataFrame
        :func:`geosoc.phases.watch.watch_alerts` rows (empty without a Hold).
    sppt : pandas.DataFrame
        :func:`geosoc.phases.sppt.sppt_phases` rows (descriptive).
    descriptive : pandas.DataFrame
        :func:`descriptive_table` (numbers only; empty without a control).
    published : pandas.DataFrame
        The full published displacement rows (both measures; their reading columns left
        out), for analysts' CSV files.
    site_change : pandas.DataFrame
        :func:`geosoc.phases.change.compare_phases` rows of the site (every layer and
        category; descriptive).
    notes : list of str
        What was trimmed or left out, in words.
    """

    site: str
    as_of: pd.Period
    plan: PhasePlan | None
    verdict: dict[str, object]
    tests: pd.DataFrame
    watch: pd.DataFrame
    sppt: pd.DataFrame
    descriptive: pd.DataFrame
    published: pd.DataFrame = field(default_factory=pd.DataFrame)
    site_change: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    def verdict_lines(self) -> list[str]:
        """Return the verdict, then one line per calibrated test (the words a report prints)."""
        return [self.verdict["reading"], *self.tests["reading"].tolist()]

    def review_rows(self) -> pd.DataFrame:
        """Return the review pack's rows: the site verdict, then one row per test.

        Columns ``phase``, ``measure`` (``"count in the site"``), ``zone``, ``verdict``
        (the label), ``reading`` (with the figures: analyst copy) and ``method``.
        """
        head = pd.DataFrame([{"phase": "all phases", "measure": "site verdict",
                              "zone": "site", "verdict": self.verdict["reading"],
                              "reading": self.verdict["reading"],
                              "method": self.verdict["method"]}])
        if self.tests.empty:
            return head
        where = np.where(self.tests["zone"] == "site", "the site",
                         "the " + self.tests["zone"].astype(str))
        tests = self.tests.assign(measure=self.tests["measure"] + " in " + where)[
            ["phase", "measure", "zone", "verdict", "reading", "method"]]
        return pd.concat([head, tests], ignore_index=True)


def evaluation_events(incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the incidents a site is evaluated on: police records when there are any.

    As ``geosoc phases report --source police`` (its default), so the report, the review
    pack and the Phases page evaluate the same events; every source when there is no police
    record.
    """
    if SOURCE in incidents.columns and (incidents[SOURCE] == "police").any():
        return incidents[incidents[SOURCE] == "police"]
    return incidents


def trim_to(plan: PhasePlan, first: pd.Period, as_of: pd.Period) -> tuple[PhasePlan, list[str]]:
    """Phases within ``first``..``as_of`` with a clear error when none can be evaluated.

    Raises
    ------
    AnalysisError
        ``as_of`` before Clear starts (nothing to evaluate), or phases outside the data
        (:meth:`PhasePlan.within`).
    """
    if as_of < plan.clear.start:
        raise AnalysisError(f"nothing to evaluate as of {as_of}", [Problem(
            f"Clear starts in {plan.clear.start}, after {as_of}", column="--as-of",
            fix=f"choose {plan.clear.start} or a later month (at least one month of Clear)")])
    return plan.within(first, as_of)


def descriptive_table(displacement: pd.DataFrame, site_change: pd.DataFrame) -> pd.DataFrame:
    """Return the published measures as numbers with reader names, no readings.

    Parameters
    ----------
    displacement : pandas.DataFrame
        :func:`geosoc.phases.displacement.displacement_report` rows of both measures.
    site_change : pandas.DataFrame
        :func:`geosoc.phases.change.compare_phases` rows (``layer`` harm, ``category`` all).
    """
    rr = site_change.set_index("phase")["rate_ratio"]
    table = displacement.assign(site_rate_ratio=displacement["phase"].map(rr))
    table = table[list(DESCRIPTIVE_COLUMNS)].rename(columns=DESCRIPTIVE_COLUMNS)
    return table.round(2)


def evaluate_site(
    incidents: gpd.GeoDataFrame, geometry: shapely.Geometry, plan: PhasePlan, *,
    name: str = "site", as_of: pd.Period | str | None = None,
    bands_m: Sequence[float] = (0.0, 250.0, 500.0), control: shapely.Geometry | None = None,
    neighbours: gpd.GeoDataFrame | None = None, parts: Sequence[str] = (
        "tests", "watch", "sppt", "descriptive"),
) -> SiteEvaluation:
    """Evaluate one site as of a month: the one result every report renders.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents contract (Points, EPSG:4326, ``month``); harm weights are applied when
        ``harm`` is absent (unknown categories weigh 1 day), so counts and harm differ.
    geometry : shapely geometry
        Site polygon, EPSG:4326.
    plan : PhasePlan
        The site's phases (an open last phase already closed at the data's end).
    name : str
        Site name.
    as_of : pandas.Period or str, optional
        Last month used (default the data's last month); later incidents are left out.
    bands_m : sequence of float
        Ring edges in metres.
    control : shapely geometry, optional
        Control area (EPSG:4326) for the published measures; without it they are skipped.
    neighbours : geopandas.GeoDataFrame, optional
        Neighbouring areas for the watch (``name`` column).
    parts : sequence of str
        Which of ``"tests"``, ``"watch"``, ``"sppt"``, ``"descriptive"`` to compute.

    Returns
    -------
    SiteEvaluation
    """
    from geosoc.phases.calibrated import calibrated_verdicts, displacement_watch, sppt_report
    from geosoc.phases.rings import buffer_rings

    months = incidents[MONTH]
    last = months.max()
    as_of = last if as_of is None else min(pd.Period(as_of, freq="M"), last)
    trimmed, notes = trim_to(plan, months.min(), as_of)
    events = incidents[months <= as_of]
    if HARM not in events.columns:
        events = apply_harm_weights(events, unknown=1.0)
    ring_frame = buffer_rings(geometry, tuple(bands_m))
    rings = dict(zip(ring_frame["ring"], ring_frame.geometry, strict=True))
    tests, verdict = (calibrated_verdicts(events, geometry, rings, trimmed)
                      if "tests" in parts else (pd.DataFrame(), {}))
    watch = (displacement_watch(events, geometry, rings, trimmed, neighbours=neighbours)
             if "watch" in parts else pd.DataFrame())
    pattern = sppt_report(events, geometry, rings, trimmed) if "sppt" in parts else (
        pd.DataFrame())
    descriptive = pd.DataFrame(columns=list(DESCRIPTIVE_COLUMNS.values()))
    published = change = pd.DataFrame()
    if "descriptive" in parts:
        from geosoc.phases.change import LAYER_HARM, compare_phases
        from geosoc.phases.displacement import displacement_report

        change = compare_phases(events, geometry, trimmed)
        if control is not None:
            disp = pd.concat([displacement_report(events, geometry, trimmed, rings=ring_frame,
                                                  control_geometry=control, measure=m)
                              for m in ("count", "harm")], ignore_index=True)
            published = disp.drop(columns=[c for c in WORDED if c in disp.columns])
            totals = change[(change["layer"] == LAYER_HARM) & (change["category"] == "all")]
            descriptive = descriptive_table(disp, totals)
        change = change.drop(columns=[c for c in WORDED if c in change.columns])
    return SiteEvaluation(name, as_of, trimmed, verdict, tests, watch, pattern, descriptive,
                          published, change, list(notes))


def cannot_evaluate(site: str, as_of: pd.Period, plan: PhasePlan | None, why: str
                    ) -> SiteEvaluation:
    """Return a :class:`SiteEvaluation` that says "cannot evaluate yet" and why (no figures)."""
    verdict = {"claim": False, "verdict": CANNOT, "reading": f"{CANNOT}: {why}",
               "method": "none (the plan or data cannot support a test)", "power": math.nan}
    empty = pd.DataFrame()
    return SiteEvaluation(site, as_of, plan, verdict, empty, empty, empty, empty, [why])
