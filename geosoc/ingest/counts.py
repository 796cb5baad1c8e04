"""Read area counts (area code x month x category x count) into the area-counts contract.

Accepts CSV or Parquet with contract names (``area_code, month, category, count`` and
optional ``source``, ``area_name``), a ``mapping`` from contract names to the file's
columns, or the police.uk LSOA snapshot layout
(``lsoa_code, lsoa_name, borough, category, year, month, crime_count``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from geosoc import schema
from geosoc.errors import InputFileError, Problem, SchemaError
from geosoc.ingest.checks import FILE, ROW, future_months, parse_months, row_problems
from geosoc.ingest.files import read_csv_checked
from geosoc.ingest.report import Ingested, IngestReport

_CANDIDATES = {
    "area_code": ("area_code", "lsoa_code", "ward_code", "code"),
    "area_name": ("area_name", "lsoa_name", "ward_name", "name"),
    "category": ("category", "crime_type", "Crime type"),
    "count": ("count", "crime_count", "n"),
    "month": ("month", "Month"),
}
_REQUIRED = ("area_code", "month", "category", "count")
#: CLI flag naming the file's column for each contract name (``geosoc ingest --kind counts``).
COUNT_FLAGS = {"area_code": "--area-code", "area_name": "--area-name", "month": "--date",
               "category": "--category", "count": "--count"}


def _load(path: Path, notes: list[str], delimiter: str | None = None,
          sheet: str | None = None) -> tuple[pd.DataFrame, int]:
    """Return the raw frame and the file row number of its first record."""
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path), 1
        except (OSError, ValueError) as err:
            raise InputFileError(f"{path.name}: unreadable Parquet", [Problem(
                f"could not read the file as Parquet ({err})", file=str(path),
                fix="check the file is a complete Parquet export, or save it as CSV")]) from err
    return read_csv_checked(path, notes=notes, delimiter=delimiter, sheet=sheet), 2


def _columns(raw: pd.DataFrame, path: Path, mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Map contract names to the file's columns, raising SchemaError for missing ones."""
    chosen: dict[str, str] = {}
    for name, options in _CANDIDATES.items():
        if mapping and name in mapping:
            options = (mapping[name],)
        found = next((c for c in options if c in raw.columns), None)
        if found is not None:
            chosen[name] = found
    missing = [n for n in _REQUIRED if n not in chosen]
    if missing:
        raise SchemaError(f"{path.name}: {len(missing)} required column(s) missing", [Problem(
            f"no column for '{n}' (looked for {', '.join(repr(c) for c in _CANDIDATES[n])}); "
            f"the file has: {', '.join(map(str, raw.columns[:20]))}", file=str(path), row=1,
            column=n, fix=f"name the column with {COUNT_FLAGS[n]} COLUMN (library: "
            f"mapping={{'{n}': '<column>'}}), or rename it to '{n}'")
            for n in missing])
    return chosen


def _flag(values: pd.Series, mask: np.ndarray, path: Path, first: int, **kwargs: str
          ) -> list[Problem]:
    """Row problems for the flagged rows only (bookkeeping built on the subset).

    ``values`` holds the offending cells; ``{value}`` in the message is replaced by them.
    """
    if not mask.any():
        return []
    sub = pd.DataFrame({"_v": values[mask].astype(str), FILE: str(path),
                        ROW: np.flatnonzero(mask) + first})
    return row_problems(sub, np.ones(len(sub), dtype=bool), value_column="_v", **kwargs)


def _months(raw: pd.DataFrame, cols: dict[str, str], path: Path, first: int
            ) -> tuple[pd.arrays.PeriodArray, list[Problem]]:
    col = cols["month"]
    values = raw[col]
    if "year" in raw.columns and pd.api.types.is_numeric_dtype(values):
        year = pd.to_numeric(raw["year"], errors="coerce").to_numpy(dtype=float)
        month = values.to_numpy(dtype=float)
        bad = ~((month >= 1) & (month <= 12) & (month % 1 == 0) & (year >= 1900) & (year % 1 == 0))
        ordinal = np.where(bad, 0, (year - 1970) * 12 + month - 1).astype("int64")
        months = pd.Series(pd.PeriodIndex.from_ordinals(ordinal, freq="M"), index=raw.index)
        months = months.where(~bad)
        label = "year/month"
    else:
        months, bad = parse_months(values.astype(str))
        label = col
    problems = _flag(raw[col], bad, path, first, column=label,
                     message="month '{value}' is not a valid month",
                     fix="write months as YYYY-MM (or integer year and month 1-12 columns)")
    problems += _flag(months, future_months(months), path, first, column=label,
                      message="month {value} is in the future", fix="correct the month")
    return months.array, problems


def read_area_counts(
    path: str | Path, *, source: str = "police", mapping: Mapping[str, str] | None = None,
    delimiter: str | None = None, sheet: str | None = None,
) -> Ingested:
    """Read aggregated counts per area, month and category.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` or ``.parquet`` file.
    source : str
        Value of the ``source`` column when the file has none.
    mapping : mapping of str to str, optional
        Contract name (``area_code``, ``area_name``, ``month``, ``category``, ``count``) to
        the file's column, for files with other names (CLI: :data:`COUNT_FLAGS`).
    delimiter : str, optional
        CSV field delimiter (default comma, or tab when detected).
    sheet : str, optional
        Sheet of an ``.xlsx`` workbook.

    Returns
    -------
    Ingested
        ``data``: DataFrame (RangeIndex) with ``area_code``, ``month`` (Period[M]),
        ``category``, ``source``, ``count`` (int64) and ``area_name`` when present.
        Rows with a zero count are kept (absent rows mean zero too).

    Raises
    ------
    SchemaError
        Missing columns, bad or future months, negative, fractional or non-numeric counts
        (file rows are 1-based with the header as row 1 for CSV; record numbers for Parquet).
    """
    path = Path(path)
    report = IngestReport(source=str(path), kind="counts")
    raw, first = _load(path, report.notes, delimiter, sheet)
    cols = _columns(raw, path, mapping)
    report.rows_read = len(raw)
    months, problems = _months(raw, cols, path, first)
    count = pd.to_numeric(raw[cols["count"]], errors="coerce").to_numpy(dtype=float)
    fix = "counts must be whole numbers of events, 0 or more"
    given = raw[cols["count"]]
    problems += _flag(given, np.isnan(count), path, first, column=cols["count"],
                      message="count '{value}' is not a number", fix=fix)
    problems += _flag(given, count < 0, path, first, column=cols["count"],
                      message="count {value} is negative", fix=fix)
    problems += _flag(given, ~np.isnan(count) & (count % 1 != 0), path, first,
                      column=cols["count"], message="count {value} is not a whole number", fix=fix)
    codes = raw[cols["area_code"]].astype(str)
    problems += _flag(codes, (codes.str.len() == 0).to_numpy(), path, first,
                      column=cols["area_code"], message="the area code is blank",
                      fix="fill in the area code")
    if problems:
        raise SchemaError(f"{path.name}: {len(problems)} problem(s) in area counts", problems)
    out = pd.DataFrame({
        schema.AREA_CODE: codes.array,
        schema.MONTH: months,
        schema.CATEGORY: raw[cols["category"]].astype(str).array,
        schema.SOURCE: raw["source"].astype(str).array if "source" in raw.columns else source,
        schema.COUNT: count.astype("int64"),
    })
    if "area_name" in cols:
        out["area_name"] = raw[cols["area_name"]].astype(str).array
    if source == schema.POLICE_SOURCE:
        odd = out.loc[~out[schema.CATEGORY].isin(schema.POLICEUK_CRIME_TYPES), schema.CATEGORY]
        for name, n in odd.value_counts().head(10).items():
            report.note(f"category '{name}' ({n:,} rows) is not one of the 14 police.uk crime "
                        "types; kept as is")
    report.rows_kept = len(out)
    report.note(f"{int(out[schema.COUNT].sum()):,} events in {out[schema.AREA_CODE].nunique():,} "
                f"areas, {out[schema.MONTH].min()} to {out[schema.MONTH].max()}")
    return Ingested(out, report)
