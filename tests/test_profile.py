"""The FB4 pipeline on a small synthetic town built in code."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import box

from geosoc.errors import AnalysisError
from geosoc.hotspots.profile import LocalityProfile, build_profile

TO_WGS = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
X0, Y0 = 530_000, 180_000
HOT = (X0 + 700, Y0 + 600)


def _areas(kind: str, n: int) -> gpd.GeoDataFrame:
    size = 2_000 / n
    boxes = [box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size)
             for i in range(n) for j in range(n)]
    codes = [f"{kind[0].upper()}{i:03d}" for i in range(len(boxes))]
    frame = gpd.GeoDataFrame({"name": codes, "kind": kind}, geometry=boxes, crs=27700,
                             index=pd.Index(codes, name="area_code"))
    return frame.to_crs(4326)


@pytest.fixture(scope="module")
def town():
    rng = np.random.default_rng(11)
    months = pd.period_range("2024-01", periods=12, freq="M")
    background = rng.uniform([X0, Y0], [X0 + 2_000, Y0 + 2_000], size=(900, 2))
    hot = rng.normal(HOT, 60, size=(300, 2))
    xy = np.vstack([background, hot])
    lon, lat = TO_WGS.transform(xy[:, 0], xy[:, 1])
    n = len(lon)
    category = rng.choice(["Robbery", "Shoplifting", "Violence and sexual offences",
                           "Anti-social behaviour"], n)
    month = months[rng.integers(0, 12, n)]
    incidents = gpd.GeoDataFrame(
        {"incident_id": [f"c{i}" for i in range(n)], "month": month,
         "category": category, "source": "police", "lon": lon, "lat": lat},
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
    )
    return incidents, {"ward": _areas("ward", 2), "lsoa": _areas("lsoa", 5)}


@pytest.fixture(scope="module")
def run(town) -> tuple[LocalityProfile, list[tuple[float, str]]]:
    incidents, areas = town
    calls: list[tuple[float, str]] = []
    result = build_profile(incidents, areas, resolution=9, lisa_permutations=999,
                           progress=lambda f, m: calls.append((f, m)))
    return result, calls


@pytest.fixture(scope="module")
def profile(run) -> LocalityProfile:
    return run[0]


def test_cells_are_zero_filled_and_conserve_harm(profile, town):
    cells = profile.cells
    assert (cells["count"] == 0).sum() > 0
    assert cells["count"].sum() + profile.parameters["outside_cover"] == len(town[0])
    assert profile.monthly["count"].sum() == len(town[0])
    assert {"gi_z", "gi_p", "gi_q", "gi_fdr", "hotspot_bin", "lisa_cluster",
            "emerging_class"} <= set(cells.columns)
    assert cells.crs.to_epsg() == 4326


def test_planted_hotspot_is_the_hottest_place(profile):
    cells = profile.cells
    top = cells.loc[cells["gi_z"].idxmax()].geometry.centroid
    x, y = Transformer.from_crs(4326, 27700, always_xy=True).transform(top.x, top.y)
    assert np.hypot(x - HOT[0], y - HOT[1]) < 250
    assert profile.hotspot_counts.loc[3, "cells"] >= 1
    lsoa = profile.areas["lsoa"]
    hottest = lsoa.loc[lsoa["harm"].idxmax()]
    assert hottest["gi_z"] > 1  # one outlier among 25 areas inflates the variance


def test_bin_counts_and_summary(profile):
    counts = profile.hotspot_counts
    assert list(counts.index) == [3, 2, 1, 0, -1, -2, -3]
    assert counts["cells"].sum() == len(profile.cells)
    assert counts["ward"].sum() == 4 and counts["lsoa"].sum() == 25
    summary = profile.summary()
    assert summary["cells"] == len(profile.cells)
    assert summary["concentration"]["share_of_units"] < 0.5
    assert sum(summary["emerging"].values()) == len(profile.cells)


def test_progress_is_reported_in_order(run):
    fractions = [f for f, _ in run[1]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_filters_and_errors(town):
    incidents, areas = town
    robbery = build_profile(incidents, areas, categories=["Robbery"], months=("2024-03",
                            "2024-08"), lisa_permutations=99, emerging_freq=None)
    expected = ((incidents["category"] == "Robbery")
                & (incidents["month"] >= pd.Period("2024-03", "M"))
                & (incidents["month"] <= pd.Period("2024-08", "M"))).sum()
    assert robbery.parameters["incidents_used"] == expected
    assert robbery.emerging is None
    assert robbery.cells["harm"].sum() == pytest.approx(
        365 * robbery.cells["count"].sum())
    with pytest.raises(AnalysisError, match="no incidents left"):
        build_profile(incidents, areas, sources=["fire"])


def test_without_areas_uses_the_incident_hull(town):
    incidents, _ = town
    bare = build_profile(incidents, None, scheme="count", lisa_permutations=99,
                         emerging_freq="Q")
    assert bare.areas == {}
    assert bare.cells["count"].sum() == len(incidents)
    assert bare.emerging is not None


def test_cli_writes_layers_csvs_and_json(town, tmp_path, capsys):
    import json

    from geosoc.cli import main

    incidents, areas = town
    rows = pd.DataFrame({
        "Crime ID": incidents["incident_id"], "Month": incidents["month"].astype(str),
        "Reported by": "Test Police", "Falls within": "Test Police",
        "Longitude": incidents["lon"].round(6), "Latitude": incidents["lat"].round(6),
        "Location": "On or near Test Street", "LSOA code": "", "LSOA name": "",
        "Crime type": incidents["category"], "Last outcome category": "", "Context": "",
    })
    csv = tmp_path / "2024-01-test-street.csv"
    rows.to_csv(csv, index=False)
    wards = tmp_path / "wards.geojson"
    areas["ward"].reset_index().to_file(wards, driver="GeoJSON")
    out = tmp_path / "out"
    code = main(["profile", str(csv), "--areas", f"ward={wards}", "--out", str(out),
                 "--format", "parquet", "--emerging", "Q", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["protective_marking"] == "OFFICIAL-SENSITIVE"
    assert summary["incidents"] == len(incidents)
    assert summary["areas"] == {"ward": 4}
    for name in ("cells.parquet", "areas_ward.parquet", "cells.csv", "monthly.csv",
                 "hotspot_counts.csv", "emerging.csv", "lorenz.csv", "summary.json"):
        assert (out / name).is_file(), name
    cells = gpd.read_parquet(out / "cells.parquet")
    assert "hotspot_bin" in cells.columns and cells.crs.to_epsg() == 4326
    assert main(["profile", str(csv), "--areas", "nonsense", "--out", str(out)]) == 2
