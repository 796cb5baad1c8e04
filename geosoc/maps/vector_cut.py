"""Cut a study area out of a large vector tile archive, once, into a small PMTiles file.

A force's base map starts as a big OpenStreetMap or OS Open Zoomstack vector archive
(PMTiles or MBTiles, a region or a country; gigabytes) on a disk or, where the analyst's
machine is online, at a URL. :func:`cut_vector` copies only the tiles covering the study
area (EPSG:4326 bounds plus a margin, every zoom the archive holds up to ``max_zoom``) into a
new PMTiles v3 archive of a few hundred kilobytes to a few megabytes, which the app serves
from its own address and the packs embed. The tiles are copied as stored (no decoding, no
re-encoding): the cut draws exactly like the original.

From a URL only the bytes needed are read, by HTTP range requests (:class:`RangeReader`):
the header, the directories on the way to the area's tiles, and the tiles themselves, with
neighbouring tiles fetched in one request.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geosoc.errors import GeosocError, InputFileError, Problem
from geosoc.ingest.tiles import tile_ranges

#: Tiles whose stored bytes lie closer than this are fetched in one range request.
MERGE_GAP_BYTES = 65_536
#: Fraction of the area's width/height added on each side of a cut.
CUT_MARGIN = 0.1
#: PMTiles tile type of Mapbox Vector Tiles (spec v3).
MVT = 1
_GZIP, _NO_COMPRESSION = 2, 1


@dataclass(frozen=True)
class VectorCut:
    """What :func:`cut_vector` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The new PMTiles archive.
    tiles : int
        Tiles copied.
    bytes : int
        Size of the archive on disk.
    min_zoom, max_zoom : int
        Zoom levels it holds.
    bounds : tuple of float
        Area covered ``(lon_min, lat_min, lon_max, lat_max)``, EPSG:4326 degrees.
    layers : tuple of str
        Vector layer names (from the source's metadata).
    attribution : str
        The source's attribution (kept in the cut's metadata).
    seconds : float
        Wall time of the cut.
    """

    path: Path
    tiles: int
    bytes: int
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]
    layers: tuple[str, ...]
    attribution: str
    seconds: float


def _error(source: str, message: str, fix: str) -> InputFileError:
    return InputFileError(f"cannot cut a base map from {source}", [
        Problem(message, file=source, fix=fix)])


class RangeReader:
    """``read(offset, length)`` over HTTP range requests (``Range: bytes=a-b``).

    Parameters
    ----------
    url : str
        An ``http(s)://`` URL of a PMTiles archive on a server that answers range requests.
    timeout : float
        Seconds to wait for each response.
    """

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise _error(url, "not an http(s) URL", "give an http:// or https:// address")
        self.url, self.timeout, self.requests, self.received = url, timeout, 0, 0

    def __call__(self, offset: int, length: int) -> bytes:
        """Return ``length`` bytes from ``offset`` (fewer only at the end of the file)."""
        request = urllib.request.Request(  # noqa: S310 (http(s) only: checked in __init__)
            self.url, headers={"Range": f"bytes={offset}-{offset + length - 1}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if response.status != 206:
                    raise _error(self.url, f"the server sent the whole file (HTTP "
                                 f"{response.status}) instead of a byte range",
                                 "download the archive and cut it from the file instead")
                data = response.read()
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            raise _error(self.url, f"the archive could not be read ({err})",
                         "check the URL and the network, or cut from a downloaded file"
                         ) from None
        self.requests += 1
        self.received += len(data)
        return data


def _file_reader(path: Path) -> Callable[[int, int], bytes]:
    """Return ``read(offset, length)`` on a file, opened per read (no handle kept open)."""

    def read(offset: int, length: int) -> bytes:
        with path.open("rb") as handle:
            handle.seek(offset)
            return handle.read(length)

    return read


class _Archive:
    """Directory lookups in one PMTiles v3 archive read through ``read(offset, length)``."""

    def __init__(self, read: Callable[[int, int], bytes], name: str) -> None:
        from pmtiles.tile import deserialize_directory, deserialize_header

        self.read, self.name = read, name
        head = read(0, 127)  # a read error is its own message, not "not an archive"
        try:
            self.header = deserialize_header(head)
        except Exception as err:  # the package raises its own exception types
            raise _error(name, f"not a PMTiles v3 archive ({type(err).__name__})",
                         "convert it with `pmtiles convert` (v2 and MBTiles convert to v3)"
                         ) from None
        if int(getattr(self.header["tile_type"], "value", self.header["tile_type"])) != MVT:
            raise _error(name, "the tiles are images, not vector tiles",
                         "put raster tiles under [map] tiles; [map] vector is for vector tiles")
        plain = int(getattr(self.header["internal_compression"], "value", 2)) == _NO_COMPRESSION

        def directory(offset: int, length: int) -> list:
            raw = read(offset, length)
            return deserialize_directory(gzip.compress(raw) if plain else raw)

        self.directory = lru_cache(maxsize=512)(directory)

    def metadata(self) -> dict:
        raw = self.read(self.header["metadata_offset"], self.header["metadata_length"])
        compressed = int(getattr(self.header["internal_compression"], "value", 2)) == _GZIP
        try:
            return json.loads(gzip.decompress(raw) if compressed else raw)
        except (OSError, ValueError):
            return {}

    def locate(self, tile_id: int) -> tuple[int, int] | None:
        """Return ``(absolute offset, length)`` of a tile's bytes, or ``None``."""
        from pmtiles.tile import find_tile

        header = self.header
        offset, length = header["root_offset"], header["root_length"]
        for _ in range(4):  # the spec's deepest directory nesting
            entry = find_tile(self.directory(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length > 0:
                return header["tile_data_offset"] + entry.offset, entry.length
            offset, length = header["leaf_directory_offset"] + entry.offset, entry.length
        return None


def _wanted_ids(bounds: tuple[float, float, float, float], zooms: range) -> Iterator[int]:
    from pmtiles.tile import zxy_to_tileid

    for z in zooms:
        x0, x1, y0, y1 = tile_ranges(bounds, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield zxy_to_tileid(z, x, y)


def _pmtiles_tiles(archive: _Archive, bounds: tuple[float, float, float, float],
                   zooms: range) -> Iterator[tuple[int, bytes]]:
    """Yield ``(tile id, stored bytes)`` in tile-id order, neighbours read together."""
    found = sorted((loc, tid) for tid in _wanted_ids(bounds, zooms)
                   if (loc := archive.locate(tid)) is not None)
    runs: list[list[tuple[tuple[int, int], int]]] = []
    for item in found:
        (offset, _), last = item[0], runs[-1][-1] if runs else None
        if last is not None and offset - sum(last[0]) <= MERGE_GAP_BYTES:
            runs[-1].append(item)
        else:
            runs.append([item])
    out: list[tuple[int, bytes]] = []
    for run in runs:
        start = run[0][0][0]
        end = max(o + n for (o, n), _ in run)
        block = archive.read(start, end - start)
        out.extend((tid, block[o - start:o - start + n]) for (o, n), tid in run)
    yield from sorted(out)


def _mbtiles_tiles(path: Path, bounds: tuple[float, float, float, float], zooms: range
                   ) -> Iterator[tuple[int, bytes]]:
    from pmtiles.tile import zxy_to_tileid

    rows: list[tuple[int, bytes]] = []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        for z in zooms:
            x0, x1, y0, y1 = tile_ranges(bounds, z)
            flip = 2 ** z - 1  # MBTiles rows count from the south
            for x, row, data in db.execute(
                    "SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ? "
                    "AND tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?",
                    (z, x0, x1, flip - y1, flip - y0)):
                rows.append((zxy_to_tileid(z, int(x), flip - int(row)), bytes(data)))
    yield from sorted(rows)


def _mbtiles_facts(path: Path) -> tuple[dict, range]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            low, high = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles"
                                   ).fetchone()
    except sqlite3.DatabaseError as err:
        raise _error(str(path), f"not an MBTiles file ({err})",
                     "use an .mbtiles file with metadata and tiles tables") from None
    if low is None:
        raise _error(str(path), "the file holds no tiles", "export the tiles again")
    if str(meta.get("format", "pbf")).lower() not in ("pbf", "mvt"):
        raise _error(str(path), f"the tiles are {meta.get('format')}, not vector tiles",
                     "put raster tiles under [map] tiles; [map] vector is for vector tiles")
    layers = json.loads(meta.get("json", "{}")).get("vector_layers", [])
    return ({"attribution": meta.get("attribution", ""), "name": meta.get("name", path.stem),
             "vector_layers": layers}, range(int(low), int(high) + 1))


def padded(bounds: tuple[float, float, float, float], margin: float
           ) -> tuple[float, float, float, float]:
    """Return ``bounds`` (EPSG:4326) widened by ``margin`` of its width/height on each side."""
    dx, dy = (bounds[2] - bounds[0]) * margin, (bounds[3] - bounds[1]) * margin
    return (max(-180.0, bounds[0] - dx), max(-85.0, bounds[1] - dy),
            min(180.0, bounds[2] + dx), min(85.0, bounds[3] + dy))


def _source_tiles(source: str | Path, area: tuple[float, float, float, float],
                  max_zoom: int | None) -> tuple[dict, range, Iterator[tuple[int, bytes]], bool]:
    text = str(source)
    if text.startswith(("http://", "https://")):
        archive = _Archive(RangeReader(text), text)
    else:
        path = Path(source)
        if not path.is_file():
            raise _error(text, "the file does not exist",
                         "give the path of a .pmtiles or .mbtiles vector archive")
        if path.suffix.lower() == ".mbtiles":
            meta, zooms = _mbtiles_facts(path)
            zooms = range(zooms.start, min(zooms.stop, (max_zoom or 99) + 1))
            return meta, zooms, _mbtiles_tiles(path, area, zooms), False
        archive = _Archive(_file_reader(path), text)
    header = archive.header
    zooms = range(int(header["min_zoom"]), min(int(header["max_zoom"]), max_zoom or 99) + 1)
    gz = int(getattr(header["tile_compression"], "value", 2)) == _GZIP
    return archive.metadata(), zooms, _pmtiles_tiles(archive, area, zooms), gz


def cut_vector(source: str | Path, bounds: tuple[float, float, float, float], out: Path, *,
               max_zoom: int | None = None, margin: float = CUT_MARGIN) -> VectorCut:
    """Copy the vector tiles covering ``bounds`` from ``source`` into a new PMTiles file.

    Parameters
    ----------
    source : str or pathlib.Path
        A ``.pmtiles`` or ``.mbtiles`` vector archive, or the ``http(s)://`` URL of a
        ``.pmtiles`` archive (read by range requests).
    bounds : tuple of float
        Study area ``(lon_min, lat_min, lon_max, lat_max)``, EPSG:4326 degrees.
    out : pathlib.Path
        The cut to write (replaced only once it is complete).
    max_zoom : int, optional
        Highest zoom to copy (default: the archive's); Leaflet enlarges the last one.
    margin : float
        Share of the area's size added on each side (so panning a little still shows map).

    Returns
    -------
    VectorCut
        What was written, with the time it took.

    Raises
    ------
    InputFileError
        When the source cannot be read, holds images, or has no tile of the area.
    """
    from pmtiles.tile import Compression, TileType
    from pmtiles.writer import Writer

    started = time.perf_counter()
    area = padded(bounds, margin)
    meta, zooms, tiles, gz = _source_tiles(source, area, max_zoom)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    count = 0
    with partial.open("wb") as handle:
        writer = Writer(handle)
        for tile_id, data in tiles:
            writer.write_tile(tile_id, data)
            count += 1
        if not count:
            handle.close()
            partial.unlink(missing_ok=True)
            where = tuple(round(v, 4) for v in bounds)
            raise _error(str(source), f"no tile covers the area {where} at zoom"
                         f"  {zooms.start}-{zooms.stop - 1}",
                         "check the area (lon/lat, EPSG:4326) lies inside the archive")
        writer.finalize({
            "tile_type": TileType.MVT,
            "tile_compression": Compression.GZIP if gz or _is_gzip(data) else Compression.NONE,
            "min_lon_e7": int(area[0] * 1e7), "min_lat_e7": int(area[1] * 1e7),
            "max_lon_e7": int(area[2] * 1e7), "max_lat_e7": int(area[3] * 1e7),
            "center_zoom": zooms.start + (zooms.stop - zooms.start) // 2,
            "center_lon_e7": int((area[0] + area[2]) / 2 * 1e7),
            "center_lat_e7": int((area[1] + area[3]) / 2 * 1e7),
        }, {**{k: meta[k] for k in ("vector_layers", "attribution", "name") if k in meta},
            "geosoc:cut_from": str(source), "geosoc:cut_bounds": list(area)})
    partial.replace(out)
    layers = tuple(str(layer.get("id")) for layer in meta.get("vector_layers", []))
    return VectorCut(out, count, out.stat().st_size, zooms.start, zooms.stop - 1, area,
                     layers, str(meta.get("attribution", "")), time.perf_counter() - started)


def _is_gzip(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"


def archive_facts(path: Path) -> dict:
    """Return a vector PMTiles archive's zooms, bounds, layers and attribution (for checks).

    Raises
    ------
    GeosocError
        When ``path`` is not a readable PMTiles vector archive.
    """
    if not path.is_file():
        raise GeosocError(f"base map {path} not found", [Problem(
            "the file does not exist", file=str(path),
            fix="cut one with `geosoc basemap` or fix [map] vector")])
    archive = _Archive(_file_reader(path), str(path))
    header, meta = archive.header, archive.metadata()
    return {"min_zoom": int(header["min_zoom"]), "max_zoom": int(header["max_zoom"]),
            "bounds": (header["min_lon_e7"] / 1e7, header["min_lat_e7"] / 1e7,
                       header["max_lon_e7"] / 1e7, header["max_lat_e7"] / 1e7),
            "layers": tuple(str(v.get("id")) for v in meta.get("vector_layers", [])),
            "attribution": str(meta.get("attribution", "")), "tiles":
                int(header["addressed_tiles_count"] or 0)}
