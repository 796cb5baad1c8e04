"""Every ``st.cache_data``/``st.cache_resource`` of the app lives here (and in its map half).

The map half is :mod:`geosoc.ui.cache_views` (rendered maps, deck.gl maps, outlines, page
analyses, the workspace preload).

Cached functions take small hashable arguments (paths, fingerprints, ints, tuples of str)
and anything role-specific takes the role in its key. ``cache_resource`` holds read-only
objects shared by all sessions (the loaded :class:`~geosoc.ui.study.Study`); pages must not
mutate them (the library never does). ``cache_data`` results are copied per call.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from dataclasses import replace
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from geosoc import aggregate, hotspots, maps
from geosoc.aggregate.cells import assign_cells, cover_area, h3_ints_to_str
from geosoc.aggregate.pip_index import AreaIndex
from geosoc.assets.files import read_assets
from geosoc.config import Settings, load_config, server_key
from geosoc.disclosure.cell_key import attach_record_keys
from geosoc.disclosure.rules import Role, months_for, rules_for
from geosoc.disclosure.tables import (
    disclosed_areas,
    disclosed_cells,
    disclosed_series,
    disclosed_totals,
)
from geosoc.hotspots.emerging import emerging_hotspots, to_panel
from geosoc.ingest.context import read_context
from geosoc.maps.context import add_context
from geosoc.phases.change import PhasePlan
from geosoc.phases.displacement import displacement_report
from geosoc.phases.rings import buffer_rings
from geosoc.sites.ranking import rank_sites
from geosoc.synth.demo import DEFAULT_DEMO_DIR
from geosoc.ui import state
from geosoc.ui.study import (
    Study,
    load_demo_study,
    load_workspace_study,
    with_activity_layer,
    workspace_fingerprint,
)
from geosoc.workspace import Workspace
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


def base_map(**options: object) -> folium.Map:
    """Return :func:`geosoc.maps.build_map` with the configured tiles and map context.

    The context (roads, railways, water, green space) is the configured ``map.context``,
    or the demo town's own layers in demo mode; drawn under every overlay. Boundaries are
    drawn simplified (:func:`display_areas`, about 5 m): they are context, and a force's
    wards at full detail are megabytes on every map.
    """
    boundaries = options.get("boundaries")
    if isinstance(boundaries, gpd.GeoDataFrame) and len(boundaries):
        options["boundaries"] = display_areas(boundaries)
    tiles = settings().map
    m = maps.build_map(tile_url=tiles.tiles, attribution=tiles.attribution,
                       **options)  # type: ignore[arg-type]
    user = state.current_user()
    demo = user is None or user.demo or not user.workspace
    source = tiles.context or (demo_dir() / "context" if demo else None)
    if source is not None and source.exists():
        add_context(m, map_context(str(source)))
    return m


def _frame_token(frame: gpd.GeoDataFrame) -> str:
    """Return a cheap content token of an areas frame (codes in order, extent, vertices)."""
    codes = pd.util.hash_pandas_object(frame.index.to_series(), index=False).to_numpy()
    shape = (tuple(frame.total_bounds), int(shapely.get_num_coordinates(
        frame.geometry.to_numpy()).sum()))
    return hashlib.sha256(codes.tobytes() + repr(shape).encode()).hexdigest()[:16]


def display_areas(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``areas`` with geometry simplified for display (shared edges kept together).

    Only the simplified geometry is cached (by codes and shapes); values are the frame's own.
    """
    return areas.set_geometry(_display_geometry(_frame_token(areas), areas.geometry))


#: Boundary simplification for drawing, degrees (5e-5 ≈ 3.5-5.5 m in Britain).
DISPLAY_TOLERANCE_DEG = 5e-5


@st.cache_resource(show_spinner=False, max_entries=16)
def _display_geometry(token: str, _geometry: gpd.GeoSeries) -> gpd.GeoSeries:
    try:
        simple = shapely.coverage_simplify(_geometry.to_numpy(), DISPLAY_TOLERANCE_DEG)
    except shapely.errors.GEOSException:
        simple = shapely.simplify(_geometry.to_numpy(), DISPLAY_TOLERANCE_DEG,
                                  preserve_topology=True)
    return gpd.GeoSeries(simple, index=_geometry.index, crs=_geometry.crs)


@st.cache_resource(show_spinner=False, max_entries=4)
def map_context(source: str) -> dict[str, gpd.GeoDataFrame]:
    """Read the map context layers once per server (shared: they hold no incident data)."""
    return read_context(source).data


@st.cache_resource(show_spinner=False)
def start_hotspot_warm_up() -> threading.Thread:
    """Warm the hotspot code up once per process in a background thread."""
    thread = threading.Thread(target=hotspots.warm_up, name="geosoc-hotspot-warm-up",
                              daemon=True)
    thread.start()
    return thread


#: Modules the pages need that are slow to import (folium, pydeck, charts), imported by the
#: preload thread so the first page after sign-in does not pay for them.
#: (Not streamlit_folium: its component must be declared from the script thread.)
PRELOADED_MODULES = ("folium", "pydeck", "geosoc.maps.deck", "geosoc.hotspots.concentration",
                     "geosoc.report.phase_chart", "geosoc.sites", "geosoc.phases.readings")


@st.cache_resource(show_spinner=False)
def start_demo_preload(directory: str) -> threading.Thread:
    """Load the demo town and its default profile view in the background, once per process.

    Started while the sign-in page is shown, so choosing demo mode rarely waits.
    """

    def preload() -> None:
        for module in PRELOADED_MODULES:
            importlib.import_module(module)
        key = directory + _harm_tag()
        study = _study(key)
        months = study.months
        default = state.Filters(months=(months[0], months[-1]) if months else ())
        cell_layer(key, default, 9, Role.ANALYST.value)
        monthly(key, default, Role.ANALYST.value, by="source")

    thread = threading.Thread(target=preload, name="geosoc-demo-preload", daemon=True)
    thread.start()
    return thread


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
               asb_weight: float | None = None) -> Study:
    """Load (generating it first if needed) the fictional demo town; shared read-only."""
    return load_demo_study(demo_dir, weights_path=weights_path, asb_weight=asb_weight)


@st.cache_resource(show_spinner="Reading the workspace's datasets…", max_entries=8)
def workspace_study(path: str, fingerprint: str, weights_path: str | None = None,
                    asb_weight: float | None = None) -> Study:
    """Load every dataset of a workspace; ``fingerprint`` changes when a dataset does."""
    return load_workspace_study(path, weights_path=weights_path, asb_weight=asb_weight)


def study_key() -> str:
    """Return the cache key of the session's study: the demo folder, or workspace + datasets.

    A workspace key carries a digest of its datasets' checksums, so adding or replacing a
    dataset reloads the study.
    """
    user = state.current_user()
    if user is None or user.demo or not user.workspace:
        return str(demo_dir()) + _harm_tag()
    return _workspace_key(user.workspace)


def _workspace_key(path: str) -> str:
    """Return the study key of a workspace: its path and a digest of its datasets."""
    with Workspace.open(path, create=False) as ws:
        datasets = ws.datasets.list()
    digest = hashlib.sha256(workspace_fingerprint(datasets).encode()).hexdigest()[:16]
    return f"{WORKSPACE_KEY}|{digest}|{path}{_harm_tag()}"


def _harm_tag() -> str:
    """Suffix of study keys naming the harm weighting and partner threshold.

    Every cached layer takes the study key, so a changed setting is never served stale.
    """
    settings_used = {**_harm_options(), "partner_min_count": settings().partner_min_count}
    options = repr(sorted(settings_used.items())).encode()
    return "#harm-" + hashlib.sha256(options).hexdigest()[:8]


WORKSPACE_KEY = "workspace"


def _study(key: str) -> Study:
    key = key.rpartition("#harm-")[0] or key
    if key.startswith(f"{WORKSPACE_KEY}|"):
        _, digest, path = key.split("|", 2)
        return workspace_study(path, digest, **_harm_options())
    return demo_study(key, **_harm_options())


def current_study() -> Study:
    """Return the study the signed-in session works on (raises GeosocError if not ready)."""
    return _study(study_key())


def _filtered(key: str, filters: state.Filters) -> gpd.GeoDataFrame:
    return _study(key).filtered(filters.months, filters.categories, filters.sources)


def filtered(filters: state.Filters) -> gpd.GeoDataFrame:
    """Return the current study's incidents under the sidebar filters (point level)."""
    return _filtered(study_key(), filters)


@st.cache_data(show_spinner=False, max_entries=64)
def cell_layer(key: str, filters: state.Filters, resolution: int, role: str,
               with_hotspots: bool = True) -> gpd.GeoDataFrame:
    """Harm and counts per H3 cell (zero-filled over the study area), disclosed for ``role``.

    Per-source columns ``count__<source>``/``harm__<source>`` feed the layer toggles (with
    police-activity offences as their own ``police activity`` layer); Gi*
    and Local Moran columns come from :func:`geosoc.hotspots.find_hotspots` (analytic Gi*,
    FDR-binned) on log harm.
    """
    study = _study(key)
    cover = cover_area(study.areas["ward"], resolution)
    # Partner and public: perturbed with the cell key method, and Gi*/LISA computed from
    # the disclosed values only (a raw-value Gi* inverts to the suppressed counts).
    return disclosed_cells(with_activity_layer(_keyed_filtered(key, filters, role)), Role(role),
                           resolution=resolution, cover=cover, by="source",
                           hotspots=with_hotspots, min_count=_min_count(role))


def _keyed_filtered(key: str, filters: state.Filters, role: str) -> gpd.GeoDataFrame:
    """Return filtered incidents (whole quarters for the public), keyed for non-analysts.

    Record keys are computed before the police-activity relabelling, from each incident's
    own identity, so the same incident has the same key on every page.
    """
    months = months_for(Role(role), filters.months)
    if Role(role) is Role.ANALYST:
        return _light_study(key).filtered(months, filters.categories, filters.sources)
    return _keyed_study(key).filtered(months, filters.categories, filters.sources)


@st.cache_resource(show_spinner=False, max_entries=4)
def _light_study(key: str) -> Study:
    """Return the study with its incidents as a plain frame (lon/lat kept, no geometry).

    The layers aggregate by ``lon``/``lat``: filtering a million rows without their shapely
    points is ~4x faster, and the tables are identical.
    """
    study = _study(key)
    return replace(study, incidents=pd.DataFrame(study.incidents.drop(columns="geometry")))


@st.cache_resource(show_spinner=False, max_entries=4)
def _keyed_study(key: str) -> Study:
    """Return the study with every record key attached, once per study (read-only).

    A record key hashes the incident's own identity (its occurrence among identical rows
    included, and identical rows share month, category and source), so keying the whole
    study once gives each filtered incident the key it would get when keyed after filtering.
    """
    study = _light_study(key)
    return replace(study, incidents=attach_record_keys(study.incidents, server_key()))


@st.cache_resource(show_spinner=False, max_entries=16)
def area_index(key: str, kind: str) -> AreaIndex:
    """Return the raster point-in-polygon index of a study's areas (built once, read-only)."""
    return aggregate.build_area_index(_study(key).areas[kind])


@st.cache_data(show_spinner=False, max_entries=64)
def area_layer(key: str, filters: state.Filters, kind: str, role: str) -> gpd.GeoDataFrame:
    """Harm and counts per area of ``kind`` (``ward``/``lsoa``), disclosed for ``role``."""
    study = _study(key)
    return disclosed_areas(with_activity_layer(_keyed_filtered(key, filters, role)),
                           study.areas[kind], Role(role), by="source",
                           index=area_index(key, kind), min_count=_min_count(role),
                           parents=study.areas["ward"] if kind != "ward" else None)


@st.cache_data(show_spinner=False, max_entries=64)
def headline(key: str, filters: state.Filters, role: str) -> tuple[float | None, float | None]:
    """Return the events and harm (days) of the filtered study, disclosed for ``role``.

    Computed from the true totals, then suppressed or rounded once
    (:func:`geosoc.disclosure.disclose_headline`). Summing a disclosed layer instead would give
    each page its own total, and the difference between two pages would reveal what was
    suppressed.
    """
    return disclosed_totals(_keyed_filtered(key, filters, role), Role(role))


@st.cache_data(show_spinner=False, max_entries=64)
def monthly(key: str, filters: state.Filters, role: str, by: str | None = None) -> pd.DataFrame:
    """Monthly counts and harm (quarters for the public role), disclosed for ``role``."""
    return disclosed_series(_keyed_filtered(key, filters, role), Role(role), by=by,
                            min_count=_min_count(role))


@st.cache_data(show_spinner=False, max_entries=16)
def emerging_layer(key: str, filters: state.Filters, resolution: int, role: str) -> pd.DataFrame:
    """Emerging hot spot class per H3 cell (quarterly Gi* steps + Mann-Kendall trend).

    Analysts and partners only: the class of a cell is computed at the disclosed resolution.
    """
    study = _study(key)
    resolution = min(resolution, rules_for(Role(role)).finest_h3_resolution)
    cover = cover_area(study.areas["ward"], resolution)
    if Role(role) is not Role.ANALYST:
        # A class per cell from its raw quarterly series is a raw-derived value: not shown.
        return pd.DataFrame({"emerging_class": pd.Series(dtype=str),
                             "trend_tau": pd.Series(dtype=float),
                             "trend_p": pd.Series(dtype=float)})
    located = assign_cells(_filtered(key, filters).dropna(subset=["lon", "lat"]), resolution)
    located = located.assign(h3=h3_ints_to_str(located["h3"].to_numpy()))
    panel = to_panel(located, "h3", "Q", ids=cover.index)
    result = emerging_hotspots(panel, hotspots.graph_for(cover))
    return result[["emerging_class", "trend_tau", "trend_p"]]


@st.cache_data(show_spinner=False, max_entries=32)
def ranked_sites(key: str, filters: state.Filters, scale: str,
                 weights: tuple[tuple[str, float], ...]) -> gpd.GeoDataFrame:
    """Candidate CHB sites of ``scale`` ranked with ``weights`` (analyst view only)."""
    study = _study(key)
    return rank_sites(
        _filtered(key, filters), wards=study.areas["ward"], scale=scale,
        sectors=study.areas.get("postcode_sector"), lsoas=study.areas.get("lsoa"),
        imd=study.imd, assets=study.assets, weights=dict(weights),
    )


def workspace_path(user: state.SessionUser) -> Path:
    """Return the workspace a user writes to; demo mode has its own, beside the demo town."""
    return Path(user.workspace) if user.workspace else demo_dir() / "demo-workspace.sqlite"


@st.cache_data(show_spinner=False, max_entries=16)
def displacement(key: str, filters: state.Filters, site: str, plan: dict[str, tuple[str, str]],
                 bands_m: tuple[float, ...], control: str, measure: str) -> pd.DataFrame:
    """WDQ/WDD per phase and ring for a site of the study (analysts; point-level input)."""
    study = _study(key)
    geometry = study.site.geometry.loc[site]
    return displacement_report(
        _filtered(key, filters), geometry, PhasePlan.from_dates(**plan),
        rings=buffer_rings(geometry, (0.0, *bands_m)),
        control_geometry=study.areas["ward"].geometry.loc[control], measure=measure)


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
