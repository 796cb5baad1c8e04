"""Partner area counts as site-score components, and vulnerability signals beside them.

Each partner count source becomes one component of the candidate score
(:mod:`geosoc.sites.scoring`):

- a source treated as ``"harm"`` adds ``partner_harm__<source>``: its counts x the source's
  own weight (days), apportioned from its areas to each candidate (added to the point
  partner harm of a source of the same name);
- a source treated as ``"indicator"`` adds ``partner_count__<source>`` (events).

Vulnerability signals (treatment ``"signal"``) are **never scored**: each candidate gets
``signal__<category>`` counts and ``signals_per_km2`` for the comparison table.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate.count_layers import PartnerCounts
from geosoc.schema import CATEGORY, COUNT, CRS_METRIC, HARM, MONTH, require_crs
from geosoc.sites.weights import PARTNER_COUNT_PREFIX, PARTNER_PREFIX

__all__ = ["SIGNAL_PREFIX", "partner_count_components", "period_of"]

#: Prefix of the per-category vulnerability signal columns of candidates (not scored).
SIGNAL_PREFIX = "signal__"


def period_of(incidents: pd.DataFrame) -> tuple[str, str] | tuple[()]:
    """Return the first and last month of ``incidents`` (``()`` when empty)."""
    if MONTH not in incidents.columns or incidents.empty:
        return ()
    return str(incidents[MONTH].min()), str(incidents[MONTH].max())


def partner_count_components(candidates: gpd.GeoDataFrame, bundle: PartnerCounts, *,
                             months: tuple[str, str] | tuple[()] = (),
                             method: str = "area",
                             population: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Add each partner count source's component and the vulnerability signal counts.

    Parameters
    ----------
    candidates : geopandas.GeoDataFrame
        Candidates (index ``area_code``), EPSG:4326; existing columns are kept.
    bundle : PartnerCounts
        Partner area counts with their treatment.
    months : tuple of str
        Period scored (the baseline); ``()`` takes every month.
    method, population
        Apportioning from the sources' areas to the candidates
        (:func:`geosoc.aggregate.apportion.apportion_weights`).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``partner_harm__<source>`` (days) or ``partner_count__<source>``
        (events) per harm/indicator source, ``signal__<category>`` (events) per
        vulnerability signal and ``signals_per_km2``; ``attrs["partner_method"]``.
    """
    require_crs(candidates, what="candidates")
    out = candidates.copy()
    for source in bundle.sources():  # a handful of sources, each vectorised
        mode = bundle.treatment[source]
        layer = bundle.layer(source, out, method=method, population=population,
                             months=months, by=CATEGORY if mode == "signal" else None)
        if mode == "harm":
            column = PARTNER_PREFIX + source
            previous = out[column].to_numpy(float) if column in out.columns else 0.0
            out[column] = previous + layer[HARM].to_numpy(float)
        elif mode == "indicator":
            out[PARTNER_COUNT_PREFIX + source] = layer[COUNT].to_numpy(float)
        else:
            for column in [c for c in layer.columns if c.startswith(f"{COUNT}__")]:
                out[SIGNAL_PREFIX + column[len(COUNT) + 2:]] = layer[column].to_numpy(float)
    signals = [c for c in out.columns if isinstance(c, str) and c.startswith(SIGNAL_PREFIX)]
    if signals:
        km2 = out.geometry.to_crs(CRS_METRIC).area.to_numpy() / 1e6
        total = out[signals].sum(axis=1).to_numpy(float)
        out["signals_per_km2"] = np.divide(total, km2, out=np.full(len(out), np.nan),
                                           where=km2 > 0)
    out.attrs["partner_method"] = method
    return out
