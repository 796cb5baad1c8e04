"""The labelled vector base map: PMTiles vector tiles drawn in the browser by protomaps-leaflet.

Two Leaflet layers read one archive (a cut made by :func:`geosoc.maps.vector_cut.cut_vector`,
or the demo town's own): the *base* (land, water, parks, roads, railways) in the tile pane
under every overlay, and the *labels* (place and street names) in a pane above the harm
fills, so names stay readable through coloured areas. The renderer is the npm package
``protomaps-leaflet`` (fetched by :mod:`geosoc.maps.vendor`, served from the app's own
address, inlined in packs); nothing is requested from anywhere else.

**In the app** :func:`publish_vector` copies the archive into the static folder once and
:func:`served_vector_base` points the renderer at it (``/app/static/tiles/vector/…``): the
browser reads it by range requests from the app's own address.
**In a pack** :func:`embedded_vector_base` inlines the tiles around the mapped area (gzip
bytes as base64, decompressed in the browser), so the file opens from ``file://``.

The style reads the layers OpenStreetMap builds (Planetiler/Protomaps: ``roads``, ``water``,
``landuse``/``parks``, ``labels``/``places``) and the demo town's (``roads`` with ``kind``
and ``name``, ``railways``, ``water``, ``parks``, ``labels``); layers it does not know are
not drawn.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
from pathlib import Path
from typing import ClassVar

from folium.elements import JSCSSMixin
from folium.template import Template

from geosoc.ingest.tiles import tile_ranges
from geosoc.maps.escape import safe_text
from geosoc.maps.tiles import STREAMLIT_TILES_URL, TILES_DIR, fit_zoom
from geosoc.maps.vector_cut import _Archive, _file_reader, archive_facts, padded
from geosoc.maps.vendor import PROTOMAPS_JS

#: Where published vector archives live (under the static tiles folder, git-ignored).
VECTOR_DIR = TILES_DIR / "vector"
#: Their URL prefix under Streamlit's static serving.
STREAMLIT_VECTOR_URL = f"{STREAMLIT_TILES_URL}/vector"
#: Pane of the labels: above the harm fills (overlay pane 400) and context lines (450).
LABEL_PANE = "vector-labels"
#: Default byte budget of the vector tiles embedded in a pack (gzip bytes; base64 adds 1/3).
EMBED_BUDGET_BYTES = 2_500_000
#: Share of the mapped area's size embedded around it on each side (a wide map's sides).
EMBED_MARGIN = 0.6
#: Land colour behind the vector layers.
BACKGROUND = "#f2efe9"

#: The paint and label rules (JavaScript; ``P`` is ``protomapsL``). Widths in pixels.
STYLE_JS = """
function (P) {
  function w(a, b, c) { return function (z) { return z < 13 ? a : z < 15 ? b : c; }; }
  function main(z, f) { var k = f.props.kind || f.props.class || f.props.highway || "";
    return /main|primary|trunk|motorway|secondary|highway/.test(k); }
  var roads = ["roads", "transportation", "transport"];
  var paint = [];
  ["earth", "land"].forEach(function (l) {
    paint.push({dataLayer: l, symbolizer: new P.PolygonSymbolizer({fill: "__BG__"})}); });
  ["landuse", "landcover", "parks", "park", "greenspace"].forEach(function (l) {
    paint.push({dataLayer: l, symbolizer: new P.PolygonSymbolizer({fill: "#cfe6bf"})}); });
  ["water", "waterway"].forEach(function (l) {
    paint.push({dataLayer: l, symbolizer: new P.PolygonSymbolizer({fill: "#a9cde6"})});
    paint.push({dataLayer: l, symbolizer: new P.LineSymbolizer({color: "#a9cde6",
      width: w(1, 2, 4)})}); });
  ["railways", "railway"].forEach(function (l) {
    paint.push({dataLayer: l, symbolizer: new P.LineSymbolizer({color: "#8a8a8a",
      width: w(1, 1.5, 2), dash: [5, 3], dashColor: "#8a8a8a", dashWidth: 1.5})}); });
  roads.forEach(function (l) {
    paint.push({dataLayer: l, symbolizer: new P.LineSymbolizer({color: "#c9c2b6",
      width: w(1.6, 3.5, 7)})});
    paint.push({dataLayer: l, symbolizer: new P.LineSymbolizer({color: "#ffffff",
      width: w(0.8, 2.2, 5)})});
    paint.push({dataLayer: l, filter: main, symbolizer: new P.LineSymbolizer({
      color: "#f6d58e", width: w(1.2, 3, 6.5)})}); });
  var text = {fill: "#2b2b2b", stroke: "#ffffff", width: 3, labelProps: ["name"]};
  var labels = [];
  ["labels", "places", "place"].forEach(function (l) {
    labels.push({dataLayer: l, symbolizer: new P.CenteredTextSymbolizer(Object.assign(
      {font: "600 15px sans-serif"}, text))}); });
  roads.forEach(function (l) {
    labels.push({dataLayer: l, minzoom: 14, symbolizer: new P.LineLabelSymbolizer(
      Object.assign({font: "500 12px sans-serif"}, text))}); });
  ["parks", "park", "greenspace", "water"].forEach(function (l) {
    labels.push({dataLayer: l, minzoom: 14, symbolizer: new P.CenteredTextSymbolizer(
      Object.assign({font: "italic 12px sans-serif"}, text, {fill: "#33523a"}))}); });
  return {paint: paint, labels: labels};
}
""".replace("__BG__", BACKGROUND)


class VectorBase(JSCSSMixin):
    """Add the vector base (under overlays) and its labels (above fills) to a Leaflet map.

    Parameters
    ----------
    max_data_zoom : int
        The archive's highest zoom (the renderer enlarges it above).
    url : str, optional
        Where the browser reads the archive (a ``.pmtiles`` URL on the app's own address).
    embedded : dict of str to str, optional
        ``"z/x/y"`` -> base64 of the gzip tile (a pack); used instead of ``url``.
    attribution : str
        Attribution (escaped here).
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>.leaflet-{{ this.label_pane }}-pane { pointer-events: none; }</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function (map) {
                var P = protomapsL, style = ({{ this.style }})(P);
                var source = {{ this.url|tojson }};
                var tiles = {{ this.embedded|tojson }};
                if (!tiles) {  // one archive reader (header, directories) for both layers
                    source = new P.PmtilesSource(source, true).p;
                } else {
                    source = {getZxy: function (z, x, y) {
                        var t = tiles[z + "/" + x + "/" + y];
                        if (!t) { return Promise.resolve(undefined); }
                        var raw = Uint8Array.from(atob(t), function (c) {
                            return c.charCodeAt(0); });
                        var s = new Blob([raw]).stream().pipeThrough(
                            new DecompressionStream("gzip"));
                        return new Response(s).arrayBuffer().then(function (d) {
                            return {data: d}; });
                    }};
                }
                if (!map.getPane({{ this.label_pane|tojson }})) {
                    map.createPane({{ this.label_pane|tojson }}).style.zIndex = 460;
                }
                var common = {url: source, maxDataZoom: {{ this.max_data_zoom }},
                              maxZoom: 19, noWrap: true};
                var base = P.leafletLayer(Object.assign({}, common, {
                    paintRules: style.paint, labelRules: [],
                    backgroundColor: {{ this.background|tojson }},
                    attribution: {{ this.attribution|tojson }}}));
                var labels = P.leafletLayer(Object.assign({}, common, {
                    paintRules: [], labelRules: style.labels, attribution: "",
                    pane: {{ this.label_pane|tojson }}}));
                base.addTo(map); labels.addTo(map);
                map._geosocVectorBase = {base: base, labels: labels};
                return base;
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    default_js: ClassVar[list[tuple[str, str]]] = [("protomaps_leaflet", PROTOMAPS_JS)]

    def __init__(self, max_data_zoom: int, *, url: str | None = None,
                 embedded: dict[str, str] | None = None, attribution: str = "") -> None:
        super().__init__()
        self._name = "VectorBase"
        self.max_data_zoom, self.url, self.embedded = int(max_data_zoom), url, embedded
        self.attribution = safe_text(attribution or "© OpenStreetMap contributors")
        self.style, self.label_pane, self.background = STYLE_JS, LABEL_PANE, BACKGROUND


def publish_vector(path: Path, out_dir: Path = VECTOR_DIR) -> str:
    """Copy a vector archive into the static folder once; return its file name there.

    The name carries a digest of the file's path, size and modification time, so a new cut
    gets a new URL (no stale browser cache) and a finished copy is reused.
    """
    stat = path.stat()
    digest = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()
                            ).hexdigest()[:16]
    name = f"{digest}.pmtiles"
    target = out_dir / name
    if not target.is_file():
        out_dir.mkdir(parents=True, exist_ok=True)
        partial = out_dir / f".{name}.partial"
        shutil.copyfile(path, partial)
        partial.replace(target)
    return name


def served_vector_base(path: Path, *, base_url: str = STREAMLIT_VECTOR_URL,
                       attribution: str = "", out_dir: Path = VECTOR_DIR) -> VectorBase:
    """Return the vector base reading ``path`` (published once) from the app's own address.

    Parameters
    ----------
    path : pathlib.Path
        A PMTiles vector archive (a cut).
    base_url : str
        Where :data:`VECTOR_DIR` is served (``/app/static/tiles/vector``).
    attribution : str
        The config's attribution; else the archive's.
    out_dir : pathlib.Path
        The folder the archive is published to.
    """
    facts = archive_facts(path)
    name = publish_vector(path, out_dir)
    return VectorBase(facts["max_zoom"], url=f"{base_url.rstrip('/')}/{name}",
                      attribution=attribution or _plain(facts["attribution"]))


def _plain(text: str) -> str:
    """Return an attribution without its HTML tags (the map escapes what it shows)."""
    import re

    return re.sub(r"<[^>]+>", "", text).replace("&copy;", "©").strip()


def embedded_vector_base(path: Path, bounds: tuple[float, float, float, float], *,
                         budget_bytes: int = EMBED_BUDGET_BYTES, attribution: str = "",
                         width_px: int = 1000) -> VectorBase | None:
    """Return the vector base with the tiles around ``bounds`` inside the page (a pack).

    Zoom levels are taken from the archive's lowest up to its highest while the stored
    (gzip) bytes stay within ``budget_bytes``; the renderer enlarges the last level kept.

    Parameters
    ----------
    path : pathlib.Path
        A PMTiles vector archive.
    bounds : tuple of float
        The mapped area, EPSG:4326 degrees.
    budget_bytes : int
        Most tile bytes to embed.
    attribution : str
        The config's attribution; else the archive's.
    width_px : int
        Map width the zooms are chosen for (levels far below the fit are skipped).

    Returns
    -------
    VectorBase or None
        ``None`` when the archive holds no tile of the area.
    """
    from pmtiles.tile import zxy_to_tileid

    archive = _Archive(_file_reader(path), str(path))
    header = archive.header
    area = padded(bounds, EMBED_MARGIN)
    start = max(int(header["min_zoom"]), fit_zoom(area, width_px) - 3)
    tiles: dict[str, str] = {}
    total, kept = 0, 0
    for z in range(start, int(header["max_zoom"]) + 1):
        x0, x1, y0, y1 = tile_ranges(area, z)
        level = {}
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                where = archive.locate(zxy_to_tileid(z, x, y))
                if where is not None:
                    level[f"{z}/{x}/{y}"] = archive.read(*where)
        size = sum(len(v) for v in level.values())
        if tiles and total + size > budget_bytes:
            break
        total, kept = total + size, z
        tiles.update({k: base64.b64encode(_gzipped(v)).decode("ascii")
                      for k, v in level.items()})
    if not tiles:
        return None
    meta_attr = _plain(archive.metadata().get("attribution", ""))
    return VectorBase(kept, embedded=tiles, attribution=attribution or meta_attr)


def _gzipped(data: bytes) -> bytes:
    import gzip

    return data if data[:2] == b"\x1f\x8b" else gzip.compress(data)


def demo_vector_base(context_dir: Path, out_dir: Path = VECTOR_DIR) -> Path | None:
    """Return the demo town's vector base: its own file, else one made once from its streets.

    A demo folder generated before the vector base existed has none; it is then written
    from the folder's context layers into ``out_dir`` (no incident data: streets, parks,
    ward names), keyed by the folder and its roads file's modification time.

    Parameters
    ----------
    context_dir : pathlib.Path
        The demo town's ``context`` folder.
    out_dir : pathlib.Path
        Where a made copy goes.
    """
    from geosoc.synth.vector_base import write_demo_vector_base

    own = context_dir / "basemap.pmtiles"
    roads = context_dir / "roads.geojson"
    if own.is_file() or not roads.is_file():
        return own if own.is_file() else None
    key = hashlib.sha256(f"{context_dir.resolve()}|{roads.stat().st_mtime_ns}".encode()
                         ).hexdigest()[:12]
    out = out_dir / f"demo-{key}.pmtiles"
    return out if out.is_file() else write_demo_vector_base(context_dir.parent, out)
