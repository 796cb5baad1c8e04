"""Community assets stage (CHB foundation block 5): the register's records and coverage.

``model`` (record columns, controlled vocabularies, validation helpers), ``files`` (reading
and exporting registers: CSV, GeoJSON, OSM), ``osm`` (OpenStreetMap tags to categories) and
``coverage`` (assets near targets, gaps against harm). Points are EPSG:4326; distances are
measured in EPSG:27700 metres.
"""

from geosoc.assets.capabilities import (
    CAPABILITIES,
    ENGAGEMENT,
    PILLARS,
    redact_for_role,
    stale_flags,
    verification_status,
)
from geosoc.assets.coverage import asset_gaps, assets_near, assets_per_harm
from geosoc.assets.dedupe import find_duplicates, normalise_name
from geosoc.assets.files import (
    export_assets_csv,
    export_assets_geojson,
    neutralise_formulas,
    read_assets,
    validate_assets,
)
from geosoc.assets.importing import (
    FORMATS,
    ImportPlan,
    map_columns,
    plan_import,
    read_register_file,
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
from geosoc.assets.registers import read_charity_register, read_open_referral
from geosoc.assets.site_coverage import (
    assets_in_zones,
    coverage_gaps,
    harm_in_zones,
    zone_coverage,
)

__all__ = [
    "ASSET_COLUMNS",
    "CAPABILITIES",
    "CATEGORIES",
    "ENGAGEMENT",
    "FORMATS",
    "PILLARS",
    "RECORD_COLUMNS",
    "SECTORS",
    "ImportPlan",
    "active_assets",
    "asset_gaps",
    "assets_from_osm",
    "assets_in_zones",
    "assets_near",
    "assets_per_harm",
    "coverage_gaps",
    "empty_register",
    "export_assets_csv",
    "export_assets_geojson",
    "find_duplicates",
    "harm_in_zones",
    "map_columns",
    "neutralise_formulas",
    "normalise_categories",
    "normalise_name",
    "normalise_sectors",
    "plan_import",
    "read_assets",
    "read_charity_register",
    "read_open_referral",
    "read_register_file",
    "redact_for_role",
    "stale_flags",
    "validate_assets",
    "verification_status",
    "zone_coverage",
]
