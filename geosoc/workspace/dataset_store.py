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

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geosoc.errors import GeosocError, Problem, WorkspaceError
from geosoc.ingest import Ingested
from geosoc.memo import Memo
from geosoc.schema import CRS_STORE, KIND, MONTH, SOURCE
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_files import (
    check_harm_weights,
    read_parquet_frame,
    remove_orphans,
    write_parquet_atomically,
)
from geosoc.workspace.datasets import file_sha256
from geosoc.workspace.roles import ANALYSTS, require_role
from geosoc.workspace.sharing import SharingRecord, visible_to

#: Marker written in a stored dataset's metadata (datasets registered otherwise lack it).
STORE_FORMAT = "geosoc-parquet-1"
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
                  sharing: SharingRecord | None = None) -> dict[str, object]:
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
    old = _record_or_none(ws, name)
    folder = datasets_dir(ws)
    folder.mkdir(exist_ok=True)
    remove_orphans(folder, ws.datasets.list()["path"].map(lambda p: Path(p).name))
    path = write_parquet_atomically(frame, folder, name)
    metadata = _metadata(frame, ingested, kind=kind, file=path.name,
                         source=source or ingested.report.source)
    try:
        record = ws.datasets.register(name, kind, path, rows=len(frame), user=user, role=role,
                                      metadata=metadata, replace=replace, sharing=sharing)
    except BaseException:
        # Remove the new file unless a dataset record (an old one, or one a concurrent
        # ingest registered meanwhile with the same contents) names it.
        named = set(ws.datasets.list()["path"].map(lambda p: Path(p).name))
        if path.name not in named:
            path.unlink(missing_ok=True)
        raise
    if old is not None and (previous := _stored_file(ws, old)) not in (None, path):
        previous.unlink(missing_ok=True)
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


def load_dataset(ws: Workspace, name: str) -> pd.DataFrame:
    """Read a stored dataset back, checking its SHA-256 first.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    name : str
        The dataset name.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        The frame as stored: its index, ``Period[M]`` month columns, geometry in EPSG:4326.

    Raises
    ------
    WorkspaceError
        No such dataset, it was registered without its data, or its file is missing or altered.
    """
    record = ws.datasets.get(name)
    path = _stored_file(ws, record)
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
    meta = record["metadata"]
    frame = _READ_FRAMES.get((str(path.resolve()), record["sha256"]), lambda: read_parquet_frame(
        path, geo=bool(meta["geo"]), index=meta.get("index"),
        period_columns=meta.get("period_columns", [])))
    return frame.copy()


def list_datasets(ws: Workspace) -> pd.DataFrame:
    """Return every dataset registered in ``ws``, by name.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``kind``, ``area_kind`` / ``sources`` / ``months`` (comma-separated),
        ``rows``, ``loaded_by``, ``loaded_at``, ``stored`` (False for datasets registered
        without their data, which this module cannot load), and from the sharing record
        ``owner_agency``, ``widest_role`` and ``delete_by`` (empty: no record).
    """
    records = [ws.datasets.get(name) for name in ws.datasets.list()["name"]]
    columns = ["name", "kind", "area_kind", "sources", "months", "rows", "loaded_by",
               "loaded_at", "stored", "owner_agency", "widest_role", "delete_by"]
    terms = ws.sharing.frame().set_index("dataset")
    rows = [{**{k: r[k] for k in ("name", "kind", "rows", "loaded_by", "loaded_at")},
             **{k: ", ".join(r["metadata"].get(k, [])) for k in ("area_kind", "sources",
                                                                 "months")},
             "stored": r["metadata"].get("store") == STORE_FORMAT,
             **{k: str(terms.at[r["name"], k]) if r["name"] in terms.index else ""
                for k in ("owner_agency", "widest_role", "delete_by")}} for r in records]
    return pd.DataFrame(rows, columns=columns)


def _names(ws: Workspace, kind: str, area_kind: str | None = None, *, role: str
           ) -> list[str]:
    """Return the stored datasets of ``kind`` that ``role`` may see (widest-role rule)."""
    listed = list_datasets(ws)
    chosen = listed[(listed["kind"] == kind) & listed["stored"]]
    if area_kind is not None:
        listed_kinds = ", " + chosen["area_kind"].astype(str) + ","
        chosen = chosen[listed_kinds.str.contains(f", {area_kind},", regex=False).astype(bool)]
    return visible_to(chosen["name"].tolist(), ws.sharing.widest_roles(), role)


def hidden_datasets(ws: Workspace, role: str) -> list[str]:
    """Return the stored datasets ``role`` may not see (their widest role is narrower)."""
    names = list_datasets(ws)["name"].tolist()
    shown = set(visible_to(names, ws.sharing.widest_roles(), role))
    return [n for n in names if n not in shown]


def load_incidents(ws: Workspace, *, role: str, sources: list[str] | None = None
                   ) -> gpd.GeoDataFrame:
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

    Returns
    -------
    geopandas.GeoDataFrame
        Incidents contract, RangeIndex, Points EPSG:4326.

    Raises
    ------
    WorkspaceError
        No incidents stored (or none from ``sources``).
    """
    frames = [load_dataset(ws, n) for n in _names(ws, "incidents", role=role)]
    incidents = (gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CRS_STORE)
                 if frames else None)
    if incidents is not None and sources is not None:
        incidents = incidents[incidents[SOURCE].isin(sources)].reset_index(drop=True)
    if incidents is None or incidents.empty:
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

