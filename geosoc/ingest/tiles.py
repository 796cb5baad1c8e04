"""Read raster map tiles from a file the force already holds: MBTiles, PMTiles or an XYZ folder.

A base map with no request leaving the machine: an OS Open Zoomstack or OpenStreetMap
raster export, an MBTiles file made with QGIS ("Generate XYZ tiles (MBTiles)"), a PMTiles
archive or a folder of ``{z}/{x}/{y}.png`` tiles. :func:`open_tiles` checks the file and reads
its metadata; :func:`iter_tiles` yields the tiles covering a study area (``x``/``y`` in the
XYZ "slippy map" scheme Leaflet uses; MBTiles rows are TMS, flipped here).

Vector tiles (MVT/PBF) need a vector renderer in the browser: they are refused with the
fix (draw the vector context layers of ``[map] context`` instead, or export raster tiles).
"""

from __future__ import annotations

import gzip
import math
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from geosoc.errors import InputFileError, Problem

#: Raster formats a browser draws as an image, by file extension.
RASTER_FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                  "webp": "image/webp"}
_VECTOR_FORMATS = {"pbf", "mvt", "application/x-protobuf"}
#: PMTiles tile types (spec v3): 1 MVT, 2 PNG, 3 JPEG, 4 WebP, 5 AVIF.
_PMTILES_TYPES = {1: "pbf", 2: "png", 3: "jpg", 4: "webp", 5: "avif"}
#: Web Mercator's latitude limit (degrees).
MAX_LAT = 85.0511287798


@dataclass(frozen=True)
class TileSource:
    """A local raster tile set and what its metadata says.

    Attributes
    ----------
    path : pathlib.Path
        The ``.mbtiles``/``.pmtiles`` file or the XYZ folder.
    kind : str
        ``"mbtiles"``, ``"pmtiles"`` or ``"xyz"``.
    format : str
        Image format of the tiles (``png``, ``jpg``, ``webp``).
    min_zoom, max_zoom : int
        Zoom levels the source holds.
    bounds : tuple of float or None
        ``(lon_min, lat_min, lon_max, lat_max)`` EPSG:4326 degrees, when the metadata say.
    attribution : str
        Attribution from the metadata (may be empty: then the config's is used).
    name : str
        The tile set's name.
    """

    path: Path
    kind: str
    format: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float] | None = None
    attribution: str = ""
    name: str = ""

    @property
    def mime(self) -> str:
        """Return the MIME type of the tiles."""
        return RASTER_FORMATS.get(self.format, "application/octet-stream")

    def fingerprint(self) -> str:
        """Return a string that changes when the source's file(s) change (size, mtime)."""
        stat = self.path.stat()
        return f"{self.path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _bad(path: Path, message: str, fix: str) -> InputFileError:
    return InputFileError(f"cannot use {path.name} as a base map", [
        Problem(message, file=str(path), fix=fix)])


def _refuse_vector(path: Path, fmt: str) -> None:
    if fmt.lower() in _VECTOR_FORMATS:
        raise _bad(path, f"the tiles are vector tiles ({fmt}), not images",
                   "use the vector layers ([map] context, e.g. OS Open Zoomstack's GeoPackage)"
                   " or export raster tiles (QGIS: Generate XYZ tiles)")
    if fmt.lower() not in RASTER_FORMATS:
        raise _bad(path, f"tile format {fmt!r} is not png, jpg or webp",
                   "export the tiles as PNG or JPEG")


def _parse_bounds(text: str | None) -> tuple[float, float, float, float] | None:
    try:
        values = tuple(float(v) for v in str(text).split(","))
    except ValueError:
        return None
    return values if len(values) == 4 else None  # type: ignore[return-value]


def _open_mbtiles(path: Path) -> TileSource:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            zooms = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
    except sqlite3.DatabaseError as err:
        raise _bad(path, f"not an MBTiles file ({err})",
                   "point [map] tiles at an .mbtiles file with metadata and tiles tables"
                   ) from None
    if zooms is None or zooms[0] is None:
        raise _bad(path, "the file holds no tiles", "export the tiles again")
    fmt = str(meta.get("format", "png")).lower()
    _refuse_vector(path, fmt)
    return TileSource(path, "mbtiles", fmt, int(zooms[0]), int(zooms[1]),
                      _parse_bounds(meta.get("bounds")), str(meta.get("attribution", "")),
                      str(meta.get("name", path.stem)))


def _open_pmtiles(path: Path) -> TileSource:
    from pmtiles.tile import deserialize_header

    with path.open("rb") as handle:
        head = handle.read(127)
    try:
        header = deserialize_header(head)
    except Exception as err:  # the package raises its own exception types
        raise _bad(path, f"not a PMTiles v3 archive ({type(err).__name__})",
                   "convert it with `pmtiles convert` (v2 and MBTiles convert to v3)") from None
    fmt = _PMTILES_TYPES.get(int(getattr(header["tile_type"], "value", header["tile_type"])),
                             "unknown")
    _refuse_vector(path, fmt)
    bounds = (header["min_lon_e7"] / 1e7, header["min_lat_e7"] / 1e7,
              header["max_lon_e7"] / 1e7, header["max_lat_e7"] / 1e7)
    meta = _pmtiles_reader(str(path), path.stat().st_mtime_ns).metadata()
    return TileSource(path, "pmtiles", fmt, int(header["min_zoom"]), int(header["max_zoom"]),
                      bounds, str(meta.get("attribution", "")), str(meta.get("name", path.stem)))


def _open_xyz(path: Path) -> TileSource:
    zooms = sorted(int(p.name) for p in path.iterdir() if p.is_dir() and p.name.isdigit())
    first = next((f for z in zooms for f in (path / str(z)).glob("*/*.*")), None)
    if not zooms or first is None:
        raise _bad(path, "no {z}/{x}/{y}.png tiles in the folder",
                   "point [map] tiles at the folder holding the zoom-level folders")
    fmt = first.suffix.lstrip(".").lower()
    _refuse_vector(path, fmt)
    return TileSource(path, "xyz", fmt, zooms[0], zooms[-1], None, "", path.name)


def open_tiles(path: str | Path) -> TileSource:
    """Check a local tile source and read its metadata.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.mbtiles`` or ``.pmtiles`` file, or a folder of ``{z}/{x}/{y}.<ext>`` tiles.

    Returns
    -------
    TileSource

    Raises
    ------
    InputFileError
        Missing file, not a tile archive, vector tiles, or no tiles (the fix is named).
    """
    path = Path(path)
    if not path.exists():
        raise _bad(path, "the tile source does not exist",
                   "check [map] tiles in the configuration (relative to the config file)")
    if path.is_dir():
        return _open_xyz(path)
    suffix = path.suffix.lower()
    if suffix == ".mbtiles":
        return _open_mbtiles(path)
    if suffix == ".pmtiles":
        return _open_pmtiles(path)
    raise _bad(path, f"unknown tile source type {suffix!r}",
               "use an .mbtiles or .pmtiles file or a folder of {z}/{x}/{y} tiles")


def tile_ranges(bounds: tuple[float, float, float, float], zoom: int
                ) -> tuple[int, int, int, int]:
    """Return ``(x_min, x_max, y_min, y_max)`` of the XYZ tiles covering ``bounds`` at ``zoom``.

    Parameters
    ----------
    bounds : tuple of float
        ``(lon_min, lat_min, lon_max, lat_max)`` in EPSG:4326 degrees.
    zoom : int
        Web Mercator zoom level.
    """
    n = 2 ** zoom
    lon = np.clip(np.array([bounds[0], bounds[2]], dtype=float), -180.0, 180.0 - 1e-9)
    lat = np.radians(np.clip(np.array([bounds[3], bounds[1]], dtype=float), -MAX_LAT, MAX_LAT))
    x = np.floor((lon + 180.0) / 360.0 * n).astype(int)
    y = np.floor((1.0 - np.log(np.tan(lat) + 1.0 / np.cos(lat)) / math.pi) / 2.0 * n).astype(int)
    x, y = np.clip(x, 0, n - 1), np.clip(y, 0, n - 1)
    return int(x[0]), int(x[1]), int(y[0]), int(y[1])


def tile_count(bounds: tuple[float, float, float, float], zoom: int) -> int:
    """Return how many tiles cover ``bounds`` at ``zoom``."""
    x0, x1, y0, y1 = tile_ranges(bounds, zoom)
    return (x1 - x0 + 1) * (y1 - y0 + 1)


@lru_cache(maxsize=8)
def _pmtiles_reader(path: str, _mtime: int):
    from pmtiles.reader import MmapSource, Reader

    handle = open(path, "rb")  # noqa: SIM115 (kept open for the mmap, like the file's reader)
    return Reader(MmapSource(handle))


class _PMTilesLookup:
    """Tile lookups in one PMTiles archive with each directory decoded once.

    The package's ``Reader.get`` decodes the header and the root directory on every call
    (about 50 ms a tile on a small archive); this keeps them.
    """

    def __init__(self, path: Path) -> None:
        from pmtiles.tile import deserialize_directory, deserialize_header

        reader = _pmtiles_reader(str(path), path.stat().st_mtime_ns)
        self._bytes = reader.get_bytes
        self.header = deserialize_header(self._bytes(0, 127))
        self._decode = lru_cache(maxsize=256)(
            lambda offset, length: deserialize_directory(self._bytes(offset, length)))

    def get(self, z: int, x: int, y: int) -> bytes | None:
        """Return the tile's bytes as stored, or ``None`` when the archive lacks it."""
        from pmtiles.tile import find_tile, zxy_to_tileid

        tile_id, header = zxy_to_tileid(z, x, y), self.header
        offset, length = header["root_offset"], header["root_length"]
        for _ in range(4):  # the spec's maximum directory depth
            entry = find_tile(self._decode(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length > 0:
                return self._bytes(header["tile_data_offset"] + entry.offset, entry.length)
            offset, length = header["leaf_directory_offset"] + entry.offset, entry.length
        return None


def _iter_mbtiles(source: TileSource, bounds: tuple[float, float, float, float],
                  zooms: range) -> Iterator[tuple[int, int, int, bytes]]:
    with sqlite3.connect(f"file:{source.path}?mode=ro", uri=True) as db:
        for z in zooms:
            x0, x1, y0, y1 = tile_ranges(bounds, z)
            flip = 2 ** z - 1  # TMS rows count from the south
            rows = db.execute(
                "SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ? "
                "AND tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?",
                (z, x0, x1, flip - y1, flip - y0))
            for x, row, data in rows:
                yield z, int(x), flip - int(row), bytes(data)


def _iter_pmtiles(source: TileSource, bounds: tuple[float, float, float, float],
                  zooms: range) -> Iterator[tuple[int, int, int, bytes]]:
    reader = _PMTilesLookup(source.path)
    compressed = int(getattr(reader.header["tile_compression"], "value", 1)) == 2
    for z in zooms:
        x0, x1, y0, y1 = tile_ranges(bounds, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                data = reader.get(z, x, y)
                if data:
                    yield z, x, y, gzip.decompress(data) if compressed else bytes(data)


def _iter_xyz(source: TileSource, bounds: tuple[float, float, float, float],
              zooms: range) -> Iterator[tuple[int, int, int, bytes]]:
    for z in zooms:
        x0, x1, y0, y1 = tile_ranges(bounds, z)
        for x in range(x0, x1 + 1):
            folder = source.path / str(z) / str(x)
            if not folder.is_dir():
                continue
            for y in range(y0, y1 + 1):
                tile = folder / f"{y}.{source.format}"
                if tile.is_file():
                    yield z, x, y, tile.read_bytes()


def iter_tiles(source: TileSource, bounds: tuple[float, float, float, float],
               zooms: range | None = None) -> Iterator[tuple[int, int, int, bytes]]:
    """Yield ``(z, x, y, image bytes)`` for the source's tiles covering ``bounds``.

    Parameters
    ----------
    source : TileSource
        From :func:`open_tiles`.
    bounds : tuple of float
        ``(lon_min, lat_min, lon_max, lat_max)`` in EPSG:4326 degrees.
    zooms : range, optional
        Zoom levels (clipped to the source's); default all of the source's.

    Yields
    ------
    tuple
        ``z``, ``x``, ``y`` (XYZ scheme, row 0 at the north) and the tile's bytes; tiles
        the source does not hold are skipped.
    """
    wanted = zooms if zooms is not None else range(source.min_zoom, source.max_zoom + 1)
    clipped = range(max(wanted.start, source.min_zoom), min(wanted.stop, source.max_zoom + 1))
    reader = {"mbtiles": _iter_mbtiles, "pmtiles": _iter_pmtiles, "xyz": _iter_xyz}[source.kind]
    yield from reader(source, bounds, clipped)
