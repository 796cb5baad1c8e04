"""The FB4 locality profile: harm -> cells and areas -> hotspots, trends and concentration.

One function, :func:`build_profile`, that the CLI (``geosoc profile``), the app and the
report all call. It never imports a UI library: progress is reported through an optional
``progress(fraction, message)`` callable (``st.progress`` in the app, a text bar in the CLI).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.aggregate.cells import cover_area, h3_ints_to_str, lonlat_to_cells
from geosoc.aggregate.tables import harm_by_area, harm_by_cell, harm_by_month
from geosoc.errors import AnalysisError, Problem
from geosoc.harm import Scheme, apply_harm_weights
from geosoc.hotspots.concentration import ConcentrationSummary, concentration_summary
from geosoc.hotspots.emerging import emerging_hotspots, to_panel
from geosoc.hotspots.local_stats import find_hotspots
from geosoc.hotspots.weights import attach_islands, contiguity_graph, h3_graph
from geosoc.schema import CATEGORY, CRS_METRIC, CRS_STORE, H3, LAT, LON, MONTH, SOURCE

Progress = Callable[[float, str], None]
#: What the hot spot columns measure, written into every profile summary.
MEASURES = {
    "gi_z": "Getis-Ord Gi* z-score of the unit itself (binary weights: H3 cells with their "
            "6 neighbours; areas with the areas they touch). A ward's gi_z compares the ward "
            "with its neighbouring wards. It is not the 'hotspot' component of geosoc sites "
            "rank, which is the mean gi_z of the H3 cells inside the candidate.",
    "hotspot_bin": "Gi* confidence bin: +3/+2/+1 hot at 99/95/90%, -1..-3 cold, 0 none",
}
#: Hotspot bins in display order, hottest first.
BINS = (3, 2, 1, 0, -1, -2, -3)


@dataclass(frozen=True)
class LocalityProfile:
    """Everything the FB4 locality profile shows.

    Attributes
    ----------
    cells : geopandas.GeoDataFrame
        Zero-filled H3 Cells (EPSG:4326) with ``count``, ``harm``, Gi* (``gi_z``, ``gi_p``,
        ``gi_q``, ``gi_fdr``, ``hotspot_bin``), Local Moran (``lisa_*``) and, when computed,
        ``trend_tau``, ``trend_p``, ``emerging_class``.
    areas : dict of str to geopandas.GeoDataFrame
        Area kind -> Areas with ``count``, ``harm`` and the same hotspot columns.
    monthly : pandas.DataFrame
        ``month``, ``count``, ``harm`` for every month in range (zeros kept).
    concentration : ConcentrationSummary
        How concentrated harm is over the cells.
    emerging : pandas.DataFrame or None
        Emerging hot spot result per cell (``None`` with fewer than 3 periods).
    hotspot_counts : pandas.DataFrame
        Index ``hotspot_bin`` (3..-3); one column per layer (``cells`` and each area kind)
        with the number of units in that bin.
    parameters : dict
        What was run (resolution, scheme, filters, permutations, seed, islands linked...)
        and ``dropped``: incidents left out by reason (outside the month range, not in the
        chosen categories/sources, no location, outside the boundary cover).
    table_totals : dict of str to int
        Incidents each table counts: ``cells`` and ``monthly`` count the same incidents (those
        inside the H3 cover of the study area); ``areas_<kind>`` those inside an area of
        that layer (a cover cell may reach past the outermost boundary).
    """

    cells: gpd.GeoDataFrame
    areas: dict[str, gpd.GeoDataFrame]
    monthly: pd.DataFrame
    concentration: ConcentrationSummary
    emerging: pd.DataFrame | None
    hotspot_counts: pd.DataFrame
    parameters: dict[str, object] = field(default_factory=dict)
    table_totals: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        """Return the headline figures as a JSON-ready dict."""
        return {
            "cells": len(self.cells),
            "areas": {kind: len(frame) for kind, frame in self.areas.items()},
            "incidents": int(self.cells["count"].sum()),
            "harm": float(self.cells["harm"].sum()),
            "hotspot_counts": {str(b): {k: int(v) for k, v in row.items()}
                               for b, row in self.hotspot_counts.iterrows()},
            "concentration": self.concentration.to_dict(),
            "emerging": (self.emerging["emerging_class"].value_counts().to_dict()
                         if self.emerging is not None else None),
            "parameters": {k: v if isinstance(v, (int, float, str, bool, type(None)))
                           else str(v) for k, v in self.parameters.items() if k != "dropped"},
            "dropped": dict(self.parameters.get("dropped", {})),
            "table_totals": dict(self.table_totals),
            "measures": MEASURES,
        }


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


def _study_area(incidents: gpd.GeoDataFrame, areas: Mapping[str, gpd.GeoDataFrame]
                ) -> gpd.GeoSeries:
    """Union of every area layer, or the convex hull of the incidents when none is given."""
    if areas:
        parts = np.concatenate([frame.geometry.to_numpy() for frame in areas.values()])
        return gpd.GeoSeries([shapely.union_all(parts)], crs=CRS_STORE)
    located = incidents[np.isfinite(incidents[LON]) & np.isfinite(incidents[LAT])]
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack(
        [located[LON].to_numpy(), located[LAT].to_numpy()])))
    return gpd.GeoSeries([hull.buffer(1e-3)], crs=CRS_STORE)


def _bin_counts(layers: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Units per hotspot bin for each layer."""
    counts = {name: frame["hotspot_bin"].value_counts().reindex(BINS, fill_value=0)
              for name, frame in layers.items()}
    out = pd.DataFrame(counts).astype("int64")
    out.index.name = "hotspot_bin"
    return out


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
    cover = cover_area(_study_area(weighted, areas), resolution)
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
    report(0.3, f"Gi* and Local Moran on {len(cells):,} cells")
    options = {"permutations": permutations, "lisa_permutations": lisa_permutations,
               "seed": seed}
    cell_graph = h3_graph(cells.index)
    cells = find_hotspots(cells, "harm", graph=cell_graph, **options)
    islands: dict[str, str] = {}
    for i, (kind, frame) in enumerate(areas.items()):
        report(0.45 + 0.25 * i / len(areas), f"Gi* on {len(frame):,} {kind} areas")
        totals = harm_by_area(weighted, frame)
        graph, linked = attach_islands(totals, contiguity_graph(totals, islands="keep"))
        islands.update({f"{kind}:{k}": v for k, v in linked.items()})
        areas[kind] = find_hotspots(totals, "harm", graph=graph, **options)
    report(0.7, "monthly trend and concentration")
    monthly = harm_by_month(located.drop(columns=H3))
    totals = {"cells": int(cells["count"].sum()), "monthly": int(monthly["count"].sum()),
              **{f"areas_{k}": int(v["count"].sum()) for k, v in areas.items()}}
    km2 = cells.geometry.to_crs(CRS_METRIC).area.to_numpy() / 1e6
    concentration = concentration_summary(cells["harm"], km2,
                                          n_events=int(cells["count"].sum()), unit="cells")
    emerging = None
    n_periods = monthly[MONTH].dt.asfreq(emerging_freq or "M").nunique()
    if emerging_freq is not None and n_periods >= 3:
        report(0.8, f"emerging hot spots over {n_periods} periods")
        panel = to_panel(located, H3, emerging_freq, ids=cells.index)
        emerging = emerging_hotspots(panel, cell_graph, permutations=permutations, seed=seed)
        cells = cells.join(emerging[["trend_tau", "trend_p", "emerging_class"]])
    counts = _bin_counts({"cells": cells, **areas})
    report(1.0, "profile ready")
    parameters = {
        "resolution": resolution, "scheme": scheme, "months": months,
        "categories": categories, "sources": sources, "permutations": permutations,
        "lisa_permutations": lisa_permutations, "emerging_freq": emerging_freq,
        "seed": seed, "islands_linked": islands,
        "incidents_in": len(incidents), "incidents_used": len(weighted), **lost,
        "dropped": dropped,
    }
    return LocalityProfile(cells=cells, areas=areas, monthly=monthly,
                           concentration=concentration, emerging=emerging,
                           hotspot_counts=counts, parameters=parameters, table_totals=totals)
