"""The study area of a profile: the union of its area layers, or the hull of its incidents.

**The data's cover rule** (:func:`areas_in_data_cover`): boundaries are often wider than the
data (a county's wards beside one force's incidents, the next borough's wards). Empty areas
outside the data would join the zero-filled comparison, and Gi* would then compare the
force's areas with hundreds of empty ones (in one real case 0 hot wards became 18 at 99%).
So, per layer, an area is **kept** when it holds at least one incident, or when its
representative point lies inside the data's cover: the convex hull of the incidents after
the :data:`COVER_TRIM` most outlying share (farthest from the median location; police.uk
snaps a few far away) is set aside, buffered by :data:`COVER_MARGIN_M` metres. Every other
area is **left out** of the study area and of the statistics, and the profile says how many
and why. No incident is lost by the rule (a left-out area holds none). A layer holding
none of the incidents is an error: the boundaries are far from the data.

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
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely

from geosoc.errors import AnalysisError, Problem
from geosoc.schema import CRS_STORE

#: Buffer (degrees) around the incident hull when no area layer is given.
HULL_BUFFER_DEG = 1e-3
#: Margin (metres) around the incidents' hull within which an empty area is kept.
COVER_MARGIN_M = 500.0
#: Share of the incidents, farthest from their median location, left out of the cover hull.
COVER_TRIM = 0.01
_M_PER_DEG_LAT = 110_540.0
_M_PER_DEG_LON_EQ = 111_320.0


@dataclass(frozen=True)
class CoverRule:
    """Which areas of each layer are in the data's cover (see the module docstring).

    Attributes
    ----------
    keep : dict of str to numpy.ndarray of bool
        Per layer, one flag per area (in the layer's row order).
    notes : list of str
        One sentence per layer with areas left out (how many, of how many, why).
    """

    keep: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def apply(self, areas: Mapping[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
        """Return the layers with only their kept areas."""
        return {k: (frame if self.keep[k].all() else frame[self.keep[k]])
                for k, frame in areas.items()}


def data_cover(lon: np.ndarray, lat: np.ndarray, weight: np.ndarray | None = None, *,
               trim: float = COVER_TRIM, margin_m: float = COVER_MARGIN_M
               ) -> shapely.Geometry:
    """Return the incidents' cover: their hull (outliers set aside) plus ``margin_m``.

    Parameters
    ----------
    lon, lat : numpy.ndarray of float
        WGS84 degrees (incidents, or H3 cell centres); non-finite pairs are ignored.
    weight : numpy.ndarray, optional
        Incidents at each point (cell counts); default one each.
    trim : float
        Share of the weight farthest from the (weighted) median location set aside.
    margin_m : float
        Buffer in metres (converted to degrees at the median latitude).

    Returns
    -------
    shapely.Geometry
        A polygon in EPSG:4326 degrees (empty when there are no points).
    """
    x, y = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    w = np.ones(len(x)) if weight is None else np.asarray(weight, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y) & (w > 0)
    x, y, w = x[ok], y[ok], w[ok]
    if len(x) == 0:
        return shapely.Polygon()
    x0, y0 = _weighted_median(x, w), _weighted_median(y, w)
    scale = np.cos(np.radians(y0))
    dist = np.hypot((x - x0) * _M_PER_DEG_LON_EQ * scale, (y - y0) * _M_PER_DEG_LAT)
    order = np.argsort(dist, kind="stable")
    within = np.cumsum(w[order]) <= (1.0 - trim) * w.sum() + 1e-9
    within[0] = True
    core = order[within]
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([x[core], y[core]])))
    return hull.buffer(margin_m / (_M_PER_DEG_LAT * min(scale, 1.0)))


def _weighted_median(values: np.ndarray, weight: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weight[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2.0)])


def areas_in_data_cover(areas: Mapping[str, gpd.GeoDataFrame],
                        counts: Mapping[str, np.ndarray], cover: shapely.Geometry
                        ) -> CoverRule:
    """Apply the data's cover rule to each area layer.

    Parameters
    ----------
    areas : dict of str to geopandas.GeoDataFrame
        Area layers (EPSG:4326).
    counts : dict of str to numpy.ndarray
        Incidents per area of each layer (same order as the layer's rows).
    cover : shapely.Geometry
        :func:`data_cover` of the incidents (EPSG:4326).

    Returns
    -------
    CoverRule
        The areas kept per layer and a note per layer with areas left out.

    Raises
    ------
    AnalysisError
        A layer none of whose areas holds an incident (boundaries far from the data).
    """
    rule = CoverRule()
    for kind, frame in areas.items():
        held = np.asarray(counts[kind], dtype="float64") > 0
        if len(frame) and not held.any():
            x0, y0, x1, y1 = frame.total_bounds
            raise AnalysisError(f"the {kind} boundaries hold none of the incidents", [Problem(
                f"none of the {len(frame):,} {kind} areas (lon {x0:.2f}..{x1:.2f}, lat "
                f"{y0:.2f}..{y1:.2f}) holds an incident: the boundaries are far from the data",
                column="--areas", fix="use the boundaries of the data's area (another force's or "
                "county's file?), or check the incidents' coordinates")])
        inside = np.zeros(len(frame), dtype=bool)
        if len(frame) and not shapely.is_empty(cover):
            shapely.prepare(cover)
            points = shapely.point_on_surface(frame.geometry.to_numpy())
            inside = shapely.contains(cover, points)
        keep = held | inside
        rule.keep[kind] = keep
        out = int((~keep).sum())
        if out:
            rule.notes.append(
                f"{out:,} of {len(frame):,} {kind} areas left out of the study area: they hold "
                f"no incident and lie outside the data's cover (the incidents' hull, the "
                f"{COVER_TRIM:.0%} farthest set aside, plus {COVER_MARGIN_M:,.0f} m), so Gi* "
                "compares only the areas the data covers")
    return rule


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
