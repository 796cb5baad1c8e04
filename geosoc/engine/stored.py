"""The harm cube stored with every incidents dataset: how it is built.

:func:`stored_harm_cube` is the cube builder the CLI and the app hand to
:func:`geosoc.workspace.dataset_store.store_dataset` (the workspace stage may not import the
engine, so it is passed in). Each row holds the events of one month, one ``source`` +
``category`` key and one resolution-10 H3 cell (``h3``), as
:func:`~geosoc.engine.cube.partition_cube` with ``CubeSpec(resolution=10,
by=SOURCE_CATEGORY)`` and the default harm weights (``geosoc/resources/harm_weights.csv``)
gives them, plus what the app's views need to be served from the cube alone
(:mod:`geosoc.engine.cube_rows`):

* ``h3_9``, ``h3_8``, ``h3_7``: the cell *holding the point* at each coarser app resolution.
  H3 nests only approximately, so the parent of a point's resolution-10 cell is not always
  its resolution-9 cell; the app's layers use the cell holding the point, so the cube
  stores it (a row is one combination of the four cells).
* ``key_sum``: the sum of the rows' record keys
  (:func:`geosoc.disclosure.cell_key.record_keys`) under the server key, so partner and
  public layers are perturbed exactly as from the points. ``key_check`` in the cube's record
  tells which server key (a keyed digest, not the key).

* ``area_<kind>`` (with :func:`stored_cube_builder` given the workspace's boundaries): the
  row position of the area holding the point in each boundary layer stored before the
  incidents (``-1``: outside every area), so views by ward or LSOA are served from the cube
  too. The cube's record names each layer's :func:`areas_digest`; boundaries stored or
  replaced later are not those of the cube, and views by them read the points.

Coordinates are WGS84 degrees (EPSG:4326); harm is in days, as integer micro-days.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.aggregate.cells import lonlat_to_cells
from geosoc.aggregate.geometry_memo import geometry_digest
from geosoc.aggregate.keyed_sums import sum_keyed_rows
from geosoc.aggregate.pip_index import AreaIndex
from geosoc.aggregate.tables import build_area_index
from geosoc.config import server_key
from geosoc.disclosure.cell_key import record_keys
from geosoc.engine.cube import (
    HARM_SCALE,
    NO_AREA,
    SOURCE_CATEGORY,
    CubeSpec,
    empty_cube,
    key_codes,
    month_codes,
)
from geosoc.harm import DEFAULT_WEIGHTS_PATH, apply_harm_weights
from geosoc.schema import COUNT, HARM, LAT, LON, MONTH

#: Finest H3 resolution of the stored cube (the ``h3`` column).
STORED_RESOLUTION = 10
#: Coarser resolutions whose point-holding cell is stored too (``h3_9`` ...).
VIEW_RESOLUTIONS = (9, 8, 7)
#: Column of the summed record keys.
KEY_SUM = "key_sum"
#: Columns identifying a stored cube row, in sort order (``area_<kind>`` columns follow).
ID_COLUMNS = ("h3", "month", "key", "area", *(f"h3_{r}" for r in VIEW_RESOLUTIONS))
#: Summed columns of a stored cube.
MEASURES = (COUNT, "harm_micro", KEY_SUM)
#: Boundary kinds an incidents cube is located in when the workspace holds them.
CUBE_AREA_KINDS = ("ward", "lsoa", "postcode_sector")
#: Prefix of the area position columns (``area_ward``...).
AREA_PREFIX = "area_"
#: An area layer of the stored cube: its kind, point-in-area index and :func:`areas_digest`.
AreaLayer = tuple[str, AreaIndex, str]
#: Consecutive monthly parts are reduced together up to this many rows: each batch has a
#: fixed pandas cost, so 36 small monthly batches cost more than one on the whole frame.
BATCH_ROWS = 1_500_000


def default_weights_sha256() -> str:
    """SHA-256 of the default harm weights table the stored cube is weighted with."""
    return hashlib.sha256(DEFAULT_WEIGHTS_PATH.read_bytes()).hexdigest()


def stored_cube_spec() -> CubeSpec:
    """Return the spec of every stored cube: resolution 10, keyed by source and category."""
    return CubeSpec(resolution=STORED_RESOLUTION, by=SOURCE_CATEGORY)


def cell_column(resolution: int) -> str:
    """Return the stored cube's column of the point-holding cells at ``resolution``."""
    return "h3" if resolution == STORED_RESOLUTION else f"h3_{resolution}"


def key_check(secret: bytes) -> str:
    """Return a keyed digest naming the server key a cube's ``key_sum`` was made with."""
    return hmac.new(secret, b"geosoc stored cube record keys", hashlib.sha256).hexdigest()[:16]


def areas_digest(areas: gpd.GeoDataFrame) -> str:
    """Return a digest of an Areas frame: its codes and shapes in row order (EPSG:4326)."""
    shapes = geometry_digest(areas.geometry.to_numpy())
    codes = hashlib.sha256("\x1f".join(areas.index.astype(str)).encode()).hexdigest()
    return hashlib.sha256(f"{codes}:{shapes}".encode()).hexdigest()[:32]


def stored_cube_builder(areas: Mapping[str, gpd.GeoDataFrame | None] | None = None
                        ) -> Callable[[Sequence[pd.DataFrame]],
                                      tuple[pd.DataFrame, dict[str, object]]]:
    """Return the cube builder to store incidents with, locating them in ``areas`` too.

    Parameters
    ----------
    areas : mapping of str to geopandas.GeoDataFrame, optional
        The workspace's boundaries by kind (``{"ward": wards, "lsoa": lsoas}``, EPSG:4326;
        None or empty frames are skipped), as the app loads them for an analyst.

    Returns
    -------
    callable
        ``parts -> (cube, record)``: :func:`stored_harm_cube` with these area layers.
    """
    layers = [(kind, build_area_index(frame), areas_digest(frame))
              for kind, frame in sorted((areas or {}).items())
              if frame is not None and len(frame)]
    return lambda parts: stored_harm_cube(parts, areas=layers)


def stored_harm_cube(parts: Sequence[pd.DataFrame], secret: bytes | None = None,
                     areas: Sequence[AreaLayer] = ()
                     ) -> tuple[pd.DataFrame, dict[str, object]]:
    """Reduce an incidents dataset's monthly parts to its stored cube, and describe it.

    Parameters
    ----------
    parts : sequence of pandas.DataFrame
        Incidents with ``lon``, ``lat`` (EPSG:4326 degrees), ``month``, ``category``,
        ``source`` and, when there is one, ``incident_id``, one frame per month (any split
        of the rows gives the same cube: identical rows share their month).
    secret : bytes, optional
        The server key of the record keys (default :func:`geosoc.config.server_key`, the
        key the app discloses with).
    areas : sequence of (str, AreaIndex, str)
        Area layers to locate the points in: kind, index and :func:`areas_digest` (see
        :func:`stored_cube_builder`).

    Returns
    -------
    (pandas.DataFrame, dict)
        The cube (columns ``h3``, ``month``, ``key``, ``area``, ``count``, ``harm_micro``,
        ``h3_9``, ``h3_8``, ``h3_7``, ``key_sum``, then ``area_<kind>`` per area layer; rows
        sorted by their identity) and what it holds: ``resolution``, ``by``, ``scheme``
        ("harm"), ``weights`` ("default"), ``weights_sha256``, ``view_resolutions``,
        ``key_check`` and ``areas`` (kind -> :func:`areas_digest`).

    Raises
    ------
    SchemaError
        A category without a default harm weight (the store checks this first).
    """
    secret = server_key() if secret is None else secret
    # Batches one after another, H3 indexing spread over the cores inside each: reducing
    # two batches in threads at once (record keys, area lookup and H3 together) once
    # aborted a 3M-row ingest with a heap corruption at thread exit (glibc "unaligned
    # tcache chunk"), in two of nine runs.
    cubes = [_batch_cube(batch, secret, areas) for batch in _batches(parts)]
    spec = stored_cube_spec()
    info: dict[str, object] = {"resolution": STORED_RESOLUTION, "by": SOURCE_CATEGORY,
                               "scheme": spec.scheme, "weights": "default",
                               "weights_sha256": default_weights_sha256(),
                               "view_resolutions": list(VIEW_RESOLUTIONS),
                               "key_check": key_check(secret),
                               "areas": {kind: digest for kind, _, digest in areas}}
    if len(cubes) == 1:
        return cubes[0], info
    return sum_cube_rows(cubes, areas=[kind for kind, _, _ in areas]), info


def _batch_cube(batch: pd.DataFrame, secret: bytes, areas: Sequence[AreaLayer]
                ) -> pd.DataFrame:
    """Reduce one batch of incidents to stored cube rows."""
    if len(batch) == 0:
        return sum_cube_rows([], areas=[kind for kind, _, _ in areas])
    weighted = apply_harm_weights(batch[["source", "category"]], None, unknown="error")
    lon = batch[LON].to_numpy(dtype="float64", na_value=np.nan)
    lat = batch[LAT].to_numpy(dtype="float64", na_value=np.nan)
    code, values = key_codes(batch, SOURCE_CATEGORY)
    rows = pd.DataFrame({
        "h3": lonlat_to_cells(lon, lat, STORED_RESOLUTION),
        "month": month_codes(batch[MONTH]),
        "key": pd.Categorical.from_codes(code, categories=pd.Index(values, dtype=object)),
        "area": np.full(len(batch), NO_AREA, dtype=np.int64),
        COUNT: np.ones(len(batch), dtype=np.int64),
        "harm_micro": np.rint(weighted[HARM].to_numpy(dtype="float64") * HARM_SCALE
                              ).astype(np.int64),
        **{f"h3_{r}": lonlat_to_cells(lon, lat, r) for r in VIEW_RESOLUTIONS},
        KEY_SUM: record_keys(batch, secret).astype(np.int64),
        **{AREA_PREFIX + kind: index.locate(lon, lat).astype(np.int64)
           for kind, index, _ in areas}})
    return sum_cube_rows([rows])


def sum_cube_rows(cubes: list[pd.DataFrame], areas: Sequence[str] = ()) -> pd.DataFrame:
    """Sum stored cube rows per identity (exact integer sums, any order).

    The identity is every column but :data:`MEASURES`: :data:`ID_COLUMNS` and the
    ``area_<kind>`` columns. Returns the rows sorted by it, ``key`` a categorical whose
    categories are sorted as strings; no rows: an empty cube with every column (``areas``:
    the kinds of its area columns).
    """
    parts = [c for c in cubes if len(c)]
    if not parts:
        empty = empty_cube()
        for column in ID_COLUMNS[4:]:
            empty[column] = pd.Series(dtype=np.uint64)
        empty[KEY_SUM] = pd.Series(dtype=np.int64)
        for kind in areas:
            empty[AREA_PREFIX + kind] = pd.Series(dtype=np.int64)
        return empty
    return sum_keyed_rows(parts, MEASURES)


def _batches(parts: Sequence[pd.DataFrame]) -> list[pd.DataFrame]:
    """Concatenate consecutive parts into frames of at most :data:`BATCH_ROWS` rows."""
    batches: list[list[pd.DataFrame]] = [[]]
    size = 0
    for part in parts:
        if size and size + len(part) > BATCH_ROWS:
            batches.append([])
            size = 0
        batches[-1].append(part)
        size += len(part)
    return [pd.concat(b, ignore_index=True) if len(b) > 1 else b[0] for b in batches if b]
