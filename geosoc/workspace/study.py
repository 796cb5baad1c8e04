"""A workspace's stored datasets gathered for an analysis: :func:`load_study`.

The CLI commands (``phases report``, ``sites rank``, ``export profile``) and the app call it
to run on a user's own data instead of the demo town.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geosoc.errors import Problem, WorkspaceError
from geosoc.ingest import build_postcode_areas
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_store import load_areas, load_incidents, load_table


@dataclass(frozen=True)
class StudyData:
    """What the analyses need from a workspace, loaded and checked.

    Attributes
    ----------
    incidents : geopandas.GeoDataFrame
        Every stored incident dataset (police and partners), incidents contract, EPSG:4326.
    wards : geopandas.GeoDataFrame
        Ward boundaries (areas contract).
    lsoas, postcode_sectors : geopandas.GeoDataFrame or None
        LSOA boundaries; postcode sectors (stored ones, else built from stored postcodes
        clipped to the wards), when available.
    postcodes, imd : pandas.DataFrame or None
        Postcode and IMD tables, when stored.
    assets : geopandas.GeoDataFrame
        The workspace's active community asset register (may be empty).
    area_counts : pandas.DataFrame or None
        Every stored area-counts dataset (``geosoc ingest --kind counts``), joined.
    """

    incidents: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    lsoas: gpd.GeoDataFrame | None
    postcodes: pd.DataFrame | None
    postcode_sectors: gpd.GeoDataFrame | None
    imd: pd.DataFrame | None
    assets: gpd.GeoDataFrame
    area_counts: pd.DataFrame | None = None


def load_study(ws: Workspace) -> StudyData:
    """Load everything stored in ``ws`` for profiles, site ranking and phase reports.

    Raises
    ------
    WorkspaceError
        Listing together every missing essential: incidents and ward boundaries.
    """
    problems: list[Problem] = []
    incidents = wards = None
    try:
        incidents = load_incidents(ws)
    except WorkspaceError as err:
        problems += err.problems
    try:
        wards = load_areas(ws, "ward")
    except WorkspaceError as err:
        problems += err.problems
    if problems or incidents is None or wards is None:
        raise WorkspaceError("the workspace lacks data the analysis needs", problems)
    postcodes = load_table(ws, "postcodes", required=False)
    sectors = load_areas(ws, "postcode_sector", required=False)
    if sectors is None and postcodes is not None:
        sectors = build_postcode_areas(postcodes, level="sector", clip_to=wards)
    return StudyData(incidents, wards, load_areas(ws, "lsoa", required=False), postcodes,
                     sectors, load_table(ws, "imd", required=False), ws.assets.frame(),
                     load_table(ws, "area_counts", required=False))
