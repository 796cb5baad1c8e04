"""The harm cube: incidents reduced to (H3 cell, month, key, area) totals, partition by partition.

A cube row holds the events of one finest H3 cell, one month, one key (category or source)
and one area position, with their ``count`` and harm. Every view the profile needs (cells at
any coarser resolution, areas, months, the cell x month panel of emerging hot spots) is a
group-by of the cube, so the cube is built once, from any number of partitions, and the
statistics then run on small aggregates.

:func:`partition_cube` is a **pure function of one partition** (a plain pandas frame with
``lon``, ``lat``, ``month``, ``category``, ``source``): the in-memory engine calls it once,
the distributed engine (:mod:`geosoc.engine.distributed`) once per partition on any dask
cluster. :func:`combine_cubes` reduces partial cubes; addition is exact because harm is
carried as integer **micro-days** (``harm_micro``), so the result does not depend on how the
data were partitioned or in which order partial cubes are added.

Coordinates are WGS84 degrees (EPSG:4326); harm is in days (or the scheme's unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geosoc.aggregate.cells import lonlat_to_cells, parent_cells
from geosoc.aggregate.pip_index import AreaIndex
from geosoc.errors import Problem, SchemaError
from geosoc.harm import Scheme, apply_harm_weights
from geosoc.schema import CATEGORY, COUNT, HARM, LAT, LON, MONTH, SOURCE

#: Harm is summed as integers of this many units per day (exact, order-free addition).
HARM_SCALE = 1_000_000
#: Cube key columns, in order.
KEYS = ("h3", "month", "key", "area")
#: Month code of rows without a usable month.
NO_MONTH = -1
#: Area position of rows outside every area (or when no areas are given).
NO_AREA = -1
#: Key of rows whose category (or source) is missing.
MISSING_KEY = "<missing>"
#: ``CubeSpec.by`` value keying the cube by source and category together (the profile's
#: filters need both); the key is ``source + KEY_SEP + category``.
SOURCE_CATEGORY = "source_category"
#: Separator of source and category in a ``SOURCE_CATEGORY`` key.
KEY_SEP = "\x1f"


@dataclass(frozen=True)
class CubeSpec:
    """What a cube holds: the cell resolution, the harm weighting and optional areas.

    Attributes
    ----------
    resolution : int
        Finest H3 resolution stored (coarser ones are parents of it).
    weights : pandas.DataFrame or None
        Harm weight table (:func:`geosoc.harm.load_harm_weights`); ``None``: the default.
    scheme : {"harm", "count", "log_harm"}
        Harm scheme, as in :func:`geosoc.harm.apply_harm_weights`.
    unknown : "error" or float
        Weight for categories without one (``"error"`` raises, listing them).
    by : {"category", "source", "source_category"}
        Which column becomes the cube's ``key`` (``"source_category"``: both, joined by
        :data:`KEY_SEP`).
    areas : tuple of AreaIndex
        Point-in-area indexes of area layers (:func:`geosoc.aggregate.build_area_index`),
        e.g. wards then LSOAs. The cube's ``area`` column packs the row position in every
        layer in mixed radix (see :func:`area_positions`); ``-1`` when there are no layers.
    """

    resolution: int = 9
    weights: pd.DataFrame | None = field(default=None, hash=False, compare=False)
    scheme: Scheme = "harm"
    unknown: str | float = "error"
    by: str = CATEGORY
    areas: tuple[AreaIndex, ...] = field(default=(), hash=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.areas, AreaIndex):  # one layer given on its own
            object.__setattr__(self, "areas", (self.areas,))

    def layer_sizes(self) -> tuple[int, ...]:
        """Return the number of areas in each layer."""
        return tuple(len(index.geometries) for index in self.areas)


def month_codes(months: pd.Series) -> np.ndarray:
    """Months as integers ``year * 12 + month - 1`` (``-1`` where missing or not a month).

    Parameters
    ----------
    months : pandas.Series
        ``Period[M]``, datetimes or ``"YYYY-MM"`` strings.
    """
    position, distinct = pd.factorize(months)  # parse each distinct month once
    values = pd.Series(distinct)
    if isinstance(values.dtype, pd.PeriodDtype):
        stamps = values.dt.to_timestamp()
    else:
        stamps = pd.to_datetime(values.astype("string"), format="%Y-%m", errors="coerce")
    codes = (stamps.dt.year * 12 + stamps.dt.month - 1).fillna(NO_MONTH).to_numpy(np.int64)
    return np.append(codes, NO_MONTH)[position]  # factorize marks missing values as -1


def code_months(codes: np.ndarray) -> pd.PeriodIndex:
    """Inverse of :func:`month_codes` for valid codes."""
    codes = np.asarray(codes, dtype=np.int64)
    return pd.PeriodIndex.from_fields(year=codes // 12, month=codes % 12 + 1, freq="M")


def empty_cube() -> pd.DataFrame:
    """Return a cube with no rows (the identity of :func:`combine_cubes`)."""
    return pd.DataFrame({"h3": pd.Series(dtype=np.uint64), "month": pd.Series(dtype=np.int64),
                         "key": pd.Categorical([]), "area": pd.Series(dtype=np.int64),
                         COUNT: pd.Series(dtype=np.int64),
                         "harm_micro": pd.Series(dtype=np.int64)})


def partition_cube(frame: pd.DataFrame, spec: CubeSpec) -> pd.DataFrame:
    """Reduce one partition of incidents to cube rows (pure; runs anywhere).

    Parameters
    ----------
    frame : pandas.DataFrame
        Incidents with ``lon``, ``lat`` (EPSG:4326 degrees; NaN allowed), ``month``,
        ``category`` and ``source``. Geometry is not needed and not read.
    spec : CubeSpec
        Resolution, weighting, key column and optional area index.

    Returns
    -------
    pandas.DataFrame
        Columns ``h3`` (uint64; 0 = no location), ``month`` (int64 code, -1 = none), ``key``,
        ``area`` (int64; -1 = none), ``count`` (int64), ``harm_micro`` (int64 micro-days).
    """
    missing = [c for c in (LON, LAT, MONTH, CATEGORY, SOURCE) if c not in frame.columns]
    if missing:
        raise SchemaError("incidents lack columns the cube needs", [Problem(
            f"missing column {c!r}", column=c, fix="load incidents through geosoc.ingest")
            for c in missing])
    if len(frame) == 0:
        return empty_cube()
    weighted = apply_harm_weights(frame[[SOURCE, CATEGORY]], spec.weights, scheme=spec.scheme,
                                  unknown=spec.unknown)  # type: ignore[arg-type]
    lon = frame[LON].to_numpy(dtype="float64", na_value=np.nan)
    lat = frame[LAT].to_numpy(dtype="float64", na_value=np.nan)
    area = np.full(len(frame), NO_AREA, dtype=np.int64)
    if spec.areas:
        area[:] = 0
        for index in spec.areas:  # mixed radix: position + 1 in each layer (0 = outside)
            area = area * (len(index.geometries) + 1) + index.locate(lon, lat).astype(
                np.int64) + 1
    key_code, key_values = key_codes(frame, spec.by)
    return _reduce(
        lonlat_to_cells(lon, lat, spec.resolution, threads=1), month_codes(frame[MONTH]),
        key_code.astype(np.int64), key_values, area,
        np.ones(len(frame), dtype=np.int64),
        np.rint(weighted[HARM].to_numpy(dtype="float64") * HARM_SCALE).astype(np.int64))


def key_codes(frame: pd.DataFrame, by: str) -> tuple[np.ndarray, np.ndarray]:
    """Code of each row's key and the key strings (missing values as :data:`MISSING_KEY`).

    ``by`` is ``"category"``, ``"source"`` or :data:`SOURCE_CATEGORY`; the key strings are
    distinct (not sorted).
    """
    if by == SOURCE_CATEGORY:
        source_code, sources = key_codes(frame, SOURCE)
        category_code, categories = key_codes(frame, CATEGORY)
        values = (np.repeat(sources, len(categories)).astype(object) + KEY_SEP
                  + np.tile(categories, len(sources)).astype(object))
        return source_code * len(categories) + category_code, values
    key_code, key_values = pd.factorize(frame[by])  # missing values get code -1
    key_values = np.append(np.asarray(key_values, dtype=object).astype(str), MISSING_KEY)
    return np.where(key_code < 0, len(key_values) - 1, key_code).astype(np.int64), key_values


def key_parts(keys: pd.Index | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split ``SOURCE_CATEGORY`` keys into (sources, categories) arrays of str."""
    text = pd.Series(np.asarray(keys, dtype=object), dtype="str").str.split(KEY_SEP, n=1,
                                                                            expand=True)
    return text[0].to_numpy(dtype=object), text[1].to_numpy(dtype=object)


def _reduce(h3: np.ndarray, month: np.ndarray, key_code: np.ndarray, key_values: np.ndarray,
            area: np.ndarray, count: np.ndarray, harm_micro: np.ndarray) -> pd.DataFrame:
    """Sum count and harm per (h3, month, key, area); keys sorted, rows sorted. Exact.

    Each key column is coded densely in sorted order and the four codes are combined in
    mixed radix into one int64, so one hash group-by does the work and its sorted groups are
    already in (h3, month, key, area) order. Integer sums are exact in any order.
    """
    order = np.argsort(key_values, kind="stable")  # recode keys so codes follow string order
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    parts = [pd.factorize(h3, sort=True), pd.factorize(month, sort=True),
             (rank[key_code], key_values[order]), pd.factorize(area, sort=True)]
    sizes = [max(1, len(values)) for _, values in parts]
    if float(np.prod(np.asarray(sizes, dtype=float))) >= 2.0**62:
        raise SchemaError("too many distinct cells, months, keys and areas in one cube", [
            Problem(f"{sizes} distinct values", fix="build the cube at a coarser resolution")])
    combined = np.zeros(len(h3), dtype=np.int64)
    for (codes, _), size in zip(parts, sizes, strict=True):
        combined = combined * size + np.asarray(codes, dtype=np.int64)
    sums = (pd.DataFrame({"g": combined, COUNT: count, "harm_micro": harm_micro})
            .groupby("g", sort=True)[[COUNT, "harm_micro"]].sum())
    group = sums.index.to_numpy(dtype=np.int64)
    decoded = []
    for size in reversed(sizes):
        decoded.append(group % size)
        group = group // size
    area_code, key_out, month_code, h3_code = decoded
    return pd.DataFrame({
        "h3": np.asarray(parts[0][1], dtype=np.uint64)[h3_code],
        "month": np.asarray(parts[1][1], dtype=np.int64)[month_code],
        "key": pd.Categorical.from_codes(key_out, categories=parts[2][1]),
        "area": np.asarray(parts[3][1], dtype=np.int64)[area_code],
        COUNT: sums[COUNT].to_numpy(dtype=np.int64),
        "harm_micro": sums["harm_micro"].to_numpy(dtype=np.int64),
    })


def combine_cubes(cubes: list[pd.DataFrame]) -> pd.DataFrame:
    """Add partial cubes (exact: integer sums); rows sorted by ``h3``, month, key, area."""
    parts = [c for c in cubes if len(c)]
    if not parts:
        return empty_cube()
    keys = pd.api.types.union_categoricals([pd.Categorical(c["key"]) for c in parts],
                                           ignore_order=True)
    return _reduce(
        np.concatenate([c["h3"].to_numpy(dtype=np.uint64) for c in parts]),
        np.concatenate([c["month"].to_numpy(dtype=np.int64) for c in parts]),
        keys.codes.astype(np.int64), np.asarray(keys.categories, dtype=object),
        np.concatenate([c["area"].to_numpy(dtype=np.int64) for c in parts]),
        np.concatenate([c[COUNT].to_numpy(dtype=np.int64) for c in parts]),
        np.concatenate([c["harm_micro"].to_numpy(dtype=np.int64) for c in parts]))


def select(cube: pd.DataFrame, *, months: tuple[str, str] | None = None,
           keys: list[str] | None = None) -> pd.DataFrame:
    """Rows of ``cube`` in an inclusive month range and/or with the given keys."""
    keep = np.ones(len(cube), dtype=bool)
    if months is not None:
        lo, hi = month_codes(pd.Series(list(months)))
        keep &= (cube["month"].to_numpy() >= lo) & (cube["month"].to_numpy() <= hi)
    if keys is not None:
        keep &= cube["key"].isin(keys).to_numpy()
    return cube[keep]


def cube_cells(cube: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """Count and harm per H3 cell at ``resolution`` (parents of the stored cells).

    Returns
    -------
    pandas.DataFrame
        Index ``h3`` (uint64, no 0), ``count`` (int64), ``harm`` (float64, days); unlocated
        rows (``h3 == 0``) are left out and counted by :func:`cube_unlocated`.
    """
    located = cube[cube["h3"].to_numpy() != 0]
    ids = parent_cells(located["h3"].to_numpy(dtype=np.uint64), resolution)
    out = (located.assign(h3=ids).groupby("h3", sort=True)[[COUNT, "harm_micro"]].sum())
    out[HARM] = out.pop("harm_micro") / HARM_SCALE
    return out


def cube_months(cube: pd.DataFrame) -> pd.DataFrame:
    """Count and harm per month (``Period[M]``), every month between the first and last."""
    dated = cube[cube["month"].to_numpy() != NO_MONTH]
    sums = dated.groupby("month", sort=True)[[COUNT, "harm_micro"]].sum()
    if sums.empty:
        return pd.DataFrame({MONTH: pd.PeriodIndex([], freq="M"), COUNT: [], HARM: []})
    full = np.arange(sums.index.min(), sums.index.max() + 1)
    sums = sums.reindex(full, fill_value=0)
    return pd.DataFrame({MONTH: code_months(full), COUNT: sums[COUNT].to_numpy(),
                         HARM: sums["harm_micro"].to_numpy() / HARM_SCALE})


def area_positions(area: np.ndarray, sizes: tuple[int, ...], layer: int) -> np.ndarray:
    """Row position in layer ``layer`` of packed ``area`` codes (``-1``: outside that layer).

    Parameters
    ----------
    area : numpy.ndarray of int64
        The cube's ``area`` column.
    sizes : tuple of int
        Areas per layer (:meth:`CubeSpec.layer_sizes`), in the spec's order.
    layer : int
        Which layer.
    """
    code = np.asarray(area, dtype=np.int64)
    if not sizes:
        return np.full(len(code), -1, dtype=np.int64)
    below = int(np.prod([n + 1 for n in sizes[layer + 1:]], dtype=np.int64))
    return np.where(code < 0, -1, (code // below) % (sizes[layer] + 1) - 1)


def cube_areas(cube: pd.DataFrame, sizes: tuple[int, ...] | int, layer: int = 0
               ) -> pd.DataFrame:
    """Count and harm per area of one layer, positions ``0 .. n - 1`` (zero-filled).

    Parameters
    ----------
    cube : pandas.DataFrame
        The cube.
    sizes : tuple of int, or int
        :meth:`CubeSpec.layer_sizes` (an int for a single layer).
    layer : int
        Which area layer of the spec.
    """
    sizes = (sizes,) if isinstance(sizes, int) else tuple(sizes)
    n_areas = sizes[layer]
    position = area_positions(cube["area"].to_numpy(), sizes, layer)
    placed = cube[position >= 0]
    position = position[position >= 0]
    sums = (placed[[COUNT, "harm_micro"]].groupby(position).sum()  # int64: exact
            .reindex(np.arange(n_areas), fill_value=0))
    return pd.DataFrame({COUNT: sums[COUNT].to_numpy(dtype=np.int64),
                         HARM: sums["harm_micro"].to_numpy() / HARM_SCALE})


def cube_panel(cube: pd.DataFrame, resolution: int) -> pd.DataFrame:
    """Cell x month harm (long form: ``h3``, ``month`` code, ``count``, ``harm``)."""
    located = cube[(cube["h3"].to_numpy() != 0) & (cube["month"].to_numpy() != NO_MONTH)]
    ids = parent_cells(located["h3"].to_numpy(dtype=np.uint64), resolution)
    out = (located.assign(h3=ids).groupby(["h3", "month"], sort=True)[[COUNT, "harm_micro"]]
           .sum().reset_index())
    out[HARM] = out.pop("harm_micro") / HARM_SCALE
    return out


def cube_unlocated(cube: pd.DataFrame) -> int:
    """Events without a usable location."""
    return int(cube.loc[cube["h3"].to_numpy() == 0, COUNT].sum())
