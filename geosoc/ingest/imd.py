"""Read deprivation (IMD 2019) and population per LSOA.

IMD: File 7 or the GLA extract. Population: ONS estimates as published (``.xlsx`` with cover
sheets and title rows, or CSV).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geosoc.errors import Problem, SchemaError
from geosoc.ingest.checks import FILE, ROW, numeric, row_problems
from geosoc.ingest.files import read_csv_checked
from geosoc.ingest.report import Ingested, IngestReport
from geosoc.ingest.spreadsheet import XLSX_SUFFIXES

#: Patterns (lower-case, matched at the start of the header) for each output column,
#: in preference order: MHCLG File 7 / GLA names, then plain contract names.
_PATTERNS = {
    "lsoa_code": (r"lsoa code", r"lsoa_code$", r"lsoa11cd$", r"lsoa21cd$"),
    "imd_score": (r"index of multiple deprivation \(imd\) score", r"imd_score$", r"imd score"),
    "imd_rank": (r"index of multiple deprivation \(imd\) rank", r"imd_rank$", r"imd rank"),
    "imd_decile": (r"index of multiple deprivation \(imd\) decile", r"imd_decile$",
                   r"imd decile"),
    "population": (r"total population", r"population$"),
}


def _find(columns: list[str], patterns: tuple[str, ...]) -> str | None:
    for pattern in patterns:
        for col in columns:
            if re.match(pattern, col.strip().lower()):
                return col
    return None


#: Header patterns (lower-case, matched at the start) of ONS population estimates.
_POPULATION = {
    "lsoa_code": (r"lsoa \d{4} code", r"lsoa code", r"lsoa_code$", r"lsoa\d\dcd$", r"code$"),
    "population": (r"total$", r"all ages$", r"all_ages$", r"population$", r"total population"),
}


def read_population(path: str | Path, *, sheet: str | None = None,
                    delimiter: str | None = None) -> Ingested:
    """Read total population per LSOA (ONS mid-year estimates, ``.xlsx`` or CSV).

    Parameters
    ----------
    path : str or pathlib.Path
        An ONS workbook (cover and notes sheets and title rows are skipped: the sheet and
        header row naming an LSOA code and a ``Total``/``All Ages`` column are found) or a CSV
        with such columns.
    sheet : str, optional
        The workbook sheet to read (default: found by its header).
    delimiter : str, optional
        CSV field delimiter (default comma, or tab when detected).

    Returns
    -------
    Ingested
        ``data``: DataFrame indexed by ``lsoa_code`` with ``population`` (int64, persons).
    """
    path = Path(path)
    report = IngestReport(source=str(path), kind="population")
    raw = _read_population_table(path, sheet, delimiter, report.notes)
    columns = list(raw.columns)
    found = {name: _find(columns, pats) for name, pats in _POPULATION.items()}
    missing = [n for n in found if not found[n]]
    if missing:
        raise SchemaError(f"{path.name}: not a population file", [Problem(
            f"no column for '{n}' (looked for e.g. 'LSOA 2021 Code', 'Total'); the header has "
            + ", ".join(f"'{c}'" for c in columns[:15]), file=str(path), column=n,
            fix="use the ONS LSOA population estimates, or rename the columns to "
            "lsoa_code and population") for n in missing])
    raw[FILE] = str(path)
    raw[ROW] = np.arange(2, len(raw) + 2)
    report.rows_read = len(raw)
    number, blank, bad = numeric(raw[found["population"]].str.replace(",", "", regex=False))
    problems = row_problems(raw, bad | blank, column=found["population"],
                            value_column=found["population"],
                            message="'{value}' is not a number",
                            fix="population must be a plain number of persons")
    codes = raw[found["lsoa_code"]].str.strip()
    problems += row_problems(raw, codes.duplicated(keep=False).to_numpy(),
                             column=found["lsoa_code"], value_column=found["lsoa_code"],
                             message="LSOA {value} appears more than once",
                             fix="keep one row per LSOA (total of all ages)")
    if problems:
        raise SchemaError(f"{path.name}: {len(problems)} problem(s) in population data",
                          problems)
    out = pd.DataFrame({"population": number.astype("int64")},
                       index=pd.Index(codes.array, name="lsoa_code"))
    report.rows_kept = len(out)
    return Ingested(out, report)


def _read_population_table(path: Path, sheet: str | None, delimiter: str | None,
                           notes: list[str]) -> pd.DataFrame:
    """Read the population table; in a workbook find the sheet whose header fits."""
    if path.suffix.lower() in XLSX_SUFFIXES and sheet is None:
        for code in ("LSOA 2021 Code", "LSOA 2011 Code", "LSOA Code", "lsoa_code"):
            for total in ("Total", "All Ages", "population"):
                try:
                    return read_csv_checked(path, required=(code, total), notes=notes)
                except SchemaError:
                    continue
    return read_csv_checked(path, notes=notes, delimiter=delimiter, sheet=sheet)


def read_imd(path: str | Path, *, delimiter: str | None = None, sheet: str | None = None,
             population: str | Path | None = None) -> Ingested:
    """Read IMD score, rank and decile per LSOA.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV in the MHCLG File 7 / GLA "IMD 2019" layout (``LSOA code (2011)``,
        ``Index of Multiple Deprivation (IMD) Score`` ...) or with plain columns
        ``lsoa_code, imd_score, imd_rank, imd_decile``.

    Returns
    -------
    Ingested
        ``data``: DataFrame indexed by ``lsoa_code`` with ``imd_score`` (float64),
        ``imd_rank`` (int64, 1 = most deprived in England), ``imd_decile`` (int64, 1-10)
        and ``population`` when the file has a total-population column or a
        ``population`` file is given.
    delimiter : str, optional
        CSV field delimiter (default comma, or tab when detected).
    sheet : str, optional
        Sheet of an ``.xlsx`` workbook.
    population : str or pathlib.Path, optional
        An LSOA population file (:func:`read_population`) joined on the LSOA code; LSOAs
        it lacks get no population (noted).

    Raises
    ------
    SchemaError
        Missing columns, non-numeric values, deciles outside 1-10, duplicate LSOA codes.
    """
    path = Path(path)
    report = IngestReport(source=str(path), kind="imd")
    raw = read_csv_checked(path, notes=report.notes, delimiter=delimiter, sheet=sheet)
    columns = list(raw.columns)
    found = {name: _find(columns, pats) for name, pats in _PATTERNS.items()}
    missing = [n for n in ("lsoa_code", "imd_score", "imd_rank", "imd_decile") if not found[n]]
    if missing:
        raise SchemaError(f"{path.name}: not an IMD file", [Problem(
            f"no column for '{n}'; expected a File 7 name such as "
            f"'{_PATTERNS[n][0].replace(chr(92), '')}' or '{n}'", file=str(path), row=1,
            column=n, fix="use the IMD 2019 File 7 CSV, or rename the column") for n in missing])
    raw[FILE] = str(path)
    raw[ROW] = np.arange(2, len(raw) + 2)
    report.rows_read = len(raw)
    values, problems = {}, []
    for name in ("imd_score", "imd_rank", "imd_decile", "population"):
        col = found[name]
        if col is None:
            continue
        number, blank, bad = numeric(raw[col].str.replace(",", "", regex=False))
        values[name] = number
        problems += row_problems(raw, bad | blank, column=col, value_column=col,
                                 message="'{value}' is not a number",
                                 fix="re-export the IMD file; values must be plain numbers")
    decile = values["imd_decile"]
    problems += row_problems(raw, ~np.isnan(decile) & ~np.isin(decile, np.arange(1, 11)),
                             column=found["imd_decile"], value_column=found["imd_decile"],
                             message="decile {value} is not a whole number from 1 to 10",
                             fix="check the decile column is the IMD decile")
    codes = raw[found["lsoa_code"]].str.strip()
    problems += row_problems(raw, codes.duplicated(keep=False).to_numpy(),
                             column=found["lsoa_code"], value_column=found["lsoa_code"],
                             message="LSOA {value} appears more than once",
                             fix="keep one row per LSOA")
    if problems:
        raise SchemaError(f"{path.name}: {len(problems)} problem(s) in IMD data", problems)
    out = pd.DataFrame({
        "imd_score": values["imd_score"],
        "imd_rank": values["imd_rank"].astype("int64"),
        "imd_decile": decile.astype("int64"),
    }, index=pd.Index(codes.array, name="lsoa_code"))
    if "population" in values:
        out["population"] = values["population"].astype("int64")
    if population is not None:
        pop = read_population(population)
        report.notes += pop.report.notes
        joined = pop.data["population"].reindex(out.index)
        if joined.isna().any():
            report.note(f"{int(joined.isna().sum()):,} LSOA(s) have no population in "
                        f"{Path(population).name}")
        out["population"] = joined.astype("Int64")
    report.rows_kept = len(out)
    return Ingested(out, report)
