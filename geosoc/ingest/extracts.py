"""Reduced police.uk extracts: is the crime type a column, or given once for the file.

A reduced extract (month, longitude, latitude, maybe location and LSOA code) often has no
crime type column: the whole file is one type (a year of anti-social behaviour). The app's
Data page asks :func:`needs_crime_type` before reading, offers the 14 police.uk types when
it is True, and passes the choice to :func:`geosoc.ingest.read_policeuk` as ``crime_type``
(the CLI's ``--crime-type``).
"""

from __future__ import annotations

from pathlib import Path

from geosoc.ingest.compressed import compression_of, read_head
from geosoc.ingest.sniff import SNIFF_BYTES, sniff_delimiter, split_line

#: Header names (lower case, letters and digits only) read as the crime type column.
CRIME_TYPE_NAMES = ("crimetype", "category", "offence", "type")


def needs_crime_type(path: str | Path, category: str | None = None) -> bool:
    """Return True when a single CSV (plain, gzip or bzip2) has no crime type column.

    Parameters
    ----------
    path : str or pathlib.Path
        The file. Folders, archives and workbooks return False (their files are checked by
        :func:`geosoc.ingest.read_policeuk`, whose error names ``crime_type``).
    category : str, optional
        A column named as the crime type (``--category``); True when it is not in the header.
    """
    path = Path(path)
    if not path.is_file() or path.suffix.lower() in (".zip", ".xlsx", ".xlsm"):
        return False
    kind = compression_of(path)
    if kind is None:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    else:
        head = read_head(path, kind, SNIFF_BYTES)
    first = head.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8-sig", errors="replace")
    fields = [f.strip() for f in split_line(first, sniff_delimiter(head))]
    if category is not None:
        return category not in fields
    squashed = {"".join(ch for ch in f.lower() if ch.isalnum()) for f in fields}
    return not squashed & set(CRIME_TYPE_NAMES)
