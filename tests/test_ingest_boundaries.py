"""read_boundaries: GeoJSON folders, zipped shapefiles in EPSG:27700, field detection."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from geosoc import schema
from geosoc.errors import ConfigError, CRSError, SchemaError
from geosoc.ingest import read_boundaries


def wards(codes: list[str], crs: str = "EPSG:4326", fields: tuple[str, str] = ("WD22CD",
                                                                              "WD22NM")
          ) -> gpd.GeoDataFrame:
    boxes = [box(-0.1 + 0.01 * i, 51.5, -0.09 + 0.01 * i, 51.51) for i in range(len(codes))]
    frame = gpd.GeoDataFrame({fields[0]: codes, fields[1]: [f"Ward {c[-1]}" for c in codes],
                              "LAD22CD": ["E09000001"] * len(codes)},
                             geometry=boxes, crs="EPSG:4326")
    return frame.to_crs(crs)


def test_geojson_folder_is_merged_with_detected_fields(tmp_path: Path) -> None:
    wards(["E05000001", "E05000002"]).to_file(tmp_path / "a.geojson")
    wards(["E05000003"]).to_file(tmp_path / "b.json", driver="GeoJSON")
    (tmp_path / "licence.txt").write_text("OGL")
    result = read_boundaries(tmp_path, kind="ward")
    areas = result.data
    schema.validate_areas(areas)
    assert sorted(areas.index) == ["E05000001", "E05000002", "E05000003"]
    assert areas.loc["E05000003", "name"] == "Ward 3"
    assert (areas["kind"] == "ward").all()
    assert any("code field 'WD22CD'" in n for n in result.report.notes)


def test_kind_picks_the_matching_code_field(tmp_path: Path) -> None:
    wards(["E05000001"]).to_file(tmp_path / "a.geojson")
    with pytest.raises(SchemaError, match="name field"):
        read_boundaries(tmp_path / "a.geojson", kind="lad")  # LAD22CD but no LAD22NM
    areas = read_boundaries(tmp_path / "a.geojson", kind="lad", name_field="WD22NM").data
    assert list(areas.index) == ["E09000001"]


def test_zipped_bng_shapefile_is_reprojected(tmp_path: Path) -> None:
    source = wards(["E05000001", "E05000002"], crs="EPSG:27700",
                   fields=("GSS_CODE", "NAME"))
    source.to_file(tmp_path / "w.shp")
    archive = tmp_path / "w.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("w.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    areas = read_boundaries(archive, kind="ward").data
    assert areas.crs.equals("EPSG:4326")
    expected = source.to_crs("EPSG:4326").set_index("GSS_CODE")
    for code in areas.index:
        assert areas.loc[code].geometry.normalize().equals_exact(
            expected.loc[code].geometry.normalize(), 1e-9)


def test_geopackage_and_duplicate_codes_are_dissolved(tmp_path: Path) -> None:
    wards(["E05000001", "E05000001", "E05000002"]).to_file(tmp_path / "w.gpkg")
    result = read_boundaries(tmp_path / "w.gpkg", kind="ward")
    assert list(result.data.index) == ["E05000002", "E05000001"]
    assert result.data.loc["E05000001"].geometry.area == pytest.approx(2e-4)
    assert any("dissolved" in n for n in result.report.notes)


def test_mislabelled_crs_is_caught(tmp_path: Path) -> None:
    frame = wards(["E05000001"], crs="EPSG:27700").set_crs("EPSG:4326", allow_override=True)
    frame.to_file(tmp_path / "w.geojson")
    with pytest.raises(CRSError, match="outside the UK"):
        read_boundaries(tmp_path / "w.geojson", kind="ward")


def test_explicit_fields_and_bad_kind(tmp_path: Path) -> None:
    frame = wards(["E05000001"], fields=("ref", "label")).drop(columns="LAD22CD")
    frame.to_file(tmp_path / "w.geojson")
    with pytest.raises(SchemaError, match="code_field"):
        read_boundaries(tmp_path / "w.geojson", kind="ward")
    areas = read_boundaries(tmp_path / "w.geojson", kind="custom", code_field="ref",
                            name_field="label").data
    assert areas.loc["E05000001", "name"] == "Ward 1"
    with pytest.raises(ConfigError):
        read_boundaries(tmp_path / "w.geojson", kind="parish")
