"""Apportion area counts (LSOA, ward, postcode sector) to other polygons: H3 cells, wards, sites.

Partners share counts per area, not points. To show them on an H3 layer, or to score a
candidate site that cuts across areas, each area's count is split over the target polygons
it overlaps, by one of two **named** methods (the name goes on the map and in the legend):

- ``"area"`` (areal weighting): the share of the area's *overlapped* surface in each target,
  measured in EPSG:27700 (m²);
- ``"population"`` (dasymetric): the share of the area's population points -- postcode
  centroids, optionally with a ``population`` or ``households`` weight -- lying in each
  target. An area holding no population point falls back to area shares (and says so in
  ``method_used``).

Shares of each area sum to 1 over the targets it touches, so apportioning **conserves every
area's total** (exactly with ``integer=True``, which uses the largest-remainder method; to
floating-point rounding otherwise). tobler's ``area_interpolate`` does the areal case but is
not a dependency; this is the same overlay, vectorised with shapely 2.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.errors import Problem, SchemaError
from geosoc.schema import AREA_CODE, CRS_METRIC, require_crs

__all__ = ["APPORTION_METHODS", "apportion", "apportion_weights", "method_label"]

#: Methods of :func:`apportion_weights`, with the label shown on maps and legends.
APPORTION_METHODS = {
    "area": "apportioned by area share",
    "population": "apportioned by population share (postcode centroids)",
}
_POP_COLUMNS = ("population", "households")


def method_label(method: str) -> str:
    """Return the plain-English name of an apportioning method (for maps and legends)."""
    _check_method(method)
    return APPORTION_METHODS[method]


def _check_method(method: str) -> None:
    if method not in APPORTION_METHODS:
        raise SchemaError(f"unknown apportioning method {method!r}", [Problem(
            f"method {method!r}", column="method",
            fix="use " + " or ".join(repr(m) for m in APPORTION_METHODS))])


def _overlaps(sources: gpd.GeoDataFrame, targets: gpd.GeoDataFrame
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Source positions, target positions, overlap areas (m²) and both metric geometries."""
    src = sources.geometry.to_crs(CRS_METRIC).to_numpy()
    tgt = targets.geometry.to_crs(CRS_METRIC).to_numpy()
    si, ti = shapely.STRtree(tgt).query(src, predicate="intersects")
    area = shapely.area(shapely.intersection(src[si], tgt[ti])) if si.size else np.zeros(0)
    keep = area > 0
    return si[keep], ti[keep], area[keep], src, tgt


def _population_weights(population: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Metric point coordinates (n x 2) and weights of the population points."""
    if isinstance(population, gpd.GeoDataFrame):
        require_crs(population, what="population points")
        xy = shapely.get_coordinates(population.geometry.to_crs(CRS_METRIC).to_numpy())
    elif {"easting", "northing"} <= set(population.columns):
        xy = population[["easting", "northing"]].to_numpy(dtype=float)
    else:
        raise SchemaError("population points need a location", [Problem(
            "no geometry and no easting/northing columns", column="easting",
            fix="pass postcode centroids (geosoc.ingest.read_postcodes) or a GeoDataFrame "
                "of points")])
    column = next((c for c in _POP_COLUMNS if c in population.columns), None)
    weight = (pd.to_numeric(population[column], errors="coerce").fillna(0).to_numpy(float)
              if column else np.ones(len(population)))
    ok = np.isfinite(xy).all(axis=1)
    return xy[ok], weight[ok]


def apportion_weights(sources: gpd.GeoDataFrame, targets: gpd.GeoDataFrame, *,
                      method: str = "area", population: pd.DataFrame | None = None
                      ) -> pd.DataFrame:
    """Return the share of each source area that goes to each target polygon.

    Parameters
    ----------
    sources : geopandas.GeoDataFrame
        Areas the counts were shared for (index ``area_code``), EPSG:4326.
    targets : geopandas.GeoDataFrame
        Polygons to apportion to (H3 cells, wards, candidate sites), EPSG:4326; their index
        labels name the targets.
    method : {"area", "population"}
        Areal weighting, or population points (``population`` required).
    population : pandas.DataFrame, optional
        Postcode centroids (``easting``/``northing`` EPSG:27700 metres) or a GeoDataFrame of
        points, with an optional ``population``/``households`` weight column.

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``target`` (target label), ``share`` (sums to 1 per source area
        that touches a target) and ``method_used`` (``"area"`` or ``"population"``).
        ``attrs["unplaced"]`` lists source codes touching no target (their counts cannot be
        placed and are reported, never spread elsewhere); ``attrs["method"]`` the method.
    """
    _check_method(method)
    require_crs(sources, what="source areas")
    require_crs(targets, what="targets")
    si, ti, area, src, tgt = _overlaps(sources, targets)
    weight = area.copy()
    used = np.zeros(si.size, dtype=bool)
    if method == "population":
        if population is None:
            raise SchemaError("population shares need population points", [Problem(
                "method='population' without population", column="population",
                fix="pass postcode centroids (Study.postcodes), or use method='area'")])
        xy, pop = _population_weights(population)
        pieces = shapely.intersection(src[si], tgt[ti])
        points = shapely.points(xy)
        piece_pos, point_pos = shapely.STRtree(points).query(pieces, predicate="contains")
        # a point on a shared edge counts once per source area: keep its first piece
        order = np.lexsort((piece_pos, si[piece_pos], point_pos))
        piece_pos, point_pos = piece_pos[order], point_pos[order]
        dup = np.r_[False, (point_pos[1:] == point_pos[:-1])
                    & (si[piece_pos][1:] == si[piece_pos][:-1])]
        piece_pop = np.bincount(piece_pos[~dup], weights=pop[point_pos[~dup]],
                                minlength=si.size)
        area_pop = np.bincount(si, weights=piece_pop, minlength=len(sources))
        used = area_pop[si] > 0
        weight = np.where(used, piece_pop, area)
    totals = np.bincount(si, weights=weight, minlength=len(sources))
    share = np.divide(weight, totals[si], out=np.zeros(si.size), where=totals[si] > 0)
    out = pd.DataFrame({
        AREA_CODE: sources.index.to_numpy()[si].astype(str),
        "target": targets.index.to_numpy()[ti],
        "share": share,
        "method_used": np.where(used, "population", "area"),
    })
    placed = np.zeros(len(sources), dtype=bool)
    placed[si] = True
    out.attrs["unplaced"] = sources.index[~placed].astype(str).tolist()
    out.attrs["method"] = method
    return out


def apportion(values: pd.DataFrame, weights: pd.DataFrame, *, integer: bool = False
              ) -> pd.DataFrame:
    """Split each area's values over the targets by :func:`apportion_weights` shares.

    Parameters
    ----------
    values : pandas.DataFrame
        Index ``area_code``; numeric columns (counts, harm in days...). Codes absent from
        ``weights`` are not placed (``attrs["unplaced_total"]`` sums them per column).
    weights : pandas.DataFrame
        Output of :func:`apportion_weights`.
    integer : bool
        Whole numbers: floor each share, then hand the remaining units of each area to the
        targets with the largest remainders (ties: target order), so every area's total is
        conserved exactly and no target gets a fraction.

    Returns
    -------
    pandas.DataFrame
        Index: the targets that received a share (named ``target``); the numeric columns
        summed. ``attrs["method"]`` is the apportioning method.
    """
    numeric = [c for c in values.columns if pd.api.types.is_numeric_dtype(values[c])]
    table = weights.join(values[numeric], on=AREA_CODE, how="inner")
    parts = {}
    for column in numeric:  # a handful of columns, each vectorised
        v = table[column].to_numpy(float) * table["share"].to_numpy(float)
        if integer:
            floor = np.floor(v + 1e-9)
            remainder = v - floor
            area_total = table.groupby(AREA_CODE, sort=False)[column].transform("first")
            given = pd.Series(floor).groupby(table[AREA_CODE].to_numpy(), sort=False)
            left = np.rint(area_total.to_numpy(float) - given.transform("sum").to_numpy())
            order = pd.Series(-remainder).groupby(table[AREA_CODE].to_numpy(), sort=False) \
                .rank(method="first").to_numpy()
            v = floor + (order <= left)
        parts[column] = v
    summed = pd.DataFrame(parts, index=pd.Index(table["target"].to_numpy(), name="target"))
    out = summed.groupby(level=0, sort=False).sum()
    missing = values.index.difference(weights[AREA_CODE].unique())
    out.attrs["unplaced_total"] = values.loc[missing, numeric].sum().to_dict()
    out.attrs["method"] = weights.attrs.get("method")
    return out
