"""The app's base map: a labelled vector base, configured tiles, context layers, all local.

The vector base (``[map] vector``, a cut made by ``geosoc basemap``; in demo mode the demo
town's own) is drawn in the browser with street and place names, from the app's own address.

Pages call ``basemaps.base_map`` / ``basemaps.dual_base_map``, which pass this server's
:class:`BaseSources` (settings and the cached tile copy and context layers) to the
functions here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import streamlit as st

from geosoc import maps
from geosoc.config import MapSettings
from geosoc.errors import GeosocError
from geosoc.maps.context import add_context
from geosoc.maps.name_labels import name_labels
from geosoc.maps.tiles import STREAMLIT_TILES_URL, PublishedTiles, served_tile_layer
from geosoc.maps.vector import STREAMLIT_VECTOR_URL, served_vector_base


def study_area(options: dict[str, object]) -> tuple[float, float, float, float] | None:
    """Return the area tiles are copied for (EPSG:4326 degrees), or ``None``.

    The boundaries' extent (the whole study, the same on every page), else the map's bounds.
    """
    boundaries = options.get("boundaries")
    if isinstance(boundaries, gpd.GeoDataFrame) and len(boundaries):
        return tuple(float(v) for v in boundaries.to_crs("EPSG:4326").total_bounds)
    bounds = options.get("bounds")
    return tuple(float(v) for v in bounds) if bounds is not None else None  # type: ignore


def static_url(path: str) -> str:
    """Return ``path`` (under ``/app/static``) as served, honouring ``server.baseUrlPath``."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}{path}" if base else path


def add_served_tiles(m: folium.Map, publish: object, attribution: str) -> folium.Map:
    """Add the published tile layer to ``m``; a source that cannot be read is a warning.

    ``publish`` is a zero-argument callable returning :class:`PublishedTiles` (the cached
    copy); a :class:`GeosocError` from it (a broken file) is shown, and the map goes on
    with its context layers.
    """
    try:
        published: PublishedTiles = publish()  # type: ignore[operator]
    except GeosocError as error:
        st.warning(f"The base map tiles are not shown: {error}")
        return m
    served_tile_layer(published, base_url=static_url(STREAMLIT_TILES_URL),
                      attribution=attribution).add_to(m)
    return m


@dataclass(frozen=True)
class BaseSources:
    """Where a base map's layers come from (given by :mod:`geosoc.ui.caching.studies`).

    Attributes
    ----------
    config : MapSettings
        The ``[map]`` settings.
    publish : callable
        ``publish(source, area)``: the cached copy of the tiles (:class:`PublishedTiles`).
    read_context : callable
        ``read_context(path)``: the cached context layers.
    demo_context : pathlib.Path or None
        The demo town's context folder in demo mode, else ``None``.
    demo_vector : callable or None
        In demo mode, ``demo_vector()`` returns the demo town's vector base (made once).
    """

    config: MapSettings
    publish: Callable[[str, tuple[float, float, float, float]], PublishedTiles]
    read_context: Callable[[str], dict[str, gpd.GeoDataFrame]]
    demo_context: Path | None = None
    demo_vector: Callable[[], Path | None] | None = None


def vector_source(sources: BaseSources) -> Path | None:
    """Return the vector base archive to draw: ``[map] vector`` if cut, else the demo's.

    The demo town's is the base only when no raster tiles are configured (as its context).
    """
    vector = sources.config.vector
    if vector is not None and vector.is_file():
        return vector
    if vector is None and sources.config.tile_source is None and sources.demo_vector is not None:
        return sources.demo_vector()
    return None


def add_vector_base(m: folium.Map, sources: BaseSources) -> bool:
    """Add the labelled vector base to ``m``; return whether one was drawn.

    A configured ``[map] vector`` that is not cut yet, or cannot be read, is a warning
    saying how to make it; the map goes on with its other layers.
    """
    vector = sources.config.vector
    if vector is not None and not vector.is_file():
        st.warning(f"The labelled base map {vector.name} is not made yet: run `geosoc basemap "
                   "ARCHIVE --workspace WORKSPACE` (see README, Base maps with no internet).")
        return False
    path = vector_source(sources)
    if path is None:
        return False
    try:
        served_vector_base(path, base_url=static_url(STREAMLIT_VECTOR_URL),
                           attribution=sources.config.attribution).add_to(m)
    except GeosocError as error:
        st.warning(f"The labelled base map is not shown: {error}")
        return False
    return True


def with_base_layers(m: folium.Map, options: dict[str, object],
                     sources: BaseSources) -> folium.Map:
    """Add the configured base to ``m``: the vector base, local tiles, the context layers.

    With no vector base, the boundaries' own names label the map (:mod:`geosoc.maps.name_labels`).

    The context is ``config.context``, else (demo mode, no tiles and no vector base drawn)
    the demo town's.
    """
    config = sources.config
    area = study_area(options)
    vector = add_vector_base(m, sources)
    boundaries = options.get("boundaries")
    if not vector and isinstance(boundaries, gpd.GeoDataFrame):
        labels = name_labels(wards=boundaries)  # no base-map file: the data's own names
        if labels is not None:
            labels.add_to(m)
    if config.tile_source is not None and area is not None:
        add_served_tiles(m, lambda: sources.publish(str(config.tile_source), area),
                         config.attribution)
    demo = sources.demo_context if config.tile_source is None and not vector else None
    source = config.context or demo
    if source is not None and source.exists():
        add_context(m, sources.read_context(str(source)))
    return m


def base_map(sources: BaseSources, **options: object) -> folium.Map:
    """Return :func:`geosoc.maps.build_map` with the configured tiles and map context.

    A local tile source (``map.tiles`` naming an MBTiles/PMTiles file or an XYZ folder) is
    copied once for the study area into the static folder and served from the app's own
    address. The context (roads, railways, water, green space) is the configured
    ``map.context``, or the demo town's own layers in demo mode when no tiles are set;
    drawn under every overlay.
    """
    m = maps.build_map(tile_url=sources.config.tiles, attribution=sources.config.attribution,
                       **options)  # type: ignore[arg-type]
    return with_base_layers(m, options, sources)


def dual_base_map(sources: BaseSources, **options: object) -> folium.plugins.DualMap:
    """Return two linked maps (pan and zoom together), each with the base of :func:`base_map`."""
    dual = maps.build_dual_map(**options)  # type: ignore[arg-type]
    for m in (dual.m1, dual.m2):
        with_base_layers(m, options, sources)
    return dual
