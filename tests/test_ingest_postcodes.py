"""read_postcodes (Code-Point Open and ONSPD layouts), normalisation, postcode areas."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geosoc.errors import AnalysisError
from geosoc.ingest import build_postcode_areas, normalise_postcodes, read_postcodes

CODEPOINT = [
    '"EC1A1AA",10,531131,182382,"E92000001","E19000003","E18000007","","E09000019","E05000370"',
    '"EC1A 1AH",10,531070,182310,"E92000001","E19000003","E18000007","","E09000019","E05000370"',
    '"EC1A1ZZ",90,0,0,"E92000001","","","","",""',
    '"NOTAPC",10,531070,182310,"E92000001","","","","",""',
]


def test_normalise_postcodes() -> None:
    out, valid = normalise_postcodes(pd.Series(["ec1a1bb", " EC1A  1BB", "W1A 0AX", "M1 1AE",
                                                "B33 8TH", "nonsense", ""]))
    assert out.tolist()[:5] == ["EC1A 1BB", "EC1A 1BB", "W1A 0AX", "M1 1AE", "B33 8TH"]
    assert valid.tolist() == [True] * 5 + [False, False]


@settings(deadline=None, max_examples=60)  # shared, loaded machine: no timing deadline
@given(
    area=st.from_regex(r"[A-Z]{1,2}[0-9][A-Z0-9]?", fullmatch=True),
    inward=st.from_regex(r"[0-9][A-Z]{2}", fullmatch=True),
    spaces=st.sampled_from(["", " ", "  ", "\t"]),
    lower=st.booleans(),
)
def test_normalisation_is_canonical_and_idempotent(area: str, inward: str, spaces: str,
                                                   lower: bool) -> None:
    typed = area + spaces + inward
    out, valid = normalise_postcodes(pd.Series([typed.lower() if lower else typed]))
    assert valid.all()
    assert out.iloc[0] == f"{area} {inward}"
    again, _ = normalise_postcodes(out)
    assert again.iloc[0] == out.iloc[0]


def test_codepoint_file_without_header(tmp_path: Path) -> None:
    path = tmp_path / "ec.csv"
    path.write_text("\n".join(CODEPOINT) + "\n")
    result = read_postcodes(path)
    data = result.data
    assert data["postcode"].tolist() == ["EC1A 1AA", "EC1A 1AH"]
    assert data["sector"].tolist() == ["EC1A 1", "EC1A 1"]
    assert data["district"].tolist() == ["EC1A", "EC1A"]
    assert data.loc[0, ["easting", "northing"]].tolist() == [531131.0, 182382.0]
    assert data.loc[0, "ward_code"] == "E05000370"
    assert data.loc[0, "lad_code"] == "E09000019"
    # Grid reference TQ 311 823 lies in Clerkenwell, just north of the City.
    assert -0.12 < data.loc[0, "lon"] < -0.10
    assert 51.52 < data.loc[0, "lat"] < 51.53
    assert result.report.dropped == {"no coordinates": 1, "malformed postcode": 1}


def test_onspd_layout_and_folder_with_other_files(tmp_path: Path) -> None:
    (tmp_path / "onspd.csv").write_text(
        "pcd,pcds,oseast1m,osnrth1m,osward,oslaua,lat,long\n"
        "EC2V7HH,EC2V 7HH,532500,181300,E05009300,E09000001,51.51,-0.09\n")
    (tmp_path / "headers.csv").write_text("PC,PQ,EA,NO\n")
    result = read_postcodes(tmp_path)
    assert result.data["postcode"].tolist() == ["EC2V 7HH"]
    assert result.data.loc[0, "ward_code"] == "E05009300"
    assert any("skipped headers.csv" in n for n in result.report.notes)


def _grid_postcodes() -> pd.DataFrame:
    """A 10 x 10 grid of unit centroids 100 m apart; sectors are the four quadrants."""
    e, n = np.meshgrid(np.arange(10) * 100.0 + 530_050, np.arange(10) * 100.0 + 180_050)
    e, n = e.ravel(), n.ravel()
    quadrant = (e >= 530_500).astype(int) + 2 * (n >= 180_500).astype(int)
    sector = np.array(["AB1 1", "AB1 2", "AB1 3", "AB1 4"])[quadrant]
    return pd.DataFrame({
        "postcode": [f"{s}{chr(65 + i % 26)}{chr(65 + i // 26)}" for i, s in enumerate(sector)],
        "sector": sector, "district": "AB1", "easting": e, "northing": n})


def test_postcode_sectors_tile_the_clip_area() -> None:
    clip = gpd.GeoDataFrame(geometry=[box(530_000, 180_000, 531_000, 181_000)],
                            crs="EPSG:27700")
    areas = build_postcode_areas(_grid_postcodes(), level="sector", clip_to=clip)
    assert list(areas.index) == ["AB1 1", "AB1 2", "AB1 3", "AB1 4"]
    assert (areas["kind"] == "postcode_sector").all()
    metric = areas.to_crs("EPSG:27700")
    # Each quadrant of the 1 km square is exactly 500 m x 500 m.
    assert metric.area.tolist() == pytest.approx([250_000.0] * 4, rel=1e-6)
    # (the EPSG:4326 round trip moves vertices by ~1 mm)
    assert metric.union_all().symmetric_difference(clip.geometry[0]).area < 10.0
    districts = build_postcode_areas(_grid_postcodes(), level="district", clip_to=clip)
    assert list(districts.index) == ["AB1"]


def test_postcode_areas_need_points_near_the_clip() -> None:
    far = gpd.GeoDataFrame(geometry=[box(400_000, 300_000, 401_000, 301_000)],
                           crs="EPSG:27700")
    with pytest.raises(AnalysisError):
        build_postcode_areas(_grid_postcodes(), clip_to=far)
