"""read_points on partner files built in tmp_path: lon/lat, BNG, postcode-only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pyproj import Transformer

from geosoc import schema
from geosoc.errors import ConfigError, SchemaError
from geosoc.ingest import PointMapping, read_points

# OS worked example ("A guide to coordinate systems in Great Britain", Caister water tower):
# National Grid E 651409.903 N 313177.270 is OSGB36 (Airy) 52°39'27.2531"N 1°43'4.5177"E.
CAISTER_EN = (651409.903, 313177.270)
CAISTER_OSGB36 = (1 + 43 / 60 + 4.5177 / 3600, 52 + 39 / 60 + 27.2531 / 3600)
# The Airy transit circle at Greenwich (OSGB36 longitude 0) lies at WGS84 longitude
# -0°0'5.31" (the IERS reference meridian is ~102 m east of it).
GREENWICH_WGS84_LON = -5.31 / 3600


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bng_partner_file_is_converted_to_wgs84(tmp_path: Path) -> None:
    greenwich = Transformer.from_crs("EPSG:4277", "EPSG:27700", always_xy=True).transform(
        0.0, 51 + 28 / 60 + 38 / 3600)
    path = write(tmp_path / "asb.csv", [
        "Ref,Reported,Type,Easting,Northing",
        f"A1,03/02/2024,Fly-tipping,{greenwich[0]:.3f},{greenwich[1]:.3f}",
        "A2,2024-02-05,Noise,,",
    ])
    mapping = PointMapping(date="Reported", id="Ref", category="Type", easting="Easting",
                           northing="Northing")
    result = read_points(path, mapping, source="council_asb")
    data = result.data
    schema.validate_incidents(data)
    assert len(data) == 1
    # pyproj's 7-parameter Helmert (no OSTN15 grid offline) is good to about 10 m here;
    # 2e-4 degrees is ~14 m, while skipping the datum shift would be ~100 m off.
    assert data.loc[0, schema.LON] == pytest.approx(GREENWICH_WGS84_LON, abs=2e-4)
    assert str(data.loc[0, schema.MONTH]) == "2024-02"
    assert data.loc[0, schema.SOURCE] == "council_asb"
    assert result.report.dropped == {"no location": 1}


def test_grid_projection_matches_the_os_worked_example() -> None:
    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4277", always_xy=True).transform(
        *CAISTER_EN)
    assert (lon, lat) == pytest.approx(CAISTER_OSGB36, abs=1e-7)


def test_lonlat_file_with_fixed_category_and_date_format(tmp_path: Path) -> None:
    path = write(tmp_path / "fire.csv", [
        "when,lon,lat", "2024/01/31 23:59,-0.1,51.5", "2023/12/01 00:00,-0.11,51.51"])
    mapping = PointMapping(date="when", date_format="%Y/%m/%d %H:%M", category_value="Fire",
                           lon="lon", lat="lat")
    data = read_points(path, mapping, source="fire").data
    assert data[schema.CATEGORY].tolist() == ["Fire", "Fire"]
    assert data[schema.MONTH].astype(str).tolist() == ["2024-01", "2023-12"]
    assert data[schema.INCIDENT_ID].tolist() == ["", ""]


def test_postcode_only_rows_are_geocoded_and_unmatched_counted(tmp_path: Path) -> None:
    postcodes = pd.DataFrame({
        "postcode": ["EC1A 1AA", "EC2V 7HH"], "lon": [-0.1112, -0.0930],
        "lat": [51.5201, 51.5140]})
    path = write(tmp_path / "ae.csv", [
        "date,pc", "2024-01-01,ec1a1aa", "2024-01-02, EC2V  7HH", "2024-01-03,ZZ9 9ZZ",
        "2024-01-04,ZZ9 9ZZ", "2024-01-05,"])
    mapping = PointMapping(date="date", category_value="A&E assault", postcode="pc")
    result = read_points(path, mapping, source="health_ae", postcodes=postcodes)
    data = result.data
    assert data[schema.POSTCODE].tolist() == ["EC1A 1AA", "EC2V 7HH"]
    assert data[schema.LAT].tolist() == [51.5201, 51.5140]
    assert result.report.dropped == {"unmatched postcode": 2, "no location": 1}
    assert any("ZZ9 9ZZ (2)" in n for n in result.report.notes)


def test_postcode_mapping_without_table_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path / "ae.csv", ["date,pc", "2024-01-01,EC1A 1AA"])
    with pytest.raises(ConfigError, match="postcode table"):
        read_points(path, PointMapping(date="date", category_value="x", postcode="pc"),
                    source="health_ae")


@pytest.mark.parametrize("kwargs", [
    {"date": "d", "category_value": "x"},
    {"date": "d", "category_value": "x", "lon": "lon"},
    {"date": "d", "category_value": "x", "lon": "lon", "lat": "lat", "postcode": "pc"},
    {"date": "d", "lon": "lon", "lat": "lat"},
    {"date": "d", "category": "c", "category_value": "x", "lon": "lon", "lat": "lat"},
])
def test_invalid_mappings_are_rejected(kwargs: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        PointMapping(**kwargs)


def test_duplicate_ids_and_blank_categories_are_all_listed(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", [
        "id,date,type,lon,lat", "1,2024-01-01,Fire,-0.1,51.5", "1,2024-01-02,,-0.1,51.5"])
    with pytest.raises(SchemaError) as info:
        read_points(path, PointMapping(date="date", id="id", category="type", lon="lon",
                                       lat="lat"), source="fire")
    rows = {(p.row, p.column) for p in info.value.problems}
    assert rows == {(2, "id"), (3, "id"), (3, "type")}


def test_missing_mapped_column_names_the_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", ["date,Type,lon,lat", "2024-01-01,Fire,-0.1,51.5"])
    with pytest.raises(SchemaError) as info:
        read_points(path, PointMapping(date="date", category="type", lon="lon", lat="lat"),
                    source="fire")
    assert "found 'Type'" in str(info.value)
