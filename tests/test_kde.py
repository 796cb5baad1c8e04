"""Kernel density surface: mass conservation, peak location, units and errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from geosoc.errors import AnalysisError, CRSError
from geosoc.hotspots.kde import kde_surface

TO_WGS = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _incidents(xy: np.ndarray, harm: np.ndarray) -> gpd.GeoDataFrame:
    lon, lat = TO_WGS.transform(xy[:, 0], xy[:, 1])
    return gpd.GeoDataFrame(
        {"incident_id": [f"i{i}" for i in range(len(lon))],
         "month": pd.period_range("2024-01", periods=1, freq="M").repeat(len(lon)),
         "category": "Robbery", "source": "police", "lon": lon, "lat": lat, "harm": harm},
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def incidents() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    hot = rng.normal([532_500, 181_200], 40, size=(60, 2))
    spread = rng.uniform([531_500, 180_500], [533_500, 182_000], size=(40, 2))
    harm = np.concatenate([np.full(60, 365.0), np.full(40, 2.0)])
    return _incidents(np.vstack([hot, spread]), harm)


@pytest.mark.parametrize("kernel", ["epanechnikov", "gaussian"])
def test_surface_integrates_to_total_harm(incidents, kernel):
    pad = 1500 if kernel == "gaussian" else 300
    surface = kde_surface(incidents, bandwidth_m=150, cell_m=25, kernel=kernel,
                          bounds=(531_500 - pad, 180_500 - pad, 533_500 + pad, 182_000 + pad))
    mass = surface["density_per_km2"].sum() * (25 * 25) / 1e6
    assert mass == pytest.approx(incidents["harm"].sum(), rel=0.01)
    assert surface.attrs["bandwidth_m"] == 150 and surface.attrs["kernel"] == kernel


def test_peak_is_at_the_planted_cluster_and_count_mode(incidents):
    surface = kde_surface(incidents, bandwidth_m=200, cell_m=50)
    peak = surface.loc[surface["density_per_km2"].idxmax()]
    assert abs(peak["x_m"] - 532_500) < 75 and abs(peak["y_m"] - 181_200) < 75
    counts = kde_surface(incidents, bandwidth_m=200, cell_m=50, weight=None)
    assert counts["density_per_km2"].sum() * 0.0025 == pytest.approx(100, rel=0.02)
    assert surface.crs.to_epsg() == 4326 and counts.attrs["weight"] == "count"


def test_errors(incidents):
    with pytest.raises(AnalysisError):
        kde_surface(incidents, bandwidth_m=0)
    with pytest.raises(AnalysisError, match="too large"):
        kde_surface(incidents, cell_m=1, bounds=(0, 0, 100_000, 100_000))
    with pytest.raises(CRSError):
        kde_surface(incidents.to_crs(27700))
    with pytest.raises(AnalysisError):
        kde_surface(incidents.assign(harm=-1.0))
