"""Small raster tile sets made with Pillow (no internet): MBTiles, PMTiles and XYZ folders.

Each tile is a 256 px PNG: a pale colour per zoom, a grid line on its edges and its own
``z/x/y`` written in it, so a screenshot shows which tile the browser drew.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from PIL import Image, ImageDraw

from geosoc.ingest.tiles import tile_ranges

DEMO_BOUNDS = (-2.1008, 52.957, -2.003, 53.0027)
PALETTE = ((236, 231, 242), (222, 235, 247), (229, 245, 224), (254, 237, 222),
           (242, 240, 247), (247, 247, 247))


def tile_png(z: int, x: int, y: int) -> bytes:
    image = Image.new("RGB", (256, 256), PALETTE[z % len(PALETTE)])
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 255, 255), outline=(150, 150, 150))
    draw.text((8, 8), f"{z}/{x}/{y}", fill=(90, 90, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def tiles_for(bounds: tuple[float, float, float, float], zooms: range):
    for z in zooms:
        x0, x1, y0, y1 = tile_ranges(bounds, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield z, x, y, tile_png(z, x, y)


def write_mbtiles(path: Path, bounds=DEMO_BOUNDS, zooms: range = range(11, 15),
                  fmt: str = "png") -> Path:
    """An MBTiles file (TMS rows) covering ``bounds`` at ``zooms``."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, "
                   "tile_row INTEGER, tile_data BLOB)")
        db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("name", "test tiles"), ("format", fmt), ("minzoom", str(zooms.start)),
            ("maxzoom", str(zooms.stop - 1)), ("bounds", ",".join(map(str, bounds))),
            ("attribution", "Test tiles (Pillow)")])
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [
            (z, x, 2 ** z - 1 - y, data) for z, x, y, data in tiles_for(bounds, zooms)])
    return path


def write_xyz(folder: Path, bounds=DEMO_BOUNDS, zooms: range = range(11, 14)) -> Path:
    for z, x, y, data in tiles_for(bounds, zooms):
        target = folder / str(z) / str(x) / f"{y}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def write_pmtiles(path: Path, bounds=DEMO_BOUNDS, zooms: range = range(11, 14)) -> Path:
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    tiles = sorted((zxy_to_tileid(z, x, y), data) for z, x, y, data in tiles_for(bounds, zooms))
    with path.open("wb") as handle:
        writer = Writer(handle)
        for tile_id, data in tiles:
            writer.write_tile(tile_id, data)
        writer.finalize({
            "tile_type": TileType.PNG, "tile_compression": Compression.NONE,
            "min_zoom": zooms.start, "max_zoom": zooms.stop - 1,
            "min_lon_e7": int(bounds[0] * 1e7), "min_lat_e7": int(bounds[1] * 1e7),
            "max_lon_e7": int(bounds[2] * 1e7), "max_lat_e7": int(bounds[3] * 1e7),
            "center_zoom": zooms.start, "center_lon_e7": int((bounds[0] + bounds[2]) * 5e6),
            "center_lat_e7": int((bounds[1] + bounds[3]) * 5e6)},
            {"attribution": "Test tiles (PMTiles)", "name": "test"})
    return path
