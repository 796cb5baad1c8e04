"""A workspace's study served from its stored cubes, without reading a point.

Every incidents dataset stored by ``geosoc ingest --workspace`` or the Data page has a cube
beside it (:mod:`geosoc.engine.stored`). When every dataset a role may see has one with the
app's views (point-holding cells at resolutions 7-10 and record-key sums made with this
server's key), :func:`load_cube_study` returns a :class:`~geosoc.ui.study.Study` whose
incidents are the cubes' rows (:func:`geosoc.engine.cube_rows.cube_incidents`): the H3
layers, headline, monthly series, contributions and month frames computed from it equal
those from the points; so do the views by ward, LSOA or postcode sector when the cubes were
located in the boundaries stored now (:func:`served_area_kinds`). The point-level pages
(sites, phases, the launch pack) still read the points (:mod:`geosoc.ui.study`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geosoc.config import server_key
from geosoc.disclosure.rules import Role
from geosoc.engine.cube_rows import cube_incidents
from geosoc.engine.stored import areas_digest, key_check
from geosoc.harm import load_harm_weights
from geosoc.schema import SOURCE
from geosoc.ui.study import MAP_LAYER, Study, load_workspace_study, with_activity_layer
from geosoc.workspace import Workspace
from geosoc.workspace.cubes import workspace_cube
from geosoc.workspace.dataset_list import visible_names
from geosoc.workspace.dataset_store import load_areas


def cube_views_missing(ws: Workspace, role: str) -> list[str]:
    """Return the incidents datasets ``role`` may see whose cube cannot serve the views.

    A dataset stored before its cube had the views (re-ingest it to add them), or, for
    partner and public, one whose record keys were summed under another server key. An
    empty list: the study can be served from the cubes.
    """
    check = None if Role(role) is Role.ANALYST else key_check(server_key())
    missing = []
    for name in visible_names(ws, "incidents", role=role):
        metadata = ws.datasets.get(name)["metadata"]
        cube = metadata.get("cube") if isinstance(metadata, dict) else None
        if (not isinstance(cube, dict) or "view_resolutions" not in cube
                or (check is not None and cube.get("key_check") != check)):
            missing.append(name)
    return missing


def served_area_kinds(ws: Workspace, role: str) -> list[str]:
    """Return the area kinds whose views the cubes of ``role``'s datasets can serve.

    A kind is served when every visible incidents dataset's cube was located in boundaries
    of that kind (``area_<kind>``) and their recorded digest is that of the boundaries
    ``role`` loads now (boundaries stored or replaced since: the views read the points).
    """
    names = visible_names(ws, "incidents", role=role)
    recorded = [ws.datasets.get(n)["metadata"]["cube"].get("areas", {}) for n in names]
    served = []
    for kind in sorted(set.intersection(*(set(r) for r in recorded)) if recorded else ()):
        digests = {r[kind] for r in recorded}
        areas = load_areas(ws, kind, required=False, role=role)
        if len(digests) == 1 and areas is not None and areas_digest(areas) in digests:
            served.append(kind)
    return served


def load_cube_study(workspace: str | Path, *, weights_path: str | None = None,
                    asb_weight: float | None = None, role: str = "analyst") -> Study | None:
    """Return the workspace's study with the stored cubes' rows as incidents, or None.

    Parameters
    ----------
    workspace : str or pathlib.Path
        The workspace ``.sqlite`` file.
    weights_path, asb_weight : optional
        The configured harm weighting (as :func:`geosoc.ui.study.load_workspace_study`).
    role : str
        Whom it is for: only the cubes of datasets ``role`` may see are added.

    Returns
    -------
    Study or None
        None when there are no incidents or a visible dataset's cube cannot serve the
        views (:func:`cube_views_missing`): the caller reads the points instead.

    Raises
    ------
    geosoc.errors.WorkspaceError
        As :func:`geosoc.ui.study.load_workspace_study` (no ward boundaries, altered files).
    """
    with Workspace.open(workspace, create=False) as ws:
        if not visible_names(ws, "incidents", role=role) or cube_views_missing(ws, role):
            return None
        cube, _ = workspace_cube(ws, role=role, areas=served_area_kinds(ws, role))
    weights = load_harm_weights(weights_path) if weights_path else None
    rows = cube_incidents(cube, weights=weights, asb_weight=asb_weight)
    rows[MAP_LAYER] = pd.Categorical(with_activity_layer(rows)[SOURCE])
    return load_workspace_study(workspace, weights_path=weights_path, asb_weight=asb_weight,
                                role=role, weighted=rows)
