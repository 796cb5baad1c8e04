"""The statistics half of the FB4 locality profile: aggregates -> hotspots, trends, concentration.

:func:`profile_statistics` takes :class:`ProfileAggregates` (zero-filled cells, area totals,
monthly totals and the cell x period panel) and runs Gi*, Local Moran, emerging hot spots and
concentration on them. The aggregates come from incidents in memory
(:func:`geosoc.hotspots.profile.build_profile`) or from a harm cube built by either engine
(:mod:`geosoc.engine.profile`): the statistics never see an incident, so they cost the same
for a thousand rows as for two hundred million.

The statistics modules (and libpysal, which takes seconds to import) are imported when the
statistics run, not when this module is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pandas as pd

from geosoc.schema import CRS_METRIC, MONTH

if TYPE_CHECKING:
    import geopandas as gpd

    from geosoc.hotspots.concentration import ConcentrationSummary

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
    keys : pandas.DataFrame or None
        When built from a harm cube: the distinct ``source`` and ``category`` of every
        incident read, with their ``count`` (what a harm total is measured in).
    """

    cells: gpd.GeoDataFrame
    areas: dict[str, gpd.GeoDataFrame]
    monthly: pd.DataFrame
    concentration: ConcentrationSummary
    emerging: pd.DataFrame | None
    hotspot_counts: pd.DataFrame
    parameters: dict[str, object] = field(default_factory=dict)
    table_totals: dict[str, int] = field(default_factory=dict)
    keys: pd.DataFrame | None = field(default=None, compare=False)

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


@dataclass(frozen=True)
class ProfileAggregates:
    """What the statistics need, whatever built it (incidents in memory, or a harm cube).

    Attributes
    ----------
    cells : geopandas.GeoDataFrame
        The zero-filled H3 cover of the study area (EPSG:4326, index ``h3`` hex strings)
        with ``count`` (int64) and ``harm`` (float64, days or the scheme's unit).
    areas : dict of str to geopandas.GeoDataFrame
        Area kind -> Areas (EPSG:4326) with ``count`` and ``harm``, zero-filled.
    monthly : pandas.DataFrame
        ``month`` (Period[M]), ``count``, ``harm`` of the incidents inside the cover, every
        month from the first to the last.
    panel : callable
        ``panel(freq)`` -> the cell x period harm panel of the incidents inside the cover
        (``"M"`` or ``"Q"``), in :func:`geosoc.hotspots.emerging.to_panel` form: indexed by
        ``h3`` (every cover cell), columns ``period`` and ``harm``.
    dropped : dict of str to int
        Incidents left out, by reason, in the order the steps ran.
    lost : dict of str to int
        ``outside_cover`` and ``unlocated`` counts of the cell table.
    incidents_in, incidents_used : int
        Incidents given, and left after the month/category/source filters.
    notes : tuple of str
        How the study area was chosen (areas left out by the data's cover rule).
    """

    cells: gpd.GeoDataFrame
    areas: dict[str, gpd.GeoDataFrame]
    monthly: pd.DataFrame
    panel: Callable[[str], pd.DataFrame]
    dropped: dict[str, int]
    lost: dict[str, int]
    incidents_in: int
    incidents_used: int
    notes: tuple[str, ...] = ()


def bin_counts(layers: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Units per hotspot bin for each layer."""
    counts = {name: frame["hotspot_bin"].value_counts().reindex(BINS, fill_value=0)
              for name, frame in layers.items()}
    out = pd.DataFrame(counts).astype("int64")
    out.index.name = "hotspot_bin"
    return out


def profile_statistics(
    aggregates: ProfileAggregates,
    *,
    permutations: int = 0,
    lisa_permutations: int = 9_999,
    emerging_freq: Literal["M", "Q"] | None = "M",
    seed: int = 0,
    parameters: Mapping[str, object] | None = None,
    progress: Progress | None = None,
) -> LocalityProfile:
    """Run the profile's statistics on aggregates (the second half of the profile).

    Parameters
    ----------
    aggregates : ProfileAggregates
        Cells, areas, monthly totals and panel (EPSG:4326; harm in the scheme's unit).
    permutations : int
        Gi* permutations (0 = analytic p-values).
    lisa_permutations : int
        Local Moran permutations.
    emerging_freq : {"M", "Q"} or None
        Period of the emerging hot spot analysis of cells; ``None`` skips it.
    seed : int
        Random seed for every permutation step.
    parameters : mapping, optional
        What was run before the statistics (resolution, scheme, filters); stored first in
        ``LocalityProfile.parameters``.
    progress : callable, optional
        ``progress(fraction, message)`` called as steps complete (from 0.3).

    Returns
    -------
    LocalityProfile
        Cells and areas with hotspot columns, monthly trend, concentration, emerging
        classes, bin counts and the parameters used.
    """
    from geosoc.hotspots.concentration import concentration_summary
    from geosoc.hotspots.emerging import emerging_hotspots
    from geosoc.hotspots.local_stats import find_hotspots
    from geosoc.hotspots.weights import attach_islands, contiguity_graph, h3_graph

    report = progress or (lambda fraction, message: None)
    cells, monthly = aggregates.cells, aggregates.monthly
    report(0.3, f"Gi* and Local Moran on {len(cells):,} cells")
    options = {"permutations": permutations, "lisa_permutations": lisa_permutations,
               "seed": seed}
    cell_graph = h3_graph(cells.index)
    cells = find_hotspots(cells, "harm", graph=cell_graph, **options)
    islands: dict[str, str] = {}
    areas = {}
    for i, (kind, totals) in enumerate(aggregates.areas.items()):
        report(0.45 + 0.25 * i / len(aggregates.areas), f"Gi* on {len(totals):,} {kind} areas")
        graph, linked = attach_islands(totals, contiguity_graph(totals, islands="keep"))
        islands.update({f"{kind}:{k}": v for k, v in linked.items()})
        areas[kind] = find_hotspots(totals, "harm", graph=graph, **options)
    report(0.7, "monthly trend and concentration")
    totals = {"cells": int(cells["count"].sum()), "monthly": int(monthly["count"].sum()),
              **{f"areas_{k}": int(v["count"].sum()) for k, v in areas.items()}}
    km2 = cells.geometry.to_crs(CRS_METRIC).area.to_numpy() / 1e6
    concentration = concentration_summary(cells["harm"], km2,
                                          n_events=int(cells["count"].sum()), unit="cells")
    emerging = None
    n_periods = monthly[MONTH].dt.asfreq(emerging_freq or "M").nunique()
    if emerging_freq is not None and n_periods >= 3:
        report(0.8, f"emerging hot spots over {n_periods} periods")
        panel = aggregates.panel(emerging_freq)
        emerging = emerging_hotspots(panel, cell_graph, permutations=permutations, seed=seed)
        cells = cells.join(emerging[["trend_tau", "trend_p", "emerging_class"]])
    counts = bin_counts({"cells": cells, **areas})
    report(1.0, "profile ready")
    used = {**dict(parameters or {}), "permutations": permutations,
            "lisa_permutations": lisa_permutations, "emerging_freq": emerging_freq,
            "seed": seed, "islands_linked": islands,
            "incidents_in": aggregates.incidents_in,
            "incidents_used": aggregates.incidents_used, **aggregates.lost,
            "dropped": dict(aggregates.dropped)}
    if aggregates.notes:
        used["study_area"] = " ".join(aggregates.notes)
    return LocalityProfile(cells=cells, areas=areas, monthly=monthly,
                           concentration=concentration, emerging=emerging,
                           hotspot_counts=counts, parameters=used, table_totals=totals)

