"""The base map of the standalone packs: the same context the app draws, inside the file.

A launch or review pack opens from ``file://`` on a laptop with no network, so its map
carries its own base: the labelled vector base (``[map] vector``, or the demo town's; its
tiles and the renderer inlined, :func:`geosoc.maps.vector.embedded_vector_base`), the
configured local tiles embedded as ``data:`` URIs (within a byte budget,
:func:`geosoc.maps.tiles.embedded_tile_layer`) and/or the vector context layers (roads,
railways, water, green space) as GeoJSON, under the harm layer. Neither holds
incident data; their coordinates are listed for the leak guard as published on purpose.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc import maps
from geosoc.config import Settings
from geosoc.errors import GeosocError, Problem
from geosoc.ingest.context import read_context
from geosoc.ingest.tiles import TileSource, open_tiles
from geosoc.maps.context import add_context
from geosoc.maps.tiles import embedded_tile_layer
from geosoc.maps.vector import demo_vector_base, embedded_vector_base


@dataclass(frozen=True)
class PackBase:
    """What a pack's maps are drawn on.

    Attributes
    ----------
    context : mapping of str to geopandas.GeoDataFrame
        Context layers by kind (EPSG:4326), as :func:`geosoc.ingest.read_context` returns.
    tiles : TileSource or None
        A local raster tile source to embed.
    attribution : str
        Tile attribution (the config's; else the source's).
    vector : pathlib.Path or None
        A PMTiles vector archive (labelled streets and places) to embed.
    """

    context: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    tiles: TileSource | None = None
    attribution: str = ""
    vector: Path | None = None


def pack_base(settings: Settings, *, bounds: tuple[float, float, float, float],
              demo_context: Path | None = None) -> PackBase:
    """Return the configured base for a pack of the area ``bounds`` (EPSG:4326 degrees).

    ``map.vector`` (once cut), else the demo town's own vector base (with
    ``demo_context`` and neither a vector base nor tiles configured), is embedded with its
    labels;
    ``map.tiles`` (a local file) is embedded;
    the context is ``map.context``, else ``demo_context`` (the demo town's layers) when
    neither tiles nor a vector base are drawn.
    """
    config = settings.map
    vector = (config.vector if config.vector is not None and config.vector.is_file()
              else demo_vector_base(demo_context) if config.vector is None
              and config.tile_source is None and demo_context is not None else None)
    plain = config.tile_source is None and vector is None
    source = config.context or (demo_context if plain else None)
    context = (read_context(source, bounds=bounds).data
               if source is not None and Path(source).exists() else {})
    tiles = open_tiles(config.tile_source) if config.tile_source is not None else None
    return PackBase(context=context, tiles=tiles, attribution=config.attribution,
                    vector=vector)


def add_pack_base(m: folium.Map, base: PackBase | None,
                  bounds: tuple[float, float, float, float]) -> folium.Map:
    """Add the embedded vector base, tiles and context layers to a pack map; return ``m``."""
    if base is None:
        return m
    if base.vector is not None:
        layer = embedded_vector_base(base.vector, bounds, attribution=base.attribution)
        if layer is not None:
            layer.add_to(m)
    if base.tiles is not None:
        layer = embedded_tile_layer(base.tiles, bounds, attribution=base.attribution)
        if layer is not None:
            layer.add_to(m)
    return add_context(m, base.context)


def base_points(base: PackBase | None) -> pd.DataFrame:
    """Every context vertex (``lon``/``lat``, EPSG:4326) a pack publishes on purpose."""
    parts = [shapely.get_coordinates(frame.geometry.to_numpy())
             for frame in (base.context.values() if base else []) if len(frame)]
    xy = np.concatenate(parts) if parts else np.empty((0, 2))
    return pd.DataFrame({"lon": xy[:, 0], "lat": xy[:, 1]})


_ELEMENT_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def stable_ids(rendered: str) -> str:
    """Return rendered folium HTML with its random element ids numbered in order instead.

    Two renders of the same map then give the same text (a pack differs between runs
    only in its "Produced" line).
    """
    mapping: dict[str, str] = {}
    return _ELEMENT_ID.sub(lambda m: mapping.setdefault(m.group(0), f"{len(mapping):032x}"),
                           rendered)


def site_map_html(site: gpd.GeoDataFrame, base: PackBase | None, *,
                  rings: gpd.GeoDataFrame | None = None) -> str:
    """Return a standalone interactive map of the site (and rings) on the pack's base.

    Parameters
    ----------
    site : geopandas.GeoDataFrame
        The site polygon(s), EPSG:4326, with ``name``.
    base : PackBase, optional
        Tiles and context.
    rings : geopandas.GeoDataFrame, optional
        Buffer rings with a ``ring`` label.

    Returns
    -------
    str
        A ``<section>`` with the map in an ``iframe srcdoc`` (every script inlined).
    """
    extent = rings if rings is not None and len(rings) else site
    bounds = tuple(float(v) for v in extent.to_crs("EPSG:4326").total_bounds)
    m = maps.build_map(bounds=bounds, height=460, fullscreen=True)  # type: ignore[arg-type]
    add_pack_base(m, base, bounds)  # type: ignore[arg-type]
    if rings is not None and len(rings):
        maps.rings_layer(rings, label="ring").add_to(m)
    maps.site_layer(site).add_to(m)
    maps.finish_map(m)
    try:
        live = maps.inline_assets(stable_ids(m.get_root().render()))
    except maps.MissingAssetError as err:
        raise GeosocError("map assets are missing, so the pack cannot open offline", [
            Problem(str(err), fix="run `python -m geosoc.maps.vendor` (part of make app)")
        ]) from None
    return ("<section class='map'><h2>The site and its surroundings</h2>"
            "<iframe class='screen-only' title='Map of the site' style='width:100%;"
            f"height:480px;border:1px solid #ccc' srcdoc=\"{html.escape(live, quote=True)}\">"
            "</iframe></section>")
