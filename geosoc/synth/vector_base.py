"""The demo town's labelled vector base map: its own named streets as a small PMTiles archive.

The demo town's context layers (named streets, railway, river, parks; see
:mod:`geosoc.synth.context`) and its ward names are cut into Mapbox Vector Tiles (MVT 2.1,
extent 4096) for zooms 10-15 and written as a PMTiles v3 archive with the ``pmtiles``
package, so the demo's maps carry street, park and ward names with no network, drawn by the
same renderer and style as a real OpenStreetMap cut (:mod:`geosoc.maps.vector`).

The MVT protobuf is written here (about 60 lines): the one PyPI encoder
(``mapbox-vector-tile``) pins an older protobuf than the app's Streamlit uses.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

#: Zoom levels of the demo base (the renderer enlarges 15 above).
ZOOMS = range(10, 16)
#: MVT tile extent (coordinate units per tile side) and clip buffer in those units.
EXTENT, BUFFER = 4096, 64
#: Web Mercator half circumference (m).
_HALF = 20037508.342789244
#: Context file -> (vector layer, MVT geometry kind).
LAYERS = {"roads": "roads", "railways": "railways", "water": "water", "greenspace": "parks"}


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """Return a length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _packed(number: int, values: Iterable[int]) -> bytes:
    return _field(number, b"".join(_varint(v) for v in values))


def _zigzag(v: int) -> int:
    return (v << 1) ^ (v >> 63)


def _rings(geom: shapely.Geometry) -> tuple[int, list[np.ndarray]] | None:
    """MVT type and point sequences (closing point dropped for rings) of a clipped shape."""
    if geom.is_empty:
        return None
    kind = geom.geom_type
    if kind in ("Point", "MultiPoint"):
        return 1, [shapely.get_coordinates(geom)]
    if kind in ("LineString", "MultiLineString"):
        return 2, [shapely.get_coordinates(p) for p in getattr(geom, "geoms", [geom])]
    if kind in ("Polygon", "MultiPolygon"):
        rings = []
        for poly in getattr(geom, "geoms", [geom]):
            # y grows downwards in tile space: a clockwise ring there is the exterior
            poly = shapely.geometry.polygon.orient(poly, sign=-1.0)
            rings += [shapely.get_coordinates(r)[:-1] for r in (poly.exterior, *poly.interiors)]
        return 3, rings
    return None


def _geometry(kind: int, parts: list[np.ndarray]) -> list[int]:
    commands: list[int] = []
    cursor = np.zeros(2, dtype=np.int64)
    for part in parts:
        pts = np.round(part).astype(np.int64)
        if kind > 1:  # drop repeated points, which a line or ring may not hold
            keep = np.r_[True, np.any(np.diff(pts, axis=0) != 0, axis=1)]
            pts = pts[keep]
        if (kind == 2 and len(pts) < 2) or (kind == 3 and len(pts) < 3):
            continue
        deltas = np.diff(np.vstack([cursor, pts]), axis=0)
        cursor = pts[-1]
        if kind == 1:
            commands += [1 | (len(pts) << 3)] + [_zigzag(int(v)) for v in deltas.ravel()]
            continue
        commands += [1 | (1 << 3), _zigzag(int(deltas[0, 0])), _zigzag(int(deltas[0, 1]))]
        commands += [2 | ((len(pts) - 1) << 3)] + [_zigzag(int(v)) for v in deltas[1:].ravel()]
        if kind == 3:
            commands.append(7 | (1 << 3))
    return commands


def encode_layer(name: str, frame: gpd.GeoDataFrame, bounds: tuple[float, float, float, float]
                 ) -> bytes:
    """Encode one MVT layer of ``frame`` (EPSG:3857) clipped to a tile's ``bounds`` (m).

    String columns become feature properties; empty geometries after clipping are left out.
    """
    x0, y0, x1, y1 = bounds
    pad = (x1 - x0) * BUFFER / EXTENT
    clipped = shapely.clip_by_rect(frame.geometry.to_numpy(), x0 - pad, y0 - pad, x1 + pad,
                                   y1 + pad)
    scale = EXTENT / (x1 - x0)
    tiled = shapely.transform(clipped, lambda xy: np.column_stack(
        [(xy[:, 0] - x0) * scale, (y1 - xy[:, 1]) * scale]))
    columns = [c for c in frame.columns if c != frame.geometry.name]
    keys: dict[str, int] = {}
    values: dict[str, int] = {}
    features = []
    records = frame[columns].astype(object).where(frame[columns].notna(), None).to_numpy()
    for geom, record in zip(tiled, records, strict=True):
        shaped = _rings(geom)
        if shaped is None:
            continue
        commands = _geometry(*shaped)
        if not commands:
            continue
        tags = []
        for key, value in zip(columns, record, strict=True):
            if value is None or value == "":
                continue
            tags += [keys.setdefault(key, len(keys)), values.setdefault(str(value), len(values))]
        features.append(_packed(2, tags) + _varint(3 << 3) + _varint(shaped[0])
                        + _packed(4, commands))
    if not features:
        return b""
    body = (_varint(15 << 3) + _varint(2) + _field(1, name.encode())
            + b"".join(_field(2, f) for f in features)
            + b"".join(_field(3, k.encode()) for k in keys)
            + b"".join(_field(4, _field(1, v.encode())) for v in values)
            + _varint(5 << 3) + _varint(EXTENT))
    return _field(3, body)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return the Web Mercator bounds (EPSG:3857 metres) of XYZ tile ``z/x/y``."""
    size = 2 * _HALF / 2 ** z
    return (-_HALF + x * size, _HALF - (y + 1) * size, -_HALF + (x + 1) * size, _HALF - y * size)


def _tile_range(total: np.ndarray, z: int) -> tuple[int, int, int, int]:
    size = 2 * _HALF / 2 ** z
    return (math.floor((total[0] + _HALF) / size), math.floor((_HALF - total[3]) / size),
            math.floor((total[2] + _HALF) / size), math.floor((_HALF - total[1]) / size))


def write_vector_base(layers: Mapping[str, gpd.GeoDataFrame], out: Path, *,
                      zooms: range = ZOOMS, name: str = "Demo town",
                      attribution: str = "Fictional demo town (geosoc)") -> Path:
    """Write named layers as a gzip-compressed MVT PMTiles archive; return ``out``.

    Parameters
    ----------
    layers : mapping of str to geopandas.GeoDataFrame
        Vector layer name -> features (any CRS; string columns become properties).
    out : pathlib.Path
        The ``.pmtiles`` file to write.
    zooms : range
        Zoom levels to write.
    name, attribution : str
        Archive metadata.
    """
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    merc = {k: f.to_crs("EPSG:3857") for k, f in layers.items() if len(f)}
    total = np.array([min(f.total_bounds[0] for f in merc.values()),
                      min(f.total_bounds[1] for f in merc.values()),
                      max(f.total_bounds[2] for f in merc.values()),
                      max(f.total_bounds[3] for f in merc.values())])
    tiles = []
    for z in zooms:
        x0, y0, x1, y1 = _tile_range(total, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                box = tile_bounds(z, x, y)
                data = b"".join(encode_layer(k, f, box) for k, f in merc.items())
                if data:
                    tiles.append((zxy_to_tileid(z, x, y), gzip.compress(data, mtime=0)))
    lonlat = gpd.GeoSeries(shapely.points(total[[0, 2]], total[[1, 3]]), crs="EPSG:3857"
                           ).to_crs("EPSG:4326")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    with partial.open("wb") as handle:
        writer = Writer(handle)
        for tile_id, data in sorted(tiles):
            writer.write_tile(tile_id, data)
        writer.finalize({
            "tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
            "min_lon_e7": int(lonlat.x.iloc[0] * 1e7), "min_lat_e7": int(lonlat.y.iloc[0] * 1e7),
            "max_lon_e7": int(lonlat.x.iloc[1] * 1e7), "max_lat_e7": int(lonlat.y.iloc[1] * 1e7),
            "center_zoom": zooms.start + 3,
            "center_lon_e7": int(lonlat.x.mean() * 1e7),
            "center_lat_e7": int(lonlat.y.mean() * 1e7)},
            {"name": name, "attribution": attribution, "vector_layers": [
                {"id": k, "fields": {c: "String" for c in f.columns if c != "geometry"}}
                for k, f in merc.items()]})
    partial.replace(out)
    return out


def demo_layers(context_dir: Path, wards: gpd.GeoDataFrame | None = None
                ) -> dict[str, gpd.GeoDataFrame]:
    """Return the demo town's vector layers from its context files and wards.

    Roads keep ``name`` and ``kind`` (``main``/``minor``); parks, water and the railway keep
    ``name``; each ward's name (``name`` or the ONS ``WD24NM``) becomes a place label at a
    point inside it (``labels``).
    """
    out: dict[str, gpd.GeoDataFrame] = {}
    for file, layer in LAYERS.items():
        path = context_dir / f"{file}.geojson"
        if not path.is_file():
            continue
        frame = gpd.read_file(path)
        keep = {"name": frame.get("name", ""), "kind": frame.get("class", "")}
        out[layer] = gpd.GeoDataFrame(
            {k: v for k, v in keep.items() if not isinstance(v, str)},
            geometry=frame.geometry, crs=frame.crs)
    column = next((c for c in ("name", "WD24NM") if wards is not None and c in wards), None)
    if wards is not None and len(wards) and column is not None:
        points = wards.to_crs("EPSG:27700").geometry.representative_point()
        out["labels"] = gpd.GeoDataFrame({"name": wards[column].astype(str).to_numpy()},
                                         geometry=points.to_numpy(), crs="EPSG:27700")
    return out


def write_demo_vector_base(demo_dir: Path, out: Path | None = None) -> Path:
    """Write the demo town's vector base (default ``<demo>/context/basemap.pmtiles``)."""
    wards_file = demo_dir / "boundaries" / "wards.geojson"
    wards = gpd.read_file(wards_file) if wards_file.is_file() else None
    target = out or demo_dir / "context" / "basemap.pmtiles"
    return write_vector_base(demo_layers(demo_dir / "context", wards), target)
