"""Coverage of a site and its rings: assets by sector, capability, pillar; gaps against harm."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geosoc.assets.files import validate_assets
from geosoc.assets.site_coverage import (
    assets_in_zones,
    coverage_gaps,
    harm_in_zones,
    zone_coverage,
)
from geosoc.phases.rings import buffer_rings

TO_LONLAT = Transformer.from_crs(27700, 4326, always_xy=True)
SITE_M = shapely.box(530000, 180000, 531000, 181000)  # 1 km square, EPSG:27700


def _lonlat(east: float, north: float) -> tuple[str, str]:
    lon, lat = TO_LONLAT.transform(east, north)
    return f"{lon:.7f}", f"{lat:.7f}"


@pytest.fixture
def zones() -> gpd.GeoDataFrame:
    site = gpd.GeoSeries([SITE_M], crs=27700).to_crs(4326).iloc[0]
    rings = buffer_rings(site, (0, 250, 500))
    frame = pd.concat([gpd.GeoDataFrame({"zone": ["site"]}, geometry=[site], crs=4326),
                       rings.rename(columns={"ring": "zone"})[["zone", "geometry"]]],
                      ignore_index=True)
    return gpd.GeoDataFrame(frame, crs=4326)


@pytest.fixture
def assets() -> gpd.GeoDataFrame:
    spots = [(530500, 180500), (530200, 180800), (531100, 180500), (531400, 180500),
             (533000, 180500), (530600, 180400)]
    rows = []
    for i, (east, north) in enumerate(spots):
        lon, lat = _lonlat(east, north)
        rows.append({"name": f"A{i}", "category": "youth" if i % 2 == 0 else "sport",
                     "sector": ["vcs", "statutory", "faith", "private", "vcs", "vcs"][i],
                     "lon": lon, "lat": lat,
                     "capabilities": ["youth work; mentoring", "mentoring", "safe space", "",
                                      "diversion", ""][i],
                     "pillars": ["prevent", "prevent; protect", "protect", "pursue", "all",
                                 ""][i],
                     "engagement": ["delivering", "engaged", "", "delivering", "", ""][i],
                     "last_verified": ["2026-06-01", "2024-01-01", "", "2026-01-01",
                                       "2026-01-01", "2026-01-01"][i],
                     "status": "retired" if i == 5 else "active"})
    return validate_assets(pd.DataFrame(rows))


def test_assets_fall_in_the_site_or_one_ring(assets, zones) -> None:
    inside = assets_in_zones(assets, zones)
    # A0, A1 in the site; A2 100 m out; A3 400 m out; A4 far away; A5 retired
    assert inside[["zone", "name"]].values.tolist() == [
        ["site", "A0"], ["site", "A1"], ["0-250 m ring", "A2"], ["250-500 m ring", "A3"]]


def test_coverage_counts_by_sector_capability_and_pillar(assets, zones) -> None:
    table = zone_coverage(assets, zones)
    site = table[table["zone"] == "site"].set_index(["dimension", "value"])["assets"]
    assert site[("capability", "mentoring")] == 2
    assert site[("capability", "youth work")] == 1
    assert site[("pillar", "prevent")] == 2 and site[("pillar", "protect")] == 1
    assert site[("sector", "voluntary/community")] == 1
    assert site[("sector", "statutory")] == 1
    assert site[("engagement", "delivering")] == 1
    assert table["zone"].drop_duplicates().tolist() == ["site", "0-250 m ring",
                                                        "250-500 m ring"]


def test_gaps_rank_zones_by_harm_per_asset(assets, zones) -> None:
    cells = gpd.GeoDataFrame({"harm": [900.0, 10.0, 400.0, float("nan")]},
                             geometry=gpd.points_from_xy(
                                 *zip(*[tuple(map(float, _lonlat(*p))) for p in [
                                     (530300, 180300), (530700, 180700),
                                     (531450, 180500), (531100, 180100)]], strict=True)),
                             crs=4326)
    harm = harm_in_zones(cells, zones)
    assert harm.tolist() == [910.0, 0.0, 400.0]  # the NaN (suppressed) cell counts 0
    gaps = coverage_gaps(assets, zones, harm, as_of=date(2026, 12, 3))
    assert gaps.loc["site", "assets"] == 2 and gaps.loc["site", "delivering"] == 1
    assert gaps.loc["site", "stale"] == 1  # A1 verified 2024
    assert gaps.loc["0-250 m ring", "stale"] == 1  # A2 never verified
    assert gaps.loc["site", "missing_pillars"] == "pursue; prepare"
    assert "youth work" not in gaps.loc["site", "missing_capabilities"]
    assert "safe space" not in gaps.loc["0-250 m ring", "missing_capabilities"]
    assert gaps.loc["site", "assets_per_100_harm"] == pytest.approx(200 / 910)
    assert gaps["gap_rank"].tolist() == [1, 3, 2]  # 455 harm/asset, 0, 400
