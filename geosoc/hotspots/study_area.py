"""The study area of a profile: the union of its area layers, or the hull of its incidents.

Without area layers the study area is the convex hull of the located incidents, buffered by
1e-3 degrees (about 100 m). The hull is found without building a MultiPoint of every
incident: :func:`hull_candidates` keeps only the points that can be hull vertices (the
Akl-Toussaint filter: points strictly inside the octagon of the extreme points in eight
directions cannot be), and returns the vertices of their hull. Candidates of several
partitions combine by concatenation, because the hull of the partition hulls' vertices is the
hull of all points. All coordinates are WGS84 (EPSG:4326) degrees.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import shapely

from geosoc.schema import CRS_STORE

#: Buffer (degrees) around the incident hull when no area layer is given.
HULL_BUFFER_DEG = 1e-3


def hull_candidates(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Vertices of the convex hull of the finite points, shape ``(k, 2)`` (lon, lat).

    Parameters
    ----------
    lon, lat : numpy.ndarray of float
        WGS84 degrees; non-finite pairs are ignored.

    Returns
    -------
    numpy.ndarray of float64
        The hull's distinct vertices (all points when fewer than 3 are distinct).
    """
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) == 0:
        return np.zeros((0, 2))
    extremes = []
    for values in (x, y, x + y, x - y):  # 8 directions
        extremes += [int(np.argmin(values)), int(np.argmax(values))]
    octagon = shapely.convex_hull(shapely.multipoints(np.column_stack([x[extremes],
                                                                       y[extremes]])))
    if shapely.get_type_id(octagon) == shapely.GeometryType.POLYGON:
        shapely.prepare(octagon)
        outside = ~shapely.contains_xy(octagon, x, y)  # boundary points are kept
        x, y = x[outside], y[outside]
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([x, y])))
    return np.unique(shapely.get_coordinates(hull), axis=0)


def study_area(areas: Mapping[str, gpd.GeoDataFrame], candidates: np.ndarray | None
               ) -> gpd.GeoSeries:
    """Union of every area layer, or the buffered convex hull of the incident candidates.

    Parameters
    ----------
    areas : dict of str to geopandas.GeoDataFrame
        Area layers (EPSG:4326); their union is the study area when any is given.
    candidates : numpy.ndarray, optional
        :func:`hull_candidates` of the incidents (any number of partitions concatenated).

    Returns
    -------
    geopandas.GeoSeries
        One (Multi)Polygon in EPSG:4326.
    """
    if areas:
        parts = np.concatenate([frame.geometry.to_numpy() for frame in areas.values()])
        return gpd.GeoSeries([shapely.union_all(parts)], crs=CRS_STORE)
    points = np.zeros((0, 2)) if candidates is None else np.asarray(candidates, dtype=float)
    if len(points) == 0:
        return gpd.GeoSeries([shapely.Polygon()], crs=CRS_STORE)
    hull = shapely.convex_hull(shapely.multipoints(points))
    return gpd.GeoSeries([hull.buffer(HULL_BUFFER_DEG)], crs=CRS_STORE)
