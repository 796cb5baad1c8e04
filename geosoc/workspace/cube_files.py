"""The harm cube stored beside an incidents dataset: written, read back and checked.

When incidents are stored, :func:`geosoc.workspace.dataset_store.store_dataset` can be given a
*cube builder* (:data:`CubeBuilder`): a function reducing the dataset's monthly parts to one
month x H3 x key cube (``h3``, ``month``, ``key``, ``area``, ``count``, ``harm_micro``; see
:mod:`geosoc.engine.cube`) and describing it (resolution, key, harm scheme and weights). The
engine provides it (:func:`geosoc.engine.stored.stored_harm_cube`): the workspace and engine
stages are independent of each other (``tests/test_architecture.py``), so the workspace only
writes the frame it is given, as ``<dataset file stem>.cube.parquet``, and records its file and
SHA-256 in the dataset's metadata.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from geosoc.aggregate.keyed_sums import sum_keyed_rows
from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace.dataset_files import CUBE_SUFFIX, INCOMING_PREFIX, cube_file_name

#: Reduces monthly incident parts (``lon``, ``lat``, ``month``, ``category``, ``source``) to a
#: cube, and says what it holds (``resolution``, ``by``, ``scheme``, ``weights``...).
CubeBuilder = Callable[[Sequence[pd.DataFrame]], tuple[pd.DataFrame, dict[str, object]]]
#: Summed columns of a cube (``key_sum``: record keys, in cubes stored with them); the
#: others identify a row.
SUMMED = ("count", "harm_micro", "key_sum")


def write_cube(cube: pd.DataFrame, folder: Path, data_name: str) -> tuple[Path, str]:
    """Write ``cube`` as ``<data stem>.cube.parquet`` in ``folder`` (temporary file, fsync, rename).

    Returns
    -------
    (Path, str)
        The file and its SHA-256.
    """
    handle, temp = tempfile.mkstemp(prefix=INCOMING_PREFIX, suffix=CUBE_SUFFIX, dir=folder)
    os.close(handle)
    temp_path = Path(temp)
    try:
        cube.reset_index(drop=True).to_parquet(temp_path, index=False)
        with temp_path.open("rb") as written:
            os.fsync(written.fileno())
            written.seek(0)
            digest = hashlib.file_digest(written, "sha256").hexdigest()
        final = folder / cube_file_name(data_name)
        os.replace(temp_path, final)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return final, digest


def read_cube(path: Path, sha256: str, name: str) -> pd.DataFrame:
    """Read a stored cube, checking its SHA-256 (WorkspaceError naming the file if not)."""
    fix = ("re-ingest the dataset to rebuild its cube: geosoc ingest FILE --kind ... "
           "--workspace W --name NAME --replace")
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise WorkspaceError(f"dataset {name!r} is missing its harm cube", [Problem(
            "the cube file was deleted or moved", file=str(path), fix=fix)]) from err
    if hashlib.sha256(data).hexdigest() != sha256:
        raise WorkspaceError(f"dataset {name!r}'s harm cube was altered", [Problem(
            "the cube file's SHA-256 no longer matches the one recorded when it was stored",
            file=str(path), fix=fix)])
    import io

    cube = pd.read_parquet(io.BytesIO(data))
    if not isinstance(cube["key"].dtype, pd.CategoricalDtype):
        cube["key"] = pd.Categorical(cube["key"])
    return cube


def add_cubes(cubes: list[pd.DataFrame], *, regroup: bool = False) -> pd.DataFrame:
    """Sum cubes per row identity; rows sorted by it, keys sorted as strings. Exact.

    The identity is every column but the summed ones (:data:`SUMMED`): ``h3``, ``month``,
    ``key``, ``area`` and, in cubes stored with them, the coarser cells ``h3_9`` ...
    The same sum as :func:`geosoc.engine.stored.sum_cube_rows`
    (:func:`geosoc.aggregate.keyed_sums.sum_keyed_rows`). ``regroup``: sum a single cube
    too (after columns of its identity were dropped).
    """
    if len(cubes) == 1 and not regroup:
        return cubes[0]
    return sum_keyed_rows(cubes, SUMMED)
