"""Coverage of a CHB site and its rings: assets by sector, capability and pillar, and gaps.

The caller passes the zones (the site polygon and the rings around it, e.g. from
``geosoc.phases.buffer_rings``, which is a later stage than assets) as one GeoDataFrame
with a ``zone`` name column, polygons EPSG:4326, and, for gaps, the harm in each zone
(computed from whatever the audience may see: disclosed cells for partners).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geosoc.assets.capabilities import PILLARS, verification_status
from geosoc.assets.model import active_assets
from geosoc.schema import require_columns, require_crs

#: Capabilities a Build phase usually wants near a site (the default for gaps).
CORE_CAPABILITIES: tuple[str, ...] = (
    "youth work", "mentoring", "diversion", "substance misuse support", "employment support",
    "family and parenting support", "exploitation awareness", "safe space")
COVERAGE_COLUMNS = ("zone", "dimension", "value", "assets")


def assets_in_zones(assets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the active assets inside each zone, with a ``zone`` column.

    Parameters
    ----------
    assets : geopandas.GeoDataFrame
        Asset register, points EPSG:4326.
    zones : geopandas.GeoDataFrame
        ``zone`` (name) and polygons, EPSG:4326. An asset on a shared edge belongs to the
        first zone listed.

    Returns
    -------
    pandas.DataFrame
        One row per asset inside a zone (asset columns without geometry, plus ``zone``).
    """
    require_columns(zones, ("zone",), what="zones")
    require_crs(zones, what="zones")
    require_crs(assets, what="assets")
    a = active_assets(assets).to_crs(zones.crs).reset_index(drop=True)
    asset_pos, zone_pos = zones.sindex.query(a.geometry.values, predicate="intersects")
    order = np.lexsort((zone_pos, asset_pos))
    asset_pos, zone_pos = asset_pos[order], zone_pos[order]
    _, first = np.unique(asset_pos, return_index=True)
    asset_pos, zone_pos = asset_pos[first], zone_pos[first]
    out = pd.DataFrame(a.drop(columns=a.geometry.name)).iloc[asset_pos].reset_index(drop=True)
    out.insert(0, "zone", zones["zone"].to_numpy()[zone_pos])
    return out


def zone_coverage(assets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Count assets per zone by sector, category, capability, pillar and engagement.

    Parameters
    ----------
    assets, zones : geopandas.GeoDataFrame
        See :func:`assets_in_zones`.

    Returns
    -------
    pandas.DataFrame
        Tidy :data:`COVERAGE_COLUMNS`: ``dimension`` is ``sector``, ``category``,
        ``capability``, ``pillar`` or ``engagement``; ``assets`` (int64) counts the assets
        of that value in the zone (an asset with three capabilities counts once for each).
        Zones in their given order, then dimension, then value.
    """
    inside = assets_in_zones(assets, zones)
    parts = []
    for dimension, column, multi in (("sector", "sector", False),
                                     ("category", "category", False),
                                     ("capability", "capabilities", True),
                                     ("pillar", "pillars", True),
                                     ("engagement", "engagement", False)):
        if column not in inside.columns:
            continue
        values = inside[column].fillna("").astype(str)
        if multi:
            values = values.str.split("; ").explode()
        frame = pd.DataFrame({"zone": inside["zone"].reindex(values.index).to_numpy(),
                              "value": values.to_numpy()})
        frame = frame[frame["value"].ne("")]
        counts = frame.groupby(["zone", "value"], sort=False).size().rename("assets")
        parts.append(counts.reset_index().assign(dimension=dimension))
    if not parts:
        return pd.DataFrame(columns=list(COVERAGE_COLUMNS))
    out = pd.concat(parts, ignore_index=True)[list(COVERAGE_COLUMNS)]
    rank = {z: i for i, z in enumerate(zones["zone"])}
    out = out.assign(_z=out["zone"].map(rank)).sort_values(["_z", "dimension", "value"])
    return out.drop(columns="_z").reset_index(drop=True).astype({"assets": "int64"})


def harm_in_zones(layer: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *,
                  value: str = "harm") -> pd.Series:
    """Sum ``value`` of the features whose representative point lies in each zone.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Cells, areas or points with ``value`` (NaN, e.g. suppressed, counts as 0), any CRS.
    zones : geopandas.GeoDataFrame
        ``zone`` and polygons.

    Returns
    -------
    pandas.Series
        float64 per zone name, in zone order (first zone wins on a shared edge).
    """
    require_columns(layer, (value,), what="layer")
    points = layer.geometry.to_crs(zones.crs).representative_point()
    point_pos, zone_pos = zones.sindex.query(points.values, predicate="intersects")
    _, first = np.unique(point_pos, return_index=True)
    point_pos, zone_pos = point_pos[first], zone_pos[first]
    sums = np.bincount(zone_pos, weights=layer[value].astype(float).fillna(0).to_numpy()
                       [point_pos], minlength=len(zones))
    return pd.Series(sums, index=pd.Index(zones["zone"], name="zone"), name=value)


def coverage_gaps(assets: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                  harm: pd.Series | None = None, *,
                  capabilities: Sequence[str] = CORE_CAPABILITIES,
                  as_of: date | None = None) -> pd.DataFrame:
    """Summarise each zone against its harm: assets, delivering, stale, missing provision.

    Parameters
    ----------
    assets, zones : geopandas.GeoDataFrame
        See :func:`assets_in_zones`.
    harm : pandas.Series, optional
        Harm (days) per zone name (e.g. :func:`harm_in_zones` on disclosed cells).
    capabilities : sequence of str
        Capabilities wanted in every zone (default :data:`CORE_CAPABILITIES`).
    as_of : datetime.date, optional
        Day the stale flags are judged from (default today).

    Returns
    -------
    pandas.DataFrame
        Index ``zone`` (zone order): ``harm``, ``assets``, ``delivering``, ``stale``
        (not verified for 12 months, or never), ``assets_per_100_harm`` (NaN where harm is
        0 or unknown), ``missing_pillars`` and ``missing_capabilities`` (``"; "``-joined),
        ``gap_rank`` (1 = the zone with the most harm per asset, ties by harm).
    """
    inside = assets_in_zones(assets, zones)
    names = pd.Index(zones["zone"], name="zone")
    counts = inside.groupby("zone").size().reindex(names, fill_value=0).astype("int64")
    engaged = inside.get("engagement", pd.Series(dtype=object)).eq("delivering")
    delivering = engaged.groupby(inside["zone"]).sum().reindex(names, fill_value=0)
    stale = verification_status(inside["last_verified"].fillna(""), as_of=as_of).ne(
        "current") if len(inside) else pd.Series(dtype=bool)
    stale_n = stale.groupby(inside["zone"]).sum().reindex(names, fill_value=0)
    coverage = zone_coverage(assets, zones)
    out = pd.DataFrame({"harm": (harm.reindex(names).astype(float) if harm is not None
                                 else np.nan),
                        "assets": counts.to_numpy(),
                        "delivering": delivering.astype("int64").to_numpy(),
                        "stale": stale_n.astype("int64").to_numpy()}, index=names)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["assets_per_100_harm"] = np.where(out["harm"] > 0,
                                              out["assets"] / out["harm"] * 100, np.nan)
    for dimension, wanted, column in (("pillar", PILLARS, "missing_pillars"),
                                      ("capability", tuple(capabilities),
                                       "missing_capabilities")):
        have = coverage[coverage["dimension"] == dimension]
        grid = pd.MultiIndex.from_product([names, list(wanted)], names=["zone", "value"])
        present = pd.Series(True, index=pd.MultiIndex.from_frame(have[["zone", "value"]]))
        missing = ~present.reindex(grid, fill_value=False).astype(bool)
        listed = (pd.Series(grid.get_level_values("value"), index=grid)[missing]
                  .groupby(level="zone", sort=False).agg("; ".join))
        out[column] = listed.reindex(names, fill_value="").to_numpy()
    need = out["harm"].fillna(0) / out["assets"].clip(lower=1)
    order = (pd.DataFrame({"need": need, "harm": out["harm"].fillna(0)})
             .reset_index(drop=True).sort_values(["need", "harm"], ascending=False,
                                                 kind="stable").index.to_numpy())
    rank = np.empty(len(out), dtype="int64")
    rank[order] = np.arange(1, len(out) + 1)
    out["gap_rank"] = rank
    return out
