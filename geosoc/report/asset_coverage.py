"""Community asset coverage of a CHB site and its rings, for the app, the CLI and the packs.

The assets stage cannot build rings (``geosoc.phases`` comes later), so the zones are built
here, where both are available, and handed to :mod:`geosoc.assets.site_coverage`. Harm per
zone comes from whatever the audience may see (disclosed cells for partners and the public,
incident points for analysts). Every text in the HTML section is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import pandas as pd
import shapely

from geosoc.assets.site_coverage import (
    CORE_CAPABILITIES,
    coverage_gaps,
    harm_in_zones,
    zone_coverage,
)
from geosoc.phases.rings import buffer_rings
from geosoc.schema import CRS_STORE

#: Default ring bands around a site (metres from its edge, EPSG:27700).
DEFAULT_BANDS_M = (0.0, 250.0, 500.0)
SITE_ZONE = "site"


@dataclass(frozen=True)
class SiteCoverage:
    """Assets in and around one site.

    Attributes
    ----------
    site : str
        Site name.
    zones : geopandas.GeoDataFrame
        ``zone`` (``"site"`` then the rings, e.g. ``"0-250 m ring"``), polygons EPSG:4326.
    table : pandas.DataFrame
        Tidy counts per zone, dimension and value (:func:`zone_coverage`).
    gaps : pandas.DataFrame
        Per zone: harm, assets, delivering, stale, missing pillars and capabilities, rank
        (:func:`coverage_gaps`).
    """

    site: str
    zones: gpd.GeoDataFrame
    table: pd.DataFrame
    gaps: pd.DataFrame


def site_zones(site_geometry: shapely.Geometry,
               bands_m: Sequence[float] = DEFAULT_BANDS_M) -> gpd.GeoDataFrame:
    """Return the site and its rings as zones (``zone``, polygons EPSG:4326).

    ``bands_m`` are distances from the site edge in metres (EPSG:27700), as for
    :func:`geosoc.phases.buffer_rings`; ``(0, 250, 500)`` gives two rings.
    """
    rings = buffer_rings(site_geometry, tuple(bands_m)) if len(bands_m) > 1 else None
    names = [SITE_ZONE] + ([] if rings is None else rings["ring"].tolist())
    shapes = [site_geometry] + ([] if rings is None else list(rings.geometry))
    return gpd.GeoDataFrame({"zone": names}, geometry=shapes, crs=CRS_STORE)


def site_coverage(assets: gpd.GeoDataFrame, site_geometry: shapely.Geometry, *,
                  site: str = "site", harm_layer: gpd.GeoDataFrame | None = None,
                  bands_m: Sequence[float] = DEFAULT_BANDS_M,
                  capabilities: Sequence[str] = CORE_CAPABILITIES,
                  as_of: date | None = None) -> SiteCoverage:
    """Count assets by sector, capability and pillar in a site and its rings, with gaps.

    Parameters
    ----------
    assets : geopandas.GeoDataFrame
        Asset register, points EPSG:4326 (retired assets ignored).
    site_geometry : shapely geometry
        Site polygon, EPSG:4326.
    site : str
        Site name (for titles).
    harm_layer : geopandas.GeoDataFrame, optional
        Features with ``harm`` (days) the audience may see: incident points, or disclosed
        cells (NaN = suppressed, counted as 0). Summed per zone by representative point.
    bands_m : sequence of float
        Ring bands in metres (EPSG:27700).
    capabilities : sequence of str
        Capabilities wanted in every zone.
    as_of : datetime.date, optional
        Day stale flags are judged from (default today).
    """
    zones = site_zones(site_geometry, bands_m)
    harm = harm_in_zones(harm_layer, zones) if harm_layer is not None else None
    return SiteCoverage(site, zones, zone_coverage(assets, zones),
                        coverage_gaps(assets, zones, harm, capabilities=capabilities,
                                      as_of=as_of))


def coverage_pivot(coverage: SiteCoverage, dimension: str) -> pd.DataFrame:
    """Return assets per value (rows) and zone (columns) for one dimension, zero-filled."""
    part = coverage.table[coverage.table["dimension"] == dimension]
    table = part.pivot_table(index="value", columns="zone", values="assets", aggfunc="sum",
                             fill_value=0)
    return table.reindex(columns=list(coverage.zones["zone"]), fill_value=0).astype("int64")


def _html_table(frame: pd.DataFrame, index_label: str) -> str:
    head = f"<th>{html.escape(index_label)}</th>" + "".join(
        f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + f"<td>{html.escape(str(idx))}</td>"
        + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for idx, row in zip(frame.index, frame.to_numpy(), strict=True))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:,.1f}"
    return str(value)


def coverage_section_html(coverage: SiteCoverage) -> str:
    """Render a site's asset coverage as an escaped HTML ``<section>`` for the packs."""
    gaps = coverage.gaps.rename(columns={
        "harm": "Harm (days)", "assets": "Assets", "delivering": "Delivering",
        "stale": "Stale (>12 months)", "assets_per_100_harm": "Assets per 100 harm",
        "missing_pillars": "Missing 4P pillars", "missing_capabilities":
        "Missing core capabilities", "gap_rank": "Gap rank"})
    parts = [f"<section><h2>Community asset coverage: {html.escape(coverage.site)}</h2>",
             "<p>Active assets inside the site and each ring around it, and the gaps "
             "against harm (rank 1 = most harm per asset).</p>",
             _html_table(gaps, "Zone")]
    for dimension, title in (("sector", "Sector"), ("pillar", "4P pillar"),
                             ("capability", "Capability")):
        pivot = coverage_pivot(coverage, dimension)
        if len(pivot):
            parts.append(f"<h3>By {html.escape(title.lower())}</h3>"
                         + _html_table(pivot, title))
    return "".join(parts) + "</section>"
