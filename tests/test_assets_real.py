"""Assets on real City of London data: Code-Point Open geocoding and ward coverage."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geosoc.assets.coverage import assets_per_harm
from geosoc.assets.files import read_assets
from geosoc.errors import GeocodeError
from geosoc.ingest.postcodes import read_postcodes

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ec_postcodes(city_of_london: Path) -> pd.DataFrame:
    return read_postcodes(city_of_london / "postcodes" / "codepoint_open" / "ec.csv").data


def test_postcode_only_assets_land_on_the_code_point_centroid(
        tmp_path: Path, city_of_london: Path, ec_postcodes: pd.DataFrame) -> None:
    raw = pd.read_csv(city_of_london / "postcodes" / "codepoint_open" / "ec.csv",
                      header=None, usecols=[0, 2, 3], names=["pc", "e", "n"], nrows=400)
    picked = raw.iloc[[0, 150, 399]]
    lines = [f"Asset {i},food bank,{pc.lower()}" for i, pc in enumerate(picked["pc"])]
    path = tmp_path / "by_postcode.csv"
    path.write_text("name,category,postcode\n" + "\n".join(lines) + "\n")
    assets = read_assets(path, postcodes=ec_postcodes)
    bng = assets.to_crs("EPSG:27700").geometry
    assert bng.x.to_numpy() == pytest.approx(picked["e"].to_numpy(), abs=1.0)
    assert bng.y.to_numpy() == pytest.approx(picked["n"].to_numpy(), abs=1.0)

    path.write_text("name,category,postcode\nA,food,EC1A 1AA\nB,food,EC9Z 9ZZ\n")
    with pytest.raises(GeocodeError) as err:
        read_assets(path, postcodes=ec_postcodes)
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "postcode")]


def test_assets_per_harm_over_the_city_wards(city_of_london: Path,
                                              ec_postcodes: pd.DataFrame) -> None:
    wards = gpd.read_file(city_of_london / "boundaries" / "wards_by_lad" / "E09000001.json")
    wards = wards.rename(columns={"WD13CD": "area_code"}).set_index("area_code")
    wards["harm"] = range(1, len(wards) + 1)
    sample = ec_postcodes.iloc[::40]
    assets = gpd.GeoDataFrame(
        {"asset_id": sample["postcode"].to_numpy(), "category": "youth"},
        geometry=gpd.points_from_xy(sample["lon"], sample["lat"]), crs="EPSG:4326")
    out = assets_per_harm(wards, assets)
    city = shapely.union_all(wards.geometry.to_numpy())
    inside = int(shapely.intersects(city, assets.geometry.to_numpy()).sum())
    assert 0 < out["asset_count"].sum() == inside < len(assets)
    assert out["assets_per_100_harm"].to_numpy() == pytest.approx(
        out["asset_count"].to_numpy() / out["harm"].to_numpy() * 100)
