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
from geosoc.schema import H3, LAT, LON
from geosoc.ui.study import Study, lean_incidents

#: How a study is loaded for (key, role): :func:`geosoc.ui.cache._study`, registered by
#: :mod:`geosoc.ui.cache` when it is imported (it imports these views, not the reverse).
_LOADER: list[Callable[[str, str], Study]] = []


def use_loader(loader: Callable[[str, str], Study]) -> None:
    """Register the function loading the study of (key, role) that these views derive from."""
    _LOADER[:] = [loader]


def _loaded(key: str, role: str) -> Study:
    if not _LOADER:
        raise RuntimeError("geosoc.ui.cache registers the study loader; import it first")
    return _LOADER[0](key, role)


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
    """
    out = frame.assign(**{H3: point_cells(key, role, resolution)[frame.index.to_numpy()]})
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
