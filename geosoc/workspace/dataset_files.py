"""Dataset files on disk: crash-safe (Geo)Parquet writes and contract-preserving reads.

Used by :mod:`geosoc.workspace.dataset_store`, which records the files in the workspace.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geosoc.errors import GeosocError, Problem, WorkspaceError
from geosoc.schema import CRS_STORE
from geosoc.workspace.datasets import file_sha256

#: Prefix of the temporary file a dataset is written to before its rename.
INCOMING_PREFIX = ".incoming-"
#: Files older than this (seconds) that no dataset record names are orphans of a killed
#: ingest; younger ones may belong to an ingest still running.
ORPHAN_AGE_S = 600.0
#: The manifest of a partitioned dataset's folder (:mod:`geosoc.workspace.partitioned`).
MANIFEST_NAME = "manifest.json"
#: Suffix of the harm cube stored beside an incidents dataset.
CUBE_SUFFIX = ".cube.parquet"


def cube_file_name(data_name: str) -> str:
    """Return the name of the harm cube stored beside the dataset file or folder ``data_name``."""
    return data_name.removesuffix(".parquet") + CUBE_SUFFIX


def remove_orphans(folder: Path, registered: Iterable[str], *,
                   min_age_s: float = ORPHAN_AGE_S) -> list[Path]:
    """Remove temporary and unregistered dataset files a killed ingest left behind.

    Parameters
    ----------
    folder : Path
        The workspace's datasets folder.
    registered : iterable of str
        File (and partitioned-dataset folder) names the workspace's dataset records name;
        never removed, nor their harm cubes.
    min_age_s : float
        Only files and folders last modified at least this long ago (seconds) are removed.

    Returns
    -------
    list of Path
        The files and folders removed (a folder: a partitioned dataset, or its temporary
        folder, holding ``manifest.json`` or named ``.incoming-*``).
    """
    keep = set(registered)
    keep |= {cube_file_name(name) for name in keep}
    now = time.time()
    removed = []
    for path in folder.iterdir():
        if path.name in keep:
            continue
        ours = (path.is_dir() and (path.name.startswith(INCOMING_PREFIX)
                                   or (path / MANIFEST_NAME).is_file())) or (
            path.is_file() and path.suffix == ".parquet")
        with contextlib.suppress(OSError):
            if ours and now - path.stat().st_mtime >= min_age_s:
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed.append(path)
    return removed


def stored_names(paths: Iterable[str]) -> set[str]:
    """Names of the dataset files and folders that the records' ``path`` values name."""
    named = [Path(p) for p in paths]
    return {p.parent.name if p.name == MANIFEST_NAME else p.name for p in named}


def remove_data(folder: Path, data_name: str) -> None:
    """Remove a dataset's file or folder ``data_name`` in ``folder`` and its harm cube."""
    path = folder / data_name
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    (folder / cube_file_name(data_name)).unlink(missing_ok=True)


def check_harm_weights(frame: pd.DataFrame, name: str) -> None:
    """Refuse incidents whose (source, category) pairs have no harm weight.

    Checked when a dataset is stored, so a partner file with unknown categories is rejected
    once, clearly, instead of breaking every profile and export later.

    Raises
    ------
    WorkspaceError
        Listing every unweighted source and category.
    """
    from geosoc.harm import apply_harm_weights

    if frame.empty or "category" not in frame.columns:
        return
    pairs = frame[["source", "category"]].drop_duplicates() if "source" in frame.columns \
        else frame[["category"]].drop_duplicates().assign(source="police")
    try:
        apply_harm_weights(pairs, unknown="error")
    except GeosocError as err:
        raise WorkspaceError(f"dataset {name!r} not stored: categories without a harm weight",
                             [Problem(p.message, column="category",
                                      fix="add a row per source and category (or a "
                                          "'source,*' row) to a harm weights CSV, or map "
                                          "the categories to weighted ones before ingesting")
                              for p in err.problems]) from err


def write_parquet_atomically(frame: pd.DataFrame, folder: Path, stem: str) -> Path:
    """Write ``frame`` as ``<stem>-<sha256 prefix>.parquet`` in ``folder``, crash-safely.

    The frame is written to a temporary file in ``folder``, fsynced, hashed and renamed, and
    the folder is fsynced, so the final name only ever holds a complete file. A failure
    removes the temporary file.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The data; a GeoDataFrame is written as GeoParquet (its CRS, e.g. EPSG:4326, kept).
    folder : Path
        An existing folder.
    stem : str
        The dataset name; characters other than letters, digits, ``_.-`` become ``_``.

    Returns
    -------
    Path
        The written file.
    """
    handle, temp = tempfile.mkstemp(prefix=INCOMING_PREFIX, suffix=".parquet", dir=folder)
    os.close(handle)
    temp_path = Path(temp)
    try:
        frame.to_parquet(temp_path)
        with temp_path.open("rb") as written:
            os.fsync(written.fileno())
        digest = file_sha256(temp_path)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)
        final = folder / f"{safe}-{digest[:16]}.parquet"
        os.replace(temp_path, final)
    except OSError as err:
        temp_path.unlink(missing_ok=True)
        raise write_failure(err, folder, "file") from err
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    fsync_dir(folder)
    return final


def write_failure(err: OSError, folder: Path, what: str) -> WorkspaceError:
    """Return the error of a dataset ``what`` ("file", "folder") that could not be written."""
    return WorkspaceError("dataset not stored", [Problem(
        f"could not write the dataset {what}: {err.strerror or err}", file=str(folder),
        fix="free disk space and ingest again (nothing was stored)"
        if err.errno == errno.ENOSPC else "check the workspace folder is writable")])


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (new or renamed files) to disk, where the platform can."""
    with contextlib.suppress(OSError):  # not every platform can open a folder (Windows)
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def read_parquet_frame(path: Path, *, geo: bool, index: str | None,
                       period_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Read a file written by :func:`write_parquet_atomically`, restoring the contract.

    Parameters
    ----------
    path : Path
        The Parquet file.
    geo : bool
        It holds a GeoDataFrame (GeoParquet); its CRS is set to EPSG:4326, the storage CRS.
    index : str or None
        The index name to restore (``"area_code"``, ``"lsoa_code"``).
    period_columns : sequence of str
        Columns to bring back as ``Period[M]`` should the file hold them as text
        (``"2024-01"``) or month ordinals (int, months since 1970-01).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        The frame.
    """
    frame = gpd.read_parquet(path) if geo else pd.read_parquet(path)
    for column in period_columns:
        values = frame[column]
        if pd.api.types.is_integer_dtype(values.dtype):  # month ordinals since 1970-01
            frame[column] = pd.PeriodIndex.from_ordinals(values.to_numpy(), freq="M")
        elif not isinstance(values.dtype, pd.PeriodDtype):
            frame[column] = pd.PeriodIndex(values.astype(str), freq="M")
    frame.index.name = index
    if isinstance(frame, gpd.GeoDataFrame):
        frame = frame.set_crs(CRS_STORE, allow_override=True)
    return frame
