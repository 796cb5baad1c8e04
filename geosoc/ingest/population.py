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
- A CSV or workbook with either header, or common column names: a code column named for its
  level (``ward_code``, ``WD22CD``, ``lsoa_code``, ``LSOA11CD``, ``LSOA21CD``...) or generic
  (``gss_code``, ``area_code``, ``code``: the level is then read from the codes, ``E05``
  wards, ``E01`` LSOAs), and a ``population``/``Total``/``All Ages`` column. A file of
  several years per area (a ``Year`` column, as the GLA publishes) keeps each area's latest
  year that is not in the future, with a note.

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
    "lsoa": (r"lsoa \d{4} code$", r"lsoa code$", r"lsoa code \(\d{4}\)$", r"lsoa_?code$",
             r"lsoa\d\dcd$"),
    "ward": (r"ward \d{4} code$", r"ward code( 1)?$", r"ward_?code$", r"wd\d\dcd$"),
}
#: Header patterns of a code column that does not say its level (read from the codes).
GENERIC_CODE_PATTERNS = (r"gss[ _]?code$", r"area[ _]?code$", r"code$", r"geography code$",
                         r"geogcode$", r"ons[ _]?code$")
#: Header patterns of a year column (files of several years per area).
YEAR_PATTERNS = (r"year$", r"mid[- ]?year$")
#: Header patterns of the total (all ages, persons) column.
TOTAL_PATTERNS = (r"total$", r"all ages$", r"all_ages$", r"population$",
                  r"total[ _]population", r"usual residents$", r"residents$", r"all persons$",
                  r"persons$", r"all usual residents$", r"total[ _]?pop$", r"pop$")
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
    level, code_col = _code_column(raw, columns, level)
    total = _find(columns, TOTAL_PATTERNS)
    if code_col is None or total is None:
        missing = ("area code" if code_col is None else "total population")
        raise SchemaError(f"{path.name}: not a population file", [Problem(
            f"no {missing} column (looked for e.g. 'LSOA 2021 Code', 'Ward 2022 Code', "
            "'WD22CD', 'LSOA21CD', 'ward_code', 'gss_code' or 'area_code', and 'Total', "
            "'All Ages' or 'population'); the header has "
            + ", ".join(f"'{c}'" for c in columns[:15]), file=str(path),
            column="area_code" if code_col is None else "population",
            fix="use the ONS mid-year estimates as published (LSOA or ward), or name the "
                "code column area_code (codes such as E05012345 or E01012345) and the "
                "residents column population")])
    if _find([code_col], CODE_PATTERNS[level]) is None:
        report.note(f"read column '{code_col}' as {_LEVEL_NAMES[level]} codes (from the codes)")
    raw[FILE] = str(path)
    raw[ROW] = _file_rows(report.notes, len(raw))
    report.rows_read = len(raw)
    raw = _latest_year(raw, code_col, report.notes)
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


def _code_column(raw: pd.DataFrame, columns: list[str], level: str | None
                 ) -> tuple[str, str | None]:
    """Return the level and the code column: named for its level, else generic."""
    levels = [level] if level else list(CODE_PATTERNS)
    found = {lv: _find(columns, CODE_PATTERNS[lv]) for lv in levels}
    named = next((lv for lv in levels if found[lv]), None)
    if named is not None:
        return named, found[named]
    generic = _find(columns, GENERIC_CODE_PATTERNS)
    if generic is None:
        return level or "ward", None
    if level is not None:
        return level, generic
    codes = raw[generic].astype(str).str.strip().str.upper()
    shares = {lv: float(codes.str.fullmatch(shape).mean()) for lv, shape in CODE_SHAPES.items()}
    return max(shares, key=shares.__getitem__), generic


def _latest_year(raw: pd.DataFrame, code_col: str, notes: list[str]) -> pd.DataFrame:
    """Keep each area's latest year not in the future, when a year column repeats areas."""
    year_col = _find([c for c in raw.columns if c != code_col], YEAR_PATTERNS)
    if year_col is None or not raw[code_col].duplicated().any():
        return raw
    years = pd.to_numeric(raw[year_col].str.strip().str[:4], errors="coerce")
    now = pd.Timestamp.now().year
    usable = years.notna() & (years <= now)
    if not usable.any():
        return raw
    latest = int(years[usable].max())
    notes.append(f"the file holds years {int(years.min())}-{int(years.max())}; read "
                 f"{latest} (the latest year not in the future)")
    return raw.loc[(years == latest).to_numpy()].reset_index(drop=True)


def population_gaps(population: pd.DataFrame, areas: pd.DataFrame, kind: str
                    ) -> str | None:
    """Return a warning naming the ``kind`` areas that have no population, or None.

    Parameters
    ----------
    population : pandas.DataFrame
        :func:`read_population` data (index ``area_code``, ``kind``).
    areas : pandas.DataFrame
        Areas of ``kind`` (index ``area_code``), e.g. the workspace's stored wards.
    kind : str
        ``"ward"`` or ``"lsoa"``.

    Returns
    -------
    str or None
        ``"12 of 40 wards have no population in this file (another vintage of codes?): their
        rates read 'population not known' ..."``; None when every area is covered or the
        file is of another level.
    """
    if population.empty or kind not in set(population["kind"]):
        return None
    codes = pd.Index(areas.index.astype(str))
    missing = codes[~codes.isin(population.index[population["kind"] == kind])]
    if len(missing) == 0:
        return None
    label = _LEVEL_NAMES[kind] + ("s" if len(codes) != 1 else "")
    return (f"{len(missing):,} of {len(codes):,} {label} have no population in this file "
            f"(another vintage of codes?), e.g. {', '.join(missing[:5])}: their rates read "
            "'population not known'")


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
