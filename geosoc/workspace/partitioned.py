"""Large incident datasets stored partitioned: one plain Parquet file per month, and a manifest.

A partitioned dataset is a folder ``<name>-<sha16>/`` in the workspace's dataset folder
holding ``month=YYYY-MM.parquet`` (rows without a month in ``month=none.parquet``) and
``manifest.json`` (format, column order, every part's file, month, rows and SHA-256). The parts
hold ``lon``/``lat`` (EPSG:4326 degrees) and **no geometry**: points are rebuilt from lon/lat on
load (``None`` where either is missing), which is what the ingest readers build, and decoding
a million WKB points is most of the cost of reading a single GeoParquet file back.

The dataset's recorded SHA-256 is the manifest's; the manifest holds every part's SHA-256, so
a missing or altered part is caught on load (:func:`read_partitioned`), naming the part file.
Writes are crash-safe (:func:`write_partitioned`): a temporary folder, fsynced, renamed.
Reads run the parts in threads (pyarrow releases the GIL) and can read a subset: some months
(whole files skipped) and a lon/lat box (pyarrow filters).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from geosoc.errors import Problem, WorkspaceError
from geosoc.memo import Memo
from geosoc.schema import CATEGORY, CRS_STORE, INCIDENT_ID, LAT, LON, MONTH, SOURCE
from geosoc.workspace.cube_files import CubeBuilder, write_cube
from geosoc.workspace.dataset_files import (
    INCOMING_PREFIX,
    MANIFEST_NAME,
    fsync_dir,
    write_failure,
)

#: Incidents with more rows than this are stored partitioned even without ``partitioned=True``.
PARTITION_ROWS = 2_000_000
#: Format tag of every manifest.
PARTITION_FORMAT = "geosoc-partitioned-1"
#: Part of the rows without a usable month.
NO_MONTH_PART = "month=none.parquet"
#: Column holding each row's position in the stored frame, kept only when the rows were not
#: already in month order (so the frame reads back in its own order).
ROW_COLUMN = "__row__"
#: Threads reading parts at once.
READ_THREADS = 4
#: Threads writing parts at once.
WRITE_THREADS = 2
_FIX = ("re-ingest it: geosoc ingest FILE --kind ... --workspace W --name NAME --partitioned "
        "--replace")


def part_name(month: str | None) -> str:
    """File name of the part holding ``month`` (``"2024-01"``; None: rows without a month)."""
    return NO_MONTH_PART if month is None else f"month={month}.parquet"


def month_groups(frame: pd.DataFrame) -> list[tuple[str | None, np.ndarray]]:
    """Row positions of each month of ``frame``, months ascending, rows without one last.

    Returns
    -------
    list of (str or None, numpy.ndarray)
        ``("2024-01", positions)`` pairs; ``(None, positions)`` for missing months.
    """
    codes, months = pd.factorize(frame[MONTH], sort=True)  # missing -> -1
    codes = np.where(codes < 0, len(months), codes)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(months) + 2))
    labels = [str(m) for m in months] + [None]
    return [(labels[i], order[bounds[i]:bounds[i + 1]]) for i in range(len(labels))
            if bounds[i + 1] > bounds[i]]


def _sha(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_bytes(path: Path, data: bytes | memoryview) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # readable by owner only
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _plain_table(frame: pd.DataFrame, groups: list[tuple[str | None, np.ndarray]]
                 ) -> tuple[pa.Table, str | None, bool]:
    """Arrow table of ``frame`` without geometry (+ row positions when not month-ordered)."""
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    plain = pd.DataFrame(frame.drop(columns=[geometry] if geometry else []))
    if geometry is not None:
        _check_points(frame, geometry)
    ordered = bool(np.all(np.diff(np.concatenate([p for _, p in groups])) > 0)) \
        if len(frame) > 1 else True
    table = pa.Table.from_pandas(plain.reset_index(drop=True), preserve_index=False)
    if not ordered:
        table = table.append_column(ROW_COLUMN, pa.array(np.arange(len(frame), dtype=np.int64)))
    return table, geometry, ordered


def _check_points(frame: gpd.GeoDataFrame, geometry: str) -> None:
    """Refuse a frame whose geometry is not the points at its lon/lat (they are rebuilt)."""
    geoms = frame[geometry].to_numpy()
    lon = frame[LON].to_numpy(dtype="float64", na_value=np.nan)
    lat = frame[LAT].to_numpy(dtype="float64", na_value=np.nan)
    kind = shapely.get_type_id(geoms)  # 0: point, -1: missing
    located = np.isfinite(lon) & np.isfinite(lat)
    x, y = shapely.get_x(geoms), shapely.get_y(geoms)  # NaN where missing
    same = np.where(located, (kind == 0) & (x == lon) & (y == lat), kind == -1)
    if not bool(np.all(same)):
        row = int(np.flatnonzero(~same)[0])
        raise WorkspaceError("dataset not stored partitioned", [Problem(
            "a geometry is not the point at its lon/lat (partitioned storage keeps lon/lat "
            "only)", row=row, column="geometry",
            fix="store it as one file (--no-partition)")])


def points_from_lonlat(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Shapely points at ``lon``/``lat`` (EPSG:4326 degrees); None where either is missing."""
    out = np.full(len(lon), None, dtype=object)
    ok = np.isfinite(lon) & np.isfinite(lat)
    out[ok] = shapely.points(lon[ok], lat[ok])
    return out


def write_partitioned(frame: pd.DataFrame, folder: Path, stem: str
                      ) -> tuple[Path, list[dict[str, object]]]:
    """Write incidents as a folder of monthly Parquet parts and a manifest, crash-safely.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        Incidents (``month`` Period[M], ``lon``/``lat`` EPSG:4326 degrees, point geometry).
    folder : Path
        The workspace's dataset folder (exists).
    stem : str
        The dataset name; characters other than letters, digits, ``_.-`` become ``_``.

    Returns
    -------
    (Path, list of dict)
        The manifest of the new folder ``<stem>-<manifest sha16>/``, and its parts (``file``,
        ``month``, ``rows``, ``sha256``, ``bytes``).
    """
    groups = month_groups(frame)
    table, geometry, ordered = _plain_table(frame, groups)
    temp = Path(tempfile.mkdtemp(prefix=INCOMING_PREFIX, dir=folder))
    def write(group: tuple[str | None, np.ndarray]) -> dict[str, object]:
        month, positions = group
        sink = pa.BufferOutputStream()
        pq.write_table(table.take(pa.array(positions)), sink)
        data = sink.getvalue()
        _write_bytes(temp / part_name(month), memoryview(data))
        return {"file": part_name(month), "month": month, "rows": len(positions),
                "sha256": _sha(memoryview(data)), "bytes": int(data.size)}

    try:
        with ThreadPoolExecutor(max_workers=WRITE_THREADS) as pool:  # pyarrow frees the GIL
            parts = list(pool.map(write, groups))
        manifest = {"format": PARTITION_FORMAT, "columns": [str(c) for c in frame.columns],
                    "geometry": geometry, "crs": CRS_STORE if geometry else None,
                    "ordered": ordered, "rows": len(frame), "parts": parts,
                    "schema_columns": table.schema.names}
        text = json.dumps(manifest, indent=1, sort_keys=True).encode()
        _write_bytes(temp / MANIFEST_NAME, text)
        fsync_dir(temp)
        final = folder / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', stem)}-{_sha(text)[:16]}"
        try:
            os.replace(temp, final)
        except OSError:
            if not final.is_dir():
                raise
            shutil.rmtree(temp)  # the same contents are stored already (by itself, or by a
            # concurrent ingest of the same data): the folder's name is its manifest's hash
    except OSError as err:
        shutil.rmtree(temp, ignore_errors=True)
        raise write_failure(err, folder, "folder") from err
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    fsync_dir(folder)
    return final / MANIFEST_NAME, parts


def read_manifest(manifest: Path, sha256: str, name: str) -> dict[str, object]:
    """Read and check a partitioned dataset's manifest against its recorded SHA-256."""
    if not manifest.is_file():
        raise WorkspaceError(f"dataset {name!r} is missing its files", [Problem(
            "the partitioned dataset's folder or its manifest.json was deleted or moved",
            file=str(manifest), fix=_FIX)])
    text = manifest.read_bytes()
    if _sha(text) != sha256:
        raise WorkspaceError(f"dataset {name!r} was altered", [Problem(
            "manifest.json's SHA-256 no longer matches the one recorded when it was stored",
            file=str(manifest), fix=_FIX)])
    return json.loads(text)


def chosen_parts(manifest: dict[str, object], months: tuple[str, str] | None
                 ) -> list[dict[str, object]]:
    """Return the parts of months in an inclusive ``("YYYY-MM", "YYYY-MM")`` range (None: all)."""
    parts = list(manifest["parts"])  # type: ignore[call-overload]
    if months is None:
        return parts
    lo, hi = (str(pd.Period(m, freq="M")) for m in months)
    return [p for p in parts if p["month"] is not None and lo <= str(p["month"]) <= hi]


def bbox_filters(bbox: Sequence[float] | None) -> list[tuple[str, str, float]] | None:
    """Return pyarrow filters keeping rows with lon/lat inside ``(lon0, lat0, lon1, lat1)``."""
    if bbox is None:
        return None
    lon0, lat0, lon1, lat1 = (float(v) for v in bbox)
    return [(LON, ">=", lon0), (LON, "<=", lon1), (LAT, ">=", lat0), (LAT, "<=", lat1)]


def _read_part(folder: Path, part: dict[str, object], name: str,
               filters: list[tuple[str, str, float]] | None, geo: bool
               ) -> tuple[pa.Table, np.ndarray | None]:
    """Read and check one part; with ``geo`` also build its points (in this thread)."""
    path = folder / str(part["file"])
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise WorkspaceError(f"dataset {name!r} is missing a part", [Problem(
            "the part file was deleted or moved", file=str(path), fix=_FIX)]) from err
    if _sha(data) != part["sha256"]:
        raise WorkspaceError(f"dataset {name!r} was altered", [Problem(
            "the part file's SHA-256 no longer matches the one in manifest.json",
            file=str(path), fix=_FIX)])
    table = pq.read_table(pa.BufferReader(data), filters=filters)
    if not geo:
        return table, None
    lon, lat = (table.column(c).to_numpy().astype("float64") for c in (LON, LAT))
    return table, points_from_lonlat(lon, lat)  # shapely frees the GIL: parts in parallel


def read_partitioned(manifest_path: Path, sha256: str, *, name: str, index: str | None = None,
                     months: tuple[str, str] | None = None,
                     bbox: Sequence[float] | None = None) -> pd.DataFrame:
    """Read a partitioned dataset back as the frame it was stored from, checking every part.

    Parameters
    ----------
    manifest_path : Path
        ``<folder>/manifest.json``.
    sha256 : str
        The manifest's SHA-256 recorded with the dataset.
    name : str
        The dataset name (for messages).
    index : str, optional
        Index name to restore.
    months : (str, str), optional
        Read only the parts of these months (inclusive, ``"YYYY-MM"``); rows without a month
        are then left out.
    bbox : (lon0, lat0, lon1, lat1), optional
        Keep only rows whose lon/lat (EPSG:4326 degrees) lie in this box (edges included).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        The stored columns in their order, rows in stored order, RangeIndex; points rebuilt
        from lon/lat in EPSG:4326.

    Raises
    ------
    WorkspaceError
        The manifest or a part is missing or altered (naming the file and the fix).
    """
    manifest = read_manifest(manifest_path, sha256, name)
    folder = manifest_path.parent
    parts = chosen_parts(manifest, months)
    filters = bbox_filters(bbox)
    geometry = manifest.get("geometry")
    if parts:
        with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(parts))) as pool:
            read = list(pool.map(lambda p: _read_part(folder, p, name, filters, bool(geometry)),
                                 parts))
        table = pa.concat_tables([t for t, _ in read])
        points = np.concatenate([g for _, g in read]) if geometry else None
    else:
        first = manifest["parts"][0]["file"] if manifest["parts"] else None  # type: ignore
        if first is None:
            raise WorkspaceError(f"dataset {name!r} holds no parts", [Problem(
                "manifest.json lists no part files", file=str(manifest_path), fix=_FIX)])
        table = pq.read_schema(folder / str(first)).empty_table()
        points = np.empty(0, dtype=object)
    frame = table.to_pandas()
    if geometry:
        frame[str(geometry)] = gpd.GeoSeries(points, index=frame.index, crs=CRS_STORE)
        frame = gpd.GeoDataFrame(frame, geometry=str(geometry), crs=CRS_STORE)
    if ROW_COLUMN in frame.columns:
        rows = frame.pop(ROW_COLUMN).to_numpy()
        if len(rows) > 1 and not bool(np.all(np.diff(rows) > 0)):
            frame = frame.iloc[np.argsort(rows, kind="stable")].reset_index(drop=True)
    columns = list(manifest["columns"])  # type: ignore[call-overload]
    if list(frame.columns) != columns:
        frame = frame[columns]
    frame.index.name = index
    return frame


def verify_parts(manifest_path: Path, sha256: str, *, name: str) -> None:
    """Check the manifest and every part against their SHA-256 (WorkspaceError if not)."""
    manifest = read_manifest(manifest_path, sha256, name)
    folder = manifest_path.parent
    parts = list(manifest["parts"])  # type: ignore[call-overload]

    def check(part: dict[str, object]) -> None:
        path = folder / str(part["file"])
        if not path.is_file():
            raise WorkspaceError(f"dataset {name!r} is missing a part", [Problem(
                "the part file was deleted or moved", file=str(path), fix=_FIX)])
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        if digest != part["sha256"]:
            raise WorkspaceError(f"dataset {name!r} was altered", [Problem(
                "the part file's SHA-256 no longer matches the one in manifest.json",
                file=str(path), fix=_FIX)])

    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        list(pool.map(check, parts))


def read_stored(manifest_path: Path, sha256: str, *, name: str, index: str | None,
                months: tuple[str, str] | None, bbox: Sequence[float] | None,
                memo: Memo) -> pd.DataFrame:
    """Read a partitioned dataset (a copy), whole ones through ``memo`` and re-checked on hits.

    Subsets (``months``/``bbox``, see :func:`read_partitioned`) are read afresh.
    """
    if months is not None or bbox is not None:
        return read_partitioned(manifest_path, sha256, name=name, index=index, months=months,
                                bbox=bbox)
    built: list[bool] = []

    def build() -> pd.DataFrame:
        built.append(True)
        return read_partitioned(manifest_path, sha256, name=name, index=index)

    frame = memo.get((str(manifest_path.resolve()), sha256), build)
    if not built:  # read before: check the parts have not changed since
        verify_parts(manifest_path, sha256, name=name)
    return frame.copy()


def filter_frame(frame: pd.DataFrame, *, months: tuple[str, str] | None,
                 bbox: Sequence[float] | None) -> pd.DataFrame:
    """Rows of incidents within inclusive ``months`` and a lon/lat ``bbox`` (a new frame).

    The single-file counterpart of :func:`read_partitioned`'s subset read: rows without a
    month (or lon/lat) are left out when months (or a box) are given; RangeIndex.
    """
    keep = np.ones(len(frame), dtype=bool)
    if months is not None:
        lo, hi = (pd.Period(m, freq="M") for m in months)
        month = frame[MONTH]
        keep &= ((month >= lo) & (month <= hi)).fillna(False).to_numpy(dtype=bool)
    if bbox is not None:
        lon0, lat0, lon1, lat1 = (float(v) for v in bbox)
        lon = frame[LON].to_numpy(dtype="float64", na_value=np.nan)
        lat = frame[LAT].to_numpy(dtype="float64", na_value=np.nan)
        keep &= (lon >= lon0) & (lon <= lon1) & (lat >= lat0) & (lat <= lat1)
    out = frame[keep]
    return out.reset_index(drop=True) if isinstance(frame.index, pd.RangeIndex) else out.copy()


def choose_partitioned(kind: str, rows: int, partitioned: bool | None) -> bool:
    """Whether to store partitioned: as asked, else incidents over :data:`PARTITION_ROWS`."""
    if partitioned and kind != "incidents":
        raise WorkspaceError("dataset not stored", [Problem(
            f"only incidents can be stored partitioned, not {kind}", column="--partitioned",
            fix="drop --partitioned")])
    if partitioned is None:
        return kind == "incidents" and rows > PARTITION_ROWS
    return bool(partitioned)


def store_cube(frame: pd.DataFrame, folder: Path, data_name: str, builder: CubeBuilder
               ) -> dict[str, object]:
    """Build the harm cube of ``frame``'s monthly parts and write it beside ``data_name``.

    Returns
    -------
    dict
        Its record for the dataset's metadata: ``file``, ``sha256``, ``rows`` and what the
        builder says it holds (``resolution``, ``by``, ``scheme``, ``weights``...).
    """
    # the identity of the record keys summed in the cube: the columns the app keys on
    plain = pd.DataFrame(frame[[c for c in (INCIDENT_ID, LON, LAT, MONTH, CATEGORY, SOURCE)
                                if c in frame.columns]])
    cube, info = builder([plain.iloc[rows] for _, rows in month_groups(plain)])
    path, digest = write_cube(cube, folder, data_name)
    return {"file": path.name, "sha256": digest, "rows": len(cube), **info}
