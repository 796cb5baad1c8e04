"""Views of a loaded study for the layers, cached once per process (siblings of ``cache``).

The study ``cache`` loads holds every column of every incident; the layers need a few. These
views derive from it once per study key and role: the lean frame (no geometry, no free
text), per-incident H3 cells at each resolution, record keys for partner and public, the
lean frame with its points for the point-level pages, and the rows a filter keeps (shared
by the map, headline, series and contribution of one rerun). All are read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geosoc.aggregate.cells import lonlat_to_cells
from geosoc.config import server_key
from geosoc.disclosure.cell_key import attach_record_keys
from geosoc.disclosure.rules import Role
from geosoc.engine.cube_rows import rows_column
from geosoc.schema import H3, LAT, LON
from geosoc.ui.study import Study, lean_incidents

#: How a study is loaded for (key, role): :func:`geosoc.ui.caching.studies._study` (the points) and
#: :func:`geosoc.ui.caching.studies._cube_study` (the stored cubes' rows, or None), registered by
#: :mod:`geosoc.ui.caching.studies` when it is imported (it imports these views, not the reverse).
_LOADER: list[Callable[[str, str], Study | None]] = []


def use_loader(points: Callable[[str, str], Study],
               cubes: Callable[[str, str], Study | None]) -> None:
    """Register the functions loading the study of (key, role) these views derive from."""
    _LOADER[:] = [points, cubes]


def _loaded(key: str, role: str) -> Study:
    if not _LOADER:
        raise RuntimeError("geosoc.ui.caching.studies registers the study loader; import it first")
    return _LOADER[0](key, role)  # type: ignore[return-value]


def view_study(key: str, role: str = "analyst") -> Study:
    """Return the study the views (H3 layers, series, headline) read, for ``role``.

    The stored cubes' rows when every dataset ``role`` may see has a cube that serves them
    (:mod:`geosoc.ui.cube_study`), so a force's Profile never waits for its points; else the
    points. Its months, categories, sources, areas and site are the points' study's.
    """
    if not _LOADER:
        raise RuntimeError("geosoc.ui.caching.studies registers the study loader; import it first")
    cubes = _LOADER[1](key, role)
    return cubes if cubes is not None else light_study(key, role)


@st.cache_resource(show_spinner=False, max_entries=4)
def view_rows(key: str, months: tuple[str, ...], categories: tuple[str, ...],
              sources: tuple[str, ...], role: str) -> pd.DataFrame:
    """Return the rows the filters keep for the views, keyed for partner and public.

    The stored cubes' rows (their record-key sums attached) when they serve the study,
    else :func:`filtered_rows` of the points. Read-only.
    """
    if _LOADER[1](key, role) is None:
        return filtered_rows(key, months, categories, sources, role)
    return view_study(key, role).filtered(months, categories, sources)


@st.cache_resource(show_spinner=False, max_entries=4)
def filtered_rows(key: str, months: tuple[str, ...], categories: tuple[str, ...],
                  sources: tuple[str, ...], role: str) -> pd.DataFrame:
    """Return the rows the filters keep, selected once per filter (read-only).

    The map, headline, series and contribution of one rerun share them instead of copying a
    million rows each.
    """
    study = light_study(key, role) if Role(role) is Role.ANALYST else keyed_study(key, role)
    return study.filtered(months, categories, sources)


@st.cache_resource(show_spinner=False, max_entries=8)
def light_study(key: str, role: str = "analyst") -> Study:
    """Return the study with its incidents as a plain frame (lon/lat kept, no geometry).

    The layers aggregate by ``lon``/``lat``: filtering a million rows without their shapely
    points is ~4x faster, and the tables are identical.
    """
    study = _loaded(key, role)
    return replace(study, incidents=lean_incidents(study.incidents))


@st.cache_resource(show_spinner=False, max_entries=16)
def point_cells(key: str, role: str, resolution: int) -> np.ndarray:
    """Return the H3 cell (uint64, ``0`` unlocated) of every incident of the light study.

    Computed once per study, role and resolution, so a month or category change only
    selects and sums (the cells of a filtered frame are ``cells[frame.index]``).
    """
    incidents = light_study(key, role).incidents
    return lonlat_to_cells(incidents[LON].to_numpy(dtype="float64", na_value=np.nan),
                           incidents[LAT].to_numpy(dtype="float64", na_value=np.nan),
                           resolution)


def with_cells(frame: pd.DataFrame, key: str, role: str, resolution: int) -> pd.DataFrame:
    """Return ``frame`` (rows of the light study) with its incidents' ``h3`` at ``resolution``.

    The aggregation then sums by the stored cells instead of locating every point again
    (:func:`geosoc.aggregate.harm_by_cell` reads ``h3`` with ``attrs["h3_resolution"]``).
    Rows of a stored cube (:func:`view_rows`) carry their cells at every app resolution.
    """
    if rows_column(resolution) in frame.columns:
        cells = frame[rows_column(resolution)].to_numpy()
    else:
        cells = point_cells(key, role, resolution)[frame.index.to_numpy()]
    out = frame.assign(**{H3: cells})
    out.attrs["h3_resolution"] = int(resolution)
    return out


@st.cache_resource(show_spinner=False, max_entries=8)
def keyed_study(key: str, role: str) -> Study:
    """Return the study with every record key attached, once per study (read-only).

    A record key hashes the incident's own identity (its occurrence among identical rows
    included, and identical rows share month, category and source), so keying the whole
    study once gives each filtered incident the key it would get when keyed after filtering.
    """
    study = light_study(key, role)
    return replace(study, incidents=attach_record_keys(study.incidents, server_key()))


@st.cache_resource(show_spinner=False, max_entries=8)
def located_study(key: str, role: str = "analyst") -> Study:
    """Return the study with lean incidents and their points (the point-level pages' input).

    Without the free-text columns a month filter copies a million rows in a fraction of the
    time; the points are the study's own (shared, read-only).
    """
    study = _loaded(key, role)
    lean = gpd.GeoDataFrame(lean_incidents(study.incidents),
                            geometry=study.incidents.geometry.to_numpy(), crs=study.incidents.crs)
    return replace(study, incidents=lean)
