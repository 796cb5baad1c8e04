"""Community assets (FB5): the register's record model, validation and coverage analysis.

An asset record has the columns :data:`RECORD_COLUMNS` (what a person supplies) plus
``version``, ``updated_by`` and ``updated_at`` (what the workspace register adds). Categories
and sectors are controlled vocabularies (:data:`CATEGORIES`, :data:`SECTORS`) with synonyms;
unknown values are rejected with the nearest allowed value as the fix.

Geometry is stored and passed as EPSG:4326 points; every distance here is measured in
EPSG:27700 (British National Grid, metres). Reading and writing files lives in
:mod:`geosoc.asset_io` and OpenStreetMap tags in :mod:`geosoc.asset_osm`; their public
functions are also reachable from here (``geosoc.assets.read_assets`` etc.), loaded lazily
because those modules build on this one.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.errors import Problem, SchemaError
from geosoc.schema import CRS_METRIC, require_columns, require_crs

#: Asset categories, with the synonyms accepted on import (compared case-insensitively).
CATEGORY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "youth": ("youth club", "youth centre", "youth center", "youth service", "young people"),
    "sport": ("sports", "sports club", "sports centre", "leisure centre", "gym", "football"),
    "faith": ("church", "mosque", "temple", "gurdwara", "synagogue", "place of worship",
              "religious"),
    "health": ("gp", "doctor", "doctors", "clinic", "pharmacy", "hospital", "health centre",
               "mental health", "nhs"),
    "education": ("school", "college", "university", "nursery", "adult education"),
    "housing": ("housing association", "homeless", "homelessness", "shelter", "hostel"),
    "food": ("food bank", "foodbank", "food pantry", "community fridge", "community kitchen"),
    "advice/debt": ("advice", "debt", "debt advice", "citizens advice", "welfare advice",
                    "money advice", "legal advice", "advice and debt"),
    "employment": ("jobs", "job centre", "jobcentre", "employment support", "training",
                   "skills"),
    "community centre": ("community center", "community hall", "community hub", "hub",
                         "village hall", "community space"),
    "business": ("shop", "retail", "pub", "cafe", "company"),
    "library": ("libraries", "public library"),
    "substance misuse": ("drug and alcohol", "drugs and alcohol", "recovery",
                         "recovery service", "addiction", "needle exchange"),
    "family support": ("family hub", "children's centre", "childrens centre", "early help",
                       "parenting"),
    "other": ("misc", "miscellaneous"),
}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_SYNONYMS)

#: Sectors, with their accepted synonyms.
SECTOR_SYNONYMS: dict[str, tuple[str, ...]] = {
    "statutory": ("public", "public sector", "council", "local authority", "government", "nhs",
                  "police"),
    "voluntary/community": ("voluntary", "community", "vcs", "vcse", "voluntary and community",
                            "community group"),
    "faith": ("faith group", "religious"),
    "private": ("business", "commercial", "private sector"),
    "third sector": ("third", "charity", "social enterprise", "not for profit", "non-profit"),
}
SECTORS: tuple[str, ...] = tuple(SECTOR_SYNONYMS)
STATUSES = ("active", "retired")

#: Columns a person supplies for one asset (in export order).
RECORD_COLUMNS = ("asset_id", "name", "category", "sector", "services", "serves",
                  "opening_times", "contact", "source", "last_verified", "lon", "lat",
                  "postcode", "status")
#: Every column of a register frame (records plus the register's bookkeeping).
ASSET_COLUMNS = (*RECORD_COLUMNS, "version", "updated_by", "updated_at")
#: Free-text columns (stored verbatim; escaped only when rendered).
TEXT_COLUMNS = ("name", "services", "serves", "opening_times", "contact", "source")


#: Names re-exported lazily from :mod:`geosoc.asset_io` and :mod:`geosoc.asset_osm`.
_REEXPORTS = {"read_assets": "asset_io", "validate_assets": "asset_io",
              "export_assets_csv": "asset_io", "export_assets_geojson": "asset_io",
              "neutralise_formulas": "asset_io", "assets_from_osm": "asset_osm"}


def __getattr__(name: str) -> object:
    """Resolve the file-handling names of :data:`_REEXPORTS` on first use (PEP 562)."""
    if name in _REEXPORTS:
        return getattr(importlib.import_module(f"geosoc.{_REEXPORTS[name]}"), name)
    raise AttributeError(f"module 'geosoc.assets' has no attribute {name!r}")


def _lookup(synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table = {canonical: canonical for canonical in synonyms}
    table.update({alias: canonical for canonical, aliases in synonyms.items()
                  for alias in aliases})
    return table


CATEGORY_LOOKUP = _lookup(CATEGORY_SYNONYMS)
SECTOR_LOOKUP = _lookup(SECTOR_SYNONYMS)


def _vocab_key(values: pd.Series) -> pd.Series:
    return (values.fillna("").astype(str).str.strip().str.lower()
            .str.replace("_", " ", regex=False).str.replace(r"\s+", " ", regex=True))


def normalise_categories(values: pd.Series) -> pd.Series:
    """Map category names and synonyms to :data:`CATEGORIES` (unknown values become NA)."""
    return _vocab_key(values).map(CATEGORY_LOOKUP)


def normalise_sectors(values: pd.Series) -> pd.Series:
    """Map sector names and synonyms to :data:`SECTORS` (unknown values become NA)."""
    return _vocab_key(values).map(SECTOR_LOOKUP)


def suggest(value: str, lookup: dict[str, str]) -> str | None:
    """Return the allowed value nearest to ``value`` (by spelling), or ``None``."""
    close = difflib.get_close_matches(value.strip().lower(), list(lookup), n=1, cutoff=0.5)
    return lookup[close[0]] if close else None


def vocabulary_problems(raw: pd.Series, clean: pd.Series, column: str, lookup: dict[str, str],
                    file: str | None, rows: pd.Series) -> list[Problem]:
    """Return a problem for each non-empty ``raw`` value that ``clean`` could not map.

    Parameters
    ----------
    raw, clean : pandas.Series
        Values as given and after normalising (NA where unknown).
    column : str
        Column name for the problems.
    lookup : dict
        Accepted spellings -> canonical value, for the suggested fix.
    file : str or None
        Source file.
    rows : pandas.Series
        Row number of each value as a person counts it.
    """
    bad = clean.isna() & raw.fillna("").astype(str).str.strip().ne("")
    allowed = ", ".join(dict.fromkeys(lookup.values()))
    return [
        Problem(f"{column} '{value}' is not allowed", file=file, row=int(row), column=column,
                fix=(f"did you mean '{hint}'?" if (hint := suggest(value, lookup))
                     else f"use one of: {allowed}"))
        for value, row in zip(raw[bad], rows[bad], strict=True)
    ]


def empty_register() -> gpd.GeoDataFrame:
    """Return an empty asset register frame with every column, EPSG:4326."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64" if c in ("lon", "lat") else "object")
                          for c in ASSET_COLUMNS})
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy([], []), crs="EPSG:4326")


def active_assets(assets: pd.DataFrame) -> pd.DataFrame:
    """Return the assets whose ``status`` is not ``"retired"`` (all when there is no status).

    Parameters
    ----------
    assets : pandas.DataFrame or geopandas.GeoDataFrame
        Asset register (any CRS; kept).

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A new frame of the same type and index labels, without retired assets.
    """
    if "status" not in assets.columns:
        return assets.copy()
    return assets[assets["status"].fillna("active") != "retired"]


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
