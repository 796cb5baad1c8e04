"""Safe opening of tabular files: size caps, encoding and delimiter checks, clear errors.

:func:`read_csv_checked` is the one door every CSV reader goes through. It refuses empty,
binary, UTF-16 and single-giant-line files before pandas sees them, tries UTF-8 (with or
without a byte-order mark) and falls back to Windows-1252 with a note, and tells the user
when the file is split on another delimiter than the one asked for (a tab-separated file is
recognised and read as such, with a note). Gzip and bzip2 files (``.csv.gz``, ``.csv.bz2``,
recognised by content) are read decompressed (:mod:`geosoc.ingest.compressed`). Excel
``.xlsx`` workbooks are read through :mod:`geosoc.ingest.spreadsheet`. All columns are read
as strings (``""`` for blanks) so each reader can report exactly which cells fail to parse.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import pandas as pd

from geosoc.errors import InputFileError, Problem, SchemaError
from geosoc.ingest.compressed import compression_of, plain_text
from geosoc.ingest.sniff import (
    DELIMITERS,
    SHOWN,
    file_error,
    sniff_delimiter,
    sniff_text,
    split_line,
)
from geosoc.ingest.spreadsheet import XLSX_SUFFIXES, read_xlsx_checked

#: Files larger than this are parsed with the multi-threaded pyarrow engine (about 4x
#: faster than the C engine when every column is read as text); smaller ones with the C
#: engine, which starts faster.
PYARROW_BYTES = 1024**2
def _header_fields(head: bytes, encoding: str, delimiter: str = ","
                   ) -> tuple[list[str], str]:
    """Return the header fields (split on ``delimiter``) and the raw first line."""
    first = head.split(b"\n", 1)[0].rstrip(b"\r").decode(encoding, errors="replace")
    return [f.strip() for f in split_line(first, delimiter)], first


def check_header(
    path: Path, head: bytes, required: Sequence[str], encoding: str = "utf-8-sig",
    delimiter: str = ",", flags: Mapping[str, str] | None = None,
) -> list[str]:
    """Check the header of a delimited file names every required column.

    Parameters
    ----------
    path : pathlib.Path
        The file (for messages).
    head : bytes
        Its first bytes (from :func:`sniff_text`).
    required : sequence of str
        Column names that must appear.
    encoding : str
        Encoding used to decode the header.
    delimiter : str
        The field delimiter expected.
    flags : mapping of str to str, optional
        Required column -> the CLI flag that names it (``{"Date": "--date"}``), so the fix
        for a missing column names the flag.

    Returns
    -------
    list of str
        The header fields.

    Raises
    ------
    InputFileError
        If the header is split on another delimiter (``;``, tab, ``|``, ``,``).
    SchemaError
        Listing every missing column (with near matches when the case differs).
    """
    fields, first = _header_fields(head, encoding, delimiter)
    missing = [c for c in required if c not in fields]
    if not missing and (required or len(fields) > 1):
        return fields
    counts = {d: first.count(d) for d in (*DELIMITERS, delimiter)}
    best = max(counts, key=counts.__getitem__)
    if best != delimiter and counts[best] > counts[delimiter]:
        name = {"\t": "tab", ";": "';'", "|": "'|'", ",": "comma"}[best]
        raise InputFileError(
            f"{path.name}: wrong delimiter",
            [Problem(f"the header is separated by {SHOWN[best]}, not by "
                     f"{SHOWN.get(delimiter, repr(delimiter))}",
                     file=str(path), row=1, column="--delimiter",
                     fix=f"add --delimiter {name} (library: delimiter={best!r}), or save the "
                     "file as comma-separated CSV")],
        )
    if not missing:
        return fields
    lower = {f.lower(): f for f in fields}
    problems = []
    for col in missing:
        near = lower.get(col.lower())
        hint = f" (found '{near}': names are case-sensitive)" if near else ""
        problems.append(Problem(
            f"required column '{col}' is missing{hint}; the header has: "
            + ", ".join(f"'{f}'" for f in fields[:20]),
            file=str(path), row=1, column=col,
            fix=(f"name the file's column with {flags[col]}, or rename it to '{col}'"
                 if flags and col in flags else
                 f"rename the matching column to '{col}' or map it in the column mapping"),
        ))
    raise SchemaError(f"{path.name}: {len(missing)} required column(s) missing", problems)


def read_csv_checked(
    path: str | Path,
    *,
    required: Sequence[str] = (),
    header: bool = True,
    names: Sequence[str] | None = None,
    notes: list[str] | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    flags: Mapping[str, str] | None = None,
    skip: Collection[str] = (),
) -> pd.DataFrame:
    """Read a CSV (or an ``.xlsx`` sheet) safely, every column as strings, ``""`` for blanks.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    required : sequence of str
        Columns that must be in the header (ignored when ``header`` is False).
    header : bool
        Whether row 1 is a header. When False, ``names`` name the columns.
    names : sequence of str, optional
        Column names for a header-less file.
    notes : list of str, optional
        Receives a note when the file is not UTF-8 and Windows-1252 is used, when a tab
        delimiter was detected, or which sheet and header row of a workbook were read.
    delimiter : str, optional
        Field delimiter (comma, tab, ``";"``, ``"|"``...). Default: comma, or tab when the
        header line is tab-separated.
    sheet : str, optional
        Sheet of an ``.xlsx`` workbook (default: found by its header, see
        :func:`geosoc.ingest.spreadsheet.read_xlsx_checked`).
    flags : mapping of str to str, optional
        Required column -> CLI flag naming it, for the missing-column fix.
    skip : collection of str
        Header names of columns not needed (not parsed at all: a CSV's text columns cost
        most of its reading time). Ignored for workbooks and header-less files.

    Returns
    -------
    pandas.DataFrame
        One row per data row (file row ``i + 2`` with a header, ``i + 1`` without),
        RangeIndex, string columns.

    Raises
    ------
    InputFileError
        Empty, header-only, binary, wrongly encoded or wrongly delimited files, or rows that
        do not split into the header's number of fields.
    SchemaError
        Missing required columns.
    """
    path = Path(path)
    if path.suffix.lower() in XLSX_SUFFIXES and path.is_file():
        return _read_workbook(path, required, header, names, notes, sheet)
    with plain_text(path) as plain:
        if plain != path and notes is not None:
            notes.append(f"{path.name} is {compression_of(path)}-compressed; read it "
                         "decompressed")
        return _read_plain(plain, required=required, header=header, names=names, notes=notes,
                           delimiter=delimiter, flags=flags, skip=skip)


def _read_plain(path: Path, *, required: Sequence[str], header: bool,
                names: Sequence[str] | None, notes: list[str] | None, delimiter: str | None,
                flags: Mapping[str, str] | None, skip: Collection[str]) -> pd.DataFrame:
    """:func:`read_csv_checked` of an uncompressed text file."""
    head = sniff_text(path)
    if delimiter is None:
        delimiter = sniff_delimiter(head)
        if delimiter != "," and notes is not None:
            notes.append(f"{path.name} is tab-separated; read it with delimiter tab")
    if header:
        check_header(path, head, required, delimiter=delimiter, flags=flags)
    engine = "pyarrow" if path.stat().st_size > PYARROW_BYTES else "c"
    usecols = _kept_columns(head, delimiter, skip) if header and skip else None
    try:
        try:
            frame = _parse(path, engine, "utf-8-sig", header, names, delimiter, usecols)
        except UnicodeDecodeError:
            frame = _parse(path, engine, "cp1252", header, names, delimiter, usecols)
            if notes is not None:
                notes.append(f"{path.name} is not UTF-8; read it as Windows-1252 (cp1252)")
    except pd.errors.EmptyDataError as err:
        raise file_error(path, "no data", "the file has no columns or rows",
                    "export the data again with a header row and data rows") from err
    except pd.errors.ParserError as err:
        line = re.search(r"line (\d+)", str(err))
        raise InputFileError(f"{path.name}: malformed CSV", [Problem(
            f"rows do not split cleanly into columns ({str(err).strip()})", file=str(path),
            row=int(line.group(1)) if line else None,
            fix="check for stray delimiters or unbalanced quotes on this row")]) from err
    if frame.empty:
        raise file_error(path, "no data rows", "the file has a header but no data rows",
                    "export the data again; check the date range or filters used")
    frame.columns = [str(c).lstrip("\ufeff").strip() for c in frame.columns]
    return frame


def _read_workbook(path: Path, required: Sequence[str], header: bool,
                   names: Sequence[str] | None, notes: list[str] | None,
                   sheet: str | None) -> pd.DataFrame:
    """Read an ``.xlsx`` sheet; required columns found in another case take their spelling."""
    frame = read_xlsx_checked(path, required=required if header else (), sheet=sheet,
                              notes=notes)
    if not header:
        first = pd.DataFrame([frame.columns.tolist()], columns=frame.columns)
        frame = pd.concat([first, frame], ignore_index=True)
        frame.columns = list(names or range(frame.shape[1]))[:frame.shape[1]]
        return frame
    lower = {c.lower(): c for c in required}
    return frame.rename(columns={c: lower[c.lower()] for c in frame.columns
                                 if c.lower() in lower})


def _kept_columns(head: bytes, delimiter: str, skip: Collection[str]) -> list[str] | None:
    """Header names to parse (those not in ``skip``); ``None``: parse every column."""
    first = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
    fields = split_line(first[0], delimiter) if first else []
    kept = [f for f in fields if f.strip() not in skip]
    if len(kept) == len(fields) or len(set(fields)) != len(fields) or not kept:
        return None
    return kept


def _parse(path: Path, engine: str, encoding: str, header: bool,
           names: Sequence[str] | None, delimiter: str = ",",
           usecols: list[str] | None = None) -> pd.DataFrame:
    """Parse every column (or those in ``usecols``) as text.

    On a pyarrow parse error the file is re-parsed with the C engine, whose error message
    names the offending line.
    """
    options = {
        "dtype": str, "keep_default_na": False, "encoding": encoding, "sep": delimiter,
        "header": 0 if header else None, "names": list(names) if names else None,
        "usecols": usecols,
    }
    if engine == "c":
        return pd.read_csv(path, engine="c", na_filter=False, **options)
    try:  # pyarrow decodes UTF-8 natively (skipping a BOM); other encodings go via Python
        arrow_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        return pd.read_csv(path, engine="pyarrow", **{**options, "encoding": arrow_encoding})
    except pd.errors.ParserError:
        return pd.read_csv(path, engine="c", na_filter=False, **options)
