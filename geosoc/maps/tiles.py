"""Offline base map tiles: served by the app from its own origin, or embedded in a pack.

**In the app** :func:`publish_tiles` copies the tiles of a local source
(:func:`geosoc.ingest.tiles.open_tiles`) that cover the study area into
``geosoc/ui/static/tiles/<digest>/{z}/{x}/{y}.<ext>``, which Streamlit's static file serving
answers under ``/app/static/tiles/...`` (the same way the Leaflet files are served). Done
once per source and study area (a manifest marks a finished copy; a new file or area gets a
new digest), so the browser only ever asks the app's own address. Why a copy and not a tile
route: ``streamlit run`` has no way to add a route to a script app (only an ``st.App`` ASGI
entry does, which changes how the app starts and is tested); a copy of a town's tiles is a
few thousand small files, made in about a second, and is served by the same code path as
every other static file. :data:`MAX_PUBLISHED_TILES` bounds it for country-wide archives
(higher zooms are dropped; Leaflet enlarges the last one kept).

**In a standalone pack** :func:`embedded_tile_layer` inlines the tiles around the mapped area
as ``data:`` URIs (a byte budget decides which zoom levels fit), so the file opens from
``file://`` with the base map and no request at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import folium
from folium.template import Template

from geosoc.ingest.tiles import TileSource, iter_tiles, tile_count
from geosoc.maps.escape import safe_text

#: Where published tiles live (git-ignored; served under ``/app/static/tiles/``).
TILES_DIR = Path(__file__).resolve().parents[1] / "ui" / "static" / "tiles"
#: URL prefix of :data:`TILES_DIR` under Streamlit's static serving.
STREAMLIT_TILES_URL = "/app/static/tiles"
#: At most this many tiles are copied per source and study area (about 20 kB each).
MAX_PUBLISHED_TILES = 30_000
#: The highest zoom Leaflet lets a user reach (tiles above the source's last are enlarged).
MAX_ZOOM = 19
#: Fraction of the study area's width/height added on each side, so panning shows tiles.
MARGIN = 0.25
#: Default byte budget of the tiles embedded in a standalone pack.
EMBED_BUDGET_BYTES = 3_000_000
_BLANK = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="


@dataclass(frozen=True)
class PublishedTiles:
    """A copy of a source's tiles under the static folder.

    Attributes
    ----------
    folder : pathlib.Path
        The copy's folder (``TILES_DIR/<digest>``).
    digest : str
        Folder name: changes with the source file, the area and the zooms.
    format : str
        Tile image format (file extension).
    min_zoom, max_zoom : int
        Zoom levels copied.
    bounds : tuple of float
        Area covered (EPSG:4326 degrees, margin included).
    tiles : int
        Number of tiles copied.
    bytes : int
        Their total size.
    attribution : str
        The source's attribution.
    """

    folder: Path
    digest: str
    format: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]
    tiles: int
    bytes: int
    attribution: str = ""

    def url_template(self, base_url: str = STREAMLIT_TILES_URL) -> str:
        """Return the Leaflet URL template (``<base_url>/<digest>/{z}/{x}/{y}.png``)."""
        return f"{base_url.rstrip('/')}/{self.digest}/{{z}}/{{x}}/{{y}}.{self.format}"


def padded(bounds: tuple[float, float, float, float], margin: float = MARGIN
           ) -> tuple[float, float, float, float]:
    """Return ``bounds`` (EPSG:4326 degrees) widened by ``margin`` of its size on each side."""
    dx, dy = (bounds[2] - bounds[0]) * margin, (bounds[3] - bounds[1]) * margin
    return (bounds[0] - dx, bounds[1] - dy, bounds[2] + dx, bounds[3] + dy)


def fit_zoom(bounds: tuple[float, float, float, float], width_px: int = 1000) -> int:
    """Return the zoom at which ``bounds`` (EPSG:4326) fills about ``width_px`` pixels."""
    span = max(bounds[2] - bounds[0], 1e-6)
    return max(0, min(MAX_ZOOM, math.floor(math.log2(width_px * 360.0 / (256 * span)))))


def publish_zooms(source: TileSource, bounds: tuple[float, float, float, float],
                  max_tiles: int = MAX_PUBLISHED_TILES) -> range:
    """Return the zoom levels to copy: from a little above the study's fit, up to the cap.

    Zooms are added from the lowest up while the total tile count stays within
    ``max_tiles``; the source's own range bounds them.
    """
    low = max(source.min_zoom, fit_zoom(bounds) - 3)
    total, high = 0, low - 1
    for z in range(low, source.max_zoom + 1):
        total += tile_count(bounds, z)
        if total > max_tiles and z > low:
            break
        high = z
    return range(low, high + 1)


def publish_tiles(source: TileSource, bounds: tuple[float, float, float, float], *,
                  out_dir: Path = TILES_DIR, max_tiles: int = MAX_PUBLISHED_TILES,
                  margin: float = MARGIN) -> PublishedTiles:
    """Copy the tiles covering a study area into the static folder (once; then reused).

    Parameters
    ----------
    source : TileSource
        The local tile source.
    bounds : tuple of float
        Study area ``(lon_min, lat_min, lon_max, lat_max)`` in EPSG:4326 degrees.
    out_dir : pathlib.Path
        The static tiles folder.
    max_tiles : int
        Cap on the number of tiles copied (higher zooms are dropped first).
    margin : float
        Share of the area's size added on each side.

    Returns
    -------
    PublishedTiles
        Where the copy is and what it holds. A finished copy (``manifest.json``) is reused;
        an unfinished one (a crash mid-copy) is made again.
    """
    area = padded(bounds, margin)
    zooms = publish_zooms(source, area, max_tiles)
    digest = hashlib.sha256(json.dumps(
        [source.fingerprint(), [round(v, 6) for v in area], zooms.start, zooms.stop]
    ).encode()).hexdigest()[:16]
    folder = out_dir / digest
    manifest = folder / "manifest.json"
    if manifest.is_file():
        return _published(folder)
    staging = out_dir / f".{digest}.{os.getpid()}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    count = size = 0
    for z, x, y, data in iter_tiles(source, area, zooms):
        target = staging / str(z) / str(x) / f"{y}.{source.format}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        count, size = count + 1, size + len(data)
    staging.mkdir(parents=True, exist_ok=True)
    facts = {"digest": digest, "format": source.format, "min_zoom": zooms.start,
             "max_zoom": max(zooms.start, zooms.stop - 1), "bounds": list(area),
             "tiles": count, "bytes": size, "attribution": source.attribution}
    (staging / "manifest.json").write_text(json.dumps(facts))
    try:
        staging.rename(folder)
    except OSError:  # another process finished the same copy first
        shutil.rmtree(staging, ignore_errors=True)
    return _published(folder)


def _published(folder: Path) -> PublishedTiles:
    facts = json.loads((folder / "manifest.json").read_text())
    return PublishedTiles(folder=folder, **{**facts, "bounds": tuple(facts["bounds"])})


def served_tile_layer(published: PublishedTiles, *, base_url: str = STREAMLIT_TILES_URL,
                      attribution: str = "") -> folium.TileLayer:
    """Return a Leaflet tile layer reading a published copy from the app's own address.

    Parameters
    ----------
    published : PublishedTiles
        From :func:`publish_tiles`.
    base_url : str
        Where the static tiles folder is served (``/app/static/tiles``).
    attribution : str
        Attribution (the config's, else the source's; escaped).
    """
    west, south, east, north = published.bounds
    return folium.TileLayer(
        tiles=published.url_template(base_url),
        attr=safe_text(attribution or published.attribution or "Local base map"),
        name="Base map", min_zoom=max(0, published.min_zoom - 2), max_zoom=MAX_ZOOM,
        max_native_zoom=published.max_zoom, min_native_zoom=published.min_zoom,
        overlay=False, control=False, bounds=[[south, west], [north, east]])


class EmbeddedTileLayer(folium.TileLayer):
    """A tile layer whose tiles travel inside the page as ``data:`` URIs (no request)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = new (L.TileLayer.extend({
                options: {embedded: {{ this.embedded|tojson }}, mime: {{ this.mime|tojson }}},
                getTileUrl: function (c) {
                    var o = this.options;
                    var t = o.embedded[this._getZoomForUrl() + "/" + c.x + "/" + c.y];
                    return t ? "data:" + o.mime + ";base64," + t : {{ this.blank|tojson }};
                }
            }))("", {{ this.options|tojavascript }});
        {% endmacro %}
        """)

    def __init__(self, tiles: dict[str, str], mime: str, **kwargs: object) -> None:
        super().__init__(tiles="embedded", **kwargs)  # type: ignore[arg-type]
        self.embedded, self.mime, self.blank = tiles, mime, _BLANK


def embedded_tile_layer(source: TileSource, bounds: tuple[float, float, float, float], *,
                        budget_bytes: int = EMBED_BUDGET_BYTES, attribution: str = "",
                        width_px: int = 1000) -> EmbeddedTileLayer | None:
    """Return a tile layer with the tiles around ``bounds`` inlined, within a byte budget.

    Zoom levels are taken from one below the map's fit zoom upwards while the tiles' total
    size stays within ``budget_bytes``; Leaflet enlarges the last level kept.

    Parameters
    ----------
    source : TileSource
        The local tile source.
    bounds : tuple of float
        The mapped area (EPSG:4326 degrees).
    budget_bytes : int
        Most raw tile bytes to embed (base64 adds a third).
    attribution : str
        Attribution (the config's, else the source's; escaped).
    width_px : int
        Map width the zooms are chosen for.

    Returns
    -------
    EmbeddedTileLayer or None
        ``None`` when the source holds no tile of the area or none fits the budget.
    """
    area = padded(bounds, 0.1)
    start = max(source.min_zoom, fit_zoom(area, width_px) - 1)
    tiles: dict[str, str] = {}
    total, kept = 0, []
    for z in range(start, source.max_zoom + 1):
        level = {f"{tz}/{x}/{y}": data for tz, x, y, data in iter_tiles(source, area,
                                                                         range(z, z + 1))}
        size = sum(len(d) for d in level.values())
        if total + size > budget_bytes:
            break
        total += size
        kept.append(z)
        tiles.update({k: base64.b64encode(v).decode("ascii") for k, v in level.items()})
    if not tiles:
        return None
    west, south, east, north = area
    return EmbeddedTileLayer(
        tiles, source.mime, attr=safe_text(attribution or source.attribution or "Base map"),
        name="Base map", min_zoom=max(0, kept[0] - 2), max_zoom=MAX_ZOOM,
        max_native_zoom=kept[-1], min_native_zoom=kept[0], overlay=False, control=False,
        bounds=[[south, west], [north, east]])
