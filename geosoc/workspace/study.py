"""A workspace's stored datasets gathered for an analysis: :func:`load_study`.

The CLI commands (``phases report``, ``sites rank``, ``export profile``) and the app call it
to run on a user's own data instead of the demo town.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geosoc.errors import Problem, WorkspaceError
from geosoc.ingest import build_postcode_areas
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_store import (
    hidden_datasets,
    list_datasets,
    load_areas,
    load_incidents,
    load_table,
)


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
    population : pandas.DataFrame or None
        Stored population (index ``area_code``; ``population``, ``kind``), when stored.
    owners : dict of str to str
        Owner agency per incident or area-count ``source`` from the sharing records
        (sources of datasets without a record are absent).
    """

    incidents: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    lsoas: gpd.GeoDataFrame | None
    postcodes: pd.DataFrame | None
    postcode_sectors: gpd.GeoDataFrame | None
    imd: pd.DataFrame | None
    assets: gpd.GeoDataFrame
    area_counts: pd.DataFrame | None = None
    population: pd.DataFrame | None = None
    owners: dict[str, str] = field(default_factory=dict)


def load_study(ws: Workspace, *, role: str, incidents: pd.DataFrame | None = None
               ) -> StudyData:
    """Load everything stored in ``ws`` that ``role`` may see, for profiles, sites and phases.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    role : str
        Who the analysis is for (``analyst``, ``partner``, ``public``): a dataset whose
        sharing record limits it to a narrower role is never loaded
        (:mod:`geosoc.workspace.sharing`), so nothing derived from it reaches that audience.
    incidents : pandas.DataFrame, optional
        The incidents to use instead of reading the stored points (the app's views read
        the stored cubes' rows, :mod:`geosoc.engine.cube_rows`, limited to ``role`` alike).

    Raises
    ------
    WorkspaceError
        Listing together every missing essential: incidents and ward boundaries.
    """
    problems: list[Problem] = []
    wards = None
    try:
        if incidents is None:
            incidents = load_incidents(ws, role=role)
    except WorkspaceError as err:
        problems += err.problems
    try:
        wards = load_areas(ws, "ward", role=role)
    except WorkspaceError as err:
        problems += err.problems
    if problems or incidents is None or wards is None:
        raise WorkspaceError("the workspace lacks data the analysis needs", problems)
    postcodes = load_table(ws, "postcodes", required=False, role=role)
    sectors = load_areas(ws, "postcode_sector", required=False, role=role)
    if sectors is None and postcodes is not None:
        sectors = build_postcode_areas(postcodes, level="sector", clip_to=wards)
    return StudyData(incidents, wards, load_areas(ws, "lsoa", required=False, role=role),
                     postcodes, sectors, load_table(ws, "imd", required=False, role=role),
                     ws.assets.frame(),
                     load_table(ws, "area_counts", required=False, role=role),
                     load_table(ws, "population", required=False, role=role),
                     owners(ws, role=role))


def owners(ws: Workspace, *, role: str) -> dict[str, str]:
    """Return the owner agency of each incident source ``role`` may see (sharing records).

    A source found in several datasets with different owners lists them all ("A; B").
    """
    listed = list_datasets(ws)
    hidden = set(hidden_datasets(ws, role))
    listed = listed[listed["kind"].isin(["incidents", "area_counts"])
                    & (listed["owner_agency"] != "")
                    & ~listed["name"].isin(hidden)]
    found: dict[str, list[str]] = {}
    for sources, owner in zip(listed["sources"], listed["owner_agency"], strict=True):
        for source in filter(None, (s.strip() for s in str(sources).split(","))):
            found.setdefault(source, [])
            if owner not in found[source]:
                found[source].append(owner)
    return {source: "; ".join(agencies) for source, agencies in found.items()}
