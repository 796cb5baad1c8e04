"""Read ONS mid-year population estimates per LSOA or ward (``.xlsx`` as published, or CSV).

Layouts read as published by ONS (no editing needed):

- **LSOA** — "Lower layer Super Output Area population estimates" (``sapelsoasyoa...xlsx``):
  one sheet per year (``Mid-2019 LSOA 2021`` ... ``Mid-2022 LSOA 2021``) after cover and
  notes sheets, a few title rows, then a header ``LAD 2021 Code, LAD 2021 Name, LSOA 2021
  Code, LSOA 2021 Name, Total, F0, ...``. Older editions: ``Mid-2020 Persons`` with
  ``LSOA Code, LSOA Name, ..., All Ages, 0, 1, ...``.
- **Ward** — "Ward-level population estimates" (``sapewardsyoa...xlsx``): ``Mid-2022 Ward
  2022`` sheets with ``Ward 2022 Code, Ward 2022 Name, LAD 2022 Code, ..., Total``; older
  ``Mid-2020 Persons`` sheets with ``Ward Code 1, Ward Name 1, ..., All Ages``.
- A CSV with either header (or plain ``area_code, population`` / ``lsoa_code, population``).

In a workbook with several ``Mid-YYYY`` sheets the latest year is read (say ``--sheet`` to
choose another), and the report notes which.
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
from geosoc.ingest.spreadsheet import HEADER_SEARCH_ROWS, XLSX_SUFFIXES

#: Header patterns (lower-case, matched at the start) of the area code column per level.
CODE_PATTERNS = {
    "lsoa": (r"lsoa \d{4} code$", r"lsoa code$", r"lsoa code \(\d{4}\)$", r"lsoa_code$",
             r"lsoa\d\dcd$"),
    "ward": (r"ward \d{4} code$", r"ward code( 1)?$", r"ward_code$", r"wd\d\dcd$"),
}
#: Header patterns of the total (all ages, persons) column.
TOTAL_PATTERNS = (r"total$", r"all ages$", r"all_ages$", r"population$",
                  r"total population")
#: GSS code shape per level (England ``E``, Wales ``W``).
CODE_SHAPES = {"lsoa": r"[EW]01\d{6}", "ward": r"[EW]05\d{6}"}
_LEVEL_NAMES = {"lsoa": "LSOA", "ward": "ward"}


def _find(columns: list[str], patterns: tuple[str, ...]) -> str | None:
    for pattern in patterns:
        for col in columns:
            if re.match(pattern, col.strip().lower()):
                return col
    return None


def read_population(path: str | Path, *, level: str | None = None, sheet: str | None = None,
                    delimiter: str | None = None) -> Ingested:
    """Read total population (persons, all ages) per LSOA or ward.

    Parameters
    ----------
    path : str or pathlib.Path
        An ONS workbook (cover, notes and title rows skipped; the latest ``Mid-YYYY`` sheet
        read) or a CSV with an area code column and a ``Total``/``All Ages`` column.
    level : {"lsoa", "ward"}, optional
        Which areas the file holds (default: found from the header).
    sheet : str, optional
        The workbook sheet to read.
    delimiter : str, optional
        CSV field delimiter (default comma, or tab when detected).

    Returns
    -------
    Ingested
        ``data``: DataFrame indexed by ``area_code`` with ``population`` (int64, persons)
        and ``kind`` (``"lsoa"`` or ``"ward"``); ``report.notes`` name the sheet, header row
        and year (``mid-2022``) when known.

    Raises
    ------
    SchemaError
        No area code or total column (the header seen is quoted), a code of the wrong shape,
        a total that is not a whole number of persons, or a code listed twice; every problem
        names the file, row and column and how to fix it.
    """
    path = Path(path)
    report = IngestReport(source=str(path), kind="population")
    raw, chosen = _read_table(path, sheet, delimiter, report.notes)
    columns = list(raw.columns)
    levels = [level] if level else list(CODE_PATTERNS)
    found = {lv: _find(columns, CODE_PATTERNS[lv]) for lv in levels}
    level = next((lv for lv in levels if found[lv]), None)
    total = _find(columns, TOTAL_PATTERNS)
    if level is None or total is None:
        missing = ("area code" if level is None else "total population")
        raise SchemaError(f"{path.name}: not a population file", [Problem(
            f"no {missing} column (looked for e.g. 'LSOA 2021 Code' or 'Ward 2022 Code', and "
            "'Total' or 'All Ages'); the header has "
            + ", ".join(f"'{c}'" for c in columns[:15]), file=str(path),
            column="area_code" if level is None else "population",
            fix="use the ONS mid-year estimates as published (LSOA or ward), or name the "
                "columns area_code and population")])
    code_col = found[level]
    raw[FILE] = str(path)
    raw[ROW] = _file_rows(report.notes, len(raw))
    report.rows_read = len(raw)
    number, blank, bad = numeric(raw[total].str.replace(",", "", regex=False))
    filled = np.nan_to_num(number)
    bad_number = bad | blank | (filled < 0) | (np.mod(filled, 1) != 0)
    problems = row_problems(raw, bad_number, column=total, value_column=total,
                            message="'{value}' is not a whole number of persons",
                            fix="the total must be a plain count of residents (all ages)")
    codes = raw[code_col].str.strip().str.upper()
    wrong = ~codes.str.fullmatch(CODE_SHAPES[level]).fillna(False).astype(bool)
    problems += row_problems(raw, wrong.to_numpy(), column=code_col, value_column=code_col,
                             message=f"'{{value}}' is not a {_LEVEL_NAMES[level]} code",
                             fix=f"{_LEVEL_NAMES[level]} codes look like "
                                 f"{'E01012345' if level == 'lsoa' else 'E05012345'}; check the "
                                 "column, or give --level")
    problems += row_problems(raw, (codes.duplicated(keep=False) & ~wrong).to_numpy(),
                             column=code_col, value_column=code_col,
                             message="{value} appears more than once",
                             fix="keep one row per area (the total of all ages)")
    if problems:
        raise SchemaError(f"{path.name}: {len(problems)} problem(s) in population data",
                          problems)
    out = pd.DataFrame({"population": np.asarray(number, dtype="int64"), "kind": level},
                       index=pd.Index(codes.array, name="area_code"))
    year = re.search(r"mid[- ]?(\d{4})", f"{chosen or ''} {total} {path.name}",
                     re.IGNORECASE)
    if year:
        report.note(f"population estimates for mid-{year.group(1)}")
    report.rows_kept = len(out)
    return Ingested(out, report)


def _file_rows(notes: list[str], n: int) -> np.ndarray:
    """File row numbers of the data rows: below the header a workbook note names."""
    header = next((int(m.group(1)) for note in notes
                   if (m := re.search(r"header on row (\d+)", note))), 1)
    return np.arange(header + 1, header + 1 + n)


def _latest_year_sheet(path: Path) -> str | None:
    """Return the ``Mid-YYYY`` sheet of the latest year in a workbook, or None."""
    from python_calamine import CalamineWorkbook

    try:
        names = list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:  # an unreadable workbook is reported by the reader itself
        return None
    years = {name: int(m.group(1)) for name in names
             if (m := re.match(r"\s*mid-?(\d{4})", name, re.IGNORECASE))}
    return max(years, key=lambda name: years[name]) if years else None


def _read_table(path: Path, sheet: str | None, delimiter: str | None,
                notes: list[str]) -> tuple[pd.DataFrame, str | None]:
    """Read the table (and say which sheet): a workbook's latest-year sheet by default."""
    if path.suffix.lower() in XLSX_SUFFIXES and sheet is None:
        sheet = _latest_year_sheet(path) or _fitting_sheet(path)
    return read_csv_checked(path, notes=notes, delimiter=delimiter, sheet=sheet), sheet


def _fitting_sheet(path: Path) -> str | None:
    """Return the first sheet whose header names an area code and a total, or None."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        tops = {name: book.get_sheet_by_name(name).to_python(nrows=HEADER_SEARCH_ROWS)
                for name in book.sheet_names}
    except Exception:  # an unreadable workbook is reported by the reader itself
        return None
    for name, rows in tops.items():  # only the top rows of each sheet are read here
        for row in rows:
            columns = [str(c).strip() for c in row if c is not None]
            if _find(columns, TOTAL_PATTERNS) and any(
                    _find(columns, patterns) for patterns in CODE_PATTERNS.values()):
                return name
    return None
