"""Asset coverage analysis against distances built by hand in British National Grid."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geosoc.assets.coverage import asset_gaps, assets_near, assets_per_harm
from geosoc.errors import CRSError, SchemaError


def _bng_to_wgs(geoms: list, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=geoms, crs="EPSG:27700").to_crs("EPSG:4326")


@pytest.fixture
def targets() -> gpd.GeoDataFrame:
    squares = [shapely.box(x, 180_000, x + 100, 180_100) for x in (530_000, 531_000, 532_000)]
    frame = _bng_to_wgs(squares, area_code=["t1", "t2", "t3"], name=["One", "Two", "Three"],
                        harm=[10.0, 5.0, 100.0])
    return frame.set_index("area_code")


@pytest.fixture
def assets() -> gpd.GeoDataFrame:
    points = [shapely.Point(530_150, 180_050), shapely.Point(530_050, 180_400),
              shapely.Point(531_050, 180_050), shapely.Point(532_050, 180_700),
              shapely.Point(532_050, 180_050)]
    return _bng_to_wgs(points, asset_id=["a1", "a2", "a3", "a4", "a5"],
                       name=["Youth A", "Pitch", "Youth B", "Chapel", "Old club"],
                       category=["youth", "sport", "youth", "faith", "youth"],
                       status=["active"] * 4 + ["retired"])


def test_assets_near_matches_hand_measured_distances(assets, targets) -> None:
    near = assets_near(assets, targets, 500)
    assert list(near.columns) == ["target_id", "asset_id", "distance_m", "category"]
    assert near[["target_id", "asset_id"]].values.tolist() == [["t1", "a1"], ["t1", "a2"],
                                                               ["t2", "a3"]]
    assert near["distance_m"].tolist() == pytest.approx([50.0, 300.0, 0.0], abs=0.01)
    wider = assets_near(assets, targets, 650)
    assert ["t3", "a4"] in wider[["target_id", "asset_id"]].values.tolist()
    assert "a5" not in set(wider["asset_id"])  # retired


def test_assets_near_with_nothing_in_reach_is_empty(assets, targets) -> None:
    near = assets_near(assets, targets.loc[["t1", "t3"]], 10)
    assert near.empty and list(near.columns) == ["target_id", "asset_id", "distance_m",
                                                 "category"]


def test_asset_gaps_lists_missing_categories_and_nearest(assets, targets) -> None:
    gaps = asset_gaps(targets, assets, categories=["youth club", "sports"], distance_m=500,
                      harm_quantile=0.0)
    assert gaps.index.tolist() == ["t3", "t2"]  # highest harm first; t1 has both
    assert gaps["missing_categories"].tolist() == ["youth; sport", "sport"]
    assert gaps["n_missing"].tolist() == [2, 1]
    assert gaps["assets_within"].tolist() == [0, 1]
    assert gaps.loc["t3", "nearest__youth"] == "Youth B"  # not the retired one inside t3
    assert gaps.loc["t3", "distance_m__youth"] == pytest.approx(950.0, abs=0.01)
    assert gaps.loc["t2", "distance_m__sport"] == pytest.approx(math.hypot(950, 300), abs=0.01)
    assert gaps.loc["t3", "distance_m__sport"] == pytest.approx(math.hypot(1950, 300),
                                                                abs=0.01)
    assert gaps.crs.to_string() == "EPSG:4326"
    assert gaps.loc["t3", "name"] == "Three"


def test_asset_gaps_uses_the_harm_quantile(assets, targets) -> None:
    gaps = asset_gaps(targets, assets, categories=["faith"], distance_m=500)
    assert gaps.index.tolist() == ["t3"]  # 90th percentile of (5, 10, 100) is 82
    assert gaps.loc["t3", "distance_m__faith"] == pytest.approx(600.0, abs=0.01)


def test_asset_gaps_reports_a_category_the_register_lacks(assets, targets) -> None:
    gaps = asset_gaps(targets, assets, categories=["food"], harm_quantile=0.0)
    assert gaps["missing_categories"].eq("food").all() and len(gaps) == 3
    assert gaps["distance_m__food"].isna().all()


def test_asset_gaps_rejects_unknown_categories(assets, targets) -> None:
    with pytest.raises(SchemaError) as err:
        asset_gaps(targets, assets, categories=["yooth"])
    assert "youth" in err.value.problems[0].fix


def test_assets_per_harm_counts_per_area_and_per_100_harm() -> None:
    areas = _bng_to_wgs([shapely.box(530_000, 180_000, 531_000, 181_000),
                         shapely.box(531_000, 180_000, 532_000, 181_000)],
                        area_code=["A", "B"], harm=[200.0, 0.0]).set_index("area_code")
    rng = np.random.default_rng(3)
    xs = np.r_[rng.uniform(530_100, 530_900, 3), 531_500, 540_000]
    assets = _bng_to_wgs(list(shapely.points(xs, np.full(5, 180_500.0))),
                         asset_id=list("abcde"),
                         category=["youth", "food", "youth", "youth", "food"])
    before = areas.copy()
    out = assets_per_harm(areas, assets)
    pd.testing.assert_frame_equal(areas, before)  # input untouched
    assert out.index.tolist() == ["A", "B"]
    assert out["asset_count"].tolist() == [3, 1]
    assert out.loc["A", "assets_per_100_harm"] == pytest.approx(1.5)
    assert np.isnan(out.loc["B", "assets_per_100_harm"])
    assert out["assets_per_km2"].tolist() == pytest.approx([3.0, 1.0], rel=1e-3)
    split = assets_per_harm(areas, assets, by_category=True)
    assert split["asset_count__youth"].tolist() == [2, 1]
    assert split["asset_count__food"].tolist() == [1, 0]  # the 5th lies outside both
    assert split["asset_count__library"].tolist() == [0, 0]


def test_frames_without_a_crs_are_refused(assets, targets) -> None:
    with pytest.raises(CRSError):
        assets_near(assets.set_crs(None, allow_override=True), targets, 100)
