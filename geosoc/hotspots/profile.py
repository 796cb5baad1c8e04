"""The FB4 locality profile: harm -> cells and areas -> hotspots, trends and concentration.

One function, :func:`build_profile`, that the CLI (``geosoc profile``), the app and the
report all call. It never imports a UI library: progress is reported through an optional
``progress(fraction, message)`` callable (``st.progress`` in the app, a text bar in the CLI).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate.cells import cover_area, h3_ints_to_str, lonlat_to_cells
from geosoc.aggregate.tables import harm_by_area, harm_by_cell, harm_by_month
from geosoc.errors import AnalysisError, Problem
from geosoc.harm import Scheme, apply_harm_weights
from geosoc.hotspots.emerging import to_panel
from geosoc.hotspots.profile_result import (
    BINS,
    MEASURES,
    LocalityProfile,
    ProfileAggregates,
    Progress,
    profile_statistics,
)
from geosoc.hotspots.study_area import (
    areas_in_data_cover,
    data_cover,
    hull_candidates,
    study_area,
)
from geosoc.schema import CATEGORY, COUNT, H3, LAT, LON, MONTH, SOURCE

__all__ = ["BINS", "MEASURES", "LocalityProfile", "Progress", "build_profile"]

def _filter(incidents: gpd.GeoDataFrame, months: tuple[str, str] | None,
            categories: Sequence[str] | None, sources: Sequence[str] | None,
            dropped: dict[str, int] | None = None) -> gpd.GeoDataFrame:
    """Keep incidents in the month range and in the given categories and sources.

    ``dropped`` receives the rows each filter removed (in order), by reason.
    """
    keep = np.ones(len(incidents), dtype=bool)
    steps = []
    if months is not None:
        first, last = (pd.Period(m, freq="M") for m in months)
        steps.append(("outside the month range", ((incidents[MONTH] >= first)
                                                  & (incidents[MONTH] <= last)).to_numpy()))
    if categories is not None:
        steps.append(("not in the chosen categories",
                      incidents[CATEGORY].isin(list(categories)).to_numpy()))
    if sources is not None:
        steps.append(("not in the chosen sources",
                      incidents[SOURCE].isin(list(sources)).to_numpy()))
    for reason, mask in steps:
        if dropped is not None and int((keep & ~mask).sum()):
            dropped[reason] = int((keep & ~mask).sum())
        keep &= mask
    if not keep.any():
        raise AnalysisError("no incidents left after filtering", [Problem(
            f"months={months}, categories={categories}, sources={sources} match nothing",
            fix="widen the month range or choose other categories/sources")])
    return incidents[keep]


def build_profile(
    incidents: gpd.GeoDataFrame,
    areas: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    resolution: int = 9,
    weights: pd.DataFrame | str | None = None,
    scheme: Scheme = "harm",
    unknown: str | float = "error",
    months: tuple[str, str] | None = None,
    categories: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    permutations: int = 0,
    lisa_permutations: int = 9_999,
    emerging_freq: Literal["M", "Q"] | None = "M",
    seed: int = 0,
    progress: Progress | None = None,
) -> LocalityProfile:
    """Build the FB4 locality profile from incidents and area layers.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents contract (EPSG:4326), police and partner sources together.
    areas : dict of str to geopandas.GeoDataFrame, optional
        Area layers by kind (``{"ward": wards, "lsoa": lsoas}``), Areas contract. Their
        union is the study area whose zero-filled H3 cover is analysed; without areas the
        incidents' convex hull is used.
    resolution : int
        H3 resolution of the cells (9 is about 0.1 km²).
    weights : DataFrame or path, optional
        Harm weights table (:func:`geosoc.harm.load_harm_weights`); default table if None.
    scheme : {"harm", "count", "log_harm"}
        Harm in days, one per event, or ``ln(1 + days)``.
    unknown : {"error"} or float
        Categories missing from the weights table: an error listing them (default), or
        this weight in days.
    months : tuple of str, optional
        Inclusive ``("2024-01", "2024-12")`` range.
    categories, sources : sequence of str, optional
        Keep only these categories / sources.
    permutations : int
        Gi* permutations (0 = analytic p-values, recommended for thousands of cells).
    lisa_permutations : int
        Local Moran permutations.
    emerging_freq : {"M", "Q"} or None
        Period of the emerging hot spot analysis of cells; ``None`` skips it.
    seed : int
        Random seed for every permutation step.
    progress : callable, optional
        ``progress(fraction, message)`` called as steps complete.

    Returns
    -------
    LocalityProfile
        Cells and areas with hotspot columns, monthly trend, concentration, emerging
        classes, bin counts and the parameters used.
    """
    report = progress or (lambda fraction, message: None)
    areas = dict(areas or {})
    report(0.0, "applying harm weights")
    dropped: dict[str, int] = {}
    chosen = _filter(incidents, months, categories, sources, dropped)
    weighted = apply_harm_weights(chosen, weights, scheme=scheme, unknown=unknown)
    report(0.15, f"covering the study area with H3 resolution {resolution} cells")
    lon, lat = weighted[LON].to_numpy(dtype=float), weighted[LAT].to_numpy(dtype=float)
    hull = None if areas else hull_candidates(lon, lat)
    totals = {kind: harm_by_area(weighted, frame) for kind, frame in areas.items()}
    rule = areas_in_data_cover(areas, {k: v[COUNT].to_numpy() for k, v in totals.items()},
                               data_cover(lon, lat) if areas else None)
    totals = rule.apply(totals)
    cover = cover_area(study_area(rule.apply(areas), hull), resolution)
    cells = harm_by_cell(weighted, resolution, cover=cover)
    lost = {"outside_cover": int(cells.attrs.get("outside_count", 0)),
            "unlocated": int(cells.attrs.get("unlocated_count", 0))}
    for reason, n in (("no location", lost["unlocated"]),
                      ("outside the boundary cover", lost["outside_cover"])):
        if n:
            dropped[reason] = n
    ids = h3_ints_to_str(lonlat_to_cells(weighted[LON].to_numpy(dtype=float),
                                         weighted[LAT].to_numpy(dtype=float), resolution))
    located = weighted.assign(**{H3: ids})
    located = located[located[H3].isin(cells.index)]
    aggregates = ProfileAggregates(
        cells=cells, areas=totals, monthly=harm_by_month(located.drop(columns=H3)),
        panel=lambda freq: to_panel(located, H3, freq, ids=cells.index), dropped=dropped,
        lost=lost, incidents_in=len(incidents), incidents_used=len(weighted),
        notes=tuple(rule.notes))
    parameters = {"resolution": resolution, "scheme": scheme, "months": months,
                  "categories": categories, "sources": sources}
    return profile_statistics(aggregates, permutations=permutations,
                              lisa_permutations=lisa_permutations, emerging_freq=emerging_freq,
                              seed=seed, parameters=parameters, progress=report)
