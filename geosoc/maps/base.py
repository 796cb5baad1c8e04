"""The base map: no tiles by default (offline), boundaries as the base layer, maxZoom 19."""

from __future__ import annotations

import folium
import folium.plugins
import geopandas as gpd

from geosoc.maps.escape import safe_text
from geosoc.maps.layers import boundary_layer
from geosoc.maps.offline import STREAMLIT_VENDOR_URL, localise

#: Leaflet needs a max zoom when no tile layer sets one (MarkerCluster fails without).
MAX_ZOOM = 19


def build_map(
    *,
    bounds: tuple[float, float, float, float] | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
    tile_url: str | None = None,
    attribution: str | None = None,
    height: int | str = "100%",
    fullscreen: bool = False,
) -> folium.Map:
    """Create an offline-ready Leaflet map fitted to a study area.

    Parameters
    ----------
    bounds : tuple of float, optional
        ``(lon_min, lat_min, lon_max, lat_max)`` in EPSG:4326 degrees to fit; defaults to the
        boundaries' extent.
    boundaries : geopandas.GeoDataFrame, optional
        Areas (EPSG:4326) drawn as the base layer, so the map reads without tiles.
    tile_url : str, optional
        XYZ tile URL template (e.g. a force's internal tile server). ``None`` (default) draws
        no tiles, which works with no internet.
    attribution : str, optional
        Attribution for ``tile_url`` (required by most tile licences; escaped).
    height : int or str
        Map height (pixels or CSS length).
    fullscreen : bool
        Add a full-screen button (for launch presentations).

    Returns
    -------
    folium.Map
        Add layers, then call :func:`finish_map`.
    """
    if bounds is None and boundaries is not None and len(boundaries):
        bounds = tuple(boundaries.to_crs("EPSG:4326").total_bounds)
    m = folium.Map(tiles=None, maxZoom=MAX_ZOOM, zoom_start=13, control_scale=True,
                   height=height, location=_centre(bounds))
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=safe_text(attribution or "Map tiles"),
                         name="Base map", max_zoom=MAX_ZOOM, overlay=False).add_to(m)
    if boundaries is not None and len(boundaries):
        boundary_layer(boundaries).add_to(m)
    if bounds is not None:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    if fullscreen:
        folium.plugins.Fullscreen(position="topleft").add_to(m)
    return m


def _centre(bounds: tuple[float, float, float, float] | None) -> list[float]:
    if bounds is None:
        return [54.0, -2.5]  # Great Britain
    return [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]


def finish_map(
    m: folium.Map, *, layer_control: bool = True, base_url: str = STREAMLIT_VENDOR_URL
) -> folium.Map:
    """Add the layer control and point every script and stylesheet at local copies.

    Parameters
    ----------
    m : folium.Map
        The map with all its layers added.
    layer_control : bool
        Add a (expanded) layer switcher.
    base_url : str
        Where the vendor files are served (see :mod:`geosoc.maps.offline`).

    Returns
    -------
    folium.Map
        ``m``, changed in place.
    """
    if layer_control:
        folium.LayerControl(collapsed=False).add_to(m)
    localise(m, base_url)
    return m


def build_dual_map(
    *,
    bounds: tuple[float, float, float, float] | None = None,
    boundaries: gpd.GeoDataFrame | None = None,
) -> folium.plugins.DualMap:
    """Create two side-by-side maps that pan and zoom together (Leaflet.Sync, served locally).

    Parameters are those of :func:`build_map` (EPSG:4326). Add a layer to one map with
    ``.add_to(dual.m1)``/``dual.m2``; adding to the ``DualMap`` itself adds it to both.
    """
    if bounds is None and boundaries is not None and len(boundaries):
        bounds = tuple(boundaries.to_crs("EPSG:4326").total_bounds)
    dual = folium.plugins.DualMap(location=_centre(bounds), tiles=None, maxZoom=MAX_ZOOM,
                                  zoom_start=13, control_scale=True)
    for m in (dual.m1, dual.m2):
        if boundaries is not None and len(boundaries):
            boundary_layer(boundaries).add_to(m)
        if bounds is not None:
            m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return dual
