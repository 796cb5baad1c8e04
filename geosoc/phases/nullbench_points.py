"""Null Holds on point data: areas where nothing was done, through :func:`evaluate_site`.

For ``bench/bench_null_sites.py`` and the real-data tests. Each pseudo-site is an area
(a ward) given phase dates although nothing was done there; it is evaluated exactly as a
site is (:func:`geosoc.phases.site_evaluation.evaluate_site`, calibrated tests and the Hold
watch over the site, its rings and its neighbouring wards), and the result records whether
the verdict claimed an effect and whether the watch raised any alert.

:func:`unusual_baseline` makes the baseline year unusual for *every* area alike (a
town-wide step, such as a lockdown year, or a town-wide trend) by thinning the events, so
the comparable areas share it: the verdict and the watch should still stay quiet.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.phases.plan import PhasePlan
from geosoc.phases.rings import adjacent_areas
from geosoc.phases.site_evaluation import evaluate_site
from geosoc.schema import MONTH


def unusual_baseline(incidents: gpd.GeoDataFrame, plan: PhasePlan, kind: str, *,
                     size: float = 0.3, seed: int = 0) -> gpd.GeoDataFrame:
    """Thin events town-wide so the baseline year is unusual for every area alike.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents contract (``month``).
    plan : PhasePlan
        Phases (the baseline is thinned for ``"step"``).
    kind : {"step", "trend"}
        ``"step"``: each baseline event is kept with probability ``1 - size`` (a baseline
        year ``size`` lower than the rest, e.g. a lockdown). ``"trend"``: events are kept
        with a probability rising linearly from ``1 - size`` in the first month to 1 in the
        last (a town-wide rise).
    size : float
        Depth of the step or trend.
    seed : int
        Seed of the thinning.
    """
    rng = np.random.default_rng(seed)
    months = incidents[MONTH]
    if kind == "step":
        base = plan.phases[0]
        keep_p = np.where((months >= base.start) & (months <= base.end), 1 - size, 1.0)
    elif kind == "trend":
        first, last = months.min(), months.max()
        t = np.array([(m - first).n for m in months], dtype=float) / max((last - first).n, 1)
        keep_p = 1 - size + size * t
    else:
        raise ValueError(f"kind must be 'step' or 'trend', not {kind!r}")
    return incidents[rng.random(len(incidents)) < keep_p]


def run_null_hold(incidents: gpd.GeoDataFrame, site: gpd.GeoSeries | object,
                  plan: PhasePlan, wards: gpd.GeoDataFrame | None) -> dict[str, object]:
    """Evaluate one pseudo-site; return ``claim``, ``alert``, ``tests``, ``watch`` rows.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents (nothing was done anywhere).
    site : shapely geometry
        The pseudo-site (EPSG:4326).
    plan : PhasePlan
        Its phase dates.
    wards : geopandas.GeoDataFrame, optional
        Areas contract; the site's neighbours are watched too.
    """
    neighbours = adjacent_areas(site, wards) if wards is not None else None
    result = evaluate_site(incidents, site, plan, neighbours=neighbours,
                           parts=("tests", "watch"))
    watch = result.watch
    return {"claim": bool(result.verdict.get("claim", False)),
            "alert": bool(len(watch) and watch["alert"].any()),
            "verdict": result.verdict.get("verdict"),
            "tested": int((result.tests["status"] == "tested").sum()) if len(result.tests)
            else 0,
            "watched": int((watch["status"] == "tested").sum()) if len(watch) else 0,
            "tests": result.tests, "watch": watch}


def random_point_plan(months: pd.PeriodIndex, rng: np.random.Generator) -> PhasePlan:
    """Draw a 12-month baseline, Clear 3, Hold 6 and Build up to 3 months at a random start."""
    start = int(rng.integers(12, len(months) - 9 + 1))
    spans = {"baseline": (months[start - 12], months[start - 1]),
             "clear": (months[start], months[start + 2]),
             "hold": (months[start + 3], months[start + 8])}
    if start + 9 < len(months):
        spans["build"] = (months[start + 9], months[min(start + 11, len(months) - 1)])
    return PhasePlan.from_dates(**{k: (str(a), str(b)) for k, (a, b) in spans.items()})
