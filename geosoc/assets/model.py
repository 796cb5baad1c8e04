"""Community assets (FB5): the register's record model, validation and coverage analysis.

An asset record has the columns :data:`RECORD_COLUMNS` (what a person supplies) plus
``version``, ``updated_by`` and ``updated_at`` (what the workspace register adds). Categories
and sectors are controlled vocabularies (:data:`CATEGORIES`, :data:`SECTORS`) with synonyms;
unknown values are rejected with the nearest allowed value as the fix.

Geometry is stored and passed as EPSG:4326 points; every distance here is measured in
EPSG:27700 (British National Grid, metres). Reading and writing files lives in
:mod:`geosoc.assets.files`, OpenStreetMap tags in :mod:`geosoc.assets.osm` and coverage
analysis in :mod:`geosoc.assets.coverage`.
"""

from __future__ import annotations

import difflib

import geopandas as gpd
import pandas as pd

from geosoc.errors import Problem

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
                  "postcode", "status", "capabilities", "capabilities_other", "pillars",
                  "engagement", "contact_owner", "external_id")
#: Every column of a register frame (records plus the register's bookkeeping).
ASSET_COLUMNS = (*RECORD_COLUMNS, "version", "updated_by", "updated_at")
#: Free-text columns (stored verbatim; escaped only when rendered).
TEXT_COLUMNS = ("name", "services", "serves", "opening_times", "contact", "source",
                "capabilities_other", "contact_owner")


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
