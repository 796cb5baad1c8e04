"""Make the workspace's disclosure release for its current data (see ``releases``)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from geosoc.workspace import Workspace

__all__ = ["data_digest", "ensure_release", "releases_dir"]


def releases_dir(ws: Workspace) -> Path:
    """Return the folder holding ``ws``'s release files (``<workspace stem>.releases``)."""
    return ws.path.parent / f"{ws.path.stem}.releases"


def data_digest(ws: Workspace) -> str:
    """Return the digest of the workspace's incident datasets (names and file SHA-256s)."""
    listed = ws.datasets.list()
    rows = listed[listed["kind"] == "incidents"].sort_values("name")
    text = "\n".join(f"{n}:{s}" for n, s in zip(rows["name"], rows["sha256"], strict=True))
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_release(ws: Workspace, incidents: pd.DataFrame,
                   areas: Mapping[str, gpd.GeoDataFrame], *, user: str, role: str,
                   secret: bytes | None = None) -> dict[str, object]:
    """Return the release of the workspace's current data, making and storing it if new.

    Parameters
    ----------
    ws : Workspace
        The workspace.
    incidents : pandas.DataFrame
        Its incidents, loaded for the analyst (``harm`` in days, WGS84 ``lon``/``lat``).
    areas : mapping of str to geopandas.GeoDataFrame
        Its boundary layers by kind (EPSG:4326).
    user, role : str
        Who makes it (an analyst: a release is made at ingest).
    secret : bytes, optional
        The server key.
    """
    from geosoc.disclosure.release_set import build_release, release_rules_digest

    data, rules = data_digest(ws), release_rules_digest(secret)
    found = ws.releases.find(data, rules)
    if found is not None:
        return found
    table = build_release(incidents, areas, secret=secret)
    return ws.releases.record(table, data=data, rules=rules, user=user, role=role)
