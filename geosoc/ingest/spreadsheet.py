"""Read Excel ``.xlsx`` workbooks (as ONS and many partners publish them) as text tables.

Workbooks are read with python-calamine (a maintained Rust reader; no formulas are run and
no macros are loaded). Published workbooks often open with a cover sheet, contents and notes,
and put a few title lines above the header: :func:`read_xlsx_checked` picks the sheet and the
header row itself (the first row naming every required column, else the widest row near the
top of the largest sheet) and says which it used in a note. Cells come back as strings
(``""`` for blanks; whole numbers without ``.0``; dates as ISO ``YYYY-MM-DD``) so the readers
check them exactly as they check CSV cells.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from geosoc.errors import InputFileError, Problem, SchemaError

#: Rows searched for the header at the top of each sheet.
HEADER_SEARCH_ROWS = 30
#: Suffixes read as Excel workbooks.
XLSX_SUFFIXES = (".xlsx", ".xlsm")


def _text(value: object) -> str:
    """One cell as text: ``""`` for blanks, ``12`` for 12.0, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _header_row(rows: list[list[str]], required: Sequence[str]) -> int | None:
    """Return the index of the header row among the first rows, or None."""
    top = rows[:HEADER_SEARCH_ROWS]
    if required:
        wanted = {c.lower() for c in required}
        for i, row in enumerate(top):
            if wanted <= {c.lower() for c in row}:
                return i
        return None
    widths = [sum(1 for c in row if c) for row in top]
    if not widths or max(widths) < 1:
        return None
    return widths.index(max(widths))


def read_xlsx_checked(path: str | Path, *, required: Sequence[str] = (),
                      sheet: str | None = None, notes: list[str] | None = None
                      ) -> pd.DataFrame:
    """Read one sheet of an ``.xlsx`` workbook as a table of strings.

    Parameters
    ----------
    path : str or pathlib.Path
        The workbook.
    required : sequence of str
        Columns the header must name (matched ignoring case; the file's spelling is kept).
        The first sheet whose top rows hold such a header is read.
    sheet : str, optional
        Read this sheet (default: chosen as above, else the sheet with the most rows).
    notes : list of str, optional
        Receives a note naming the sheet and header row used.

    Returns
    -------
    pandas.DataFrame
        One row per data row below the header (blank rows dropped), string columns.

    Raises
    ------
    InputFileError
        The workbook cannot be opened, or the sheet does not exist or holds no data.
    SchemaError
        No sheet has a header naming every required column.
    """
    from python_calamine import CalamineWorkbook  # imported only when a workbook is read

    path = Path(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as err:  # calamine raises its own error types for broken files
        raise InputFileError(f"{path.name}: unreadable workbook", [Problem(
            f"could not open it as an Excel workbook ({err})", file=str(path),
            fix="open and re-save it in Excel as .xlsx, or save the sheet as CSV UTF-8")]) from err
    names = list(book.sheet_names)
    if sheet is not None and sheet not in names:
        raise InputFileError(f"{path.name}: no sheet {sheet!r}", [Problem(
            f"the workbook's sheets are {', '.join(names)}", file=str(path), column="--sheet",
            fix="give one of the sheet names above with --sheet")])
    sheets = {}
    for name in [sheet] if sheet else names:
        rows = [[_text(v) for v in row] for row in book.get_sheet_by_name(name).to_python()]
        sheets[name] = rows
    chosen, header = None, None
    for name, rows in sheets.items():
        found = _header_row(rows, required)
        if found is not None and (required or chosen is None
                                  or len(rows) > len(sheets[chosen])):
            chosen, header = name, found
            if required:
                break
    if chosen is None:
        if required:
            raise SchemaError(f"{path.name}: no sheet with the expected columns", [Problem(
                "no sheet has a header row naming " + ", ".join(f"'{c}'" for c in required)
                + f" in its first {HEADER_SEARCH_ROWS} rows (sheets: {', '.join(names)})",
                file=str(path), fix="check the column names, or pick the sheet with --sheet")])
        raise InputFileError(f"{path.name}: empty workbook", [Problem(
            "no sheet holds any data", file=str(path), fix="export the data again")])
    rows = sheets[chosen]
    head = rows[header]
    width = max(i + 1 for i, c in enumerate(head) if c) if any(head) else len(head)
    columns = [c or f"column_{i + 1}" for i, c in enumerate(head[:width])]
    body = [(r + [""] * width)[:width] for r in rows[header + 1:]]
    frame = pd.DataFrame(body, columns=columns, dtype=str)
    frame = frame[(frame != "").any(axis=1)].reset_index(drop=True)
    if frame.empty:
        raise InputFileError(f"{path.name}: no data rows", [Problem(
            f"sheet '{chosen}' has a header on row {header + 1} but no data rows",
            file=str(path), fix="check the sheet, or pick another with --sheet")])
    if notes is not None:
        notes.append(f"read sheet '{chosen}' of {path.name}, header on row {header + 1}")
    return frame
