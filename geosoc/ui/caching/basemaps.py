"""The base map half of the app's caching seam: tiles, context layers, display outlines.

Everything here is shared across sessions and holds no incident data (tiles, roads and
rivers, simplified boundary shapes); values drawn on the maps come from
:mod:`geosoc.ui.caching.studies`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from geosoc.ingest.context import read_context
from geosoc.ingest.tiles import open_tiles
from geosoc.maps.tiles import PublishedTiles, publish_tiles
from geosoc.maps.vector import demo_vector_base
from geosoc.ui import state
from geosoc.ui.caching.studies import demo_dir, settings
from geosoc.ui.maps import basemap


def base_map(**options: object) -> folium.Map:
    """Return :func:`geosoc.ui.maps.basemap.base_map` with this server's tiles and context.

    Boundaries are drawn simplified (:func:`display_areas`, about 5 m): they are context,
    and a force's wards at full detail are megabytes on every map.
    """
    return basemap.base_map(_base_sources(), **_simplified(options))


def dual_base_map(**options: object) -> folium.plugins.DualMap:
    """Return two linked maps (:func:`geosoc.ui.maps.basemap.dual_base_map`) on the same base."""
    return basemap.dual_base_map(_base_sources(), **_simplified(options))


def _simplified(options: dict[str, object]) -> dict[str, object]:
    boundaries = options.get("boundaries")
    if isinstance(boundaries, gpd.GeoDataFrame) and len(boundaries):
        return {**options, "boundaries": display_areas(boundaries)}
    return options


def _base_sources() -> basemap.BaseSources:
    user = state.current_user()
    demo = user is None or user.demo or not user.workspace
    return basemap.BaseSources(settings().map, published_tiles, map_context,
                               demo_dir() / "context" if demo else None,
                               demo_vector if demo else None)


def demo_vector() -> Path | None:
    """Return the demo town's vector base (:func:`geosoc.maps.vector.demo_vector_base`)."""
    return _demo_vector(str(demo_dir() / "context"))


@st.cache_resource(show_spinner="Drawing the demo town's street map…", max_entries=2)
def _demo_vector(context_dir: str) -> Path | None:
    return demo_vector_base(Path(context_dir))


@st.cache_resource(show_spinner="Preparing the base map tiles…", max_entries=8)
def published_tiles(source: str, area: tuple[float, float, float, float]) -> PublishedTiles:
    """Copy the study area's tiles into the static folder once (shared: no incident data)."""
    return publish_tiles(open_tiles(source), area)


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
