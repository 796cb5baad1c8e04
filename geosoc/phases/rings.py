"""Geometry around a site: buffer rings, H3 rings, adjacent areas and control suggestions.

Distances are measured in British National Grid metres (EPSG:27700); every geometry goes in
and comes out in EPSG:4326.

**Control selection** (:func:`suggest_control`). A good control area is comparable to the
site but untouched by the intervention and its displacement. Candidates are the areas that
do not intersect the exclusion zone (by default the site buffered by 500 m). For each
candidate and for the site, the monthly counts over the baseline months are divided by their
own mean, so the series compare *shape* (trend and seasonality), not volume. Candidates are
ranked by the RMSE between their normalised series and the site's (lower is better); the
Pearson correlation of the raw series is reported beside it. Areas with no baseline events are
never suggested.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely

from geosoc.aggregate.tables import locate_in_areas
from geosoc.errors import AnalysisError, Problem
from geosoc.schema import (
    AREA_CODE,
    COUNT,
    CRS_METRIC,
    CRS_STORE,
    LAT,
    LON,
    MONTH,
    validate_areas,
)


def _to_metric(geometry: shapely.Geometry) -> shapely.Geometry:
    return gpd.GeoSeries([geometry], crs=CRS_STORE).to_crs(CRS_METRIC).iloc[0]


def _to_store(geometries: Sequence[shapely.Geometry]) -> gpd.GeoSeries:
    return gpd.GeoSeries(list(geometries), crs=CRS_METRIC).to_crs(CRS_STORE)


def ring_name(inner_m: float, outer_m: float) -> str:
    """Return the display name of a ring, e.g. ``"0-250 m ring"``."""
    return f"{inner_m:g}-{outer_m:g} m ring"


def buffer_rings(
    site_geometry: shapely.Geometry, bands_m: Sequence[float] = (0, 250, 500)
) -> gpd.GeoDataFrame:
    """Return concentric rings (annuli) around a site, excluding the site itself.

    Parameters
    ----------
    site_geometry : shapely geometry
        The site polygon in EPSG:4326.
    bands_m : sequence of float
        Increasing distances from the site edge in metres; consecutive pairs make the rings
        (``(0, 250, 500)`` gives 0-250 m and 250-500 m).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``ring`` (name), ``inner_m``, ``outer_m``, ``area_km2`` (measured in
        EPSG:27700), geometry Polygon in EPSG:4326. RangeIndex, innermost first.
    """
    bands = np.asarray(bands_m, dtype=float)
    if len(bands) < 2 or bands[0] < 0 or np.any(np.diff(bands) <= 0):
        raise AnalysisError("buffer bands must be at least two increasing distances >= 0",
                            [Problem(f"bands_m={list(bands_m)!r}", column="bands_m",
                                     fix="pass e.g. (0, 250, 500)")])
    site = _to_metric(site_geometry)
    discs = shapely.buffer(site, bands)
    discs[bands == 0] = site
    rings = shapely.difference(discs[1:], discs[:-1])
    return gpd.GeoDataFrame(
        {
            "ring": [ring_name(a, b) for a, b in itertools.pairwise(bands)],
            "inner_m": bands[:-1],
            "outer_m": bands[1:],
            "area_km2": shapely.area(rings) / 1e6,
        },
        geometry=_to_store(rings).to_numpy(),
        crs=CRS_STORE,
    )


def h3_ring_cells(site_cells: Iterable[str], k: int) -> pd.DataFrame:
    """Return the H3 cells within ``k`` steps of a site made of cells, excluding the site.

    Parameters
    ----------
    site_cells : iterable of str
        H3 cell ids (one resolution) making up the site.
    k : int
        Number of rings (grid distance) around the site.

    Returns
    -------
    pandas.DataFrame
        Columns ``h3`` (str) and ``ring`` (int, 1..k: grid distance to the nearest site cell).
    """
    site = set(site_cells)
    distance: dict[str, int] = {}
    for step in range(1, k + 1):
        for cell in site:  # loop over the site's few cells, not over points
            for neighbour in h3.grid_ring(cell, step):
                if neighbour not in site:
                    distance[neighbour] = min(distance.get(neighbour, step), step)
    frame = pd.DataFrame({"h3": list(distance), "ring": list(distance.values())})
    return frame.astype({"h3": "string", "ring": "int64"}).sort_values(["ring", "h3"],
                                                                       ignore_index=True)


def adjacent_areas(
    site: shapely.Geometry, areas: gpd.GeoDataFrame, *, tolerance_m: float = 5.0,
    inside_share: float = 0.5,
) -> gpd.GeoDataFrame:
    """Return the areas that touch the site but are not part of it.

    Parameters
    ----------
    site : shapely geometry
        Site polygon in EPSG:4326.
    areas : geopandas.GeoDataFrame
        Areas contract (index ``area_code``, EPSG:4326).
    tolerance_m : float
        Gap in metres still counted as touching (boundaries from different sources rarely
        meet exactly).
    inside_share : float
        Areas with at least this share of their area inside the site are part of the site.

    Returns
    -------
    geopandas.GeoDataFrame
        The subset of ``areas`` adjacent to the site, same columns and index.
    """
    validate_areas(areas)
    metric = areas.geometry.to_crs(CRS_METRIC)
    site_m = _to_metric(site)
    touching = shapely.intersects(metric.to_numpy(), shapely.buffer(site_m, tolerance_m))
    share = shapely.area(shapely.intersection(metric.to_numpy(), site_m)) / shapely.area(
        metric.to_numpy())
    return areas[touching & (share < inside_share)]


def _area_month_counts(areas: gpd.GeoDataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """Area x month counts from points (located with a spatial index) or area counts."""
    if AREA_CODE in data.columns and COUNT in data.columns:
        frame = data[[AREA_CODE, MONTH, COUNT]]
    elif {LON, LAT} <= set(data.columns) and areas.crs is not None \
            and areas.crs.equals(CRS_STORE):
        # the raster index: exact, and seconds faster than an STRtree over a force's points
        position = locate_in_areas(data[LON].to_numpy(dtype="float64", na_value=np.nan),
                                   data[LAT].to_numpy(dtype="float64", na_value=np.nan), areas)
        placed = position >= 0
        frame = pd.DataFrame({AREA_CODE: areas.index.to_numpy()[position[placed]],
                              MONTH: data[MONTH].array[placed], COUNT: 1})
    else:
        points, polys = areas.sindex.query(data.geometry.to_numpy(), predicate="within")
        frame = pd.DataFrame({AREA_CODE: areas.index.to_numpy()[polys],
                              MONTH: data[MONTH].to_numpy()[points], COUNT: 1})
    return frame.groupby([AREA_CODE, MONTH], observed=True)[COUNT].sum().unstack(fill_value=0)


def suggest_control(
    site: shapely.Geometry,
    areas: gpd.GeoDataFrame,
    incidents_or_counts: pd.DataFrame,
    *,
    baseline: tuple[object, object],
    exclude: shapely.Geometry | None = None,
    n: int = 3,
) -> gpd.GeoDataFrame:
    """Suggest control areas whose baseline trend best matches the site's.

    Parameters
    ----------
    site : shapely geometry
        Site polygon in EPSG:4326.
    areas : geopandas.GeoDataFrame
        Candidate areas (areas contract, EPSG:4326).
    incidents_or_counts : pandas.DataFrame
        Incidents (Points, EPSG:4326, ``month``) or area counts (``area_code``, ``month``,
        ``count``). For area counts the site series sums the areas whose representative point
        lies in the site.
    baseline : tuple
        First and last baseline month (inclusive), e.g. ``("2023-01", "2023-12")``.
    exclude : shapely geometry, optional
        Zone no control may touch (EPSG:4326); default the site buffered by 500 m. Areas
        touching the site itself are always excluded.
    n : int
        How many areas to return.

    Returns
    -------
    geopandas.GeoDataFrame
        Up to ``n`` rows of ``areas`` with ``baseline_count``, ``rmse`` (mean-normalised
        series, lower is better), ``correlation`` (Pearson) and ``rank`` (1 = best).
    """
    validate_areas(areas)
    months = pd.period_range(baseline[0], baseline[1], freq="M")
    if exclude is None:
        exclude = _to_store([shapely.buffer(_to_metric(site), 500.0)]).iloc[0]
    table = _area_month_counts(areas, incidents_or_counts).reindex(
        index=areas.index, columns=months, fill_value=0)
    if AREA_CODE in incidents_or_counts.columns:
        reps = areas.geometry.representative_point()
        site_series = table[shapely.contains(site, reps.to_numpy())].sum()
    else:
        inc = incidents_or_counts
        xy = shapely.get_coordinates(inc.geometry.to_numpy())
        inside = shapely.contains_xy(site, xy[:, 0], xy[:, 1])
        site_series = inc[MONTH][inside].value_counts().reindex(months, fill_value=0)
    if site_series.sum() == 0:
        raise AnalysisError("the site has no events in the baseline, so no control can match it",
                            [Problem("no baseline events in the site", column=MONTH,
                                     fix="widen the baseline or check the site boundary")])
    geoms = areas.geometry.to_numpy()
    allowed = ~shapely.intersects(geoms, exclude) & ~shapely.intersects(geoms, site)
    values = table.to_numpy(dtype=float)
    totals = values.sum(axis=1)
    usable = allowed & (totals > 0)
    s = site_series.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        shapes = values / values.mean(axis=1, keepdims=True)
        rmse = np.sqrt(((shapes - s / s.mean()) ** 2).mean(axis=1))
        vc = values - values.mean(axis=1, keepdims=True)
        sc = s - s.mean()
        corr = (vc @ sc) / np.sqrt((vc**2).sum(axis=1) * (sc**2).sum())
    scored = areas.assign(baseline_count=totals.astype("int64"), rmse=rmse, correlation=corr)
    best = scored[usable].sort_values(["rmse", "baseline_count"], ascending=[True, False]).head(n)
    return best.assign(rank=np.arange(1, len(best) + 1))
