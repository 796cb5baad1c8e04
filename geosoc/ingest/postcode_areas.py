"""Postcode sector / district polygons built from unit centroids (Voronoi tessellation).

There is no open postcode boundary dataset, so sector (``"EC1A 1"``) and district
(``"EC1A"``) areas are approximated: each unit centroid gets the Voronoi cell of the plane
nearest to it (in EPSG:27700 metres), and cells are dissolved by sector or district and
clipped to a study area. The result tiles the clip area exactly.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc import schema
from geosoc.errors import AnalysisError, Problem, SchemaError
from geosoc.ingest.geometry import polygonal_parts

_LEVELS = {"sector": "postcode_sector", "district": "postcode_district"}
#: Buffer (metres) around the centroids' convex hull when no clip area is given.
DEFAULT_MARGIN_M = 100.0
#: Centroids further than this (metres) outside the clip area are left out of the
#: tessellation: they could only own part of the clip area if it held a gap this wide
#: with no postcode at all.
CONTEXT_M = 2_000.0


def _clip_shape(clip_to: object, points: np.ndarray) -> shapely.Geometry:
    """Return the clip polygon in EPSG:27700 metres."""
    if clip_to is None:
        return shapely.buffer(shapely.convex_hull(shapely.multipoints(points)), DEFAULT_MARGIN_M)
    if isinstance(clip_to, gpd.GeoDataFrame | gpd.GeoSeries):
        if clip_to.crs is None:
            raise SchemaError("clip area has no CRS", [Problem(
                "clip_to carries no coordinate reference system", fix="set it to EPSG:4326")])
        return shapely.union_all(clip_to.to_crs(schema.CRS_METRIC).geometry.to_numpy())
    raise SchemaError("clip area must be a GeoDataFrame or GeoSeries", [Problem(
        f"got {type(clip_to).__name__}", fix="pass areas (e.g. read_boundaries(...).data)")])


def build_postcode_areas(
    postcodes: pd.DataFrame, *, level: str = "sector", clip_to: object = None
) -> gpd.GeoDataFrame:
    """Approximate postcode sector or district polygons from unit centroids.

    Parameters
    ----------
    postcodes : pandas.DataFrame
        Postcodes contract (``postcode``, ``sector``, ``district``, ``easting``,
        ``northing`` in EPSG:27700 metres), e.g. ``read_postcodes(...).data``. Include
        postcodes around the study area too, so edge cells are bounded by their neighbours.
    level : {"sector", "district"}
        Which unit to dissolve to.
    clip_to : geopandas.GeoDataFrame or GeoSeries, optional
        Study area (any CRS); the output is clipped to the union of its geometries. When
        omitted, the centroids' convex hull buffered by :data:`DEFAULT_MARGIN_M` is used.

    Returns
    -------
    geopandas.GeoDataFrame
        Areas contract: index ``area_code`` (the sector or district), ``name`` (same),
        ``kind`` (``"postcode_sector"`` or ``"postcode_district"``), valid (Multi)Polygon
        geometry in EPSG:4326. Units with no area inside the clip area are omitted. Where
        several postcodes share a centroid, the first postcode's unit gets the cell.

    Raises
    ------
    SchemaError
        Unknown level or missing columns.
    AnalysisError
        Fewer than two distinct centroids, or none inside the clip area.
    """
    if level not in _LEVELS:
        raise SchemaError(f"unknown level {level!r}", [Problem(
            f"level {level!r} is not 'sector' or 'district'", fix="pass level='sector'")])
    schema.require_columns(postcodes, ("postcode", level, "easting", "northing"),
                           what="postcodes")
    xy = postcodes[["easting", "northing"]].to_numpy(dtype=float)
    unique_xy, first = np.unique(xy, axis=0, return_index=True)
    if len(unique_xy) < 2:
        raise AnalysisError("too few postcodes", [Problem(
            "at least two distinct postcode centroids are needed for a tessellation",
            fix="pass the postcodes of the whole area and its surroundings")])
    units = postcodes[level].to_numpy()[first]
    clip = _clip_shape(clip_to, unique_xy)
    near = shapely.contains_xy(shapely.buffer(clip, CONTEXT_M), unique_xy[:, 0], unique_xy[:, 1])
    if near.sum() < 2:
        raise AnalysisError("no postcode unit inside the clip area", [Problem(
            "fewer than two postcode centroids lie in or near the clip area",
            fix="pass postcodes covering the study area (check the CRS of clip_to)")])
    unique_xy, units = unique_xy[near], units[near]
    points = shapely.points(unique_xy)
    extent = shapely.envelope(shapely.union_all([clip, shapely.multipoints(unique_xy)]))
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=shapely.buffer(extent, 1000.0), ordered=True))
    shapely.prepare(clip)
    inside = shapely.intersects(cells, clip)
    clipped = polygonal_parts(shapely.intersection(cells[inside], clip))
    owned = ~shapely.is_missing(clipped)
    if not owned.any():
        raise AnalysisError("no postcode unit inside the clip area", [Problem(
            "the postcodes do not reach the clip area",
            fix="pass postcodes covering the study area (check the CRS of clip_to)")])
    frame = gpd.GeoDataFrame({"unit": units[inside][owned]}, geometry=clipped[owned],
                             crs=schema.CRS_METRIC)
    dissolved = frame.dissolve(by="unit")
    polygons = polygonal_parts(shapely.make_valid(dissolved.geometry.to_numpy()))
    codes = dissolved.index.to_numpy().astype(str)
    areas = gpd.GeoDataFrame(
        {schema.NAME: codes, schema.KIND: _LEVELS[level]},
        index=pd.Index(codes, name=schema.AREA_CODE),
        geometry=polygons, crs=schema.CRS_METRIC,
    )
    return areas.to_crs(schema.CRS_STORE)
