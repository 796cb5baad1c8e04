"""The app's caching seam: studies, layers and analyses, computed once per key.

Siblings in :mod:`geosoc.ui.caching` (whose docstring states the rule for what is cached
where): ``study_views`` (lean views of a loaded study), ``startup``, ``partners``,
``points`` (site ranking and displacement, from the points); ``views`` is the map half
(rendered maps, deck.gl maps, outlines, page analyses, the launch pack).

Cached functions take small hashable arguments (paths, fingerprints, ints, tuples of str)
and anything role-specific takes the role in its key. ``cache_resource`` holds read-only
objects shared by all sessions (the loaded :class:`~geosoc.ui.study.Study`); pages must not
mutate them (the library never does). ``cache_data`` results are copied per call.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from geosoc import aggregate, hotspots
from geosoc.aggregate.cells import cover_area, h3_ints_to_str
from geosoc.aggregate.pip_index import AreaIndex
from geosoc.aggregate.rates import population_for
from geosoc.aggregate.tables import AREA_POSITION
from geosoc.assets.files import read_assets
from geosoc.config import Settings, load_config
from geosoc.disclosure.contribution import disclosed_contribution
from geosoc.disclosure.frames import disclosed_frames, frame_layer, frame_periods
from geosoc.disclosure.rules import Role, months_for, rules_for
from geosoc.disclosure.tables import (
    disclosed_areas,
    disclosed_cells,
    disclosed_series,
    disclosed_totals,
)
from geosoc.hotspots.emerging import emerging_hotspots, to_panel
from geosoc.schema import H3
from geosoc.synth.demo import DEFAULT_DEMO_DIR
from geosoc.ui import state
from geosoc.ui.caching.study_views import (
    filtered_rows,
    located_study,
    use_loader,
    view_rows,
    view_study,
    with_cells,
)
from geosoc.ui.cube_study import load_cube_study
from geosoc.ui.study import (
    Study,
    load_demo_study,
    load_workspace_study,
    with_activity_layer,
    workspace_fingerprint,
)
from geosoc.workspace import Workspace
from geosoc.workspace.demo_sessions import new_demo_session
from geosoc.workspace.users import User


def demo_dir() -> Path:
    """Return where the demo town lives: ``$GEOSOC_DEMO_DIR`` or ``data/demo`` (``make app``)."""
    return Path(os.environ.get("GEOSOC_DEMO_DIR", DEFAULT_DEMO_DIR))


def settings() -> Settings:
    """Return the installation's settings: the TOML file ``$GEOSOC_CONFIG``, or defaults."""
    return _settings(os.environ.get("GEOSOC_CONFIG"))


@st.cache_resource(show_spinner=False)
def _settings(path: str | None) -> Settings:
    return load_config(path)


def default_workspace() -> Path:
    """Return the workspace offered on sign-in: ``$GEOSOC_WORKSPACE``, else the settings'."""
    configured = settings().workspace
    return Path(os.environ.get("GEOSOC_WORKSPACE", configured))


def authenticate(workspace: str, username: str, password: str) -> User:
    """Check a user's password against the workspace (never cached)."""
    with Workspace.open(workspace, create=False) as ws:
        return ws.users.authenticate(username, password)


def _min_count(role: str) -> int | None:
    """Return the configured partner suppression threshold for partners, else the default."""
    return settings().partner_min_count if Role(role) is Role.PARTNER else None


def _harm_options() -> dict[str, object]:
    """Return the configured harm weighting as small hashable cache-key arguments."""
    config = settings()
    return {"weights_path": str(config.harm_weights) if config.harm_weights else None,
            "asb_weight": config.asb_weight}


@st.cache_resource(show_spinner="Preparing the demo town…")
def demo_study(demo_dir: str, weights_path: str | None = None,
               asb_weight: float | None = None, role: str = "analyst") -> Study:
    """Load (generating it first if needed) the demo town as ``role`` may see it; read-only."""
    return load_demo_study(demo_dir, weights_path=weights_path, asb_weight=asb_weight,
                           role=role)


@st.cache_resource(show_spinner="Reading the workspace's datasets…", max_entries=8)
def workspace_study(path: str, fingerprint: str, weights_path: str | None = None,
                    asb_weight: float | None = None, role: str = "analyst") -> Study:
    """Load the datasets of a workspace ``role`` may see; ``fingerprint`` changes with them."""
    return load_workspace_study(path, weights_path=weights_path, asb_weight=asb_weight,
                                role=role)


@st.cache_resource(show_spinner="Reading the workspace's stored totals…", max_entries=8)
def workspace_cube_study(path: str, fingerprint: str, weights_path: str | None = None,
                         asb_weight: float | None = None, role: str = "analyst"
                         ) -> Study | None:
    """Load a workspace's study from its stored cubes (None: they cannot serve it)."""
    return load_cube_study(path, weights_path=weights_path, asb_weight=asb_weight, role=role)


def study_key() -> str:
    """Return the cache key of the session's study: the demo folder, or workspace + datasets.

    A workspace key carries a digest of its datasets' checksums and widest roles, so adding,
    replacing or re-scoping a dataset reloads the study.
    """
    user = state.current_user()
    if user is None or user.demo or not user.workspace:
        return str(demo_dir()) + _harm_tag()
    return _workspace_key(user.workspace)


def _workspace_key(path: str) -> str:
    """Return the study key of a workspace: its path and a digest of its datasets and terms."""
    with Workspace.open(path, create=False) as ws:
        key = workspace_fingerprint(ws.datasets.list(), ws.sharing.widest_roles())
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{WORKSPACE_KEY}|{digest}|{path}{_harm_tag()}"


def _harm_tag() -> str:
    """Suffix of study keys naming the harm weighting and partner threshold.

    Every cached layer takes the study key, so a changed setting is never served stale.
    """
    settings_used = {**_harm_options(), "partner_min_count": settings().partner_min_count}
    options = repr(sorted(settings_used.items())).encode()
    return "#harm-" + hashlib.sha256(options).hexdigest()[:8]


WORKSPACE_KEY = "workspace"


def _study(key: str, role: str = "analyst") -> Study:
    """Return the study of ``key`` as ``role`` may see it.

    The widest-role rule is applied when the study is loaded, so a dataset limited to
    analysts is not in a partner's study at all.
    """
    key = key.rpartition("#harm-")[0] or key
    if key.startswith(f"{WORKSPACE_KEY}|"):
        _, digest, path = key.split("|", 2)
        return workspace_study(path, digest, **_harm_options(), role=role)
    return demo_study(key, **_harm_options(), role=role)


def _cube_study(key: str, role: str = "analyst") -> Study | None:
    """Return the study of ``key`` from the workspace's stored cubes, or None.

    None for the demo town, or when a dataset's cube cannot serve the views.
    """
    key = key.rpartition("#harm-")[0] or key
    if not key.startswith(f"{WORKSPACE_KEY}|"):
        return None
    _, digest, path = key.split("|", 2)
    return workspace_cube_study(path, digest, **_harm_options(), role=role)


use_loader(_study, _cube_study)  # the lean views (study_views) derive from these studies


def current_study() -> Study:
    """Return the study the session works on, for the role shown (GeosocError if not ready)."""
    return _study(study_key(), state.view_role().value)


def current_view_study() -> Study:
    """Return the study the sidebar and the Profile read (GeosocError if not ready).

    The stored cubes' rows when they serve it (no point read), else the points.
    """
    return view_study(study_key(), state.view_role().value)


def _filtered(key: str, filters: state.Filters) -> gpd.GeoDataFrame:
    return located_study(key).filtered(filters.months, filters.categories, filters.sources)


def filtered(filters: state.Filters) -> gpd.GeoDataFrame:
    """Return the current study's incidents under the sidebar filters (point level)."""
    return located_study(study_key(), state.view_role().value).filtered(
        filters.months, filters.categories, filters.sources)


@st.cache_data(show_spinner=False, max_entries=64)
def cell_layer(key: str, filters: state.Filters, resolution: int, role: str,
               with_hotspots: bool = True) -> gpd.GeoDataFrame:
    """Harm and counts per H3 cell (zero-filled over the study area), disclosed for ``role``.

    Per-source columns ``count__<source>``/``harm__<source>`` feed the layer toggles (with
    police-activity offences as their own ``police activity`` layer); Gi*
    and Local Moran columns come from :func:`geosoc.hotspots.find_hotspots` (analytic Gi*,
    FDR-binned) on log harm.
    """
    cover = cover_area(view_study(key).areas["ward"], resolution)
    # Partner and public: perturbed with the cell key method, and Gi*/LISA computed from
    # the disclosed values only (a raw-value Gi* inverts to the suppressed counts).
    incidents = with_cells(with_activity_layer(_view_filtered(key, filters, role)), key, role,
                            resolution)
    return disclosed_cells(incidents, Role(role), resolution=resolution, cover=cover, by="source",
                           hotspots=with_hotspots, min_count=_min_count(role))


def _keyed_filtered(key: str, filters: state.Filters, role: str) -> gpd.GeoDataFrame:
    """Return filtered incidents (whole quarters for the public), keyed for non-analysts.

    Record keys are computed before the police-activity relabelling, from each incident's
    own identity, so the same incident has the same key on every page.
    """
    return filtered_rows(key, months_for(Role(role), filters.months), filters.categories,
                          filters.sources, role)


def _view_filtered(key: str, filters: state.Filters, role: str) -> pd.DataFrame:
    """As :func:`_keyed_filtered`, from the stored cubes' rows when they serve the study."""
    return view_rows(key, months_for(Role(role), filters.months), filters.categories,
                     filters.sources, role)


@st.cache_resource(show_spinner=False, max_entries=16)
def area_index(key: str, kind: str) -> AreaIndex:
    """Return the raster point-in-polygon index of a study's areas (built once, read-only)."""
    return aggregate.build_area_index(_study(key).areas[kind])


@st.cache_data(show_spinner=False, max_entries=64)
def area_layer(key: str, filters: state.Filters, kind: str, role: str) -> gpd.GeoDataFrame:
    """Harm and counts per area of ``kind`` (``ward``/``lsoa``), disclosed for ``role``.

    With a population file, ``population``, ``count_per_1000``, ``harm_per_1000`` and
    ``small_population`` are added, computed from the disclosed counts.
    """
    study = view_study(key)
    rows, index = _area_rows(key, filters, kind, role)
    return disclosed_areas(with_activity_layer(rows),
                           study.areas[kind], Role(role), by="source",
                           index=index, min_count=_min_count(role),
                           parents=study.areas["ward"] if kind != "ward" else None,
                           population=population_for(kind, study.areas[kind],
                                                     study.population, study.areas.get("lsoa")))


def _area_rows(key: str, filters: state.Filters, kind: str, role: str
               ) -> tuple[pd.DataFrame, AreaIndex | None]:
    """Return the filtered rows for a layer of ``kind`` areas, and the index to locate them.

    The stored cubes' rows with their recorded area positions when the cubes were located
    in these boundaries (:func:`geosoc.ui.cube_study.served_area_kinds`, checked against
    the boundaries ``role`` loads) and the layer's areas (the analyst's) list the same
    codes in the same order, so each position names the same area: no point is read.
    Else the points, with the areas' point-in-polygon index.
    """
    column = f"area_{kind}"
    mine = view_study(key, role)
    if column in mine.incidents.columns and mine.areas[kind].index.equals(
            view_study(key).areas[kind].index):
        rows = _view_filtered(key, filters, role)
        return rows.assign(**{AREA_POSITION: rows[column].to_numpy()}), None
    return _keyed_filtered(key, filters, role), area_index(key, kind)


@st.cache_data(show_spinner=False, max_entries=32)
def contribution(key: str, filters: state.Filters, role: str) -> pd.DataFrame:
    """Per-agency records and months behind the filtered study, disclosed for ``role``."""
    study = view_study(key, role)
    return disclosed_contribution(_view_filtered(key, filters, role), Role(role),
                                  owners=study.owners, partner_counts=study.partner_counts,
                                  months=tuple(filters.months) or None)


@st.cache_data(show_spinner="Disclosing each month…", max_entries=8)
def month_frames(key: str, filters: state.Filters, kind: str, resolution: int,
                 role: str) -> pd.DataFrame:
    """Each month's (public: quarter's) layer, disclosed as the one-month map shows it."""
    study = view_study(key)
    if kind == "h3":
        incidents = with_cells(with_activity_layer(_view_filtered(key, filters, role)), key,
                               role, resolution)
        index = None
    else:
        rows, index = _area_rows(key, filters, kind, role)
        incidents = with_activity_layer(rows)
    places = ({"cover": cover_area(study.areas["ward"], resolution), "resolution": resolution}
              if kind == "h3" else {"areas": study.areas[kind], "index": index,
                                    "parents": study.areas["ward"] if kind != "ward" else None})
    months = [m for m in study.months
              if not filters.months or filters.months[0] <= m <= filters.months[1]]
    return disclosed_frames(frame_periods(months, role), frame_layer(
        incidents, role, by="source", min_count=_min_count(role), **places))


@st.cache_data(show_spinner=False, max_entries=64)
def headline(key: str, filters: state.Filters, role: str) -> tuple[float | None, float | None]:
    """Return the events and harm (days) of the filtered study, disclosed for ``role``.

    Computed from the true totals, then suppressed or rounded once
    (:func:`geosoc.disclosure.disclose_headline`). Summing a disclosed layer instead would give
    each page its own total, and the difference between two pages would reveal what was
    suppressed.
    """
    return disclosed_totals(_view_filtered(key, filters, role), Role(role))


@st.cache_data(show_spinner=False, max_entries=64)
def monthly(key: str, filters: state.Filters, role: str, by: str | None = None,
            layers: bool = False) -> pd.DataFrame:
    """Monthly counts and harm (quarters for the public role), disclosed for ``role``.

    With ``layers`` (and ``by="source"``) police-activity offences are their own source,
    ``police activity``, as on the map's layer toggles.
    """
    frame = _view_filtered(key, filters, role)
    if layers:
        frame = with_activity_layer(frame)
    return disclosed_series(frame, Role(role), by=by, min_count=_min_count(role))


@st.cache_data(show_spinner=False, max_entries=16)
def emerging_layer(key: str, filters: state.Filters, resolution: int, role: str) -> pd.DataFrame:
    """Emerging hot spot class per H3 cell (quarterly Gi* steps + Mann-Kendall trend).

    Analysts and partners only: the class of a cell is computed at the disclosed resolution.
    """
    study = view_study(key)
    resolution = min(resolution, rules_for(Role(role)).finest_h3_resolution)
    cover = cover_area(study.areas["ward"], resolution)
    if Role(role) is not Role.ANALYST:
        # A class per cell from its raw quarterly series is a raw-derived value: not shown.
        return pd.DataFrame({"emerging_class": pd.Series(dtype=str),
                             "trend_tau": pd.Series(dtype=float),
                             "trend_p": pd.Series(dtype=float)})
    located = with_cells(_view_filtered(key, filters, role), key, role, resolution)
    located = located[located[H3].to_numpy() != 0]
    located = located.assign(h3=h3_ints_to_str(located[H3].to_numpy()))
    panel = to_panel(located, "h3", "Q", ids=cover.index)
    result = emerging_hotspots(panel, hotspots.graph_for(cover))
    return result[["emerging_class", "trend_tau", "trend_p"]]


def workspace_path(user: state.SessionUser) -> Path:
    """Return the workspace a user writes to.

    A signed-in user writes to their workspace. A demo session writes to **its own copy**
    of the demo town's workspace (``<demo>/sessions/<id>/``), made when the session first
    needs it, so what one visitor adds, moves or saves in the demo lives only in their
    session, as the demo banner says, and a new session starts from the town as shipped.
    """
    if user.workspace:
        return Path(user.workspace)
    known = st.session_state.get(state.DEMO_WORKSPACE_KEY)
    if known and Path(known).exists():
        return Path(known)
    path = new_demo_session(demo_dir())
    st.session_state[state.DEMO_WORKSPACE_KEY] = str(path)
    return path


def asset_register(user: state.SessionUser) -> gpd.GeoDataFrame:
    """Return the active asset register of the user's workspace (never cached: it is edited).

    In demo mode an empty demo register is first filled from the demo town's asset file.
    """
    with Workspace.open(workspace_path(user)) as ws:
        register = ws.assets.frame()
        if register.empty and user.demo:
            records = read_assets(demo_dir() / "assets" / "community_assets.csv")
            ws.assets.import_frame(records, user="demo", role="analyst", source="demo town")
            register = ws.assets.frame()
    return register
