"""The map and view half of the app's caching (:mod:`.studies` is the data half).

Rendered folium maps, deck.gl cell maps, simplified outlines, a page's point-level
analyses and the sign-in preload of a workspace, each cached once per content key. The keys
name the study (datasets fingerprint and settings), the filters and the **viewing role**
wherever the content depends on them; cached objects are shared read-only.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Callable, Hashable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from geosoc.aggregate.cells import cover_area
from geosoc.disclosure.rules import Role
from geosoc.errors import GeosocError
from geosoc.hotspots.profile import Progress, build_profile
from geosoc.report.pack_base import pack_base
from geosoc.report.profile_report import ReportInputs, render_profile_report
from geosoc.ui import state
from geosoc.ui.caching.startup import PRELOADED_MODULES, activity
from geosoc.ui.caching.studies import (
    _study,
    _workspace_key,
    area_index,
    cell_layer,
    demo_dir,
    headline,
    monthly,
    settings,
    study_key,
)
from geosoc.ui.caching.study_views import keyed_study, view_study

#: Seconds without a running page script before the preload reads the points: a person
#: reading the page. Sooner, the read competed on 2 cores with the browser still drawing the
#: first map (first load 14 s instead of 6-8 s at 2.5 s) or with the next click (a 4.5 s
#: month change took 12 s at 0.5 s).
IDLE_BEFORE_LOADING_S = 8.0


@st.cache_resource(show_spinner=False, max_entries=4)
def start_workspace_preload(path: str) -> threading.Thread | None:
    """Load the sign-in page's workspace and its default profile view in the background.

    Started while the sign-in form is shown (once per workspace and process), like the demo
    preload: reading a force's points and aggregating them takes seconds that the person
    typing a password does not then wait for. Nothing is shown before sign-in; the cached
    layers are those of the analyst view and are served only to sessions that ask for them.
    """
    if not Path(path).is_file():
        return None

    def preload() -> None:
        for module in PRELOADED_MODULES:
            importlib.import_module(module)
        try:
            key = _workspace_key(path)
            study = view_study(key)  # the stored cubes when they serve it: no point read
        except GeosocError:
            return  # an empty or damaged workspace: the pages explain it after sign-in
        months = study.months
        default = state.Filters(months=(months[0], months[-1]) if months else ())
        cell_layer(key, default, min(settings().resolution, 10), Role.ANALYST.value)
        _event_count(key, default)
        headline(key, default, Role.ANALYST.value)
        monthly(key, default, Role.ANALYST.value, by="source", layers=True)
        area_outlines(key, "ward")
        # Then, between the pages people wait for, what the point-level pages read: the
        # points (sites, phases), the ward index (sites) and, when the cubes cannot serve
        # the launch's public ward map, public record keys.
        for step in (lambda: _study(key), lambda: area_index(key, "ward"), lambda: (
                None if "area_ward" in view_study(key, Role.PUBLIC.value).incidents.columns
                else keyed_study(key, Role.PUBLIC.value))):
            activity().wait_until_idle(IDLE_BEFORE_LOADING_S)
            step()

    thread = threading.Thread(target=preload, name="geosoc-workspace-preload", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False, max_entries=8)
def area_outlines(key: str, kind: str) -> pd.DataFrame:
    """Return the study's areas of ``kind`` as deck.gl paths (simplified; no data)."""
    from geosoc.maps.deck_cells import outline_paths

    areas = view_study(key).areas.get(kind)
    return outline_paths(areas) if areas is not None else outline_paths(gpd.GeoDataFrame())


@st.cache_resource(show_spinner=False, max_entries=48)
def rendered_map(content_key: Hashable, _render: Callable[[], dict]) -> dict:
    """Return a folium map rendered to component arguments, once per ``content_key``.

    ``content_key`` must name everything the map shows, the viewing role included
    (:func:`geosoc.ui.maps.mapview.show_map`); shared read-only by the sessions asking for it.
    """
    return _render()


@st.cache_data(show_spinner=False, max_entries=64)
def memo(content_key: Hashable, _compute: Callable[[], object]) -> object:
    """Return ``_compute()``, computed once per ``content_key`` (a copy per call).

    For a page's point-level analyses (control areas, phase series and tables): the key
    must name the study key, the filters and every argument, so a rerun that changes none
    of them (a month moved on a page that does not use months) costs nothing.
    """
    return _compute()


def frame_digest(frame: pd.DataFrame) -> str:
    """Return a short digest of a frame's values (geometry as WKB) for content keys."""
    plain = pd.DataFrame(frame).copy()
    if isinstance(frame, gpd.GeoDataFrame):
        plain[frame.geometry.name] = shapely.to_wkb(frame.geometry.to_numpy(), hex=True)
    hashed = pd.util.hash_pandas_object(plain.astype(str), index=True).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


def map_resolution(key: str, wanted: int, limit: int = 4_000) -> int:
    """Return the finest H3 resolution <= ``wanted`` whose study cover has <= ``limit`` cells.

    A background harm layer under points (assets) stays drawable by folium on a force.
    """
    for resolution in range(wanted, 6, -1):
        if _cover_size(key, resolution) <= limit:
            return resolution
    return 7


@st.cache_resource(show_spinner=False, max_entries=32)
def _cover_size(key: str, resolution: int) -> int:
    return len(cover_area(view_study(key).areas["ward"], resolution))


@st.cache_resource(show_spinner=False, max_entries=16)
def cell_deck(content_key: Hashable, _build: Callable[[], tuple]) -> tuple:
    """Return a deck.gl cell map and its legend, built once per ``content_key`` (with role)."""
    return _build()


@st.cache_data(show_spinner=False, max_entries=4)
def launch_report(key: str, filters: state.Filters, role: str,
                  _progress: Progress | None = None) -> str:
    """Standalone HTML launch pack for ``role`` (maps inlined: opens offline from a file).

    ``_progress(fraction, message)`` (not part of the cache key) follows the profile's steps
    and then the drawing; pass a :class:`geosoc.ui.progress.ProgressBar`.
    """
    report = _progress or (lambda fraction, message: None)
    study = _study(key, role)
    months = filters.months or None
    profile = build_profile(study.incidents, study.areas, resolution=9, months=months,
                            categories=filters.categories or None,
                            sources=filters.sources or None, lisa_permutations=99,
                            emerging_freq=None,
                            progress=lambda fraction, message: report(0.8 * fraction, message))
    report(0.8, "drawing the maps and charts")
    site = study.site.reset_index()
    base = pack_base(settings(), bounds=study.bounds,
                     demo_context=demo_dir() / "context" if study.demo else None)
    inputs = ReportInputs(title=f"{study.name}: locality profile", site=site, base=base,
                          assets=study.assets, incidents=study.incidents, demo=study.demo,
                          partner_counts=study.partner_counts,
                          months=(months[0], months[-1]) if months else None,
                          owners=study.owners, population=study.population)
    html = render_profile_report(profile, role=role, inputs=inputs)
    report(1.0, "launch pack ready")
    return html


def event_count(filters: state.Filters) -> int:
    """Return how many incidents of the role shown the sidebar filters keep (cached)."""
    return _event_count(study_key(), filters, state.view_role().value)


@st.cache_data(show_spinner=False, max_entries=64)
def _event_count(key: str, filters: state.Filters, role: str = "analyst") -> int:
    return view_study(key, role).count(filters.months, filters.categories, filters.sources)
