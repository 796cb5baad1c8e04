"""Row-level checks shared by the readers, each returning :class:`Problem` records.

Working frames carry two bookkeeping columns: ``_file`` (the file a row came from) and
``_row`` (its 1-based line number, header = row 1). The checks select the offending rows
with vectorised masks and only build a ``Problem`` for the first :data:`MAX_LISTED` of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyproj import Transformer

from geosoc.errors import Problem
from geosoc.schema import CRS_METRIC, CRS_STORE, UK_BOUNDS_LONLAT

#: Most row problems listed per check before summarising the rest.
MAX_LISTED = 25
FILE = "_file"
ROW = "_row"


def row_problems(
    frame: pd.DataFrame,
    mask: np.ndarray | pd.Series,
    *,
    column: str,
    message: str,
    fix: str,
    value_column: str | None = None,
) -> list[Problem]:
    """Return one :class:`Problem` per flagged row (capped), plus a count of the rest.

    Parameters
    ----------
    frame : pandas.DataFrame
        Working frame with ``_file`` and ``_row`` columns.
    mask : array of bool
        Rows at fault.
    column : str
        The file's column name, for the message.
    message : str
        What is wrong; ``{value}`` is replaced with the cell value when
        ``value_column`` is given.
    fix : str
        How to fix it.
    value_column : str, optional
        Column of ``frame`` holding the offending value.

    Returns
    -------
    list of Problem
        Empty when no row is flagged.
    """
    mask = np.asarray(mask, dtype=bool)
    n = int(mask.sum())
    if n == 0:
        return []
    bad = frame.loc[mask].head(MAX_LISTED)
    values = bad[value_column].astype(str).tolist() if value_column else [""] * len(bad)
    problems = [
        Problem(message.format(value=v), file=f, row=int(r), column=column, fix=fix)
        for f, r, v in zip(bad[FILE].tolist(), bad[ROW].tolist(), values, strict=True)
    ]
    if n > MAX_LISTED:
        problems.append(Problem(f"... and {n - MAX_LISTED:,} more rows with the same problem",
                                file=problems[0].file, column=column, fix=fix))
    return problems


def parse_months(
    values: pd.Series, *, date_format: str | None = None
) -> tuple[pd.Series, np.ndarray]:
    """Parse dates or ``YYYY-MM`` strings to a monthly Period series.

    Parameters
    ----------
    values : pandas.Series of str
        Date strings.
    date_format : str, optional
        A ``strftime`` format. When omitted, ISO dates/months (``2024-01``, ``2024-01-31``,
        ``2024-01-31T10:00``) are tried, then UK day-first dates (``31/01/2024``,
        ``31/01/2024 10:00``).

    Returns
    -------
    months : pandas.Series of Period[M]
        Same index; NaT where a value did not parse.
    bad : numpy.ndarray of bool
        True where the value did not parse.
    """
    codes, uniques = pd.factorize(values.astype(str).str.strip())
    text = pd.Series(uniques, dtype="str")
    if date_format:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    else:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        for fmt in ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y"):
            missing = parsed.isna()
            if not missing.any():
                break
            parsed = parsed.where(~missing, pd.to_datetime(text, format=fmt, errors="coerce"))
    months = pd.Series(parsed.dt.to_period("M").array.take(codes), index=values.index)
    return months, months.isna().to_numpy()


def future_months(months: pd.Series) -> np.ndarray:
    """Return a mask of months later than the current month (UTC)."""
    now = pd.Period(pd.Timestamp.now(tz="UTC").tz_localize(None), freq="M")
    return (months.notna() & (months > now)).to_numpy()


def numeric(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convert strings to float64.

    Returns
    -------
    numbers : numpy.ndarray of float64
        NaN for blanks and non-numbers.
    blank : numpy.ndarray of bool
        True where the cell was empty.
    invalid : numpy.ndarray of bool
        True where the cell held text that is not a number.
    """
    text = pc.utf8_trim_whitespace(pa.array(values.astype(str)))
    blank = pc.equal(text, "")
    try:  # fast path: every non-blank cell is a number
        numbers = pc.cast(pc.if_else(blank, None, text), pa.float64())
        array = numbers.to_numpy(zero_copy_only=False)
        blank_mask = blank.to_numpy(zero_copy_only=False)
        return np.where(blank_mask, np.nan, array), blank_mask, np.zeros(len(array), bool)
    except pa.ArrowInvalid:
        pass
    stripped = values.astype(str).str.strip()
    array = pd.to_numeric(stripped, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    blank_mask = (stripped == "").to_numpy()
    return array, blank_mask, np.isnan(array) & ~blank_mask


def outside_uk(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return True where a WGS84 point (degrees) lies outside ``schema.UK_BOUNDS_LONLAT``."""
    x0, y0, x1, y1 = UK_BOUNDS_LONLAT
    return ~((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))


def bng_to_lonlat(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert British National Grid metres (EPSG:27700) to WGS84 lon/lat degrees."""
    transformer = Transformer.from_crs(CRS_METRIC, CRS_STORE, always_xy=True)
    lon, lat = transformer.transform(np.asarray(easting, float), np.asarray(northing, float))
    return _finite(lon), _finite(lat)


def lonlat_to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 lon/lat degrees to British National Grid metres (EPSG:27700)."""
    transformer = Transformer.from_crs(CRS_STORE, CRS_METRIC, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
    return _finite(x), _finite(y)


def _finite(values: np.ndarray) -> np.ndarray:
    """Return float64 values with pyproj's ``inf`` (from NaN or out-of-range input) as NaN."""
    values = np.asarray(values, dtype="float64")
    return np.where(np.isfinite(values), values, np.nan)


def encode(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary-encode strings with pyarrow (about 2x faster than ``pd.factorize``).

    Returns
    -------
    codes : numpy.ndarray of int
        Position of each value in the dictionary.
    blank : numpy.ndarray of bool
        For each dictionary entry, whether it is the empty string.
    """
    array = pa.array(values.astype(str))
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    encoded = pc.dictionary_encode(array)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return codes, pc.equal(encoded.dictionary, "").to_numpy(zero_copy_only=False)


def duplicate_ids(ids: pd.Series) -> np.ndarray:
    """Return True on every row whose non-empty id occurs more than once."""
    codes, blank = encode(ids)
    repeated = np.bincount(codes, minlength=len(blank)) > 1
    repeated[blank] = False
    return repeated[codes]
