"""Offline-safe folium/pydeck maps: base map, layers, legends, escaping, local assets.

Only this package, ``geosoc/report/`` and ``geosoc/ui/`` import folium.
"""

from geosoc.maps.base import MAX_ZOOM, build_dual_map, build_map, finish_map
from geosoc.maps.escape import safe_properties, safe_series, safe_text
from geosoc.maps.layers import (
    asset_layers,
    boundary_layer,
    class_layer,
    compact_geojson,
    draw_control,
    fill_layer,
    outline_layer,
    rings_layer,
    site_layer,
    value_layer,
)
from geosoc.maps.legend import (
    BinnedScale,
    Legend,
    category_colours,
    category_legend,
    emerging_legend,
    hotspot_legend,
    quantile_scale,
)
from geosoc.maps.offline import (
    STREAMLIT_VENDOR_URL,
    MissingAssetError,
    external_urls,
    inline_assets,
    localise,
)

__all__ = [
    "MAX_ZOOM", "STREAMLIT_VENDOR_URL", "BinnedScale", "Legend", "MissingAssetError",
    "asset_layers", "boundary_layer", "build_dual_map", "build_map", "category_colours",
    "category_legend",
    "class_layer", "compact_geojson", "draw_control", "emerging_legend", "external_urls",
    "fill_layer", "finish_map", "hotspot_legend", "inline_assets", "localise",
    "outline_layer", "quantile_scale", "rings_layer", "safe_properties", "safe_series",
    "safe_text", "site_layer", "value_layer",
]
