"""Tests for geosoc.maps: escaping, offline localisation, inlining, scales and layers."""

from __future__ import annotations

import json
import re

import folium
import folium.plugins
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from geosoc import maps
from geosoc.maps import offline, vendor
from geosoc.maps.legend import ZERO_COLOUR, BinnedScale, quantile_scale

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "`;alert(1);`",
    "back\\slash\\`${x}",
    "</script><script>alert(1)</script>",
]
CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "code.jquery.com", "unpkg.com",
             "netdna.bootstrapcdn.com", "d3js.org")


def _cells(n_ring: int = 4) -> gpd.GeoDataFrame:
    ids = sorted(h3.grid_disk(h3.latlng_to_cell(51.515, -0.09, 9), n_ring))
    polys = [Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(i)]) for i in ids]
    harm = np.arange(len(ids), dtype=float) * (np.arange(len(ids)) % 4 > 0)
    return gpd.GeoDataFrame({"harm": harm, "count": np.arange(len(ids))},
                            index=pd.Index(ids, name="h3"), geometry=polys, crs="EPSG:4326")


def _areas(names: list[str]) -> gpd.GeoDataFrame:
    geoms = [box(-0.1 + 0.01 * i, 51.5, -0.09 + 0.01 * i, 51.52) for i in range(len(names))]
    return gpd.GeoDataFrame({"name": names, "kind": "ward"},
                            index=pd.Index([f"E0500000{i}" for i in range(len(names))],
                                           name="area_code"),
                            geometry=geoms, crs="EPSG:4326")


def _assets(names: list[str], categories: list[str]) -> pd.DataFrame:
    n = len(names)
    return pd.DataFrame({"name": names, "category": categories,
                         "lon": np.linspace(-0.095, -0.085, n),
                         "lat": np.linspace(51.51, 51.515, n)})


def _hostile_map() -> str:
    areas = _areas(HOSTILE)
    m = maps.build_map(boundaries=areas)
    cells = _cells()
    cells["label"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(cells))]
    maps.value_layer(cells, "harm", quantile_scale(cells["harm"]), name=HOSTILE[0],
                     tooltip={"harm": "Harm", "label": HOSTILE[1]}).add_to(m)
    assets = _assets(HOSTILE, HOSTILE[::-1])
    for group in maps.asset_layers(assets, maps.category_colours(assets["category"])):
        group.add_to(m)
    maps.site_layer(areas.iloc[:1]).add_to(m)
    maps.finish_map(m)
    return m.get_root().render()


# --- escaping ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", HOSTILE)
def test_safe_text_leaves_no_markup_or_template_syntax(text):
    out = maps.safe_text(text)
    for char in "<>`$\\\"'":
        assert char not in out
    assert "${" not in out


def test_safe_text_round_trips_through_html_unescape():
    import html

    for text in [*HOSTILE, "Café & Bar", "St. Mary's"]:
        assert html.unescape(maps.safe_text(text)) == text


def test_safe_text_missing_values():
    assert maps.safe_text(None) == ""
    assert maps.safe_text(float("nan")) == ""
    assert maps.safe_text(12) == "12"


def test_safe_properties_escapes_strings_only_and_keeps_input():
    frame = _areas(HOSTILE)
    frame["count"] = np.arange(len(frame))
    out = maps.safe_properties(frame)
    assert frame["name"].tolist() == HOSTILE  # input unchanged
    assert out.index.equals(frame.index)
    assert out["count"].tolist() == list(range(len(frame)))
    assert out.geometry.equals(frame.geometry)
    assert all("<" not in v and "$" not in v and "`" not in v for v in out["name"])
    assert out["name"].iloc[0] == maps.safe_text(HOSTILE[0])


def test_hostile_strings_are_not_executable_in_map_html():
    page = _hostile_map()
    # what the browser's JS engine sees once JSON/JS string escapes are undone
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)
    for text in HOSTILE:
        assert text not in decoded
    assert "<img" not in decoded
    assert "${alert" not in decoded
    assert "`;alert" not in decoded
    assert "<script>alert(1)" not in decoded
    assert "&lt;img src=x onerror=alert(1)&gt;" in decoded  # shown as text instead


# --- offline ----------------------------------------------------------------------------

def test_localised_map_references_no_cdn():
    page = _hostile_map()
    assert maps.external_urls(page) == []
    for host in CDN_HOSTS:
        assert host not in page
    assert "/app/static/vendor/leaflet@1.9.3/dist/leaflet.js" in page


def test_maps_without_popups_or_icons_skip_jquery_and_bootstrap():
    page = _hostile_map()
    assert "jquery" not in page and "bootstrap" not in page
    m = maps.build_map(boundaries=_areas(["A"]))
    folium.Marker([51.51, -0.09], popup=folium.Popup("x"), icon=folium.Icon()).add_to(m)
    page = maps.finish_map(m).get_root().render()
    assert "/app/static/vendor/jquery@3.7.1/dist/jquery.min.js" in page
    assert "leaflet.awesome-markers" in page


def test_unlocalised_map_is_detected():
    page = folium.Map(tiles=None).get_root().render()
    assert any("cdn.jsdelivr.net" in u for u in maps.external_urls(page))


def test_localise_walks_dualmap_and_plugins():
    dual = folium.plugins.DualMap(location=[51.5, -0.1], tiles=None)
    folium.plugins.MarkerCluster().add_to(dual.m1)
    folium.plugins.Draw().add_to(dual.m2)
    folium.plugins.Fullscreen().add_to(dual.m1)
    maps.localise(dual, base_url="/x/vendor")
    for element in offline.walk_elements(dual):
        for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]:
            assert url.startswith("/x/vendor/"), url
    page = dual.get_root().render()
    assert maps.external_urls(page) == []
    assert "/x/vendor/leaflet.sync@0.2.4/L.Map.Sync.js" in page


def test_localise_refuses_unknown_cdn_files():
    m = folium.Map(tiles=None)
    folium.plugins.Terminator().add_to(m)
    with pytest.raises(maps.MissingAssetError, match="no local copy"):
        maps.localise(m)


def test_every_cdn_url_maps_to_a_declared_package_file():
    for spec, path in vendor.CDN_TO_LOCAL.values():
        package = vendor.PACKAGES[spec]
        assert any(path == k or (k.endswith("/") and path.startswith(k)) for k in package.keep)


def test_map_urls_of_folium_map_are_all_known():
    for _, url in [*folium.Map.default_js, *folium.Map.default_css]:
        assert url in vendor.CDN_TO_LOCAL or url in vendor.DROPPED_URLS


@pytest.mark.skipif(bool(vendor.missing_files()), reason="run python -m geosoc.maps.vendor")
def test_inline_assets_makes_a_standalone_page():
    page = _hostile_map()
    standalone = maps.inline_assets(page)
    assert "<script src=" not in standalone
    assert not re.search(r"<link[^>]+stylesheet", standalone)
    # whatever remains in href/src is inside library code (e.g. Leaflet's own attribution link)
    assert all("leafletjs.com" in u for u in maps.external_urls(standalone))
    assert "data:image/png;base64," in standalone  # leaflet.css images inlined
    assert "L.markerClusterGroup" in standalone


def test_inline_assets_names_missing_files(tmp_path):
    page = _hostile_map()
    with pytest.raises(maps.MissingAssetError, match=r"geosoc\.maps\.vendor"):
        maps.inline_assets(page, vendor_dir=tmp_path)


def test_vendor_check_reports_missing(tmp_path, capsys):
    assert vendor.main(["--check", "--dir", str(tmp_path)]) == 1
    assert "missing:" in capsys.readouterr().out


# --- scales, legends, layers ------------------------------------------------------------

def test_binned_scale_classes_are_half_open_and_zero_is_grey():
    scale = BinnedScale((0.0, 10.0, 20.0), ("#aaaaaa", "#bbbbbb"))
    colours = scale.colour(np.array([0.0, 5.0, 10.0, 10.5, 20.0, 99.0, np.nan]))
    assert colours.tolist() == [ZERO_COLOUR, "#aaaaaa", "#aaaaaa", "#bbbbbb", "#bbbbbb",
                                "#bbbbbb", ZERO_COLOUR]
    legend = scale.legend("Harm")
    assert legend.entries[0] == ("0 (none)", ZERO_COLOUR)
    assert len(legend.entries) == 3


def test_quantile_scale_edges_cover_values():
    values = np.r_[np.zeros(10), np.arange(1, 101)]
    scale = quantile_scale(values, classes=4)
    assert scale.edges[0] == 0 and scale.edges[-1] == 100
    assert len(scale.colours) == len(scale.edges) - 1 == 4
    assert quantile_scale(np.zeros(3)).colour(np.zeros(3)).tolist() == [ZERO_COLOUR] * 3


def test_compact_geojson_rounds_and_keys_features():
    cells = _cells(1)
    cells.loc[cells.index[0], "harm"] = 1.23456
    data = maps.compact_geojson(cells, ["harm"])
    assert [f["properties"]["key"] for f in data["features"]] == list(cells.index)
    coords = np.array(data["features"][0]["geometry"]["coordinates"][0])
    assert np.allclose(coords, np.round(coords, 5))
    assert data["features"][0]["properties"]["harm"] == pytest.approx(1.2)
    assert json.dumps(data)  # serialisable


def test_empty_layers_render():
    empty = _areas([]).iloc[0:0]
    assert maps.compact_geojson(empty) == {"type": "FeatureCollection", "features": []}
    m = maps.build_map(boundaries=_areas(["A"]))
    maps.site_layer(empty).add_to(m)
    maps.finish_map(m)
    assert "L.geoJson" in m.get_root().render() or "geo_json" in m.get_root().render()


def test_value_layer_styles_each_cell_with_its_bin_colour():
    cells = _cells(2)
    scale = quantile_scale(cells["harm"], classes=3)
    m = maps.build_map(bounds=tuple(cells.total_bounds))
    layer = maps.value_layer(cells, "harm", scale, name="Harm").add_to(m)
    m.get_root().render()
    expected = dict(zip(cells.index, scale.colour(cells["harm"]), strict=True))
    for style, ids in layer.style_map.items():
        if style == "default":
            continue
        colour = json.loads(style)["fillColor"]
        assert all(expected[i] == colour for i in ids)


def test_class_layer_can_hide_not_significant():
    cells = _cells(1)
    cells["hotspot_bin"] = [3, 0, 0, -2, 0, 1, 0]
    layer = maps.class_layer(cells, "hotspot_bin", {3: "#d62f27"}, name="Gi*", hide=(0,))
    assert len(layer.data["features"]) == 3


def test_build_map_defaults_offline_and_tiles_are_configurable():
    page = maps.build_map(boundaries=_areas(["A"])).get_root().render()
    assert "tile.openstreetmap" not in page
    assert '"maxZoom": 19' in page
    tiled = maps.build_map(tile_url="https://tiles.example.org/{z}/{x}/{y}.png",
                           attribution="<b>Force</b>").get_root().render()
    assert "tiles.example.org" in tiled
    assert "<b>Force</b>" not in tiled


def test_asset_layers_one_group_per_category():
    assets = _assets(["a", "b", "c"], ["Youth", "Faith", "Youth"])
    groups = maps.asset_layers(assets, maps.category_colours(assets["category"]))
    assert [g.layer_name for g in groups] == ["Faith", "Youth"]
    clusters = [next(iter(g._children.values())) for g in groups]
    assert [len(c.data) for c in clusters] == [1, 2]


def test_deck_hex_map_uses_no_base_map():
    from geosoc.maps.deck import deck_hex_map

    cells = _cells(1)
    deck = deck_hex_map(cells, "harm", quantile_scale(cells["harm"]),
                        bounds=tuple(cells.total_bounds))
    spec = json.loads(deck.to_json())
    assert spec["layers"][0]["@@type"] == "H3HexagonLayer"
    assert deck.map_provider is None
