"""Buffer rings, H3 rings, adjacency and control suggestion on geometry built in code."""

from __future__ import annotations

import math

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from geosoc.errors import AnalysisError
from geosoc.phases.rings import adjacent_areas, buffer_rings, h3_ring_cells, suggest_control

# A 200 m x 200 m square site in central London, built in British National Grid metres.
E0, N0 = 531_000.0, 181_000.0


def to_lonlat(geometry: shapely.Geometry) -> shapely.Geometry:
    return gpd.GeoSeries([geometry], crs="EPSG:27700").to_crs("EPSG:4326").iloc[0]


SITE_M = shapely.box(E0, N0, E0 + 200, N0 + 200)
SITE = to_lonlat(SITE_M)


def grid_areas(n: int = 5, size: float = 200.0) -> gpd.GeoDataFrame:
    """``n`` x ``n`` square areas of ``size`` metres; the site is the centre square."""
    half = n // 2
    boxes, codes = [], []
    for i in range(n):
        for j in range(n):
            x, y = E0 + (i - half) * size, N0 + (j - half) * size
            boxes.append(shapely.box(x, y, x + size, y + size))
            codes.append(f"A{i}{j}")
    frame = gpd.GeoDataFrame({"name": codes, "kind": "custom"}, geometry=boxes,
                             crs="EPSG:27700", index=pd.Index(codes, name="area_code"))
    return frame.to_crs("EPSG:4326")


def test_rings_areas_match_buffer_formula():
    rings = buffer_rings(SITE, (0, 250, 500))
    assert rings.crs == "EPSG:4326"
    assert rings["ring"].tolist() == ["0-250 m ring", "250-500 m ring"]

    def disc(d: float) -> float:  # area of a square of side 200 buffered by d
        return 200**2 + 4 * 200 * d + math.pi * d**2

    assert rings["area_km2"].iloc[0] * 1e6 == pytest.approx(disc(250) - disc(0), rel=0.01)
    assert rings["area_km2"].iloc[1] * 1e6 == pytest.approx(disc(500) - disc(250), rel=0.01)
    metric = rings.to_crs("EPSG:27700")
    assert metric.geometry.iloc[0].intersection(SITE_M).area < 1.0  # site excluded
    assert metric.geometry.iloc[1].intersection(metric.geometry.iloc[0]).area < 1.0


def test_rings_bands_validated():
    with pytest.raises(AnalysisError):
        buffer_rings(SITE, (250, 100))


def test_h3_rings_of_one_cell():
    cell = h3.latlng_to_cell(51.5, -0.1, 9)
    rings = h3_ring_cells([cell], 2)
    assert rings["ring"].value_counts().to_dict() == {1: 6, 2: 12}
    assert cell not in set(rings["h3"])


def test_h3_rings_of_two_cells_use_nearest_distance():
    a = h3.latlng_to_cell(51.5, -0.1, 9)
    b = h3.grid_ring(a, 1)[0]
    rings = h3_ring_cells([a, b], 1)
    assert {a, b}.isdisjoint(set(rings["h3"]))
    assert rings["h3"].is_unique
    expected = (set(h3.grid_disk(a, 1)) | set(h3.grid_disk(b, 1))) - {a, b}
    assert set(rings["h3"]) == expected


def test_adjacent_areas_are_the_eight_neighbours():
    areas = grid_areas()
    adjacent = adjacent_areas(SITE, areas)
    assert sorted(adjacent.index) == sorted(
        f"A{i}{j}" for i in (1, 2, 3) for j in (1, 2, 3) if (i, j) != (2, 2))


def _counts(areas: gpd.GeoDataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """Area counts: the site (A44) rises linearly; A00 rises the same; A88 falls; rest flat."""
    trend = np.arange(1, len(months) + 1, dtype=float)
    series = {code: np.full(len(months), 10.0) for code in areas.index}
    series["A44"] = 5 * trend
    series["A00"] = 2 * trend          # same shape as the site, smaller volume
    series["A88"] = 5 * trend[::-1]    # opposite trend
    series["A35"] = 5 * trend          # same shape but within 500 m of the site: excluded
    rows = [{"area_code": code, "month": m, "category": "Robbery", "source": "police",
             "count": int(v)} for code, values in series.items() for m, v in zip(months, values,
                                                                                  strict=True)]
    return pd.DataFrame(rows)


def test_suggest_control_prefers_matching_trend_outside_the_buffer():
    areas = grid_areas(9)
    months = pd.period_range("2023-01", "2023-12", freq="M")
    best = suggest_control(SITE, areas, _counts(areas, months), baseline=("2023-01", "2023-12"),
                           n=2)
    assert best.index[0] == "A00"
    assert best["rank"].tolist() == [1, 2]
    assert best["correlation"].iloc[0] == pytest.approx(1.0)
    assert best["rmse"].iloc[0] == pytest.approx(0.0)
    assert "A35" not in best.index and "A44" not in best.index
    assert best.index[1] != "A88"


def test_suggest_control_from_points():
    areas = grid_areas(9)
    months = pd.period_range("2023-01", "2023-12", freq="M")
    counts = _counts(areas, months)
    centres = areas.geometry.representative_point()
    repeated = counts.loc[counts.index.repeat(counts["count"])]
    points = centres.loc[repeated["area_code"]].to_numpy()
    incidents = gpd.GeoDataFrame({"month": repeated["month"].to_numpy()}, geometry=points,
                                 crs="EPSG:4326")
    best = suggest_control(SITE, areas, incidents, baseline=("2023-01", "2023-12"), n=1)
    assert best.index.tolist() == ["A00"]


def test_suggest_control_needs_site_events():
    areas = grid_areas(9)
    months = pd.period_range("2023-01", "2023-12", freq="M")
    counts = _counts(areas, months)
    counts = counts[counts["area_code"] != "A44"]
    with pytest.raises(AnalysisError, match="no events"):
        suggest_control(SITE, areas, counts, baseline=("2023-01", "2023-12"))
