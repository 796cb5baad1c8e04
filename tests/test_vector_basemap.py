"""The labelled vector base map: cutting a study area (file, MBTiles, URL by range requests),
the ``geosoc basemap`` command, the ``[map] vector`` setting and the demo town's own base."""

from __future__ import annotations

import base64
import gzip
import http.server
import json
import sqlite3
import threading
from pathlib import Path

import pytest

from geosoc import maps
from geosoc.cli import main
from geosoc.config import load_config
from geosoc.errors import ConfigError, InputFileError
from geosoc.maps.vector import VectorBase, embedded_vector_base, served_vector_base
from geosoc.maps.vector_cut import RangeReader, _Archive, archive_facts, cut_vector

#: The City of London (EPSG:4326 degrees), inside the shared central London archive.
CITY = (-0.1136, 51.5065, -0.0728, 51.5234)


@pytest.fixture(scope="module")
def london(city_of_london: Path) -> Path:
    path = city_of_london / "basemap" / "central-london-osm-z12.pmtiles"
    if not path.is_file():
        pytest.skip(f"the shared vector archive is missing: {path}")
    return path


def _tiles(path: Path) -> dict[int, bytes]:
    """Every tile of an archive by tile id (stored bytes), read independently of the cut."""
    from pmtiles.reader import MmapSource, Reader, all_tiles
    from pmtiles.tile import zxy_to_tileid

    with path.open("rb") as handle:
        return {zxy_to_tileid(*zxy): data for zxy, data in all_tiles(Reader(MmapSource(handle))
                                                                     .get_bytes)}


def test_the_city_cut_keeps_exactly_the_tiles_over_the_city(london: Path, tmp_path: Path
                                                             ) -> None:
    from pmtiles.tile import tileid_to_zxy

    from geosoc.ingest.tiles import tile_ranges

    cut = cut_vector(london, CITY, tmp_path / "city.pmtiles")
    source, kept = _tiles(london), _tiles(cut.path)
    area = cut.bounds
    inside = {t for t in source if (lambda z, x, y: (lambda r: r[0] <= x <= r[1] and
                                    r[2] <= y <= r[3])(tile_ranges(area, z)))(
        *tileid_to_zxy(t))}
    assert set(kept) == inside and 0 < len(kept) < len(source)  # 10 of the 17
    assert all(kept[t] == source[t] for t in kept)  # copied byte for byte
    assert cut.layers == ("labels", "roads", "water") and cut.max_zoom == 12
    assert "OSM" in cut.attribution and cut.bytes == cut.path.stat().st_size
    facts = archive_facts(cut.path)
    assert facts["tiles"] == len(kept) and facts["max_zoom"] == 12


def test_a_cut_from_a_url_reads_only_byte_ranges(london: Path, tmp_path: Path) -> None:
    served: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(london.parent), **kwargs)

        def do_GET(self):
            served.append(self.headers.get("Range", ""))
            start, end = (int(v) for v in self.headers["Range"].split("=")[1].split("-"))
            data = london.read_bytes()[start:end + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{london.stat().st_size}")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/{london.name}"
        remote = cut_vector(url, CITY, tmp_path / "remote.pmtiles")
        local = cut_vector(london, CITY, tmp_path / "local.pmtiles")
    finally:
        server.shutdown()
    assert _tiles(remote.path) == _tiles(local.path)
    assert served and all(r.startswith("bytes=") for r in served)
    # header, metadata and one merged run of neighbouring tiles: not the whole file
    assert len(served) <= 8
    with pytest.raises(InputFileError, match="not an http"):
        RangeReader("file:///etc/passwd")


def test_a_server_that_ignores_ranges_is_a_clear_error(london: Path, tmp_path: Path) -> None:
    class Whole(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(london.parent), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Whole)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(InputFileError, match="cannot cut") as err:
            cut_vector(f"http://127.0.0.1:{server.server_port}/{london.name}", CITY,
                       tmp_path / "x.pmtiles")
    finally:
        server.shutdown()
    assert "whole file" in err.value.problems[0].message
    assert not (tmp_path / "x.pmtiles").exists()


def test_an_mbtiles_vector_archive_is_cut_too(london: Path, tmp_path: Path) -> None:
    from pmtiles.tile import tileid_to_zxy

    db = tmp_path / "london.mbtiles"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        con.execute("CREATE TABLE tiles (zoom_level INT, tile_column INT, tile_row INT, "
                    "tile_data BLOB)")
        con.executemany("INSERT INTO metadata VALUES (?, ?)", [
            ("format", "pbf"), ("json", json.dumps({"vector_layers": [{"id": "roads"}]}))])
        for tile_id, data in _tiles(london).items():
            z, x, y = tileid_to_zxy(tile_id)
            con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, 2 ** z - 1 - y, data))
    cut = cut_vector(db, CITY, tmp_path / "from-mbtiles.pmtiles")
    assert _tiles(cut.path) == _tiles(cut_vector(london, CITY, tmp_path / "p.pmtiles").path)
    assert cut.layers == ("roads",)


def test_bad_sources_say_what_to_do(london: Path, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot cut") as err:
        cut_vector(tmp_path / "missing.pmtiles", CITY, tmp_path / "x.pmtiles")
    assert err.value.problems[0].fix
    with pytest.raises(InputFileError) as err:
        cut_vector(london, (10.0, 10.0, 10.1, 10.1), tmp_path / "x.pmtiles")
    assert "no tile covers" in err.value.problems[0].message
    assert not (tmp_path / "x.pmtiles").exists()


def test_geosoc_basemap_writes_where_the_config_says(london: Path, tmp_path: Path,
                                                     monkeypatch, capsys) -> None:
    config = tmp_path / "geosoc.toml"
    config.write_text('[map]\nvector = "basemap.pmtiles"\n')
    monkeypatch.setenv("GEOSOC_CONFIG", str(config))
    assert load_config(config).map.vector == tmp_path / "basemap.pmtiles"
    bbox = ",".join(str(v) for v in CITY)
    assert main(["basemap", str(london), f"--bbox={bbox}", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["path"] == str(tmp_path / "basemap.pmtiles") and facts["tiles"] == 10
    with pytest.raises(SystemExit):  # argparse names the flag, the value and the form
        main(["basemap", str(london), "--bbox", "1,2,3"])
    assert "LON_MIN,LAT_MIN,LON_MAX,LAT_MAX" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('[map]\nvector = "basemap.mbtiles"\n')
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    assert err.value.problems[0].column == "map.vector"


def test_the_vector_base_is_served_locally_and_embedded_with_its_renderer(
        london: Path, tmp_path: Path) -> None:
    cut = cut_vector(london, CITY, tmp_path / "city.pmtiles")
    m = maps.build_map(bounds=CITY)
    served_vector_base(cut.path, out_dir=tmp_path / "static").add_to(m)
    html = maps.finish_map(m).get_root().render()
    assert "/app/static/tiles/vector/" in html and "protomaps-leaflet.js" in html
    assert "unpkg.com" not in html and list((tmp_path / "static").glob("*.pmtiles"))
    layer = embedded_vector_base(cut.path, CITY)
    assert isinstance(layer, VectorBase) and layer.max_data_zoom == 12
    # tiles travel as base64 gzip MVT, as stored
    assert all(gzip.decompress(base64.b64decode(v))
               for v in layer.embedded.values())
    assert embedded_vector_base(cut.path, (10.0, 10.0, 10.1, 10.1)) is None


def test_the_demo_town_writes_a_labelled_vector_base(demo_dir: Path) -> None:
    from geosoc.synth.manifest import DemoManifest

    path = demo_dir / "context" / "basemap.pmtiles"
    assert "context/basemap.pmtiles" in DemoManifest.read(demo_dir).files
    facts = archive_facts(path)
    assert set(facts["layers"]) == {"roads", "railways", "water", "parks", "labels"}
    assert (facts["min_zoom"], facts["max_zoom"]) == (10, 15)
    # decode one street tile independently (the mapbox vector tile spec, by hand): the
    # street names and the ward names are in it
    archive = _Archive(lambda o, n: path.read_bytes()[o:o + n], str(path))
    from pmtiles.tile import zxy_to_tileid

    from geosoc.ingest.tiles import tile_ranges

    z = 14
    x0, x1, y0, y1 = tile_ranges(facts["bounds"], z)
    text = b"".join(gzip.decompress(archive.read(*loc)) for x in range(x0, x1 + 1)
                    for y in range(y0, y1 + 1)
                    if (loc := archive.locate(zxy_to_tileid(z, x, y))) is not None)
    assert b"High Street" in text and b"Station Road" in text and b"Market Square" in text


def test_with_no_base_map_the_datas_own_names_label_the_map() -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geosoc.maps.name_labels import MIN_STREET_INCIDENTS, name_labels, street_labels

    n = MIN_STREET_INCIDENTS
    incidents = pd.DataFrame({
        "location": ["On or near Bishopsgate"] * (n + 2) + ["On or near Parking Area"] * 30
        + ["On or near Tiny Court"] * (n - 1) + ["On or near Smith & <Co> Lane"] * n,
        "lon": [-0.0812] * (n + 2) + [-0.09] * 30 + [-0.1] * (n - 1) + [-0.07] * n,
        "lat": [51.5171] * (n + 2) + [51.51] * 30 + [51.52] * (n - 1) + [51.515] * n})
    streets = street_labels(incidents)
    # non-streets and streets with few records are left out; positions are on the grid,
    # never an incident's own point
    assert list(streets["name"]) == ["Bishopsgate", "Smith & <Co> Lane"]
    assert (streets.loc[0, "lon"], streets.loc[0, "lat"]) == (pytest.approx(-0.081),
                                                              pytest.approx(51.517))
    wards = gpd.GeoDataFrame({"name": ["Bishopsgate & Co"]},
                             geometry=[shapely.box(-0.09, 51.51, -0.07, 51.52)], crs="EPSG:4326")
    m = maps.build_map(bounds=(-0.1, 51.5, -0.06, 51.53))
    name_labels(wards=wards, incidents=incidents).add_to(m)
    html = maps.finish_map(m).get_root().render()
    # escaped as HTML (then as JSON: & is \u0026 in the script)
    assert r"Bishopsgate \u0026amp; Co" in html and r"Smith \u0026amp; \u0026lt;Co\u0026gt;" in html
    assert "<Co>" not in html
    assert name_labels(wards=wards.iloc[:0]) is None


def test_a_demo_folder_made_before_the_vector_base_gets_one_made_once(demo_dir: Path,
                                                                      tmp_path: Path) -> None:
    import shutil

    from geosoc.maps.vector import demo_vector_base

    old = tmp_path / "old-demo"
    shutil.copytree(demo_dir / "context", old / "context")
    shutil.copytree(demo_dir / "boundaries", old / "boundaries")
    (old / "context" / "basemap.pmtiles").unlink()
    made = demo_vector_base(old / "context", out_dir=tmp_path / "static")
    assert made is not None and made.parent == tmp_path / "static"
    assert archive_facts(made)["layers"] == archive_facts(
        demo_dir / "context" / "basemap.pmtiles")["layers"]
    stamp = made.stat().st_mtime_ns
    assert demo_vector_base(old / "context", out_dir=tmp_path / "static") == made
    assert made.stat().st_mtime_ns == stamp  # reused, not made again
    assert demo_vector_base(demo_dir / "context") == demo_dir / "context" / "basemap.pmtiles"
