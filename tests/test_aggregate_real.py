"""Integration: City of London police.uk points (24 months) and London LSOA counts.

Checks totals are conserved end to end and that the busiest ward and cell are stable.
The point-in-ward answer is checked against an independent geopandas spatial join.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geosoc.aggregate.cells import cover_area
from geosoc.aggregate.tables import harm_by_area, harm_by_cell, harm_by_month, roll_up_counts
from geosoc.harm import apply_harm_weights
from geosoc.ingest import read_policeuk

pytestmark = pytest.mark.integration

CITY_WARDS = "boundaries/wards_by_lad/E09000001.json"


@pytest.fixture(scope="module")
def city(city_of_london: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    incidents = apply_harm_weights(read_policeuk(city_of_london / "crime").data)
    raw = gpd.read_file(city_of_london / CITY_WARDS).to_crs("EPSG:4326")
    wards = gpd.GeoDataFrame(
        {"name": raw["WD13NM"].to_numpy(), "kind": "ward"}, geometry=raw.geometry.to_numpy(),
        index=pd.Index(raw["WD13CD"].to_numpy(), name="area_code"), crs="EPSG:4326")
    return incidents, wards


def test_city_to_h3_cover_conserves_totals(city) -> None:
    incidents, wards = city
    assert len(incidents) == 18_867 - 1_589  # README: rows minus "No location"
    cover = cover_area(wards, 9)
    cells = harm_by_cell(incidents, 9, cover=cover, by="category")
    assert cells.index.equals(cover.index)
    assert cells["count"].sum() + cells.attrs["outside_count"] == len(incidents)
    assert np.isclose(cells["harm"].sum() + cells.attrs["outside_harm"], incidents["harm"].sum())
    assert (cells["count"] == 0).any()  # zero cells kept
    top = cells["count"].idxmax()
    assert top == "89194ad30c7ffff" and cells.loc[top, "count"] == 1480


def test_city_to_wards_matches_sjoin_and_is_stable(city) -> None:
    incidents, wards = city
    out = harm_by_area(incidents, wards)
    assert len(out) == 25
    assert out["count"].sum() + out.attrs["outside_count"] == len(incidents)
    assert np.isclose(out["harm"].sum() + out.attrs["outside_harm"], incidents["harm"].sum())
    joined = gpd.sjoin(incidents[["geometry"]], wards[["geometry"]], predicate="intersects")
    first = joined.groupby(level=0)["area_code"].first()  # one ward per point
    expected = first.value_counts().reindex(wards.index, fill_value=0)
    assert (out["count"] == expected).all()
    busiest = out["count"].idxmax()
    assert busiest == "E05009292" and out.loc[busiest, "name"] == "Bishopsgate"
    assert out.loc[busiest, "count"] == 2807


def test_city_months_zero_filled_and_conserved(city) -> None:
    incidents, _ = city
    months = harm_by_month(incidents, by="category")
    assert months["month"].nunique() == 24
    assert months["count"].sum() == len(incidents)
    assert len(months) == 24 * incidents["category"].nunique()


def test_london_lsoa_counts_roll_up_to_wards(shared_data: Path) -> None:
    path = shared_data / "london" / "policeuk_lsoa_month_counts_2023-05_2026-03.parquet"
    raw = pd.read_parquet(path, filters=[("year", "in", [2015, 2025]), ("month", "==", 6)])
    counts = pd.DataFrame({
        "area_code": raw["lsoa_code"].astype("str"),
        "month": pd.PeriodIndex(raw["year"].astype(str) + "-" + raw["month"].astype(str)
                                .str.zfill(2), freq="M"),
        "category": raw["category"], "source": "police", "count": raw["crime_count"],
    })
    lookup = pd.read_csv(shared_data / "city-of-london" / "lookups" / "lsoa_to_ward.csv")
    wards = roll_up_counts(counts, lookup)
    assert wards["count"].sum() + wards.attrs["unmatched_count"] == counts["count"].sum()
    unmatched = set(wards.attrs["unmatched_codes"])
    mapped = set(lookup.loc[lookup["ward_code"].notna(), "lsoa_code"])  # some have no ward
    assert unmatched == set(counts["area_code"]) - mapped
    # 2025 uses 2021 LSOA codes, all in the lookup, one of them without a ward;
    # the rest of the unmatched are 2011-only codes from 2015
    assert unmatched & set(counts.loc[counts["month"].dt.year == 2025, "area_code"]) == {
        "E01035490"}
    assert unmatched  # the 2015 rows hold some 2011-only codes
    city = wards[wards["area_code"].str.startswith("E050092")]
    assert city["area_code"].nunique() <= 25
