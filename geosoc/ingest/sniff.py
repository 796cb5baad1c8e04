"""The first checks of a text file, with the standard library only (no pandas).

:func:`sniff_text` refuses empty, too large, binary, UTF-16 and single-giant-line files from
their first megabyte; :func:`precheck` does the same for a compressed file (its decompressed
first megabyte) and for a missing path. ``geosoc ingest`` runs :func:`precheck` before it
imports the readers, so a refused file is answered in a fraction of a second.
:func:`parse_delimiter` reads ``--delimiter``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from geosoc.errors import ConfigError, InputFileError, Problem
from geosoc.ingest.compressed import compression_of, read_head

#: Largest CSV accepted, in bytes.
MAX_FILE_BYTES = 4 * 1024**3
#: Bytes inspected to sniff encoding, binary content and line length.
SNIFF_BYTES = 1024**2
#: Longest first line taken for a header row, in bytes (Python's csv field limit is 128 KiB).
MAX_HEADER_BYTES = 100_000
#: Delimiters a header may be split on.
DELIMITERS = (",", ";", "\t", "|")
#: Names accepted for ``--delimiter`` (besides the character itself).
DELIMITER_NAMES = {"comma": ",", "tab": "\t", "\\t": "\t", "semicolon": ";", "pipe": "|"}
#: How each delimiter is named in messages.
SHOWN = {",": "comma ','", "\t": "tab", ";": "semicolon ';'", "|": "pipe '|'"}


def parse_delimiter(text: str | None) -> str | None:
    """Return the delimiter character for ``text`` (``"tab"``, ``";"``...), None for auto.

    Raises
    ------
    ConfigError
        Naming ``--delimiter`` when ``text`` is not one character or a known name.
    """
    if text is None or text == "":
        return None
    value = DELIMITER_NAMES.get(text.lower(), text)
    if len(value) != 1 or value in "\"\r\n":
        raise ConfigError(f"invalid delimiter {text!r}", [Problem(
            f"--delimiter {text!r} is not a single character", column="--delimiter",
            fix="use --delimiter tab, comma, semicolon, pipe or one character such as ';'")])
    return value


_MAGIC = {
    b"PK\x03\x04": "a zip archive or Excel .xlsx workbook (name it .xlsx to read it)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls / Office document",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"SQLite format 3\x00": "a SQLite database / GeoPackage",
    b"PAR1": "a Parquet file",
    b"\x1f\x8b": "gzip-compressed (read it with read_csv_checked, which decompresses it)",
}


def file_error(path: Path, summary: str, message: str, fix: str) -> InputFileError:
    """Return an InputFileError about the whole file ``path``."""
    return InputFileError(f"{path.name}: {summary}", [Problem(message, file=str(path), fix=fix)])


def _looks_utf16(head: bytes) -> bool:
    """Return True when one byte of each pair is almost always NUL (BOM-less UTF-16)."""
    even, odd = head[0:400:2], head[1:400:2]
    if len(odd) < 20:
        return False
    zeros = sorted((even.count(0) / len(even), odd.count(0) / len(odd)))
    return zeros[1] > 0.8 and zeros[0] < 0.05


def sniff_text(path: Path) -> bytes:
    """Check that ``path`` looks like a line-based text file and return its first bytes.

    Parameters
    ----------
    path : pathlib.Path
        The file to check.

    Returns
    -------
    bytes
        Up to :data:`SNIFF_BYTES` bytes from the start of the file.

    Raises
    ------
    InputFileError
        If the file is missing, empty, too large, binary, UTF-16/32, or has no line break
        in its first megabyte.
    """
    if not path.is_file():
        raise file_error(path, "not found", "no such file", "check the path and spelling")
    size = path.stat().st_size
    if size == 0:
        raise file_error(path, "empty file", "the file is empty (0 bytes)",
                    "export the data again; the download or save may have failed")
    if size > MAX_FILE_BYTES:
        raise file_error(path, "file too large", f"{size:,} bytes (limit {MAX_FILE_BYTES:,})",
                    "split the file (for example by month) and ingest the parts")
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    return check_head(path, head)


def check_head(path: Path, head: bytes) -> bytes:
    """Refuse a file whose first bytes are not line-based UTF-8/ANSI text; return them.

    Raises
    ------
    InputFileError
        UTF-16/32 text, a known binary format, NUL bytes, no line break in the first
        megabyte, or a first line too long to be a header (``row 1``).
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        raise file_error(path, "UTF-16 text", "the file is UTF-16 encoded text, not UTF-8",
                    "save it as 'CSV UTF-8 (comma delimited)' (Excel) or re-encode to UTF-8")
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise file_error(path, "not a text file", f"the file is {what}, not a CSV",
                        "export the data as CSV (comma-separated text) and ingest that")
    if b"\x00" in head:
        raise file_error(path, "binary file", "the file contains binary (NUL) bytes, not CSV text",
                    "export the data as CSV (comma-separated text) and ingest that")
    if len(head) == SNIFF_BYTES and b"\n" not in head and b"\r" not in head:
        raise file_error(path, "no line breaks",
                    f"no line break in the first {SNIFF_BYTES:,} bytes: not a row-per-line CSV",
                    "check the file is a CSV with one record per line")
    first = len(head.split(b"\n", 1)[0])
    if first > MAX_HEADER_BYTES:
        raise InputFileError(f"{path.name}: no header row", [Problem(
            f"the first line is {first:,} bytes long (a header of column names is a few "
            f"hundred): not a CSV with a header row", file=str(path), row=1,
            fix="check the file is the CSV export itself (one record per line, a header of "
            "column names first), not another file renamed .csv")])
    return head


def split_line(line: str, delimiter: str = ",") -> list[str]:
    """Split one CSV line into fields.

    Only first lines that passed :func:`sniff_text` are split: they are under
    :data:`MAX_HEADER_BYTES`, below the 128 KiB field limit of Python's csv module (a longer
    line raised an unhandled ``_csv.Error``).
    """
    return next(csv.reader(io.StringIO(line), delimiter=delimiter), [])


#: Suffixes :func:`precheck` leaves to their readers (archives, workbooks, vector files).
_NOT_TEXT = (".zip", ".xlsx", ".xlsm", ".gpkg", ".geojson", ".json", ".shp", ".parquet")


def precheck(path: str | Path) -> None:
    """Refuse a missing path, or a text file :func:`sniff_text` would refuse, cheaply.

    Folders, archives, workbooks and vector files are left to their readers. A gzip or
    bzip2 file is checked on its first decompressed megabyte.

    Raises
    ------
    InputFileError
        As :func:`sniff_text` (or a broken compressed file), naming the file and the fix.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path} does not exist", [Problem(
            "no such file or folder", file=str(path), fix="check the path and spelling")])
    if path.is_dir() or path.suffix.lower() in _NOT_TEXT:
        return
    kind = compression_of(path)
    if kind is None:
        sniff_text(path)
    else:
        check_head(path, read_head(path, kind, SNIFF_BYTES))


def sniff_delimiter(head: bytes, encoding: str = "utf-8-sig") -> str:
    """Return a tab when the header line has more tabs than commas, else a comma."""
    first = head.split(b"\n", 1)[0].decode(encoding, errors="replace")
    return "\t" if first.count("\t") > first.count(",") else ","
