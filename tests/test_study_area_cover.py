"""The data's cover rule: areas outside the incidents' cover stay out of the statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from own_force_data import police_rows, ward_grid

from geosoc.engine.profile_run import profile_incidents
from geosoc.errors import AnalysisError
from geosoc.hotspots.profile import build_profile
from geosoc.hotspots.study_area import COVER_MARGIN_M, data_cover


def _incidents(n: int = 600) -> pd.DataFrame:
    rows = police_rows(n, seed=7)
    return pd.DataFrame({"incident_id": rows["Crime ID"], "category": rows["Crime type"],
                         "month": pd.PeriodIndex(rows["Month"], freq="M"),
                         "source": "police", "lon": rows["Longitude"].astype(float),
                         "lat": rows["Latitude"].astype(float)})


@pytest.fixture(scope="module")
def force_and_county() -> tuple[pd.DataFrame, object, object]:
    force = ward_grid(4, 500.0)  # the force's 16 wards over the 2 km patch of incidents
    county = ward_grid(5, 1000.0, east_m=40_000.0, prefix="E058")  # 25 empty wards, 40 km on
    both = pd.concat([force, county])
    return _incidents(), force, both


@pytest.mark.parametrize("engine", ["cube", "memory"])
def test_another_countys_wards_do_not_change_the_forces_gi(force_and_county, engine: str
                                                           ) -> None:
    incidents, force, both = force_and_county

    def run(wards: object) -> object:
        if engine == "cube":
            return profile_incidents(incidents, {"ward": wards}, emerging_freq=None)
        import geopandas as gpd

        points = gpd.GeoDataFrame(incidents, geometry=gpd.points_from_xy(
            incidents["lon"], incidents["lat"]), crs="EPSG:4326")
        return build_profile(points, {"ward": wards}, emerging_freq=None,
                             lisa_permutations=99)

    alone, widened = run(force), run(both)
    a, b = alone.areas["ward"], widened.areas["ward"]
    assert list(b.index) == list(a.index)  # the county's 25 wards were left out
    assert b["hotspot_bin"].tolist() == a["hotspot_bin"].tolist()
    assert np.allclose(b["gi_z"], a["gi_z"])
    assert (a["hotspot_bin"] != 0).any()  # the classes compared are not all "none"
    assert len(widened.cells) == len(alone.cells)
    note = widened.parameters["study_area"]
    assert note.startswith("25 of 41 ward areas left out of the study area")
    assert "study_area" not in alone.parameters
    assert widened.summary()["incidents"] == alone.summary()["incidents"]  # no incident lost


def test_boundaries_far_from_every_incident_are_an_error(force_and_county) -> None:
    incidents, _, both = force_and_county
    county = both.loc[both.index.str.startswith("E058")]
    with pytest.raises(AnalysisError, match="hold none of the incidents") as err:
        profile_incidents(incidents, {"ward": county}, emerging_freq=None)
    assert "far from the data" in str(err.value)


def test_the_cover_sets_far_outliers_aside() -> None:
    rng = np.random.default_rng(1)
    lon = np.r_[rng.uniform(-1.0, -0.99, 500), -4.9]  # one point snapped 270 km away
    lat = np.r_[rng.uniform(53.0, 53.01, 500), 50.1]
    cover = data_cover(lon, lat)
    x0, y0, _, _ = cover.bounds
    assert x0 > -1.02 and y0 > 52.98  # the outlier is outside
    # margin: a point 400 m east of the points' hull is inside, one 700 m east is not
    step = 1.0 / (111_320.0 * np.cos(np.radians(53.005)))
    assert shapely.contains_xy(cover, lon[:500].max() + 400 * step, 53.005)
    assert not shapely.contains_xy(cover, lon[:500].max() + 700 * step, 53.005)
    assert COVER_MARGIN_M == 500.0
