"""The disclosure release: base values perturbed once, every published figure a sum of them.

A partner or the public never sees a count perturbed on its own record set. The library
first splits the records behind an output into **base cells**, one per

    (geography unit, month, category, source)

where the unit is the H3 cell at the layer's resolution (at most the role's finest), the area
of the layer's kind (ward, LSOA, postcode sector, site...) or, for series, totals and the
contribution table, the whole study (:data:`WHOLE_STUDY`). Each base cell gets its noise once,
from the cell key method on its own records (:func:`geosoc.disclosure.cell_key.noise_for` of
its count and its records' key sum): the same base cell gets the same released value on every
page, filter, month range and export, so the release is a fixed table even though it is
computed lazily from whatever records an output needs (a category, source or month filter
only drops whole base cells). Every figure an audience sees is then a **sum of released base
values** (cells, areas, months, quarters, totals, breakdowns, frames, rates, the statistics
computed from them): the difference of two outputs is a sum of released values, and asking
200 different record sets gives no more than the base values themselves.

**Harm carries nothing extra.** A base cell holds one category of one source, whose harm
weight is public (:mod:`geosoc.harm`); its released harm is its released count times that
weight (the base cell's harm over its count), so harm divided by count reveals nothing the
released counts do not.

Partners and the public share the one release: the public sees its sums at coarser grains
(quarters, resolution 7, wards), with its own threshold and rounding. Display suppression
(:mod:`geosoc.disclosure.suppression`) is applied to the released sums only, so what is
suppressed is itself a function of the release, never of the true counts.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate.cells import h3_strs_to_int, lonlat_to_cells, parent_cells
from geosoc.aggregate.pip_index import AreaIndex
from geosoc.aggregate.tables import AREA_POSITION, UNLOCATED_AREA, locate_in_areas, positions_in
from geosoc.config import server_key
from geosoc.disclosure.cell_key import KEY_RANGE, RECORD_KEY, cell_keys, noise_for, record_keys
from geosoc.disclosure.layers import _merge_to_parent
from geosoc.disclosure.rules import Role, allowed_resolution
from geosoc.schema import CATEGORY, COUNT, EVENTS, H3, HARM, LAT, LON, MONTH, SOURCE

__all__ = [
    "BASE_COLUMNS", "WHOLE_STUDY", "area_units", "base_cells", "cell_units", "release",
    "released_areas", "released_base", "released_cells", "released_layer_values",
    "released_series", "released_total", "released_whole", "suppressed_exact_rate",
]

#: Key columns of a base cell (``unit`` is the row of the layer's units, 0-based).
BASE_COLUMNS = ("unit", MONTH, CATEGORY, SOURCE)
#: The one unit of the whole-study geography (series, totals, contribution table).
WHOLE_STUDY = 0
_MISSING = "<missing>"
By = Literal["category", "source"] | None
_NO_MONTH = np.iinfo(np.int64).min


def cell_units(incidents: pd.DataFrame, resolution: int, unit_ids: np.ndarray, *,
               parent: int | None = None) -> np.ndarray:
    """Return each incident's unit: its row in ``unit_ids`` (H3 cells), ``-1`` if none.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents with WGS84 ``lon``/``lat`` or a uint64 ``h3`` column at
        ``attrs["h3_resolution"]`` >= ``resolution`` (as
        :func:`geosoc.aggregate.harm_by_cell` places them).
    resolution : int
        Resolution the incidents are placed at.
    unit_ids : numpy.ndarray
        uint64 ids of the layer's cells (at ``parent`` when given, else ``resolution``).
    parent : int, optional
        Coarser resolution of the layer: incidents go to the parent of their cell.
    """
    stored = incidents.attrs.get("h3_resolution")
    if H3 in incidents.columns and stored is not None and stored >= resolution:
        ids = parent_cells(incidents[H3].to_numpy(dtype=np.uint64), resolution)
    else:
        ids = lonlat_to_cells(incidents[LON].to_numpy(dtype="float64", na_value=np.nan),
                              incidents[LAT].to_numpy(dtype="float64", na_value=np.nan),
                              resolution)
    ids = np.asarray(ids, dtype=np.uint64)
    if parent is not None and parent < resolution:
        located = ids != 0
        up = np.zeros_like(ids)
        up[located] = parent_cells(ids[located], parent)
        ids = up
    return positions_in(np.asarray(unit_ids, dtype=np.uint64), ids)


def area_units(incidents: pd.DataFrame, areas: pd.DataFrame, index: object = None
               ) -> np.ndarray:
    """Return each incident's unit: its row of ``areas`` (``-1`` outside, ``-2`` unlocated).

    Uses the incidents' ``area_position`` when present (a stored cube's rows), else
    point-in-polygon (:func:`geosoc.aggregate.locate_in_areas`, EPSG:4326).
    """
    if AREA_POSITION in incidents.columns:
        return incidents[AREA_POSITION].to_numpy(dtype=np.int64)
    lon = incidents[LON].to_numpy(dtype="float64", na_value=np.nan)
    lat = incidents[LAT].to_numpy(dtype="float64", na_value=np.nan)
    position = locate_in_areas(lon, lat, areas, index=index)  # type: ignore[arg-type]
    return np.where(np.isfinite(lon) & np.isfinite(lat), position, UNLOCATED_AREA)


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    code, distinct = pd.factorize(values.astype("string").fillna(_MISSING), sort=True)
    return code.astype(np.int64), np.asarray(distinct, dtype=object)


def base_cells(incidents: pd.DataFrame, unit: np.ndarray) -> pd.DataFrame:
    """Return the base cells of ``incidents``: one row per (unit, month, category, source).

    Parameters
    ----------
    incidents : pandas.DataFrame
        Incidents with ``harm`` (days), ``month`` (Period[M]), ``category``, ``source`` and
        ``record_key`` (:func:`geosoc.disclosure.cell_key.attach_record_keys`; a stored
        cube's rows carry the sum of their records' keys and ``events``).
    unit : numpy.ndarray
        int64 unit of each row (:func:`cell_units`, :func:`area_units`, or zeros for the
        whole study); negative rows are in no unit and left out.

    Returns
    -------
    pandas.DataFrame
        ``unit`` (int64), ``month`` (Period[M]; NaT: no month), ``category``, ``source``
        (str), ``count`` (int64 events), ``keysum`` (int64 sum of record keys) and ``harm``
        (float64 days); only base cells with at least one event.
    """
    unit = np.asarray(unit, dtype=np.int64)
    keep = unit >= 0
    rows = incidents[keep]
    months = rows[MONTH].array
    ordinal = np.where(months.isna(), _NO_MONTH, np.asarray(months.asi8, dtype=np.int64))
    category, categories = _codes(rows[CATEGORY]) if CATEGORY in rows else (
        np.zeros(len(rows), np.int64), np.array([_MISSING], dtype=object))
    source, sources = _codes(rows[SOURCE]) if SOURCE in rows else (
        np.zeros(len(rows), np.int64), np.array([_MISSING], dtype=object))
    events = (rows[EVENTS].to_numpy(dtype=np.int64) if EVENTS in rows.columns
              else np.ones(len(rows), dtype=np.int64))
    month_code, months_seen = pd.factorize(ordinal, sort=True)
    sizes = (len(months_seen) or 1, len(categories), len(sources))
    # one int64 key per row (unit, month, category, source): hashed once, summed by bincount
    key = ((unit[keep] * sizes[0] + month_code) * sizes[1] + category) * sizes[2] + source
    code, distinct = pd.factorize(key, sort=True)
    n = len(distinct)
    counts = np.bincount(code, weights=events, minlength=n).astype(np.int64)
    keysum = np.bincount(code, weights=rows[RECORD_KEY].to_numpy(dtype="float64"),
                         minlength=n).round().astype(np.int64)
    harm = np.bincount(code, weights=rows[HARM].to_numpy(dtype="float64"), minlength=n)
    distinct = np.asarray(distinct, dtype=np.int64)
    s_code = distinct % sizes[2]
    c_code = (distinct // sizes[2]) % sizes[1]
    m_code = (distinct // (sizes[2] * sizes[1])) % sizes[0]
    unit_of = distinct // (sizes[2] * sizes[1] * sizes[0])
    month = np.asarray(months_seen, dtype=np.int64)[m_code] if len(months_seen) else \
        np.zeros(0, dtype=np.int64)
    nonzero = counts > 0
    return pd.DataFrame({
        "unit": unit_of[nonzero],
        MONTH: pd.PeriodIndex.from_ordinals(month[nonzero], freq="M"),
        CATEGORY: categories[c_code[nonzero]].astype(str),
        SOURCE: sources[s_code[nonzero]].astype(str),
        COUNT: counts[nonzero], "keysum": keysum[nonzero], HARM: harm[nonzero]})


def release(base: pd.DataFrame) -> pd.DataFrame:
    """Return ``base`` with its released values: the count perturbed once, harm from weights.

    Parameters
    ----------
    base : pandas.DataFrame
        Output of :func:`base_cells` (or area count rows with ``count``, ``harm`` and
        ``keysum``).

    Returns
    -------
    pandas.DataFrame
        A copy with ``released`` (int64, ``count`` plus the cell key noise of the base cell,
        never negative) and ``released_harm`` (days: ``released`` times the base cell's
        weight, ``harm / count``).
    """
    counts = base[COUNT].to_numpy(dtype=np.int64)
    released = counts + noise_for(counts, cell_keys(base["keysum"]))
    weight = np.divide(base[HARM].to_numpy(dtype="float64"), counts,
                       out=np.zeros(len(counts)), where=counts > 0)
    return base.assign(released=released.astype(np.int64), released_harm=released * weight)


def released_layer_values(released: pd.DataFrame, n_units: int,
                          columns: list[str], by: str | None) -> dict[str, np.ndarray]:
    """Return the layer's value columns as sums of released base values.

    Parameters
    ----------
    released : pandas.DataFrame
        Output of :func:`release`.
    n_units : int
        Rows of the layer.
    columns : list of str
        The layer's ``count``/``harm`` columns (``count__<key>`` for a ``by`` breakdown).
    by : {"category", "source"}, optional
        The breakdown.

    Returns
    -------
    dict of str to numpy.ndarray
        Each column's values per unit (float64; 0 where no base cell).
    """
    unit = released["unit"].to_numpy(dtype=np.int64)
    count = released["released"].to_numpy(dtype="float64")
    harm = released["released_harm"].to_numpy(dtype="float64")
    out = {COUNT: np.bincount(unit, weights=count, minlength=n_units),
           HARM: np.bincount(unit, weights=harm, minlength=n_units)}
    if by is not None:
        keys = released[by].astype(str).to_numpy()
        for column in columns:
            prefix, _, key = column.partition("__")
            if key and prefix in (COUNT, HARM):
                mine = keys == key
                out[column] = np.bincount(unit[mine], weights=(count if prefix == COUNT
                                                               else harm)[mine],
                                          minlength=n_units)
    return {c: v for c, v in out.items() if c in columns or c in (COUNT, HARM)}


def released_series(released: pd.DataFrame, table: pd.DataFrame,
                    by: str | None) -> pd.DataFrame:
    """Return a monthly table (``month``, [``by``], ``count``, ``harm``) from released values.

    ``table`` is the true monthly table (:func:`geosoc.aggregate.harm_by_month`), whose rows
    (every month, every key) are kept; its counts and harm are replaced by the sums of the
    released base values of the whole-study geography.
    """
    dated = released[released[MONTH].notna()]
    keys = [MONTH, *([by] if by else [])]
    sums = dated.groupby(keys, observed=True)[["released", "released_harm"]].sum()
    index = pd.MultiIndex.from_frame(table[keys].astype({by: str} if by else {})) \
        if by else pd.Index(table[MONTH])
    if not by:
        sums.index = pd.Index(sums.index)
    aligned = sums.reindex(index).fillna(0.0)
    return table.assign(**{COUNT: aligned["released"].to_numpy(dtype="float64"),
                           HARM: aligned["released_harm"].to_numpy(dtype="float64")})


def released_total(released: pd.DataFrame) -> tuple[float, float]:
    """Return the released events and harm (days) of a base table: sums of released values."""
    return (float(released["released"].sum()), float(released["released_harm"].sum()))


def _partitions(total: int, largest: int | None = None) -> list[list[int]]:
    """Every way to write ``total`` as a sum of positive counts (largest first)."""
    if total == 0:
        return [[]]
    top = total if largest is None else min(total, largest)
    return [[part, *rest] for part in range(top, 0, -1)
            for rest in _partitions(total - part, part)]


def _released_distribution(counts: list[int]) -> np.ndarray:
    """P(sum of the released values of base cells with true ``counts``), index = value."""
    keys = np.arange(KEY_RANGE)
    out = np.ones(1)
    for count in counts:
        shown = count + noise_for(np.full(KEY_RANGE, count), keys)
        out = np.convolve(out, np.bincount(shown, minlength=count + 3) / KEY_RANGE)
    return out


def suppressed_exact_rate(min_count: int, *, max_cells: int = 9) -> float:
    """Return the design's exact-recovery rate of a value shown suppressed.

    A value is shown suppressed when its released sum is from 1 to ``min_count - 1``;
    differencing outputs gives at best that released sum. This is the largest, over true
    totals ``t`` below ``min_count`` and every way of making ``t`` from up to ``max_cells``
    base cells, of P(released sum == t | released sum suppressed), from the perturbation
    table (every cell key equally likely, base cells independent).

    Parameters
    ----------
    min_count : int
        The role's suppression threshold (partner 5, public 10).
    max_cells : int
        Most base cells counted (a total below 10 has at most 9: every composition).
    """
    rates = []
    for total in range(1, min_count):
        for counts in _partitions(total):
            if len(counts) > max_cells:
                continue
            dist = _released_distribution(counts)
            hidden = float(dist[1:min_count].sum())
            if hidden > 0:
                rates.append(float(dist[total]) / hidden)
    return max(rates)


def _keyed(incidents: pd.DataFrame, secret: bytes) -> pd.DataFrame:
    if RECORD_KEY in incidents.columns:
        return incidents
    return incidents.assign(**{RECORD_KEY: record_keys(incidents, secret)})


def _with_released(layer: pd.DataFrame, released: pd.DataFrame, by: By) -> pd.DataFrame:
    """``layer`` (true values, any row order) with every value column a released sum."""
    columns = [c for c in layer.columns if isinstance(c, str)
               and (c in (COUNT, HARM) or c.startswith((f"{COUNT}__", f"{HARM}__")))]
    values = released_layer_values(released, len(layer), columns, by)
    out = layer.copy()
    for column in columns:
        out[column] = values.get(column, np.zeros(len(layer)))
    return out


def released_base(incidents: pd.DataFrame, unit: np.ndarray,
                  secret: bytes | None = None) -> pd.DataFrame:
    """Return the released base cells of ``incidents`` placed in ``unit`` (see ``release``)."""
    return release(base_cells(_keyed(incidents, secret or server_key()), unit))


def released_cells(cells: gpd.GeoDataFrame, incidents: pd.DataFrame, role: Role | str, *,
                   by: By = None, secret: bytes | None = None) -> gpd.GeoDataFrame:
    """Return a cell layer of ``incidents`` whose values are sums of released base values.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        The true layer of ``incidents`` (:func:`geosoc.aggregate.harm_by_cell`, EPSG:4326).
    incidents : pandas.DataFrame
        The incidents it counts (after every filter).
    role : Role or str
        The audience: the layer is merged to the role's finest resolution first.
    by : {"category", "source"}, optional
        The layer's breakdown.
    secret : bytes, optional
        The server key.

    Returns
    -------
    geopandas.GeoDataFrame
        At ``min(resolution, finest allowed)``, ``count``/``harm`` (and breakdowns) replaced
        by released sums; pass it to :func:`disclose_cells` with ``released=True``.
    """
    resolution = int(cells.attrs["h3_resolution"])
    target = allowed_resolution(role, resolution)
    if target != resolution:
        cells = _merge_to_parent(cells, target)
    unit = cell_units(incidents, resolution, h3_strs_to_int(cells.index.to_numpy()),
                      parent=target)
    return _with_released(cells, released_base(incidents, unit, secret), by)


def released_areas(totals: gpd.GeoDataFrame, incidents: pd.DataFrame, *,
                   index: AreaIndex | None = None, by: By = None,
                   secret: bytes | None = None) -> gpd.GeoDataFrame:
    """Return an area layer of ``incidents`` made of released sums (see ``released_cells``).

    ``totals`` is :func:`geosoc.aggregate.harm_by_area` of ``incidents`` (EPSG:4326); pass
    the result to :func:`disclose_areas` with ``released=True``.
    """
    unit = area_units(incidents, totals, index)
    return _with_released(totals, released_base(incidents, unit, secret), by)


def released_whole(incidents: pd.DataFrame, secret: bytes | None = None) -> pd.DataFrame:
    """Return the released base cells of the whole-study geography (series and totals)."""
    return released_base(incidents, np.full(len(incidents), WHOLE_STUDY), secret)
