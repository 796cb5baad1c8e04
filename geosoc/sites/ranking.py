"""One call from incidents and boundaries to a ranked list of candidate CHB sites.

The CLI (``geosoc sites rank``) and the app both call :func:`rank_sites`, so the two always
rank the same way: choose the period, build candidates at the asked scale, compute the
components (with Gi* hotspot cells at ``resolution``), then score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd

from geosoc.aggregate.cells import cover_area
from geosoc.aggregate.count_layers import PartnerCounts
from geosoc.aggregate.tables import harm_by_cell
from geosoc.errors import AnalysisError, Problem
from geosoc.hotspots.local_stats import gi_star
from geosoc.hotspots.weights import h3_graph
from geosoc.schema import HARM, MONTH
from geosoc.sites.candidates import as_candidates, sector_candidates, ward_candidates
from geosoc.sites.components import candidate_components
from geosoc.sites.partner_component import partner_count_components, period_of
from geosoc.sites.regions import grow_regions, name_regions_by_areas
from geosoc.sites.scoring import score_candidates
from geosoc.sites.weights import DEFAULT_WEIGHTS, ScoreWeights

__all__ = ["BASELINE_MONTHS", "SCALES", "baseline_period", "hotspot_cells", "in_period",
           "rank_sites"]

#: Candidate scales understood by :func:`rank_sites`.
SCALES = ("ward", "sector", "h3")
#: Baseline length (months before Clear) when no baseline phase is recorded.
BASELINE_MONTHS = 12


def baseline_period(
    phases: Mapping[str, Sequence[str | pd.Period | None]],
) -> tuple[str | None, str | None]:
    """Return the ``(first, last)`` baseline months from a site's phase dates.

    Parameters
    ----------
    phases : mapping of str to (first, last) months
        Phase name (``baseline``, ``clear``, ...) to ``"YYYY-MM"`` strings or monthly
        Periods, as in the demo site and the workspace.

    Returns
    -------
    tuple of str or None
        The recorded baseline; else the :data:`BASELINE_MONTHS` months before Clear starts;
        else ``(None, None)`` (the whole period).
    """
    if "baseline" in phases:
        first, last = phases["baseline"][0], phases["baseline"][1]
        return (None if first is None else str(first)), (None if last is None else str(last))
    if "clear" in phases and phases["clear"][0]:
        end = pd.Period(phases["clear"][0], freq="M") - 1
        return str(end - (BASELINE_MONTHS - 1)), str(end)
    return None, None


def in_period(incidents: pd.DataFrame, start: str | pd.Period | None,
              end: str | pd.Period | None) -> pd.DataFrame:
    """Return the incidents whose ``month`` lies in ``[start, end]`` (either end open).

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents with a ``Period[M]`` ``month`` column.
    start, end : str or pandas.Period, optional
        First and last month (``"YYYY-MM"``), inclusive.

    Returns
    -------
    pandas.DataFrame
        The matching rows (a new frame, index kept).
    """
    keep = pd.Series(True, index=incidents.index)
    if start is not None:
        keep &= incidents[MONTH] >= pd.Period(start, freq="M")
    if end is not None:
        keep &= incidents[MONTH] <= pd.Period(end, freq="M")
    return incidents.loc[keep].copy()


def hotspot_cells(incidents: gpd.GeoDataFrame, study_area: gpd.GeoDataFrame,
                  resolution: int) -> gpd.GeoDataFrame:
    """Return the zero-filled H3 cover of the study area with harm and Gi* columns.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents with ``harm`` (days), EPSG:4326.
    study_area : geopandas.GeoDataFrame
        Polygons (EPSG:4326) whose union is the study area.
    resolution : int
        H3 resolution (9 ≈ 0.1 km² cells).

    Returns
    -------
    geopandas.GeoDataFrame
        Cells contract (index ``h3``) with ``gi_z``/``gi_p``/``hotspot_bin`` from Gi* with
        binary H3 k=1 weights and analytic p-values.
    """
    cells = harm_by_cell(incidents, resolution, cover=cover_area(study_area, resolution))
    return gi_star(cells, HARM, h3_graph(cells.index), permutations=0)


def rank_sites(
    incidents: gpd.GeoDataFrame,
    *,
    wards: gpd.GeoDataFrame,
    scale: str = "ward",
    sectors: pd.DataFrame | None = None,
    lsoas: gpd.GeoDataFrame | None = None,
    imd: pd.DataFrame | None = None,
    assets: gpd.GeoDataFrame | None = None,
    emerging: pd.DataFrame | None = None,
    weights: ScoreWeights | Mapping[str, float] = DEFAULT_WEIGHTS,
    higher_is_worse: Mapping[str, bool] | None = None,
    target_km2: float = 1.0,
    resolution: int = 9,
    max_regions: int = 10,
    min_count: int = 20,
    partner_counts: PartnerCounts | None = None,
    partner_method: str = "area",
    population: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Rank candidate sites of one scale from (period-filtered) incidents.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incidents with ``harm`` (days), EPSG:4326, already cut to the baseline period.
    wards : geopandas.GeoDataFrame
        Ward Areas (EPSG:4326): the candidates at ward scale and the study area.
    scale : {"ward", "sector", "h3"}
        Candidate scale.
    sectors : geopandas.GeoDataFrame or pandas.DataFrame, optional
        Postcode sector polygons or postcodes (needed for ``scale="sector"``).
    lsoas, imd, assets, emerging : optional
        Inputs of the vulnerability, asset and emerging components (``emerging``: cells
        with ``emerging_class`` from :func:`geosoc.hotspots.emerging.emerging_hotspots`).
    weights, higher_is_worse
        As in :func:`geosoc.sites.scoring.score_candidates`.
    target_km2, resolution, max_regions : optional
        H3 regions: target size (km²), H3 resolution of the cells (also used for the
        hotspot component at every scale) and how many regions to grow.
    min_count : int
        Candidates with fewer police incidents than this in the period are not ranked: a
        site must hold enough recorded crime for a change to be measurable (and a ward at
        the edge of a force's data would otherwise rank on IMD alone). Their codes are in
        ``attrs["excluded"]``.
    partner_counts : PartnerCounts, optional
        Partner area counts: one component per source over the incidents' period
        (:func:`geosoc.sites.partner_component.partner_count_components`), apportioned
        to candidates by ``partner_method`` (``"area"``, or ``"population"`` with
        ``population`` = postcode centroids).

    Returns
    -------
    geopandas.GeoDataFrame
        The ranked candidates (see :func:`geosoc.sites.scoring.score_candidates`), with a
        ``scale`` column; ``attrs["period"]`` holds the first and last month seen. H3
        regions are named after the wards they cover (``covers``: every ward with its
        share of the region; ``covers_lsoas`` likewise when LSOAs are given).
    """
    if scale not in SCALES:
        raise AnalysisError("unknown candidate scale", [Problem(
            f"scale {scale!r}", column="scale", fix="use ward, sector or h3")])
    if scale == "sector" and sectors is None:
        raise AnalysisError("sector candidates need postcode sectors", [Problem(
            "no sectors given", fix="pass sector polygons or a postcodes frame")])
    cells = hotspot_cells(incidents, wards, resolution)
    if scale == "ward":
        candidates = ward_candidates(wards)
    elif scale == "sector":
        candidates = sector_candidates(sectors, clip_to=wards)
    else:
        regions = grow_regions(cells, target_km2=target_km2, max_regions=max_regions)
        regions = name_regions_by_areas(regions, wards)
        if lsoas is not None:
            regions = name_regions_by_areas(regions, lsoas, column="covers_lsoas").assign(
                name=regions["name"])
        candidates = as_candidates(regions, "h3")
    if imd is not None and lsoas is None:
        raise AnalysisError("vulnerability (IMD) needs LSOA boundaries", [Problem(
            "IMD scores were given without LSOA polygons to place them",
            fix="load LSOA boundaries (geosoc ingest FILE --kind boundaries --area-kind lsoa)"
                " or leave the IMD out")])
    components = candidate_components(candidates, incidents, imd=imd, lsoas=lsoas,
                                      assets=assets, hotspots=cells, emerging=emerging)
    if partner_counts is not None:
        components = partner_count_components(components, partner_counts,
                                              months=period_of(incidents),
                                              method=partner_method, population=population)
    enough = components["police_count"].fillna(0) >= min_count
    if not enough.any():
        raise AnalysisError("no candidate holds enough incidents to rank", [Problem(
            f"every {scale} candidate has fewer than {min_count} police incidents",
            fix="widen the period, or lower min_count")])
    ranked = score_candidates(components[enough], weights, higher_is_worse=higher_is_worse)
    ranked.attrs["excluded"] = components.index[~enough].astype(str).tolist()
    ranked.attrs["min_count"] = min_count
    months = incidents[MONTH]
    ranked.attrs["period"] = ([str(months.min()), str(months.max())] if len(months)
                              else [None, None])
    ranked.attrs["scale"] = scale
    return ranked
