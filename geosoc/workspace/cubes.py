"""The stored harm cubes of a workspace's incident datasets, read back and combined.

Each incidents dataset stored with a cube builder has a harm cube beside it
(:mod:`geosoc.workspace.cube_files`): month x H3 (resolution 10) x ``source`` + ``category``
totals, harm as integer micro-days under the default harm weights. :func:`load_cube` reads
one (checking its SHA-256), :func:`workspace_cube` adds those of every incidents dataset a
role may see, so views that need only totals (cells, months, sources) never load the points.
Views are :func:`geosoc.engine.cube.cube_cells`, ``cube_months`` ... on the result.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from geosoc.errors import Problem, WorkspaceError
from geosoc.workspace import Workspace
from geosoc.workspace.cube_files import add_cubes, read_cube
from geosoc.workspace.dataset_list import visible_names
from geosoc.workspace.dataset_store import datasets_dir

#: What must match for cubes to be added: resolution, key and harm weighting.
COMPATIBLE = ("resolution", "by", "scheme", "weights_sha256")
#: Prefix of a cube's area position columns (``area_ward``: see ``geosoc.engine.stored``).
AREA_PREFIX = "area_"


def cube_record(ws: Workspace, name: str) -> dict[str, object]:
    """Return the cube record in dataset ``name``'s metadata (file, SHA-256, resolution...).

    Raises
    ------
    WorkspaceError
        No such dataset, or it was stored without a harm cube (naming the fix).
    """
    meta = ws.datasets.get(name)["metadata"]
    cube = meta.get("cube") if isinstance(meta, dict) else None
    if not isinstance(cube, dict):
        raise WorkspaceError(f"dataset {name!r} has no stored harm cube", [Problem(
            f"{name!r} was stored without its harm cube (before cubes were stored, or it is "
            "not incidents)", column="name",
            fix=f"re-ingest it: geosoc ingest FILE --kind policeuk|points --workspace "
                f"{ws.path} --name {name} --replace")])
    return cube


def load_cube(ws: Workspace, name: str) -> pd.DataFrame:
    """Read the harm cube stored with incidents dataset ``name``, checking its SHA-256.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    name : str
        An incidents dataset.

    Returns
    -------
    pandas.DataFrame
        ``h3`` (uint64, resolution in :func:`cube_record`; 0: no location), ``month`` (int64
        ``year * 12 + month - 1``; -1: none), ``key`` (categorical: ``source`` and ``category``
        joined by ``geosoc.engine.cube.KEY_SEP``), ``area`` (-1), ``count`` (int64),
        ``harm_micro`` (int64 micro-days).

    Raises
    ------
    WorkspaceError
        No cube stored, or its file is missing or altered.
    """
    record = cube_record(ws, name)
    return read_cube(datasets_dir(ws) / str(record["file"]), str(record["sha256"]), name)


def workspace_cube(ws: Workspace, *, role: str, sources: list[str] | None = None,
                   areas: Collection[str] = ()) -> tuple[pd.DataFrame, dict[str, object]]:
    """Add the harm cubes of every incidents dataset ``role`` may see.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    role : str
        Who the result is for: datasets whose widest role is narrower are left out (as
        :func:`geosoc.workspace.dataset_store.load_incidents` does).
    sources : list of str, optional
        Keep only keys of these sources (``["police"]``).
    areas : collection of str
        Area kinds whose ``area_<kind>`` positions are kept (every cube must hold them,
        located in the same boundaries: the caller checks their digests); the others are
        summed away.

    Returns
    -------
    (pandas.DataFrame, dict)
        The combined cube (as :func:`load_cube`; equal to
        :func:`geosoc.engine.cube.combine_cubes` of the parts) and the cubes' shared record
        (``resolution``, ``by``, ``scheme``, ``weights``, ``weights_sha256``, ``datasets``).

    Raises
    ------
    WorkspaceError
        No incidents visible to ``role``; one of them has no cube (re-ingest it); or the
        cubes were built differently (resolution or weights) and cannot be added.
    """
    names = visible_names(ws, "incidents", role=role)
    if not names:
        raise WorkspaceError("no incidents in the workspace", [Problem(
            f"{ws.path} holds no stored incident data the {role} role may see",
            file=str(ws.path), fix=f"geosoc ingest POLICE_FOLDER --kind policeuk --workspace "
                                   f"{ws.path} --name police")])
    records = {n: cube_record(ws, n) for n in names}
    shared = {k: records[names[0]].get(k) for k in (*COMPATIBLE, "weights")}
    differ = [n for n in names if any(records[n].get(k) != shared[k] for k in COMPATIBLE)]
    if differ:
        raise WorkspaceError("the stored harm cubes cannot be added", [Problem(
            f"{n!r}'s cube was built with another resolution or harm weighting", column="name",
            fix=f"re-ingest it with --replace so its cube matches {names[0]!r}'s")
            for n in differ])
    kept = {f"{AREA_PREFIX}{kind}" for kind in areas}
    cubes, dropped = [], False
    for name in names:
        cube = load_cube(ws, name)
        if not kept <= set(cube.columns):
            raise WorkspaceError(f"dataset {name!r}'s cube was not located in those areas", [
                Problem(f"{name!r} has no area positions for {sorted(areas)}", column="name",
                        fix="re-ingest it after the boundaries, with --replace")])
        extra = [c for c in cube.columns if c.startswith(AREA_PREFIX) and c not in kept]
        dropped = dropped or bool(extra)
        cubes.append(cube.drop(columns=extra))
    cube = add_cubes(cubes, regroup=dropped)
    if sources is not None:
        source = cube["key"].astype(str).str.split("\x1f", n=1).str[0]
        cube = cube[source.isin(sources).to_numpy()].reset_index(drop=True)
        cube["key"] = cube["key"].cat.remove_unused_categories()
    return cube, {**shared, "datasets": names}
