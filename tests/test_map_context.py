"""Map context from the server's own files: OS-style layers, the demo's streets, drawn below."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geosoc import maps
from geosoc.errors import InputFileError
from geosoc.ingest.context import read_context
from geosoc.maps.context import PANE, add_context
from geosoc.synth.demo import ensure_demo


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_demo(tmp_path_factory.mktemp("demo"))


def os_style_geopackage(path: Path) -> Path:
    """OS Open Roads / Open Greenspace-like layers in EPSG:27700, plus one unknown layer."""
    roads = gpd.GeoDataFrame(
        {"roadClassification": ["A Road", "Unclassified", "Motorway"],
         "name1": ["High Street", "Back Lane", "M6"]},
        geometry=[shapely.LineString([(400000, 300000), (401000, 300000)]),
                  shapely.LineString([(400000, 300200), (400000, 301000)]),
                  shapely.LineString([(500000, 400000), (501000, 400000)])],  # far away
        crs="EPSG:27700")
    green = gpd.GeoDataFrame({"function": ["Public Park Or Garden"], "distName1": ["The Park"]},
                             geometry=[shapely.box(400100, 300100, 400300, 300300)],
                             crs="EPSG:27700")
    buildings = gpd.GeoDataFrame({"x": [1]}, geometry=[shapely.box(400000, 300000, 400010,
                                                                    300010)], crs="EPSG:27700")
    roads.to_file(path, layer="road_link", driver="GPKG")
    green.to_file(path, layer="greenspace_site", driver="GPKG")
    buildings.to_file(path, layer="buildings", driver="GPKG")
    return path


def test_os_layers_are_recognised_classified_and_clipped_to_the_study(tmp_path: Path) -> None:
    path = os_style_geopackage(tmp_path / "os.gpkg")
    corners = gpd.GeoSeries([shapely.Point(399500, 299500), shapely.Point(401500, 301500)],
                            crs=27700).to_crs(4326)
    ingested = read_context(path, bounds=(corners[0].x, corners[0].y, corners[1].x,
                                          corners[1].y))
    layers = ingested.data
    assert set(layers) == {"roads", "greenspace"}
    roads = layers["roads"]
    assert roads.crs.to_epsg() == 4326
    assert roads["name"].tolist() == ["High Street", "Back Lane"]  # the M6 is outside
    assert roads["class"].tolist() == ["main", "minor"]
    assert layers["greenspace"]["name"].tolist() == ["The Park"]
    assert any("buildings" in note for note in ingested.report.notes)


def test_the_demo_town_ships_streets_a_river_a_railway_and_parks(demo_dir: Path) -> None:
    layers = read_context(demo_dir / "context").data
    assert set(layers) == {"roads", "railways", "water", "greenspace"}
    assert (layers["roads"]["class"] == "main").sum() >= 2
    assert layers["water"].geometry.geom_type.isin(["Polygon", "MultiPolygon"]).all()


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.gpkg", "not found"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "no map context layers"),
])
def test_bad_context_sources_say_what_to_do(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(InputFileError, match=message) as err:
        read_context(make(tmp_path))
    assert err.value.problems[0].fix


def test_context_is_drawn_in_its_own_pane_without_interaction(demo_dir: Path) -> None:
    layers = read_context(demo_dir / "context").data
    m = maps.build_map(bounds=tuple(layers["roads"].total_bounds))
    add_context(m, layers)
    html = maps.finish_map(m).get_root().render()
    assert f'"{PANE}"' in html or f"'{PANE}'" in html
    for title in ("Roads", "Railways", "Rivers and water", "Parks and green space"):
        assert title in html
    assert "bindTooltip" not in html and "bindPopup" not in html
