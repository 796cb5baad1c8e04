"""Values as a person reads them: names for codes, sensible precision, words for gaps.

The value half of :func:`geosoc.report.table_labels.display_table` (headings are the other
half). Every table the app or a pack shows goes through it, so no reader meets an H3 id, a
bare GSS code, ``0.8826086956521737``, ``nan``/``None``/``NaT`` or an ISO timestamp with
microseconds:

* a GSS code (``E05009288``) is shown only beside its name: ``"Bishopsgate (E05009288)"``;
* an H3 id is shown by the area holding its centre and a short id:
  ``"Cell 9a7f3 in Market Square"`` (:func:`cell_labels`);
* floats get at most 3 decimals, fewer as they grow (:func:`round_sensibly`); p-values read
  ``"< 0.001"`` below a thousandth;
* a missing value reads ``"not known"`` (a suppressed count is the disclosure layer's to
  say: it arrives as text ``"suppressed"`` or as a hidden value the caller names);
* a timestamp reads ``"2026-12-08 00:35 UTC"``.

No UI library is imported; the functions take and return pandas objects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geosoc.aggregate.cells import cell_centres

#: A GSS code: a country letter, two digits of entity type, six digits (E05009288).
GSS_CODE = re.compile(r"^[EWSNKJ]\d{8}$")
#: An H3 cell id as 15 hex digits (resolutions 0-15 all start with 8).
H3_ID = re.compile(r"^8[0-9a-f]{14}$")
#: An ISO timestamp as the audit log and the workspace write them.
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
#: What a missing value reads as.
NOT_KNOWN = "not known"


def round_sensibly(values: pd.Series, digits: int | None = None) -> pd.Series:
    """Round floats for reading: ``digits`` if given, else by the column's magnitude.

    Largest absolute value 1,000 or more: whole numbers; 10 or more: 1 decimal; 1 or more:
    2 decimals; below 1: 3 decimals. Integer and non-numeric columns come back unchanged.
    """
    if not pd.api.types.is_float_dtype(values):
        return values
    if digits is None:
        top = float(np.nanmax(np.abs(values.to_numpy(float)))) if values.notna().any() else 0.0
        digits = 0 if top >= 1000 else 1 if top >= 10 else 2 if top >= 1 else 3
    return values.round(min(digits, 3))


def p_value_text(values: pd.Series) -> pd.Series:
    """Return p-values as text with 3 decimals, ``"< 0.001"`` below that, gaps "not known"."""
    numbers = pd.to_numeric(values, errors="coerce")
    text = numbers.map(lambda p: f"{p:.3f}" if p >= 0.001 else "< 0.001").astype(object)
    return text.where(numbers.notna(), NOT_KNOWN)


def is_code_column(values: pd.Series) -> bool:
    """Whether a column holds GSS area codes (every non-empty value looks like one)."""
    if pd.api.types.is_numeric_dtype(values) or values.empty:
        return False
    text = values.dropna().astype(str)
    return bool(len(text)) and bool(text.str.fullmatch(GSS_CODE.pattern).all())


def is_h3_column(values: pd.Series) -> bool:
    """Whether a column holds H3 ids as hex strings."""
    if pd.api.types.is_numeric_dtype(values) or values.empty:
        return False
    text = values.dropna().astype(str)
    return bool(len(text)) and bool(text.str.fullmatch(H3_ID.pattern).all())


def named_codes(codes: pd.Series, names: Mapping[str, str] | pd.Series | None) -> pd.Series:
    """Return ``"Name (code)"`` for each code; a code with no known name reads "Area (code)".

    Parameters
    ----------
    codes : pandas.Series
        GSS codes (or any area codes).
    names : mapping or Series of code -> name, optional
        The areas' names (a boundary frame's ``name`` column indexed by code).
    """
    lookup = dict(names.items()) if names is not None else {}
    text = codes.astype(object)
    named = text.map(lambda c: lookup.get(c) if pd.notna(c) else None)
    out = np.where(named.notna(), named.astype(str) + " (" + text.astype(str) + ")",
                   "Area (" + text.astype(str) + ")")
    return pd.Series(out, index=codes.index, dtype=object).where(codes.notna(), NOT_KNOWN)


def cell_labels(ids: pd.Series | pd.Index, areas: gpd.GeoDataFrame | None, *,
                outside: str = "outside the wards") -> pd.Series:
    """Name H3 cells (hex ids) by the area holding their centre: "Cell 9a7f3 in Hollins".

    Parameters
    ----------
    ids : pandas.Series or Index of str
        H3 ids (any resolution).
    areas : geopandas.GeoDataFrame, optional
        Areas in EPSG:4326 with a ``name`` column; without them cells read "Cell 9a7f3".
    outside : str
        Said of a cell whose centre lies in no area.

    Returns
    -------
    pandas.Series of str, positionally aligned with ``ids`` (a plain 0..n-1 index).
    """
    text = pd.Series(list(ids), dtype=object)
    valid = text.notna()
    short = text.astype(str).str.rstrip("f").str[-5:]
    label = ("Cell " + short).astype(object)
    if areas is not None and not areas.empty and valid.any():
        lon, lat = cell_centres(text[valid].astype(str).to_numpy())
        centres = shapely.points(lon, lat)
        tree = shapely.STRtree(areas.geometry.to_numpy())
        cell_i, area_i = tree.query(centres, predicate="within")
        names = (areas["name"] if "name" in areas.columns else areas.index.to_series())
        names = names.astype(str).to_numpy()
        where = np.full(int(valid.sum()), f"({outside})", dtype=object)
        first = pd.Series(area_i).groupby(cell_i).first()
        where[first.index.to_numpy()] = "in " + names[first.to_numpy()].astype(object)
        label[valid.to_numpy()] = label[valid].to_numpy() + " " + where
    return label.where(valid, NOT_KNOWN)


def readable_values(values: pd.Series, *, names: Mapping[str, str] | pd.Series | None = None,
                    areas: gpd.GeoDataFrame | None = None) -> pd.Series:
    """Make one column readable whatever it holds (the fallback for columns not named).

    Codes get their names, H3 ids their area, timestamps lose seconds, floats are rounded,
    missing text reads "not known". Numeric missing values stay missing (empty in a table),
    so the column still sorts as numbers.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(
            values):
        stamp = pd.to_datetime(values, utc=True)
        return stamp.dt.strftime("%Y-%m-%d %H:%M UTC").astype(object).where(stamp.notna(),
                                                                           NOT_KNOWN)
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.astype(str).where(values.notna(), NOT_KNOWN)
    if pd.api.types.is_bool_dtype(values):
        return values.map({True: "yes", False: "no"})
    if pd.api.types.is_numeric_dtype(values):
        return round_sensibly(values)
    if is_h3_column(values):
        return cell_labels(values, areas).set_axis(values.index)
    if is_code_column(values):
        return named_codes(values, names)
    text = values.astype(object)
    stamps = text.dropna().astype(str)
    if len(stamps) and stamps.str.match(ISO_TIME.pattern).all():
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        return parsed.dt.strftime("%Y-%m-%d %H:%M UTC").astype(object).where(parsed.notna(),
                                                                            NOT_KNOWN)
    missing = text.isna() | text.astype(str).isin(["nan", "None", "NaT", "<NA>"])
    return text.where(~missing, NOT_KNOWN)


def total_text(values: pd.Series, *, hidden: str = "areas") -> str:
    """Return the total of disclosed values in words, never taking a suppressed value as 0.

    ``"1,234"`` when every value is shown; ``"at least 1,234 (some areas suppressed)"``
    when some are hidden (the total of the shown ones is a lower bound, not the total);
    ``"suppressed"`` when all are hidden; ``"0"`` only when every value shown is 0.
    """
    numbers = pd.to_numeric(values, errors="coerce")
    shown = numbers.dropna()
    if numbers.empty:
        return "0"
    if shown.empty:
        return "suppressed"
    total = f"{shown.sum():,.0f}"
    if len(shown) < len(numbers):
        return f"at least {total} (some {hidden} suppressed)"
    return total
