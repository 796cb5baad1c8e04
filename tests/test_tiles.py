"""Offline base map tiles: MBTiles/PMTiles/XYZ sources, copied for the app, embedded in packs."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import folium
import pytest
from tile_fixtures import DEMO_BOUNDS, tile_png, write_mbtiles, write_pmtiles, write_xyz

from geosoc.config import load_config
from geosoc.errors import ConfigError, InputFileError
from geosoc.ingest.tiles import iter_tiles, open_tiles, tile_count, tile_ranges
from geosoc.maps import external_urls
from geosoc.maps.tiles import (
    embedded_tile_layer,
    publish_tiles,
    publish_zooms,
    served_tile_layer,
)


@pytest.fixture(params=["mbtiles", "pmtiles", "xyz"])
def source(request, tmp_path: Path):
    writer = {"mbtiles": lambda: write_mbtiles(tmp_path / "t.mbtiles", zooms=range(11, 14)),
              "pmtiles": lambda: write_pmtiles(tmp_path / "t.pmtiles"),
              "xyz": lambda: write_xyz(tmp_path / "xyz")}[request.param]
    return open_tiles(writer())


def test_every_kind_yields_the_right_tile_at_each_xyz_address(source) -> None:
    assert (source.format, source.min_zoom, source.max_zoom) == ("png", 11, 13)
    tiles = list(iter_tiles(source, DEMO_BOUNDS))
    expected = sum(tile_count(DEMO_BOUNDS, z) for z in (11, 12, 13))
    assert len(tiles) == expected
    # the image at z/x/y is the one drawn for z/x/y: MBTiles' TMS rows are flipped back
    for z, x, y, data in tiles[:: max(1, len(tiles) // 6)]:
        assert data == tile_png(z, x, y)


def test_tile_ranges_match_the_slippy_map_formula() -> None:
    # Greenwich at zoom 1: x = 1; 52.96 N is in the northern row y = 0
    assert tile_ranges((0.0, 52.96, 0.0, 52.96), 1) == (1, 1, 0, 0)
    # the demo town at zoom 13: about 3 x 3 tiles
    x0, x1, y0, y1 = tile_ranges(DEMO_BOUNDS, 13)
    assert (x1 - x0 + 1, y1 - y0 + 1) in {(3, 2), (3, 3), (4, 3)}
    assert y0 <= y1  # north row first


def test_vector_tiles_unknown_files_and_missing_sources_are_refused(tmp_path: Path) -> None:
    vector = write_mbtiles(tmp_path / "v.mbtiles", zooms=range(11, 12), fmt="pbf")
    with pytest.raises(InputFileError, match="vector tiles") as info:
        open_tiles(vector)
    assert info.value.problems[0].file == str(vector) and info.value.problems[0].fix
    junk = tmp_path / "junk.mbtiles"
    junk.write_bytes(b"not sqlite at all" * 20)
    with pytest.raises(InputFileError, match=r"cannot use junk\.mbtiles"):
        open_tiles(junk)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputFileError, match="no"):
        open_tiles(empty)
    with pytest.raises(InputFileError, match="does not exist"):
        open_tiles(tmp_path / "absent.pmtiles")
    with pytest.raises(InputFileError, match="unknown tile source"):
        open_tiles(junk.rename(tmp_path / "junk.tif"))


def test_publish_copies_the_study_area_once_and_names_it_by_content(tmp_path: Path) -> None:
    path = write_mbtiles(tmp_path / "t.mbtiles", zooms=range(11, 15))
    source = open_tiles(path)
    out = tmp_path / "static" / "tiles"
    first = publish_tiles(source, DEMO_BOUNDS, out_dir=out)
    files = sorted(first.folder.rglob("*.png"))
    assert first.tiles == len(files) > 0
    assert (first.min_zoom, first.max_zoom) == (11, 14)
    z, x, y = (int(p) for p in files[0].relative_to(first.folder).with_suffix("").parts)
    assert files[0].read_bytes() == tile_png(z, x, y)
    again = publish_tiles(source, DEMO_BOUNDS, out_dir=out)
    assert again == first  # reused, not copied again
    assert not list(out.glob(".*partial"))
    # a changed file gets a new copy (the digest follows size and modification time)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE metadata SET value = 'v2' WHERE name = 'name'")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert publish_tiles(open_tiles(path), DEMO_BOUNDS, out_dir=out).digest != first.digest


def test_publish_caps_the_tile_count_by_dropping_high_zooms(tmp_path: Path) -> None:
    source = open_tiles(write_mbtiles(tmp_path / "t.mbtiles", zooms=range(11, 16)))
    zooms = publish_zooms(source, DEMO_BOUNDS, max_tiles=60)
    assert zooms.start == 11 and zooms.stop - 1 < 15
    assert sum(tile_count(DEMO_BOUNDS, z) for z in zooms) <= 60


def test_the_served_layer_points_at_the_apps_own_address(tmp_path: Path) -> None:
    source = open_tiles(write_mbtiles(tmp_path / "t.mbtiles", zooms=range(11, 14)))
    published = publish_tiles(source, DEMO_BOUNDS, out_dir=tmp_path / "tiles")
    m = folium.Map(tiles=None)
    served_tile_layer(published, attribution="<b>OS</b>").add_to(m)
    html = m.get_root().render()
    assert f"/app/static/tiles/{published.digest}/{{z}}/{{x}}/{{y}}.png" in html
    assert "<b>OS" not in html and "\\u0026lt;b\\u0026gt;OS" in html
    assert '"maxNativeZoom": 13' in html


def test_embedded_tiles_stay_within_budget_and_need_no_request(tmp_path: Path) -> None:
    source = open_tiles(write_mbtiles(tmp_path / "t.mbtiles", zooms=range(11, 16)))
    layer = embedded_tile_layer(source, DEMO_BOUNDS, budget_bytes=200_000)
    assert layer is not None
    raw = sum(len(v) * 3 // 4 for v in layer.embedded.values())
    assert 0 < raw <= 200_000
    zooms = {int(k.split("/")[0]) for k in layer.embedded}
    assert layer.options["max_native_zoom"] == max(zooms) < 15
    m = folium.Map(tiles=None)
    layer.add_to(m)
    html = m.get_root().render()
    assert "data:" in html and "getTileUrl" in html
    assert not [u for u in external_urls(html) if "leaflet" not in u and "jquery" not in u
                and "bootstrap" not in u and "fontawesome" not in u and "awesome" not in u]
    assert embedded_tile_layer(source, (10.0, 10.0, 10.1, 10.1)) is None  # no tile there


def test_config_takes_a_tile_file_or_a_url_template(tmp_path: Path) -> None:
    write_mbtiles(tmp_path / "zoomstack.mbtiles", zooms=range(11, 12))
    config = tmp_path / "geosoc.toml"
    config.write_text('[map]\ntiles = "zoomstack.mbtiles"\nattribution = "OS"\n')
    settings = load_config(config)
    assert settings.map.tile_source == tmp_path / "zoomstack.mbtiles"
    assert settings.map.tiles is None
    config.write_text('[map]\ntiles = "missing.pmtiles"\n')
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert info.value.problems[0].column == "map.tiles"
    config.write_text('[map]\ntiles = "roads.shp"\n')
    (tmp_path / "roads.shp").write_bytes(b"x")
    with pytest.raises(ConfigError, match="problem"):
        load_config(config)
