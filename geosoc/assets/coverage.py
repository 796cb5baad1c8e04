"""Asset coverage: assets near targets, gaps against harm and assets per unit of harm.

Geometry is EPSG:4326 in and out; distances are measured in EPSG:27700 (metres).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.assets.model import (
    CATEGORIES,
    CATEGORY_LOOKUP,
    active_assets,
    normalise_categories,
    vocabulary_problems,
)
from geosoc.errors import Problem, SchemaError
from geosoc.schema import CRS_METRIC, require_columns, require_crs


def _check_categories(categories: Iterable[str]) -> list[str]:
    wanted = list(categories)
    clean = normalise_categories(pd.Series(wanted, dtype="object"))
    problems = vocabulary_problems(pd.Series(wanted, dtype="object"), clean, "category",
                               CATEGORY_LOOKUP, None, pd.Series(range(1, len(wanted) + 1)))
    if problems or not wanted:
        raise SchemaError("categories must come from the asset vocabulary", problems or [
            Problem("no categories given", fix=f"choose from {', '.join(CATEGORIES)}")])
    return list(dict.fromkeys(clean.tolist()))


def _metric(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    require_crs(frame, what=what)
    return frame.to_crs(CRS_METRIC)


def assets_near(assets: gpd.GeoDataFrame, targets: gpd.GeoDataFrame,
                distance_m: float) -> pd.DataFrame:
    """List the active assets within ``distance_m`` metres of each target.

    Parameters
    ----------
    assets : geopandas.GeoDataFrame
        Asset register (``asset_id``, ``category``, optional ``status``), points EPSG:4326.
    targets : geopandas.GeoDataFrame
        Cells (index ``h3``), areas (index ``area_code``) or sites, EPSG:4326. Distance is
        from the asset to the nearest edge of the target (0 inside it).
    distance_m : float
        Search radius in metres, measured in EPSG:27700.

    Returns
    -------
    pandas.DataFrame
        Tidy ``target_id``, ``asset_id``, ``distance_m``, ``category``; one row per pair,
        sorted by target then distance.
    """
    require_columns(assets, ("asset_id", "category"), what="assets")
    a = _metric(active_assets(assets), "assets")
    t = _metric(targets, "targets")
    asset_pos, target_pos = t.sindex.query(a.geometry.values, predicate="dwithin",
                                           distance=float(distance_m))
    out = pd.DataFrame({
        "target_id": t.index.to_numpy()[target_pos],
        "asset_id": a["asset_id"].to_numpy()[asset_pos],
        "distance_m": shapely.distance(a.geometry.values[asset_pos],
                                       t.geometry.values[target_pos]),
        "category": a["category"].to_numpy()[asset_pos],
    })
    return out.sort_values(["target_id", "distance_m"], kind="stable").reset_index(drop=True)


def asset_gaps(frame_with_harm: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, *,
               categories: Sequence[str], distance_m: float = 500.0,
               harm_quantile: float = 0.9) -> gpd.GeoDataFrame:
    """Find high-harm cells or areas with no asset of a wanted category within reach.

    Parameters
    ----------
    frame_with_harm : geopandas.GeoDataFrame
        Cells or Areas with a ``harm`` column, EPSG:4326.
    assets : geopandas.GeoDataFrame
        Asset register, points EPSG:4326 (retired assets are ignored).
    categories : sequence of str
        Wanted categories (names or synonyms from :data:`CATEGORY_SYNONYMS`).
    distance_m : float
        Reach in metres (EPSG:27700), default 500.
    harm_quantile : float
        Targets with ``harm`` at or above this quantile (and above zero) count as high harm.

    Returns
    -------
    geopandas.GeoDataFrame
        The high-harm targets missing at least one category, same index, sorted by harm
        (highest first): ``harm``, ``assets_within`` (wanted-category assets within reach),
        ``missing_categories`` (``"; "``-joined), ``n_missing``, and per category
        ``nearest__<category>`` (asset name) and ``distance_m__<category>`` (metres, NaN
        when the register has none of that category); geometry EPSG:4326.
    """
    require_columns(frame_with_harm, ("harm",), what="harm frame")
    require_columns(assets, ("asset_id", "name", "category"), what="assets")
    wanted = _check_categories(categories)
    harm = frame_with_harm["harm"].astype("float64")
    high = frame_with_harm[(harm >= harm.quantile(harm_quantile)) & (harm > 0)]
    t = _metric(high, "harm frame")
    a = _metric(active_assets(assets), "assets")
    a = a[a["category"].isin(wanted)]
    out = high[[c for c in ("name", "harm") if c in high.columns] + [high.geometry.name]].copy()
    counts = assets_near(assets[assets["category"].isin(wanted)], high, distance_m)
    out.insert(len(out.columns) - 1, "assets_within",
               counts["target_id"].value_counts().reindex(out.index, fill_value=0)
               .astype("int64").to_numpy())
    missing = np.zeros((len(t), len(wanted)), dtype=bool)
    for j, category in enumerate(wanted):  # a handful of categories, each vectorised
        names = np.full(len(t), None, dtype=object)
        dists = np.full(len(t), np.nan)
        subset = a[a["category"] == category]
        if len(subset) and len(t):
            (target_pos, asset_pos), found = subset.sindex.nearest(
                t.geometry.values, return_distance=True, return_all=False)
            names[target_pos] = subset["name"].to_numpy()[asset_pos]
            dists[target_pos] = found
        out[f"nearest__{category}"] = names
        out[f"distance_m__{category}"] = dists
        missing[:, j] = ~(dists <= distance_m)
    listed = pd.Series("", index=out.index, dtype="object")
    for j, category in enumerate(wanted):
        listed = listed + np.where(missing[:, j], category + "; ", "")
    out["missing_categories"] = listed.str.removesuffix("; ")
    out["n_missing"] = missing.sum(axis=1).astype("int64")
    out = out[out["n_missing"] > 0].sort_values("harm", ascending=False, kind="stable")
    return gpd.GeoDataFrame(out, geometry=high.geometry.name, crs=high.crs)


def assets_per_harm(areas_with_harm: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, *,
                    by_category: bool = False) -> gpd.GeoDataFrame:
    """Count active assets per area and per 100 harm units.

    Parameters
    ----------
    areas_with_harm : geopandas.GeoDataFrame
        Areas (or cells) with a ``harm`` column, polygons EPSG:4326.
    assets : geopandas.GeoDataFrame
        Asset register (``category``), points EPSG:4326. An asset on a shared edge counts
        once.
    by_category : bool
        Also add ``asset_count__<category>`` for every category in :data:`CATEGORIES`.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``areas_with_harm`` (same index) with ``asset_count`` (int64),
        ``assets_per_100_harm`` (NaN where harm is 0) and ``assets_per_km2`` (area measured
        in EPSG:27700).
    """
    require_columns(areas_with_harm, ("harm",), what="areas")
    require_columns(assets, ("category",), what="assets")
    require_crs(areas_with_harm, what="areas")
    a = active_assets(assets).to_crs(areas_with_harm.crs)
    asset_pos, area_pos = areas_with_harm.sindex.query(a.geometry.values,
                                                       predicate="intersects")
    _, first = np.unique(asset_pos, return_index=True)
    asset_pos, area_pos = asset_pos[first], area_pos[first]
    out = areas_with_harm.copy()
    counts = np.bincount(area_pos, minlength=len(out)).astype("int64")
    harm = out["harm"].astype("float64").to_numpy()
    out["asset_count"] = counts
    with np.errstate(divide="ignore", invalid="ignore"):
        out["assets_per_100_harm"] = np.where(harm > 0, counts / harm * 100.0, np.nan)
    out["assets_per_km2"] = counts / (out.geometry.to_crs(CRS_METRIC).area.to_numpy() / 1e6)
    if by_category:
        codes = pd.Categorical(a["category"].to_numpy()[asset_pos], categories=CATEGORIES)
        table = np.zeros((len(out), len(CATEGORIES)), dtype="int64")
        np.add.at(table, (area_pos, codes.codes), 1)
        for j, category in enumerate(CATEGORIES):
            out[f"asset_count__{category}"] = table[:, j]
    return out
