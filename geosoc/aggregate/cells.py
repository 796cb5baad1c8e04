"""H3 cells: vectorised point-to-cell assignment, study-area covers, parents and polygons.

Cell ids are stored as ``uint64`` (``0`` means "no cell": missing or impossible coordinates)
and shown as 15-character hex strings in the Cells contract. Coarser resolutions come from
:func:`parent_cells` on stored ids (pure bit arithmetic), never by re-indexing the points.
All coordinates are WGS84 (EPSG:4326) degrees.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import h3ronpy
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from h3ronpy.vector import (
    ContainmentMode,
    cells_to_coordinates,
    cells_to_wkb_polygons,
    coordinates_to_cells,
    wkb_to_cells,
)

from geosoc.aggregate.geometry_memo import geometry_digest, remembered
from geosoc.errors import Problem, SchemaError
from geosoc.schema import COUNT, CRS_STORE, H3, HARM, LAT, LON, require_columns, require_crs

#: Buffer (degrees, about 0.1 m) added to the study area before filling so that H3's
#: geodesic cell edges and floating point never leave a point of the area uncovered.
COVER_BUFFER_DEG = 1e-6

#: Smallest chunk worth a thread of its own in :func:`lonlat_to_cells`.
_MIN_CHUNK = 250_000
_RES_SHIFT = np.uint64(52)
_RES_MASK = np.uint64(0xF) << _RES_SHIFT


def _check_resolution(resolution: int) -> int:
    if not isinstance(resolution, int | np.integer) or not 0 <= int(resolution) <= 15:
        raise SchemaError(f"H3 resolution {resolution!r} is invalid",
                          [Problem(f"resolution {resolution!r}",
                                   fix="use an integer 0..15, e.g. 9")])
    return int(resolution)


def lonlat_to_cells(lon: np.ndarray | Sequence[float], lat: np.ndarray | Sequence[float],
                    resolution: int, *, threads: int | None = None) -> np.ndarray:
    """H3 cell ids for WGS84 points (vectorised via h3ronpy, chunked over threads).

    Parameters
    ----------
    lon, lat : array-like of float
        Longitude and latitude in degrees (EPSG:4326).
    resolution : int
        H3 resolution 0..15 (9 is ~0.105 km², ~175 m edge).
    threads : int, optional
        Worker threads for large inputs (h3ronpy releases the GIL, so chunks run in
        parallel); default: the number of CPUs. Inputs under 500,000 points use one.

    Returns
    -------
    numpy.ndarray of uint64
        One id per point; ``0`` where lon/lat is missing or out of range.
    """
    res = _check_resolution(resolution)
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y) & (np.abs(y) <= 90) & (np.abs(x) <= 180)
    if not ok.all():
        out = np.zeros(x.shape, dtype=np.uint64)
        out[ok] = lonlat_to_cells(x[ok], y[ok], res, threads=threads)
        return out
    workers = max(1, min(threads or os.cpu_count() or 1, len(x) // _MIN_CHUNK))
    if workers == 1:
        return np.asarray(coordinates_to_cells(y, x, res), dtype=np.uint64)
    bounds = np.linspace(0, len(x), workers + 1).astype(np.int64)
    out = np.empty(len(x), dtype=np.uint64)

    def run(i: int) -> None:
        part = slice(bounds[i], bounds[i + 1])
        out[part] = np.asarray(coordinates_to_cells(y[part], x[part], res), dtype=np.uint64)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, range(workers)))
    return out


def cell_resolution(ids: np.ndarray) -> np.ndarray:
    """Resolution of each uint64 H3 id (read from the index bits)."""
    return ((np.asarray(ids, dtype=np.uint64) & _RES_MASK) >> _RES_SHIFT).astype(np.int64)


def parent_cells(ids: np.ndarray | Sequence[int], resolution: int) -> np.ndarray:
    """Parent ids at a coarser ``resolution``.

    Vectorised bit arithmetic giving the same ids as h3's ``cell_to_parent``.

    Parameters
    ----------
    ids : array-like of uint64
        H3 cell ids at resolution >= ``resolution``; ``0`` stays ``0``.
    resolution : int
        Target resolution.

    Returns
    -------
    numpy.ndarray of uint64
        The parent of each id, in input order.
    """
    res = _check_resolution(resolution)
    cells = np.asarray(ids, dtype=np.uint64)
    have = cells != 0
    if (cell_resolution(cells[have]) < res).any():
        raise SchemaError(f"cannot take parents at resolution {res} of finer-than-stored cells",
                          [Problem("some ids are coarser than the requested resolution",
                                   column=H3,
                                   fix="re-assign cells from lon/lat at this resolution")])
    # digits res+1..15 occupy the lowest 3*(15-res) bits: set them to 7 ("unused")
    unused = np.uint64((1 << (3 * (15 - res))) - 1)
    parents = ((cells & ~_RES_MASK) | (np.uint64(res) << _RES_SHIFT)) | unused
    return np.where(have, parents, np.uint64(0))


def h3_ints_to_str(ids: np.ndarray | Sequence[int]) -> np.ndarray:
    """Hex strings (``"89195da49b7ffff"``) for uint64 ids; ``0`` becomes ``""``."""
    cells = np.asarray(ids, dtype=np.uint64)
    out = np.full(cells.shape, "", dtype=object)
    have = cells != 0
    if have.any():
        out[have] = h3ronpy.cells_to_string(cells[have]).to_pylist()
    return out


def h3_strs_to_int(ids: np.ndarray | Sequence[str] | pd.Index) -> np.ndarray:
    """uint64 ids for hex strings (vectorised); raises :class:`SchemaError` listing bad ones."""
    text = pa.array(np.asarray(ids, dtype=object), type=pa.string(), from_pandas=True)
    if len(text) == 0:
        return np.zeros(0, dtype=np.uint64)
    parsed = pa.array(h3ronpy.cells_parse(text, set_failing_to_invalid=True))
    bad = parsed.is_null().to_numpy(zero_copy_only=False)
    if bad.any():
        raise SchemaError(f"{int(bad.sum())} H3 id(s) are not valid cells",
                          [Problem(f"{v!r} is not an H3 cell id", row=int(i) + 1, column=H3,
                                   fix="use 15-character hex ids such as '89195da49b7ffff'")
                           for i, v in zip(np.flatnonzero(bad),
                                           np.asarray(ids, dtype=object)[bad], strict=True)])
    return parsed.to_numpy(zero_copy_only=False).astype(np.uint64)


def as_cell_ids(ids: np.ndarray | Sequence[int] | Sequence[str] | pd.Index) -> np.ndarray:
    """Return H3 ids given as uint64 or as hex strings as a uint64 array.

    Parameters
    ----------
    ids : array-like of uint64 or str
        H3 cell ids; strings are parsed with :func:`h3_strs_to_int`.

    Returns
    -------
    numpy.ndarray
        uint64 ids in the input order.

    Raises
    ------
    SchemaError
        When a string is not a valid H3 cell id.
    """
    values = np.asarray(ids)
    return h3_strs_to_int(values) if values.dtype.kind in "OUS" else values.astype(np.uint64)


def cell_polygons(ids: np.ndarray | Sequence[int] | pd.Index) -> gpd.GeoSeries:
    """Hexagon polygons (EPSG:4326) for H3 ids given as uint64 or hex strings.

    Returns
    -------
    geopandas.GeoSeries
        Indexed by the hex string id, in input order.
    """
    cells = as_cell_ids(ids)
    wkb = cells_to_wkb_polygons(cells) if cells.size else []
    geoms = shapely.from_wkb(np.asarray(wkb.to_pylist() if cells.size else [], dtype=object))
    return gpd.GeoSeries(geoms, index=pd.Index(h3_ints_to_str(cells), name=H3, dtype="str"),
                         crs=CRS_STORE)


def cell_centres(ids: np.ndarray | Sequence[int] | Sequence[str] | pd.Index
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Return the centre of each H3 cell (vectorised).

    Parameters
    ----------
    ids : array-like of uint64 or str
        H3 cell ids, as uint64 or as 15-character hex strings.

    Returns
    -------
    tuple of numpy.ndarray
        ``lon``, ``lat`` in WGS84 (EPSG:4326) degrees, float64, in the input order.
    """
    cells = as_cell_ids(ids)
    if cells.size == 0:
        return np.zeros(0), np.zeros(0)
    table = pa.table(cells_to_coordinates(cells))
    return (table["lng"].to_numpy().astype("float64"),
            table["lat"].to_numpy().astype("float64"))


def assign_cells(incidents: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """Return a copy of ``incidents`` with a uint64 ``h3`` column from ``lon``/``lat``.

    Parameters
    ----------
    incidents : pandas.DataFrame or geopandas.GeoDataFrame
        Incidents with ``lon``, ``lat`` (WGS84 degrees).
    resolution : int
        H3 resolution; stored in ``attrs["h3_resolution"]``.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        New frame, same index; ``h3`` is 0 for rows without a location.
    """
    require_columns(incidents, (LON, LAT), what="incidents")
    out = incidents.copy()
    out[H3] = lonlat_to_cells(incidents[LON].to_numpy(dtype="float64", na_value=np.nan),
                              incidents[LAT].to_numpy(dtype="float64", na_value=np.nan),
                              resolution)
    out.attrs["h3_resolution"] = int(resolution)
    return out


def cells_frame(ids: np.ndarray, resolution: int) -> gpd.GeoDataFrame:
    """Zero-filled Cells frame for the given uint64 ids, sorted by id.

    Contract: index ``h3`` (str), ``count`` 0, ``harm`` 0.0, hexagons in EPSG:4326.
    """
    cells = np.unique(np.asarray(ids, dtype=np.uint64))
    cells = cells[cells != 0]
    geometry = cell_polygons(cells)
    frame = gpd.GeoDataFrame(
        {COUNT: np.zeros(len(cells), dtype="int64"), HARM: np.zeros(len(cells), dtype="float64")},
        geometry=geometry.to_numpy(), index=geometry.index, crs=CRS_STORE,
    )
    frame.attrs["h3_resolution"] = int(resolution)
    return frame


def cover_area(areas: gpd.GeoDataFrame | gpd.GeoSeries, resolution: int) -> gpd.GeoDataFrame:
    """Zero-filled H3 cover of the study area.

    Every cell whose hexagon touches the union of ``areas`` is included, so no point inside
    the area falls outside the cover.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame or GeoSeries
        (Multi)polygons in EPSG:4326.
    resolution : int
        H3 resolution.

    Returns
    -------
    geopandas.GeoDataFrame
        Cells contract with ``count`` 0 and ``harm`` 0.0; ``attrs["h3_resolution"]``.
        A copy of a cover remembered per boundary set and resolution
        (:mod:`geosoc.aggregate.geometry_memo`): the same wards are covered once per process.
    """
    res = _check_resolution(resolution)
    require_crs(gpd.GeoDataFrame(geometry=areas.geometry), CRS_STORE, what="areas")
    geometries = areas.geometry.to_numpy()
    cover = remembered(("cover", geometry_digest(geometries), res),
                       lambda: _build_cover(geometries, res))
    return cover.copy()


def _build_cover(geometries: np.ndarray, res: int) -> gpd.GeoDataFrame:
    union = shapely.union_all(geometries).buffer(COVER_BUFFER_DEG)
    parts = shapely.get_parts(union)
    parts = parts[~shapely.is_empty(parts)]
    if len(parts) == 0:
        return cells_frame(np.zeros(0, dtype=np.uint64), res)
    found = wkb_to_cells(shapely.to_wkb(parts), res,
                         containment_mode=ContainmentMode.IntersectsBoundary, flatten=True)
    return cells_frame(np.asarray(found, dtype=np.uint64), res)
