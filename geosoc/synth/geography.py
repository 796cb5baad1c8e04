"""Geography of the fictional demo town: outline, LSOAs, wards and populations.

Everything here is built in British National Grid (EPSG:27700, metres) around a point in
open country in Staffordshire, so BNG and H3 behave as they do on real data. LSOAs are the
Voronoi cells of random seeds clipped to the town outline; wards are contiguous groups of
LSOAs grown over the LSOA adjacency graph and dissolved.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geosoc.schema import CRS_METRIC, CRS_STORE

#: Centre of the town in WGS84 degrees (open country near Cheadle, Staffordshire).
CENTRE_LONLAT = (-2.05, 52.98)
#: Half-width and half-height of the town outline in metres (about 6 km x 5 km).
HALF_AXES_M = (3000.0, 2500.0)
TOWN = "Demoford"
LAD_CODE = "E06999001"
LAD_NAME = "Demoford"
N_LSOAS = 120
N_WARDS = 20
WARD_NAMES = (
    "Abbey Fields", "Brookside", "Castle Hill", "Dale End", "Eastgate", "Fairview",
    "Greenbank", "Hollins", "Ironbridge Road", "Jubilee Park", "Kingsmead", "Langley Moor",
    "Market Square", "Northwood", "Oakhurst", "Priory", "Queensway", "Riverside",
    "St Chad's", "Tanners Green",
)

TO_LONLAT = Transformer.from_crs(CRS_METRIC, CRS_STORE, always_xy=True)
TO_BNG = Transformer.from_crs(CRS_STORE, CRS_METRIC, always_xy=True)


@dataclass(frozen=True)
class Geography:
    """The town's areas, all in EPSG:27700 (metres).

    Attributes
    ----------
    centre : tuple of float
        Town centre easting, northing (m).
    outline : shapely.Polygon
        Convex town outline.
    lsoas : geopandas.GeoDataFrame
        Index ``lsoa_code``; ``name``, ``ward_code``, ``population`` (int), ``area_km2``.
    wards : geopandas.GeoDataFrame
        Index ``ward_code``; ``name``, ``population``.
    """

    centre: tuple[float, float]
    outline: shapely.Polygon
    lsoas: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame


def build_geography(rng: np.random.Generator) -> Geography:
    """Generate the town outline, 120 LSOAs nested in 20 contiguous wards.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (the generator's seeded stream).

    Returns
    -------
    Geography
        Areas in EPSG:27700.
    """
    cx, cy = TO_BNG.transform(*CENTRE_LONLAT)
    outline = _outline(rng, cx, cy)
    cells = _lsoa_cells(rng, outline, cx, cy)
    adjacency = _adjacency(cells)
    ward_of = _grow_wards(rng, cells, adjacency, N_WARDS)
    lsoas, wards = _name_areas(rng, cells, ward_of)
    return Geography(centre=(cx, cy), outline=outline, lsoas=lsoas, wards=wards)


def _outline(rng: np.random.Generator, cx: float, cy: float) -> shapely.Polygon:
    """Return a convex, slightly irregular ellipse around the centre."""
    angles = np.linspace(0.0, 2 * np.pi, 48, endpoint=False)
    wobble = 1.0 + 0.07 * rng.standard_normal(angles.size)
    xs = cx + HALF_AXES_M[0] * wobble * np.cos(angles)
    ys = cy + HALF_AXES_M[1] * wobble * np.sin(angles)
    return shapely.convex_hull(shapely.multipoints(np.column_stack([xs, ys])))


def _lsoa_cells(
    rng: np.random.Generator, outline: shapely.Polygon, cx: float, cy: float
) -> np.ndarray:
    """Voronoi cells of seeds denser towards the centre, clipped to the outline."""
    minx, miny, maxx, maxy = outline.bounds
    xs = rng.uniform(minx, maxx, 6000)
    ys = rng.uniform(miny, maxy, 6000)
    dist = np.hypot(xs - cx, ys - cy)
    keep = shapely.contains_xy(outline, xs, ys) & (
        rng.uniform(size=xs.size) < 0.25 + 0.75 * np.exp(-((dist / 1700.0) ** 2))
    )
    seeds = np.column_stack([xs[keep], ys[keep]])[:N_LSOAS]
    voronoi = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=outline, ordered=True)
    cells = shapely.intersection(shapely.get_parts(voronoi), outline)
    return shapely.normalize(cells)


def _adjacency(cells: np.ndarray) -> np.ndarray:
    """Boolean matrix: True where two cells share an edge longer than 1 m."""
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    pairs = left != right
    left, right = left[pairs], right[pairs]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(cells[left]), shapely.boundary(cells[right]))
    )
    adjacency = np.zeros((cells.size, cells.size), dtype=bool)
    adjacency[left[shared > 1.0], right[shared > 1.0]] = True
    return adjacency


def _grow_wards(
    rng: np.random.Generator, cells: np.ndarray, adjacency: np.ndarray, n_wards: int
) -> np.ndarray:
    """Assign every cell to one of ``n_wards`` contiguous groups of similar size.

    Seeds are spread by farthest-point sampling; then, repeatedly, the smallest ward with an
    unassigned neighbour takes the neighbour closest to its seed (one step per cell).
    """
    centroids = shapely.get_coordinates(shapely.centroid(cells))
    seeds = [int(rng.integers(cells.size))]
    for _ in range(n_wards - 1):
        gap = np.min(
            np.hypot(*(centroids[:, None, :] - centroids[None, seeds, :]).transpose(2, 0, 1)),
            axis=1,
        )
        seeds.append(int(np.argmax(gap)))
    owner = np.full(cells.size, -1)
    owner[seeds] = np.arange(n_wards)
    seed_xy = centroids[seeds]
    while (owner < 0).any():
        assigned = owner >= 0
        frontier = np.zeros((n_wards, cells.size), dtype=bool)
        np.logical_or.at(frontier, owner[assigned], adjacency[assigned])
        frontier &= ~assigned
        sizes = np.bincount(owner[assigned], minlength=n_wards).astype(float)
        sizes[~frontier.any(axis=1)] = np.inf
        ward = int(np.argmin(sizes))
        options = np.flatnonzero(frontier[ward])
        dist = np.hypot(*(centroids[options] - seed_xy[ward]).T)
        owner[options[np.argmin(dist)]] = ward
    return owner


def _name_areas(
    rng: np.random.Generator, cells: np.ndarray, ward_of: np.ndarray
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Order wards north-west to south-east, give codes, names and populations."""
    centroids = shapely.get_coordinates(shapely.centroid(cells))
    ward_xy = pd.DataFrame(centroids, columns=["x", "y"]).groupby(ward_of).mean()
    ward_order = np.lexsort((ward_xy["x"].to_numpy(), -np.round(ward_xy["y"].to_numpy(), -3)))
    ward_rank = np.empty_like(ward_order)
    ward_rank[ward_order] = np.arange(ward_order.size)
    rank = ward_rank[ward_of]
    order = np.lexsort((centroids[:, 0], -centroids[:, 1], rank))
    rank = rank[order]
    within = np.arange(order.size) - np.searchsorted(rank, rank)
    ward_codes = np.array([f"E05{999001 + r}" for r in range(ward_order.size)])
    lsoa_codes = [f"E01{999001 + i}" for i in range(order.size)]
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    names = [f"{TOWN} {r + 1:03d}{letters[w]}" for r, w in zip(rank, within, strict=True)]
    population = rng.integers(1300, 2100, order.size)
    lsoas = gpd.GeoDataFrame(
        {
            "name": names,
            "ward_code": ward_codes[rank],
            "population": population.astype("int64"),
        },
        geometry=cells[order],
        crs=CRS_METRIC,
        index=pd.Index(lsoa_codes, name="lsoa_code"),
    )
    lsoas["area_km2"] = lsoas.area / 1e6
    wards = lsoas.dissolve(by="ward_code", aggfunc={"population": "sum"})
    wards.index.name = "ward_code"
    wards.insert(0, "name", np.array(WARD_NAMES)[np.arange(len(wards))])
    wards["geometry"] = shapely.normalize(wards.geometry.to_numpy())
    return lsoas, wards


def sample_by_density(
    rng: np.random.Generator, geography: Geography, n: int, *, floor: float = 0.2
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample ``n`` points in the town, denser where population density is higher.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    geography : Geography
        The town.
    n : int
        Number of points wanted.
    floor : float
        Acceptance probability in the emptiest LSOA relative to the densest (0-1), so that
        sparse areas still get some points.

    Returns
    -------
    easting, northing : numpy.ndarray
        Coordinates in EPSG:27700 metres.
    lsoa_position : numpy.ndarray
        Row position in ``geography.lsoas`` of each point.
    """
    lsoas = geography.lsoas
    density = (lsoas["population"] / lsoas["area_km2"]).to_numpy()
    accept = floor + (1 - floor) * density / density.max()
    minx, miny, maxx, maxy = geography.outline.bounds
    tree = shapely.STRtree(lsoas.geometry.to_numpy())
    xs_out, ys_out, pos_out, have = [], [], [], 0
    while have < n:
        m = 4 * n
        xs = rng.uniform(minx, maxx, m)
        ys = rng.uniform(miny, maxy, m)
        point_idx, lsoa_idx = tree.query(shapely.points(xs, ys), predicate="within")
        first = np.unique(point_idx, return_index=True)[1]
        point_idx, lsoa_idx = point_idx[first], lsoa_idx[first]
        keep = rng.uniform(size=point_idx.size) < accept[lsoa_idx]
        xs_out.append(xs[point_idx[keep]])
        ys_out.append(ys[point_idx[keep]])
        pos_out.append(lsoa_idx[keep])
        have += int(keep.sum())
    return (
        np.concatenate(xs_out)[:n],
        np.concatenate(ys_out)[:n],
        np.concatenate(pos_out)[:n],
    )
