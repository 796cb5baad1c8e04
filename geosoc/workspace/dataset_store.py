"""Ingested datasets kept in the workspace: Parquet files beside it, checked on every load.

The workspace database holds dataset *metadata* (:class:`geosoc.workspace.datasets.DatasetStore`);
this module keeps the frames themselves. :func:`store_dataset` writes an ingested frame as
GeoParquet (GeoDataFrame) or Parquet (DataFrame) into ``<workspace stem>.datasets/`` next to the
workspace file, named ``<name>-<sha256 prefix>.parquet``, then registers it (with the ingest
report, row count and SHA-256, and an audit entry) in one workspace transaction.

Rules:

- A rejected import leaves the workspace exactly as it was: callers ingest first and store only
  a successful result; the file is written to a temporary name, fsynced and renamed, and removed
  again if registering fails.
- Names are unique. Storing under an existing name raises unless ``replace=True``; the old file
  is kept until the new one is registered, then removed.
- Every load recomputes the SHA-256 and raises :class:`~geosoc.errors.WorkspaceError` when the
  file is missing or altered.

Stored frames keep their data contract: ``Period[M]`` month columns, the index (areas by
``area_code``, IMD by ``lsoa_code``) and EPSG:4326.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geosoc.errors import GeosocError, Problem, WorkspaceError
from geosoc.ingest import Ingested
from geosoc.memo import Memo
from geosoc.schema import CRS_STORE, KIND, MONTH, SOURCE
from geosoc.workspace import Workspace
from geosoc.workspace.cube_files import CubeBuilder
from geosoc.workspace.dataset_files import (
    check_harm_weights,
    read_parquet_frame,
    remove_data,
    remove_orphans,
    stored_names,
    write_parquet_atomically,
)
from geosoc.workspace.dataset_list import STORE_FORMAT, hidden_datasets, list_datasets
from geosoc.workspace.dataset_list import visible_names as _names
from geosoc.workspace.datasets import file_sha256
from geosoc.workspace.partitioned import (
    MANIFEST_NAME,
    choose_partitioned,
    filter_frame,
    read_stored,
    store_cube,
    write_partitioned,
)
from geosoc.workspace.roles import ANALYSTS, require_role
from geosoc.workspace.sharing import SharingRecord

#: Dataset kinds, keyed by the ingest reader (``IngestReport.kind``) that produces them.
KIND_BY_READER = {"policeuk": "incidents", "points": "incidents", "counts": "area_counts",
                  "boundaries": "boundaries", "postcodes": "postcodes", "imd": "imd",
                  "population": "population"}
#: Every dataset kind :func:`store_dataset` accepts.
DATASET_KINDS = ("incidents", "area_counts", "boundaries", "postcodes", "imd", "population")
#: Kinds :func:`load_table` returns (plain DataFrames).
TABLE_KINDS = ("postcodes", "imd", "area_counts", "population")

#: Frames read back, by file and SHA-256 (checked on every load before the memo is asked):
#: the app loads one study per role from the same files, and a million points take seconds
#: to decode. Callers get copies.
_READ_FRAMES = Memo(max_entries=4)
_INGEST_FIX = ("re-ingest it: geosoc ingest FILE --kind ... --workspace W --name NAME "
               "--replace")


def datasets_dir(ws: Workspace) -> Path:
    """Return the folder holding ``ws``'s dataset files (``<workspace stem>.datasets``)."""
    return ws.path.parent / f"{ws.path.stem}.datasets"


def store_dataset(ws: Workspace, ingested: Ingested, *, name: str, kind: str, user: str,
                  role: str, source: str | None = None, replace: bool = False,
                  sharing: SharingRecord | None = None, partitioned: bool | None = None,
                  cube: CubeBuilder | None = None) -> dict[str, object]:
    """Write an ingested frame next to the workspace and register it; return the record.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    ingested : Ingested
        A reader's successful result; ``data`` follows its contract (incidents, areas, area
        counts, postcodes or IMD), geometries in EPSG:4326.
    name : str
        Dataset name, unique in the workspace (``"police"``, ``"council_asb"``, ``"wards"``).
    kind : str
        One of :data:`DATASET_KINDS` (see :data:`KIND_BY_READER`).
    user, role : str
        Who stores it; only analysts may store datasets (police data included).
    source : str, optional
        Where the data came from (default: the file named in the ingest report).
    replace : bool
        Replace an existing dataset of that name; otherwise an existing name is an error.
    sharing : SharingRecord, optional
        The data-sharing terms (owner, ISA, legal basis, marking, widest role, delete-by),
        checked before anything is written and recorded with the dataset in one transaction.
    partitioned : bool, optional
        Incidents only: store one Parquet file per month in a folder
        (:mod:`geosoc.workspace.partitioned`); default: over ``PARTITION_ROWS`` rows.
        ``False`` forces one file.
    cube : CubeBuilder, optional
        Incidents only: reduces the monthly parts to the harm cube stored beside the data
        (:func:`geosoc.engine.stored.stored_harm_cube`), recorded in ``metadata["cube"]``.

    Returns
    -------
    dict
        The workspace record (``name``, ``kind``, ``path``, ``sha256``, ``rows``,
        ``metadata`` with the ingest report...).

    Raises
    ------
    AccessDeniedError
        ``role`` is not an analyst (nothing is written).
    WorkspaceError
        Bad name or kind, the name exists without ``replace``, or the frame is not EPSG:4326.
    """
    require_role(role, ANALYSTS, "store datasets (police data is OFFICIAL-SENSITIVE)")
    if sharing is not None:
        sharing.check()
    elif (previous := ws.sharing.get(name)) is not None and previous["status"] == "deleted":
        raise WorkspaceError(f"dataset {name!r} not stored: its sharing record ended", [Problem(
            f"{name!r} was deleted on {previous['deleted_at']} ({previous['deleted_reason']})",
            column="name", fix="record the new agreement with the load (--owner, --isa, "
                               "--legal-basis, --marking, --widest-role, --delete-by)")])
    frame = ingested.data
    _check_request(ws, frame, name=name, kind=kind, replace=replace)
    if kind == "incidents":
        check_harm_weights(frame, name)
    split = choose_partitioned(kind, len(frame), partitioned)
    old = _record_or_none(ws, name)
    folder = datasets_dir(ws)
    created, data_name = not folder.is_dir(), None
    folder.mkdir(mode=0o700, exist_ok=True)  # readable by its owner only
    try:
        remove_orphans(folder, stored_names(ws.datasets.list()["path"]))
        if split:
            path, parts = write_partitioned(frame, folder, name)
            data_name, extra = path.parent.name, {"partitioned": True, "parts": parts}
        else:
            path = write_parquet_atomically(frame, folder, name)
            data_name, extra = path.name, {}
        if kind == "incidents" and cube is not None:
            extra["cube"] = store_cube(frame, folder, data_name, cube)
        metadata = {**_metadata(frame, ingested, kind=kind, file=data_name,
                                source=source or ingested.report.source), **extra}
        record = ws.datasets.register(name, kind, path, rows=len(frame), user=user, role=role,
                                      metadata=metadata, replace=replace, sharing=sharing)
    except BaseException:
        # Remove the new files unless a dataset record (an old one, or one a concurrent
        # ingest registered meanwhile with the same contents) names them.
        if data_name is not None and data_name not in stored_names(ws.datasets.list()["path"]):
            remove_data(folder, data_name)
        if created:  # leave no empty dataset folder behind either
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    if old is not None and (previous := _stored_file(ws, old)) not in (None, folder / data_name):
        remove_data(folder, previous.name)
    return record


def _check_request(ws: Workspace, frame: object, *, name: str, kind: str,
                   replace: bool) -> None:
    problems = []
    if not name or name != name.strip() or "@" in name or len(name) > 100:
        problems.append(Problem(f"dataset name {name!r} is not usable", column="name",
                                fix="use letters, digits, '_' or '-', e.g. police_2024"))
    if kind not in DATASET_KINDS:
        problems.append(Problem(f"unknown dataset kind {kind!r}", column="kind",
                                fix="use one of: " + ", ".join(DATASET_KINDS)))
    if not isinstance(frame, pd.DataFrame):
        problems.append(Problem("the ingested data is not a table", fix="pass a reader's result"))
    elif isinstance(frame, gpd.GeoDataFrame) and (frame.crs is None
                                                  or frame.crs.to_epsg() != 4326):
        problems.append(Problem(f"geometry CRS is {frame.crs}, expected {CRS_STORE}",
                                fix=f"reproject with to_crs('{CRS_STORE}')"))
    if not replace and _record_or_none(ws, name) is not None:
        problems.append(Problem(f"a dataset named {name!r} already exists", column="name",
                                fix="choose another name, or replace it (--replace)"))
    if problems:
        raise WorkspaceError("dataset not stored", problems)


def _record_or_none(ws: Workspace, name: str) -> dict[str, object] | None:
    if name not in set(ws.datasets.list()["name"]):
        return None
    return ws.datasets.get(name)


def _metadata(frame: pd.DataFrame, ingested: Ingested, *, kind: str, file: str,
              source: str) -> dict[str, object]:
    periods = [str(c) for c in frame.columns if isinstance(frame[c].dtype, pd.PeriodDtype)]
    meta: dict[str, object] = {
        "store": STORE_FORMAT, "file": file, "source": str(source),
        "reader": ingested.report.kind, "report": ingested.report.to_dict(),
        "geo": isinstance(frame, gpd.GeoDataFrame), "index": frame.index.name,
        "period_columns": periods,
    }
    if kind == "boundaries" and KIND in frame.columns:
        meta["area_kind"] = sorted(frame[KIND].astype(str).unique().tolist())
    if SOURCE in frame.columns:
        meta["sources"] = sorted(frame[SOURCE].astype(str).unique().tolist())
    if MONTH in frame.columns and len(frame):
        meta["months"] = [str(frame[MONTH].min()), str(frame[MONTH].max())]
    return meta


def _stored_file(ws: Workspace, record: dict[str, object]) -> Path | None:
    meta = record["metadata"]
    if not isinstance(meta, dict) or meta.get("store") != STORE_FORMAT:
        return None
    return datasets_dir(ws) / str(meta["file"])


def load_dataset(ws: Workspace, name: str, *, months: tuple[str, str] | None = None,
                 bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
    """Read a stored dataset back, checking its SHA-256 (every part's, when partitioned).

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    name : str
        The dataset name.
    months : (str, str), optional
        Incidents: only rows of these months (inclusive ``"YYYY-MM"``); a partitioned
        dataset reads only their parts.
    bbox : (lon0, lat0, lon1, lat1), optional
        Incidents: only rows whose lon/lat (EPSG:4326 degrees) lie in this box.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        The frame as stored: its index, ``Period[M]`` month columns, geometry in EPSG:4326.
        A partitioned dataset reads back as the same frame as one stored as a single file.

    Raises
    ------
    WorkspaceError
        No such dataset, it was registered without its data, or its file is missing or altered.
    """
    record = ws.datasets.get(name)
    meta = record["metadata"]
    path = _stored_file(ws, record)
    if path is not None and meta.get("partitioned"):
        return read_stored(path / MANIFEST_NAME, str(record["sha256"]), name=name,
                           index=meta.get("index"), months=months, bbox=bbox,
                           memo=_READ_FRAMES)
    if path is None:
        raise WorkspaceError(f"dataset {name!r} has no stored data", [Problem(
            f"{name!r} was registered as the file {record['path']} only", column="name",
            fix=_INGEST_FIX)])
    if not path.is_file():
        raise WorkspaceError(f"dataset {name!r} is missing its file", [Problem(
            "the data file was deleted or moved", file=str(path), fix=_INGEST_FIX)])
    if file_sha256(path) != record["sha256"]:
        raise WorkspaceError(f"dataset {name!r} was altered", [Problem(
            "the data file's SHA-256 no longer matches the one recorded when it was stored",
            file=str(path), fix=_INGEST_FIX)])
    frame = _READ_FRAMES.get((str(path.resolve()), record["sha256"]), lambda: read_parquet_frame(
        path, geo=bool(meta["geo"]), index=meta.get("index"),
        period_columns=meta.get("period_columns", [])))
    if months is not None or bbox is not None:
        return filter_frame(frame, months=months, bbox=bbox)
    return frame.copy()


def load_incidents(ws: Workspace, *, role: str, sources: list[str] | None = None,
                   months: tuple[str, str] | None = None,
                   bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """Return every stored incident dataset (police and partners) ``role`` may see, as one frame.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    role : str
        Who the result is for (``analyst``, ``partner``, ``public``): datasets whose sharing
        record's widest role is narrower are left out, before any aggregation.
    sources : list of str, optional
        Keep only these ``source`` values (``["police"]``, ``["fire"]``); default all.
    months, bbox : optional
        Only these months (inclusive ``"YYYY-MM"`` pair) and lon/lat box ``(lon0, lat0,
        lon1, lat1)`` (EPSG:4326 degrees): partitioned datasets read only those months'
        parts, filtered by pyarrow (for pages that need the points around one site).

    Returns
    -------
    geopandas.GeoDataFrame
        Incidents contract, RangeIndex, Points EPSG:4326.

    Raises
    ------
    WorkspaceError
        No incidents stored (or none from ``sources``; a months/bbox subset may be empty).
    """
    frames = [load_dataset(ws, n, months=months, bbox=bbox)
              for n in _names(ws, "incidents", role=role)]
    incidents = (gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CRS_STORE)
                 if frames else None)
    if incidents is not None and sources is not None:
        incidents = incidents[incidents[SOURCE].isin(sources)].reset_index(drop=True)
    if incidents is None or (incidents.empty and months is None and bbox is None):
        wanted = "" if sources is None else " from " + ", ".join(sources)
        limited = [n for n in hidden_datasets(ws, role)
                   if n in set(list_datasets(ws).query("kind == 'incidents'")["name"])]
        if limited:
            wanted += f" that the {role} role may see ({len(limited)} limited to narrower roles)"
        raise WorkspaceError(f"no incidents{wanted} in the workspace", [Problem(
            f"{ws.path} holds no stored incident data{wanted}", file=str(ws.path),
            fix=f"geosoc ingest POLICE_FOLDER --kind policeuk --workspace {ws.path} "
                "--name police (and partner files with --kind points)")])
    return incidents


def load_areas(ws: Workspace, kind: str, *, required: bool = True, role: str = "analyst"
               ) -> gpd.GeoDataFrame | None:
    """Return the stored boundaries of one area kind.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    kind : str
        One of :data:`geosoc.schema.AREA_KINDS` (``"ward"``, ``"lsoa"``...).
    required : bool
        Raise :class:`WorkspaceError` (saying how to add them) when none are stored;
        otherwise return None.
    role : str
        Who the result is for; datasets limited to narrower roles are left out.

    Returns
    -------
    geopandas.GeoDataFrame or None
        Areas contract (index ``area_code``), EPSG:4326; several datasets of the kind are
        joined, a code stored twice keeping its first shape.
    """
    frames = [load_dataset(ws, n) for n in _names(ws, "boundaries", kind, role=role)]
    if not frames:
        if not required:
            return None
        raise WorkspaceError(f"no {kind} boundaries in the workspace", [Problem(
            f"{ws.path} holds no stored {kind} boundaries", file=str(ws.path),
            fix=f"geosoc ingest FILE --kind boundaries --area-kind {kind} "
                f"--workspace {ws.path} --name {kind}s")])
    areas = gpd.GeoDataFrame(pd.concat(frames), crs=CRS_STORE)
    areas = areas[areas[KIND] == kind]
    return areas[~areas.index.duplicated()]


def load_table(ws: Workspace, kind: str, *, role: str, required: bool = True
               ) -> pd.DataFrame | None:
    """Return the stored table(s) of one kind, joined.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    kind : {"postcodes", "imd", "area_counts", "population"}
        Which table.
    required : bool
        Raise :class:`WorkspaceError` (saying how to add it) when none is stored; otherwise
        return None.
    role : str
        Who the result is for; datasets limited to narrower roles are left out (area counts
        may be a partner's data: the audience's role is required).

    Returns
    -------
    pandas.DataFrame or None
        Postcodes (RangeIndex; ``easting``/``northing`` EPSG:27700 metres), IMD (index
        ``lsoa_code``, first of duplicate codes kept), population (index ``area_code``,
        ``population``, ``kind``) or area counts (``month`` Period[M]).
    """
    if kind not in TABLE_KINDS:
        raise GeosocError(f"unknown table kind {kind!r}", [Problem(
            f"{kind!r} is not a table kind", column="kind",
            fix="use one of: " + ", ".join(TABLE_KINDS))])
    frames = [load_dataset(ws, n) for n in _names(ws, kind, role=role)]
    if not frames:
        if not required:
            return None
        reader = {"area_counts": "counts"}.get(kind, kind)
        raise WorkspaceError(f"no {kind} in the workspace", [Problem(
            f"{ws.path} holds no stored {kind}", file=str(ws.path),
            fix=f"geosoc ingest FILE --kind {reader} --workspace {ws.path} --name {kind}")])
    indexed = kind in ("imd", "population")
    table = pd.concat(frames, ignore_index=not indexed)
    return table[~table.index.duplicated()] if indexed else table

