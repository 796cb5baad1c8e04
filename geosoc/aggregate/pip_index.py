"""Raster-accelerated exact point-in-polygon index for millions of points.

The polygons are rasterised once onto a regular lon/lat grid (even-odd scanline fill of
pixel centres). A pixel that no polygon edge touches lies wholly inside one polygon (or
outside all), so every point in it takes that polygon directly. Pixels an edge touches are
found with a conservative "supercover" of every edge, widened by a hair so floating point
cannot leave one out; each keeps a short list of candidate polygons (the edges' owners and
the polygon holding its centre), and points there get an exact GEOS test
(``shapely.intersects_xy`` on prepared polygons) against just those candidates. Pixels where
polygons overlap fall back to ``STRtree.query(predicate="intersects")``. About 5-7% of
points need an exact test with the default grid and a few thousand polygons.

**Tie rule.** A point belongs to a polygon when it *intersects* it (interior or boundary).
A point on a shared edge or vertex, or in an overlap, goes to the polygon with the lowest
position. This equals ``geopandas.sjoin(points, polygons, predicate="intersects")`` keeping
the smallest right position per point, and it keeps every point on a boundary counted once.
All coordinates are WGS84 degrees (EPSG:4326); tests are planar in those degrees, as in
geopandas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geosoc.errors import Problem, SchemaError

#: Default grid size; the label grid costs 4 bytes per pixel (64 MB at the default).
DEFAULT_MAX_PIXELS = 1 << 24
#: Label of pixels two polygons claim (overlapping areas): exact test with the STRtree.
OVERLAP = -3
#: Labels at or below this mark pixels an edge passes through; ``EDGE - label`` is the
#: pixel's row in the candidate table (exact test against just those polygons).
EDGE = -4
#: Margin (pixels) for floating point when marking edge pixels; far above rounding error.
_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class AreaIndex:
    """A built index: the label grid, candidate polygons per boundary pixel, and an STRtree.

    Build with :meth:`AreaIndex.build` (seconds for thousands of polygons; reuse it), query
    with :meth:`AreaIndex.locate`. The polygons are ``shapely.prepare``-d (a cache, not a
    change to their shape).
    """

    geometries: np.ndarray
    tree: shapely.STRtree
    origin: tuple[float, float]
    pixel: tuple[float, float]
    shape: tuple[int, int]
    labels: np.ndarray
    candidate_start: np.ndarray
    candidates: np.ndarray

    @classmethod
    def build(cls, geometries: np.ndarray, *, max_pixels: int = DEFAULT_MAX_PIXELS
              ) -> AreaIndex:
        """Rasterise ``geometries`` ((Multi)Polygons, EPSG:4326 degrees) into an index.

        Parameters
        ----------
        geometries : array-like of shapely geometries
            Valid (Multi)Polygons; empty or missing ones never match.
        max_pixels : int
            Upper bound on grid pixels (memory 4 bytes each); finer grids send fewer points
            to the exact test.

        Returns
        -------
        AreaIndex
        """
        geoms = np.asarray(geometries, dtype=object)
        _check_polygons(geoms)
        shapely.prepare(geoms)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if not present.any():
            empty = np.zeros(0, dtype=np.int64)
            return cls(geoms, shapely.STRtree(geoms), (0.0, 0.0), (1.0, 1.0), (1, 1),
                       np.full(1, -1, dtype=np.int32), np.zeros(1, np.int64), empty)
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms[present])
        coslat = max(np.cos(np.radians((ymin + ymax) / 2)), 0.01)
        side = max(np.sqrt((xmax - xmin) * coslat * (ymax - ymin) / max_pixels), 1e-9)
        dy, dx = side, side / coslat
        # spare pixels each side so every edge sample stays on the grid
        x0, y0 = xmin - 2 * dx, ymin - 2 * dy
        nx = int(np.ceil((xmax - x0) / dx)) + 3
        ny = int(np.ceil((ymax - y0) / dy)) + 3

        u, v, owner = _edges(geoms, x0, y0, dx, dy)
        labels = _fill(u, v, owner, nx, ny)
        pixel, pixel_owner = _supercover(u, v, owner, nx)
        # candidates of an edge pixel: owners of the edges through it + the centre's polygon
        centre = labels[pixel]
        pixel = np.concatenate([pixel, pixel[centre >= 0]])
        pixel_owner = np.concatenate([pixel_owner, centre[centre >= 0]])
        key = _sorted_unique(pixel * len(geoms) + pixel_owner)
        pixel, pixel_owner = key // len(geoms), key % len(geoms)
        first = np.flatnonzero(_starts(pixel))
        overlap = labels == OVERLAP
        labels[pixel[first]] = EDGE - np.arange(len(first), dtype=np.int32)
        labels[overlap] = OVERLAP
        return cls(geoms, shapely.STRtree(geoms), (x0, y0), (dx, dy), (ny, nx), labels,
                   np.append(first, len(key)), pixel_owner)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Position of the polygon holding each point, ``-1`` where none does.

        Parameters
        ----------
        lon, lat : array-like of float
            WGS84 degrees; NaN gives ``-1``.

        Returns
        -------
        numpy.ndarray of int64
            Positions into the index's geometries (tie rule in the module docstring).
        """
        x = np.asarray(lon, dtype="float64")
        y = np.asarray(lat, dtype="float64")
        (ny, nx), (dx, dy) = self.shape, self.pixel
        with np.errstate(invalid="ignore"):
            col = ((x - self.origin[0]) * (1.0 / dx)).astype(np.int64)
            row = ((y - self.origin[1]) * (1.0 / dy)).astype(np.int64)
        # one unsigned comparison also rejects negatives (and NaN, cast to INT64_MIN)
        inside = (col.view(np.uint64) < nx) & (row.view(np.uint64) < ny)
        flat = row * nx + col
        flat[~inside] = 0
        out = self.labels[flat].astype(np.int64)
        out[~inside] = -1
        edge = np.flatnonzero(out <= EDGE)
        out[edge] = self._locate_edge(x[edge], y[edge], EDGE - out[edge])
        overlap = np.flatnonzero(out == OVERLAP)
        out[overlap] = self.locate_exact(x[overlap], y[overlap])
        return out

    def _locate_edge(self, x: np.ndarray, y: np.ndarray, slot: np.ndarray) -> np.ndarray:
        """Exact test of points in edge pixels against just their pixel's candidates."""
        start, stop = self.candidate_start[slot], self.candidate_start[slot + 1]
        n = stop - start
        point = np.repeat(np.arange(len(x)), n)
        cand = self.candidates[start[point] + (np.arange(len(point)) - (np.cumsum(n) - n)[point])]
        hit = shapely.intersects_xy(self.geometries[cand], x[point], y[point])
        result = np.full(len(x), -1, dtype=np.int64)
        # candidates are sorted by position within a pixel: the first hit is the lowest
        hit_point, hit_cand = point[hit], cand[hit]
        first = _starts(hit_point)
        result[hit_point[first]] = hit_cand[first]
        return result

    def locate_exact(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Exact GEOS answer with the STRtree alone (same tie rule, no raster)."""
        result = np.full(len(lon), np.iinfo(np.int64).max, dtype=np.int64)
        if len(lon):
            hits = self.tree.query(shapely.points(lon, lat), predicate="intersects")
            np.minimum.at(result, hits[0], hits[1])
        result[result == np.iinfo(np.int64).max] = -1
        return result


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based; numpy's hash-based unique is slower here)."""
    values = np.sort(values)
    return values[_starts(values)]


def _starts(sorted_values: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal values."""
    mask = np.ones(len(sorted_values), dtype=bool)
    mask[1:] = sorted_values[1:] != sorted_values[:-1]
    return mask


def _check_polygons(geoms: np.ndarray) -> None:
    """Raise SchemaError listing every non-polygon or invalid geometry."""
    kind = shapely.get_type_id(geoms)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bad_kind = present & ~np.isin(kind, (3, 6))
    invalid = present & ~bad_kind & ~shapely.is_valid(geoms)
    problems = [Problem(f"area at position {i} is a {shapely.get_type_id(geoms[i])} geometry, "
                        "not a (Multi)Polygon", column="geometry",
                        fix="use polygon boundaries") for i in np.flatnonzero(bad_kind)]
    problems += [Problem(f"area at position {i} is invalid: {shapely.is_valid_reason(geoms[i])}",
                         column="geometry", fix="repair it with shapely.make_valid")
                 for i in np.flatnonzero(invalid)]
    if problems:
        raise SchemaError(f"{len(problems)} area geometry(ies) cannot be indexed", problems)


def _edges(geoms: np.ndarray, x0: float, y0: float, dx: float, dy: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ring edge in pixel units: u, v of shape (n, 2) and the owning position."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    same = coord_ring[:-1] == coord_ring[1:]
    start = np.flatnonzero(same)
    u = (coords[:, 0] - x0) / dx
    v = (coords[:, 1] - y0) / dy
    owner = part_owner[ring_part[coord_ring[start]]]
    return (np.column_stack([u[start], u[start + 1]]), np.column_stack([v[start], v[start + 1]]),
            owner.astype(np.int64))


def _fill(u: np.ndarray, v: np.ndarray, owner: np.ndarray, nx: int, ny: int) -> np.ndarray:
    """Label each pixel by the polygon holding its centre (even-odd scanline fill).

    Returns a flat int32 grid: position, ``-1`` outside all, ``OVERLAP`` where two or more
    polygons claim the centre (overlaps).
    """
    vmin, vmax = v.min(axis=1), v.max(axis=1)
    first = np.ceil(vmin - 0.5).astype(np.int64)
    n_rows = np.maximum(np.ceil(vmax - 0.5).astype(np.int64) - first, 0)
    edge = np.repeat(np.arange(len(u)), n_rows)
    offsets = np.cumsum(n_rows) - n_rows
    row = first[edge] + (np.arange(len(edge)) - offsets[edge])
    t = (row + 0.5 - v[edge, 0]) / (v[edge, 1] - v[edge, 0])
    cross = u[edge, 0] + t * (u[edge, 1] - u[edge, 0])
    label = owner[edge]
    order = np.lexsort((cross, row, label))
    start, end = order[0::2], order[1::2]
    if len(start) != len(end) or (label[start] != label[end]).any() or (
            row[start] != row[end]).any():
        raise SchemaError("area rings are not closed", [Problem(
            "an area ring does not close", column="geometry", fix="repair with make_valid")])
    c0 = np.clip(np.ceil(cross[start] - 0.5).astype(np.int64), 0, nx)
    c1 = np.clip(np.ceil(cross[end] - 0.5).astype(np.int64), 0, nx)
    keep = c1 > c0
    r, c0, c1, lab = row[start][keep], c0[keep], c1[keep], label[start][keep] + 1
    width = nx + 1
    size = ny * width
    claim = np.zeros(size, dtype=np.int32)
    np.add.at(claim, r * width + c0, lab.astype(np.int32))
    np.add.at(claim, r * width + c1, -lab.astype(np.int32))
    cover = np.zeros(size, dtype=np.int16)
    np.add.at(cover, r * width + c0, 1)
    np.add.at(cover, r * width + c1, -1)
    claim = np.cumsum(claim.reshape(ny, width), axis=1, dtype=np.int32)[:, :nx]
    cover = np.cumsum(cover.reshape(ny, width), axis=1, dtype=np.int16)[:, :nx]
    labels = claim - 1
    labels[cover > 1] = OVERLAP
    return labels.reshape(-1)


def _supercover(u: np.ndarray, v: np.ndarray, owner: np.ndarray, nx: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of every pixel an edge passes through (conservatively more), with owner.

    Samples each edge at most one pixel apart in each axis (vertices exact); the stretch
    between two consecutive samples lies in the block of pixels their floors span, widened by
    ``_EPS`` so that rounding in the samples or in the points never leaves an edge pixel out.
    """
    du, dv = u[:, 1] - u[:, 0], v[:, 1] - v[:, 0]
    steps = np.maximum(np.ceil(np.maximum(np.abs(du), np.abs(dv))).astype(np.int64), 1)
    edge = np.repeat(np.arange(len(u)), steps)
    k = np.arange(len(edge)) - (np.cumsum(steps) - steps)[edge]
    n = steps[edge]
    ua = u[edge, 0] + (k / n) * du[edge]
    va = v[edge, 0] + (k / n) * dv[edge]
    last = k + 1 == n
    ub = np.where(last, u[edge, 1], u[edge, 0] + ((k + 1) / n) * du[edge])
    vb = np.where(last, v[edge, 1], v[edge, 0] + ((k + 1) / n) * dv[edge])
    c0 = np.floor(np.minimum(ua, ub) - _EPS).astype(np.int64)
    c1 = np.floor(np.maximum(ua, ub) + _EPS).astype(np.int64)
    r0 = np.floor(np.minimum(va, vb) - _EPS).astype(np.int64)
    r1 = np.floor(np.maximum(va, vb) + _EPS).astype(np.int64)
    pixels, owners = [], []
    for dc in range(3):
        for dr in range(3):
            take = (c0 + dc <= c1) & (r0 + dr <= r1)
            pixels.append((r0[take] + dr) * nx + c0[take] + dc)
            owners.append(owner[edge[take]])
    return np.concatenate(pixels), np.concatenate(owners)
