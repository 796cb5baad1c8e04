"""Allow-list of vector formats for boundary files, checked by content, not name.

GDAL opens dozens of formats, some of which can read other files or URLs (VRT, for one,
can point at ``/etc/passwd`` or ``/vsicurl/``). Boundary files are therefore opened only
when their first bytes identify an allowed format that matches the file extension, and
GDAL's own driver detection agrees.
"""

from __future__ import annotations

from pathlib import Path

import pyogrio

from geosoc.errors import InputFileError, Problem

#: Allowed GDAL drivers and the file extensions each may carry.
ALLOWED_DRIVERS = {
    "GeoJSON": (".geojson", ".json"),
    "ESRI Shapefile": (".shp",),
    "GPKG": (".gpkg",),
}
ALLOWED_SUFFIXES = tuple(s for suffixes in ALLOWED_DRIVERS.values() for s in suffixes)
_FIX = "supply boundaries as GeoJSON, a zipped ESRI shapefile or a GeoPackage"


def _content_driver(head: bytes) -> str:
    """Name the format the first bytes show (a driver name, or a description)."""
    if head.startswith(b"SQLite format 3\x00"):
        return "GPKG"
    if head.startswith(b"\x00\x00\x27\x0a"):
        return "ESRI Shapefile"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith((b"{", b"[")):
        return "GeoJSON"
    if text.startswith(b"<"):
        if b"OGRVRTDataSource" in text:
            return "a GDAL virtual dataset (VRT)"
        if b"<kml" in text.lower():
            return "KML"
        return "an XML document (GML, KML or similar)"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    return "an unrecognised format"


def check_vector_file(path: Path, shown: str | None = None) -> str:
    """Return the GDAL driver for ``path`` if it is an allowed boundary format.

    Parameters
    ----------
    path : pathlib.Path
        The file to check (``.geojson``/``.json``, ``.shp`` or ``.gpkg``).
    shown : str, optional
        The name to use in messages (e.g. ``archive.zip!member.shp``).

    Returns
    -------
    str
        ``"GeoJSON"``, ``"ESRI Shapefile"`` or ``"GPKG"``.

    Raises
    ------
    InputFileError
        When the extension is not allowed, the content is another format (a VRT or KML
        renamed ``.geojson``...), or GDAL detects a different driver.
    """
    shown = shown or str(path)
    suffix = path.suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise InputFileError(f"{path.name}: format not allowed", [Problem(
            f"'{suffix or 'no extension'}' files are not accepted as boundaries (allowed: "
            f"{', '.join(ALLOWED_SUFFIXES)})", file=shown, fix=_FIX)])
    with path.open("rb") as handle:
        head = handle.read(4096)
    if not head:
        raise InputFileError(f"{path.name}: empty file", [Problem(
            "the file is empty (0 bytes)", file=shown, fix="export the boundaries again")])
    content = _content_driver(head)
    if content not in ALLOWED_DRIVERS or suffix not in ALLOWED_DRIVERS[content]:
        raise InputFileError(f"{path.name}: content does not match its name", [Problem(
            f"named '{suffix}' but the content is {content}; it was not opened (only "
            f"{', '.join(ALLOWED_DRIVERS)} are allowed, checked by content)", file=shown,
            fix=_FIX)])
    try:
        driver = pyogrio.read_info(path)["driver"]
    except pyogrio.errors.DataSourceError as err:
        raise InputFileError(f"{path.name}: unreadable", [Problem(
            f"GDAL could not read it as {content} ({err})", file=shown,
            fix="check the file is complete and valid " + content)]) from err
    if driver != content:
        raise InputFileError(f"{path.name}: unexpected format", [Problem(
            f"GDAL opened it with the {driver} driver, not {content}", file=shown, fix=_FIX)])
    return driver
