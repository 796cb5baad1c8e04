"""A workspace's study served from its stored cubes, without reading a point.

Every incidents dataset stored by ``geosoc ingest --workspace`` or the Data page has a cube
beside it (:mod:`geosoc.engine.stored`). When every dataset a role may see has one with the
app's views (point-holding cells at resolutions 7-10 and record-key sums made with this
server's key), :func:`load_cube_study` returns a :class:`~geosoc.ui.study.Study` whose
incidents are the cubes' rows (:func:`geosoc.engine.cube_rows.cube_incidents`): the H3
layers, headline, monthly series, contributions and month frames computed from it equal
those from the points. Views by area (wards, LSOAs, sectors) and the point-level pages
(sites, phases, assets, the launch pack) still read the points (:mod:`geosoc.ui.study`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geosoc.config import server_key
from geosoc.disclosure.rules import Role
from geosoc.engine.cube_rows import cube_incidents
from geosoc.engine.stored import key_check
from geosoc.harm import load_harm_weights
from geosoc.schema import SOURCE
from geosoc.ui.study import MAP_LAYER, Study, load_workspace_study, with_activity_layer
from geosoc.workspace import Workspace
from geosoc.workspace.cubes import workspace_cube
from geosoc.workspace.dataset_list import visible_names


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
        cube, _ = workspace_cube(ws, role=role)
    weights = load_harm_weights(weights_path) if weights_path else None
    rows = cube_incidents(cube, weights=weights, asb_weight=asb_weight)
    rows[MAP_LAYER] = pd.Categorical(with_activity_layer(rows)[SOURCE])
    return load_workspace_study(workspace, weights_path=weights_path, asb_weight=asb_weight,
                                role=role, weighted=rows)
