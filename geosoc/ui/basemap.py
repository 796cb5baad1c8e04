"""Small pieces of the app's base map: the study area tiles are copied for, served URLs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import folium
import geopandas as gpd
import streamlit as st

from geosoc.config import MapSettings
from geosoc.errors import GeosocError
from geosoc.maps.context import add_context
from geosoc.maps.tiles import STREAMLIT_TILES_URL, PublishedTiles, served_tile_layer


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


def with_base_layers(m: folium.Map, options: dict[str, object], *, config: MapSettings,
                     publish: Callable[[str, tuple[float, float, float, float]], PublishedTiles],
                     demo_context: Path | None,
                     read_context: Callable[[str], dict[str, gpd.GeoDataFrame]]) -> folium.Map:
    """Add the configured base to ``m``: served local tiles, then the context layers.

    The context is ``config.context``, else (demo mode, no tiles configured) the demo
    town's; ``publish`` and ``read_context`` are the cached copies of
    :mod:`geosoc.ui.cache`.
    """
    area = study_area(options)
    if config.tile_source is not None and area is not None:
        add_served_tiles(m, lambda: publish(str(config.tile_source), area), config.attribution)
    source = config.context or (demo_context if config.tile_source is None else None)
    if source is not None and source.exists():
        add_context(m, read_context(str(source)))
    return m
