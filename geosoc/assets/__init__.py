"""Community assets stage (CHB foundation block 5): the register's records and coverage.

``model`` (record columns, controlled vocabularies, validation helpers), ``files`` (reading
and exporting registers: CSV, GeoJSON, OSM), ``osm`` (OpenStreetMap tags to categories) and
``coverage`` (assets near targets, gaps against harm). Points are EPSG:4326; distances are
measured in EPSG:27700 metres.
"""

from geosoc.assets.coverage import asset_gaps, assets_near, assets_per_harm
from geosoc.assets.files import (
    export_assets_csv,
    export_assets_geojson,
    neutralise_formulas,
    read_assets,
    validate_assets,
)
from geosoc.assets.model import (
    ASSET_COLUMNS,
    CATEGORIES,
    RECORD_COLUMNS,
    SECTORS,
    active_assets,
    empty_register,
    normalise_categories,
    normalise_sectors,
)
from geosoc.assets.osm import assets_from_osm

__all__ = [
    "ASSET_COLUMNS", "CATEGORIES", "RECORD_COLUMNS", "SECTORS", "active_assets",
    "asset_gaps", "assets_from_osm", "assets_near", "assets_per_harm", "empty_register",
    "export_assets_csv", "export_assets_geojson", "neutralise_formulas", "normalise_categories",
    "normalise_sectors", "read_assets", "validate_assets",
]
