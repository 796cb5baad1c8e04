"""Ingest the real City of London / London data and check the published figures.

Expected numbers come from ``../shared/data/README.md`` (counted independently when the
data was collected).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geosoc import schema
from geosoc.ingest import (
    build_postcode_areas,
    read_area_counts,
    read_boundaries,
    read_imd,
    read_policeuk,
    read_postcodes,
)

pytestmark = pytest.mark.integration

CITY_LSOA_IMD = {  # README: City IMD scores (decile)
    "E01000001": (6.2, 9), "E01000002": (5.1, 10), "E01000003": (19.4, 5),
    "E01000005": (28.7, 3), "E01032739": (13.6, 7), "E01032740": (15.8, 6),
}


def test_city_of_london_24_months(city_of_london: Path) -> None:
    result = read_policeuk(city_of_london / "crime")
    data, report = result.data, result.report
    schema.validate_incidents(data)
    assert report.rows_read == 18_867
    assert report.dropped == {"no location": 1_589}
    assert report.rows_kept == 18_867 - 1_589
    assert any(n.startswith("526 anti-social behaviour rows accepted") for n in report.notes)
    asb = data[data[schema.CATEGORY] == "Anti-social behaviour"]
    assert (asb[schema.INCIDENT_ID] == "").all()
    months = pd.period_range("2024-01", "2025-12", freq="M")
    assert sorted(data[schema.MONTH].unique()) == list(months)
    assert set(data[schema.CATEGORY]) <= set(schema.POLICEUK_CRIME_TYPES)
    # README: full bounding box lon -4.998..0.165, lat 51.396..54.864
    assert data[schema.LON].min() == pytest.approx(-4.998, abs=1e-3)
    assert data[schema.LAT].max() == pytest.approx(54.864, abs=1e-3)


def test_london_wards_zip_shapefile(city_of_london: Path) -> None:
    areas = read_boundaries(city_of_london / "boundaries" / "london_wards.zip",
                            kind="ward").data
    schema.validate_areas(areas)
    assert len(areas) == 654
    city = [f"E0500{n}" for n in range(9288, 9313)]
    assert set(city) <= set(areas.index)
    assert areas.is_valid.all()
    bounds = areas.total_bounds  # Greater London in degrees
    assert -0.52 < bounds[0] < -0.49 and 51.28 < bounds[1] < 51.30


def test_wards_and_lsoas_by_lad_folders(city_of_london: Path) -> None:
    wards = read_boundaries(city_of_london / "boundaries" / "wards_by_lad", kind="ward").data
    assert len(wards) == 25 + 18 + 19 + 16 + 21 + 17 + 20
    lsoas = read_boundaries(city_of_london / "boundaries" / "lsoa_by_lad", kind="lsoa").data
    assert len(lsoas) == 844
    assert set(CITY_LSOA_IMD) <= set(lsoas.index)
    assert lsoas.loc["E01000001", "name"] == "City of London 001A"


def test_codepoint_postcodes(city_of_london: Path) -> None:
    folder = city_of_london / "postcodes" / "codepoint_open"
    ec = read_postcodes(folder / "ec.csv")
    assert ec.report.rows_read == 4_240
    every = read_postcodes(folder)
    assert every.report.rows_read == 4_240 + 2_833 + 15_938 + 17_461 + 20_237
    assert (every.data["lad_code"] == "E09000001").sum() == 1_846


def test_imd_2019(city_of_london: Path) -> None:
    imd = read_imd(city_of_london / "deprivation" / "imd2019_london_lsoa.csv").data
    assert len(imd) == 4_835
    for code, (score, decile) in CITY_LSOA_IMD.items():
        assert imd.loc[code, "imd_score"] == pytest.approx(score, abs=0.05)
        assert imd.loc[code, "imd_decile"] == decile


def test_london_lsoa_month_counts(shared_data: Path) -> None:
    path = shared_data / "london" / "policeuk_lsoa_month_counts_2023-05_2026-03.parquet"
    counts = read_area_counts(path).data
    assert len(counts) == 1_445_772
    assert counts["count"].sum() == pytest.approx(9.39e6, rel=1e-3)
    assert str(counts[schema.MONTH].min()) == "2008-01"
    assert str(counts[schema.MONTH].max()) == "2026-03"


def test_city_postcode_sectors_tile_the_city(city_of_london: Path) -> None:
    city = read_boundaries(city_of_london / "boundaries" / "wards_by_lad" / "E09000001.json",
                           kind="ward").data
    postcodes = read_postcodes(city_of_london / "postcodes" / "codepoint_open").data
    sectors = build_postcode_areas(postcodes, level="sector", clip_to=city)
    schema.validate_areas(sectors)
    assert sectors.index.str.startswith("EC").sum() >= 0.8 * len(sectors)
    metric = sectors.to_crs(schema.CRS_METRIC)
    clip = city.to_crs(schema.CRS_METRIC).union_all()
    assert metric.area.sum() == pytest.approx(clip.area, rel=1e-6)  # no overlaps
    assert metric.union_all().symmetric_difference(clip).area < 1e-5 * clip.area  # no gaps
