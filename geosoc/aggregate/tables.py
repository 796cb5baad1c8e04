"""Aggregate incidents to H3 cells, areas and months, conserving every count and harm.

All totals are computed with integer bins and ``np.bincount`` (no row loops). Nothing is lost
silently: incidents that cannot be placed are counted in ``attrs`` of the result:

- ``attrs["unlocated_count"]`` / ``attrs["unlocated_harm"]``: rows without usable lon/lat
  (or without a month, for :func:`harm_by_month`);
- ``attrs["outside_count"]`` / ``attrs["outside_harm"]``: located rows outside the cover
  (cells) or outside every area (areas).

So ``result["count"].sum() + outside_count + unlocated_count == len(incidents)`` always (the
sum of ``events`` when rows stand for several events: a stored cube read back as rows).
Point-in-area uses :class:`geosoc.aggregate.pip_index.AreaIndex` (exact; a point on a shared
boundary goes to the area listed first). :func:`roll_up_counts` and :func:`add_rates` live in
:mod:`geosoc.aggregate.rollup` and are re-exported here.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate.cells import (
    cell_resolution,
    cells_frame,
    h3_strs_to_int,
    lonlat_to_cells,
    parent_cells,
)
from geosoc.aggregate.geometry_memo import geometry_digest, remembered
from geosoc.aggregate.pip_index import AreaIndex
from geosoc.aggregate.rollup import add_rates, roll_up_counts
from geosoc.errors import Problem, SchemaError
from geosoc.schema import (
    AREA_CODE,
    CATEGORY,
    COUNT,
    CRS_STORE,
    EVENTS,
    H3,
    HARM,
    LAT,
    LON,
    MONTH,
    SOURCE,
    require_columns,
    require_crs,
    validate_areas,
)

__all__ = [
    "AREA_POSITION",
    "UNLOCATED_AREA",
    "add_rates",
    "assign_areas",
    "build_area_index",
    "event_total",
    "event_weights",
    "harm_by_area",
    "harm_by_cell",
    "harm_by_month",
    "locate_in_areas",
    "roll_up_counts",
]

_BY = (CATEGORY, SOURCE)
#: Optional incidents column: the row of the areas holding each incident (see harm_by_area).
AREA_POSITION = "area_position"
#: ``area_position`` of an incident without a location.
UNLOCATED_AREA = -2
_MISSING_KEY = "<missing>"


def harm_by_cell(incidents: pd.DataFrame, resolution: int, *, cover: gpd.GeoDataFrame | None = None,
                 by: str | None = None) -> gpd.GeoDataFrame:
    """Count and harm per H3 cell, zero-filled over ``cover``.

    Parameters
    ----------
    incidents : pandas.DataFrame or geopandas.GeoDataFrame
        Incidents with ``harm`` (see :func:`geosoc.harm.apply_harm_weights`; a row with an
        ``events`` column stands for that many events, its ``harm`` their total) and either a
        uint64 ``h3`` column at ``attrs["h3_resolution"]`` >= ``resolution`` (parents are
        taken) or ``lon``/``lat`` in WGS84 degrees.
    resolution : int
        H3 resolution of the result.
    cover : geopandas.GeoDataFrame, optional
        The study-area cover (:func:`geosoc.aggregate.cells.cover_area`) at ``resolution``. Without
        it the result holds only the cells that have incidents (no zero cells).
    by : {"category", "source"}, optional
        Also add ``count__<key>`` and ``harm__<key>`` columns per distinct value.

    Returns
    -------
    geopandas.GeoDataFrame
        Cells contract: index ``h3`` (str), ``count`` (int64), ``harm`` (float64), hexagons
        in EPSG:4326, ``attrs["h3_resolution"]`` plus the outside/unlocated counts.

    Notes
    -----
    H3 nests only approximately: the parent of a point's fine cell is not always the coarse
    cell holding the point (a few points near cell edges differ). Taking parents of stored ids
    keeps every resolution consistent with the finest one (children sum to parents), which
    is what the app's zoom levels need.
    """
    require_columns(incidents, (HARM,), what="incidents")
    _check_by(incidents, by)
    ids = _cell_ids(incidents, resolution)
    code, distinct = pd.factorize(ids)  # hash-based: faster than a search per row
    distinct = np.asarray(distinct, dtype=np.uint64)
    if cover is None:
        cover = cells_frame(distinct, resolution)
    cover_ids = h3_strs_to_int(cover.index.to_numpy())
    found_res = sorted(set(cell_resolution(cover_ids).tolist()) - {resolution})
    if found_res:
        raise SchemaError("cover resolution differs from the requested resolution", [Problem(
            f"cover holds cells at resolution {found_res}, asked for {resolution}",
            fix="build the cover with cover_area(areas, resolution)")])
    position = positions_in(cover_ids, distinct)[code]
    out = _totals(cover, incidents, position, by, unlocated=ids == 0)
    out.attrs["h3_resolution"] = int(resolution)
    return out


def build_area_index(areas: gpd.GeoDataFrame | gpd.GeoSeries, **options: int) -> AreaIndex:
    """Build the reusable point-in-area index for ``areas`` (EPSG:4326 polygons).

    Building takes seconds for thousands of areas, so an index is remembered per boundary
    set (:mod:`geosoc.aggregate.geometry_memo`; read-only). Keep it and pass it as
    ``index=`` to :func:`locate_in_areas`, :func:`assign_areas` or :func:`harm_by_area`.
    ``options`` go to :meth:`geosoc.aggregate.pip_index.AreaIndex.build` (``max_pixels``).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame or geopandas.GeoSeries
        Area polygons in EPSG:4326.
    **options : int
        Passed to :meth:`geosoc.aggregate.pip_index.AreaIndex.build`.

    Returns
    -------
    AreaIndex
        Index over ``areas`` in their row order.

    Raises
    ------
    CRSError
        When ``areas`` are not in EPSG:4326.
    """
    require_crs(gpd.GeoDataFrame(geometry=areas.geometry), CRS_STORE, what="areas")
    geometries = areas.geometry.to_numpy()
    key = ("area_index", geometry_digest(geometries), tuple(sorted(options.items())))
    return remembered(key, lambda: AreaIndex.build(geometries, **options))


def locate_in_areas(lon: np.ndarray, lat: np.ndarray, areas: gpd.GeoDataFrame | gpd.GeoSeries,
                    *, index: AreaIndex | None = None) -> np.ndarray:
    """Position (0-based row of ``areas``) of the area holding each point, ``-1`` if none.

    Exact: equals ``geopandas.sjoin(points, areas, predicate="intersects")``; a point on a
    shared boundary (or in an overlap) goes to the area that comes first in ``areas``.

    Parameters
    ----------
    lon, lat : array-like of float
        WGS84 degrees; NaN gives ``-1``.
    areas : geopandas.GeoDataFrame or GeoSeries
        Valid (Multi)Polygons in EPSG:4326.
    index : AreaIndex, optional
        A prebuilt :func:`build_area_index` of the same ``areas``.

    Returns
    -------
    numpy.ndarray of int64
    """
    index = build_area_index(areas) if index is None else index
    if len(index.geometries) != len(areas):
        raise SchemaError("the area index was built for other areas", [Problem(
            f"index holds {len(index.geometries)} areas, the frame {len(areas)}",
            fix="rebuild it with build_area_index(areas)")])
    return index.locate(np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64"))


def assign_areas(incidents: pd.DataFrame, areas: gpd.GeoDataFrame, column: str = AREA_CODE, *,
                 index: AreaIndex | None = None) -> pd.DataFrame:
    """Return a copy of ``incidents`` with the code of the area holding each point.

    Parameters
    ----------
    incidents : pandas.DataFrame or geopandas.GeoDataFrame
        Incidents with ``lon``/``lat`` (WGS84 degrees).
    areas : geopandas.GeoDataFrame
        Areas contract (index ``area_code``), EPSG:4326.
    column : str
        Name of the new column (str; missing where the point is in no area).
    index : AreaIndex, optional
        Prebuilt index of ``areas``.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
    """
    validate_areas(areas)
    position = _positions(incidents, areas, index)
    codes = pd.array(areas.index.to_numpy(dtype=object), dtype="str")
    out = incidents.copy()
    out[column] = pd.Series(codes.take(position, allow_fill=True), index=incidents.index,
                            dtype="str")
    return out


def harm_by_area(incidents: pd.DataFrame, areas: gpd.GeoDataFrame, *, by: str | None = None,
                 index: AreaIndex | None = None) -> gpd.GeoDataFrame:
    """Count and harm per area, zero-filled for areas without incidents.

    Parameters
    ----------
    incidents : pandas.DataFrame or geopandas.GeoDataFrame
        Incidents with ``harm`` and ``lon``/``lat`` (WGS84 degrees), or with
        ``area_position``: the row of ``areas`` holding each one (``-1`` outside every
        area, :data:`UNLOCATED_AREA` without a location), as a stored cube records it.
    areas : geopandas.GeoDataFrame
        Areas contract (index ``area_code``, ``name``, ``kind``), EPSG:4326.
    by : {"category", "source"}, optional
        Also add ``count__<key>`` / ``harm__<key>`` columns.
    index : AreaIndex, optional
        Prebuilt index of ``areas``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``areas`` with ``count`` (int64) and ``harm`` (float64) (replacing any
        existing ones) plus the outside/unlocated counts in ``attrs``.
    """
    validate_areas(areas)
    require_columns(incidents, (HARM,), what="incidents")
    _check_by(incidents, by)
    if AREA_POSITION in incidents.columns:  # located already (a stored cube's rows)
        position = incidents[AREA_POSITION].to_numpy(dtype=np.int64)
        unlocated = position == UNLOCATED_AREA
        return _totals(areas, incidents, np.where(unlocated, -1, position), by,
                       unlocated=unlocated)
    position = _positions(incidents, areas, index)
    unlocated = ~(np.isfinite(_float(incidents, LON)) & np.isfinite(_float(incidents, LAT)))
    return _totals(areas, incidents, position, by, unlocated=unlocated)


def harm_by_month(incidents: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Tidy monthly totals, every month from the first to the last present (zeros kept).

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents with ``month`` (``Period[M]``) and ``harm``.
    by : {"category", "source"}, optional
        One row per month and key (every key in every month).

    Returns
    -------
    pandas.DataFrame
        Columns ``month`` (Period[M]), [``by``], ``count`` (int64), ``harm`` (float64);
        rows without a month are counted in ``attrs["unlocated_count"]``.
    """
    require_columns(incidents, (MONTH, HARM), what="incidents")
    _check_by(incidents, by)
    if not isinstance(incidents[MONTH].dtype, pd.PeriodDtype):
        raise SchemaError("incidents 'month' must be a monthly Period", [Problem(
            f"'month' has dtype {incidents[MONTH].dtype}", column=MONTH,
            fix="convert with pd.PeriodIndex(values, freq='M')")])
    months = incidents[MONTH].array
    ordinal = np.asarray(months.asi8, dtype=np.int64)
    dated = ~months.isna()
    harm = incidents[HARM].to_numpy(dtype="float64")
    events = event_weights(incidents)
    first = ordinal[dated].min() if dated.any() else 0
    last = ordinal[dated].max() if dated.any() else -1
    span = pd.PeriodIndex.from_ordinals(np.arange(first, last + 1), freq="M")
    slot = np.where(dated, ordinal - first, -1)
    keys, code = _keys(incidents, by)
    bins = len(span) * len(keys)
    flat = slot[dated] * len(keys) + code[dated]
    count = _count(flat, events, dated, bins)
    total = np.bincount(flat, weights=harm[dated], minlength=bins)
    frame = {MONTH: np.repeat(span.to_numpy(), len(keys))}
    if by is not None:
        frame[by] = np.tile(keys, len(span))
    out = pd.DataFrame(frame)
    if by is not None:
        out[by] = out[by].astype("str")
    out[MONTH] = out[MONTH].astype("period[M]")
    out[COUNT] = count
    out[HARM] = total
    out.attrs.update(unlocated_count=_events_in(events, ~dated),
                     unlocated_harm=float(harm[~dated].sum()))
    return out


def event_weights(incidents: pd.DataFrame) -> np.ndarray | None:
    """Return how many events each row stands for (``events`` column), or None (one each)."""
    if EVENTS not in incidents.columns:
        return None
    return incidents[EVENTS].to_numpy(dtype="int64")


def event_total(incidents: pd.DataFrame) -> int:
    """Return how many events ``incidents`` holds: its rows, or the sum of ``events``."""
    events = event_weights(incidents)
    return len(incidents) if events is None else int(events.sum())


def _count(flat: np.ndarray, events: np.ndarray | None, rows: np.ndarray, bins: int
           ) -> np.ndarray:
    """Events per bin of the selected ``rows`` (boolean mask), exact integers."""
    if events is None:
        return np.bincount(flat, minlength=bins).astype("int64")
    # integer weights summed in float64 are exact below 2**53 events per bin
    return np.bincount(flat, weights=events[rows], minlength=bins).astype("int64")


def _events_in(events: np.ndarray | None, rows: np.ndarray) -> int:
    return int(rows.sum()) if events is None else int(events[rows].sum())


def positions_in(cover_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Return the row of each id in ``cover_ids`` (any order), ``-1`` if absent or ``0``."""
    if len(cover_ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    order = np.argsort(cover_ids, kind="stable")
    sorted_ids = cover_ids[order]
    slot = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    hit = (sorted_ids[slot] == ids) & (ids != 0)
    return np.where(hit, order[slot], -1).astype(np.int64)


def _cell_ids(incidents: pd.DataFrame, resolution: int) -> np.ndarray:
    """uint64 ids at ``resolution``: parents of stored ids when possible, else from lon/lat."""
    stored = incidents.attrs.get("h3_resolution")
    if H3 in incidents.columns and stored is not None and stored >= resolution:
        return parent_cells(incidents[H3].to_numpy(dtype=np.uint64), resolution)
    require_columns(incidents, (LON, LAT), what="incidents")
    return lonlat_to_cells(_float(incidents, LON), _float(incidents, LAT), resolution)


def _positions(incidents: pd.DataFrame, areas: gpd.GeoDataFrame,
               index: AreaIndex | None) -> np.ndarray:
    require_columns(incidents, (LON, LAT), what="incidents")
    return locate_in_areas(_float(incidents, LON), _float(incidents, LAT), areas, index=index)


def _float(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype="float64", na_value=np.nan)


def _check_by(incidents: pd.DataFrame, by: str | None) -> None:
    if by is not None and by not in _BY:
        raise SchemaError(f"cannot split totals by {by!r}", [Problem(
            f"by={by!r}", fix="use by='category', by='source' or by=None")])
    if by is not None:
        require_columns(incidents, (by,), what="incidents")


def _keys(incidents: pd.DataFrame, by: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys of column ``by`` and each row's code (one key when ``by`` is None)."""
    if by is None:
        return np.array([""], dtype=object), np.zeros(len(incidents), dtype=np.int64)
    values = incidents[by].astype("string").fillna(_MISSING_KEY)
    code, keys = pd.factorize(values, sort=True)
    return np.asarray(keys, dtype=object), code.astype(np.int64)


def _totals(target: gpd.GeoDataFrame, incidents: pd.DataFrame, position: np.ndarray,
            by: str | None, *, unlocated: np.ndarray) -> gpd.GeoDataFrame:
    """Copy of ``target`` with count/harm (and per-key columns) from row positions."""
    harm = incidents[HARM].to_numpy(dtype="float64")
    events = event_weights(incidents)
    placed = position >= 0
    outside = ~placed & ~unlocated
    n = len(target)
    out = target.copy()
    out[COUNT] = _count(position[placed], events, placed, n)
    out[HARM] = np.bincount(position[placed], weights=harm[placed], minlength=n)
    if by is not None:
        keys, code = _keys(incidents, by)
        flat = position[placed] * len(keys) + code[placed]
        counts = _count(flat, events, placed, n * len(keys)).reshape(n, len(keys))
        harms = np.bincount(flat, weights=harm[placed], minlength=n * len(keys)).reshape(
            n, len(keys))
        extra = {}
        for j, key in enumerate(keys):  # one column per key, not per row
            extra[f"{COUNT}__{key}"] = counts[:, j].astype("int64")
            extra[f"{HARM}__{key}"] = harms[:, j]
        out = out.drop(columns=[c for c in extra if c in out.columns]).assign(**extra)
    out.attrs.update(outside_count=_events_in(events, outside),
                     outside_harm=float(harm[outside].sum()),
                     unlocated_count=_events_in(events, unlocated),
                     unlocated_harm=float(harm[unlocated].sum()))
    return out
