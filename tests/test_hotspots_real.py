"""Hotspots on real data: City of London points (H3 res 9), London LSOA x month counts."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geosoc import ingest
from geosoc.aggregate.cells import cover_area
from geosoc.aggregate.tables import harm_by_cell
from geosoc.harm import apply_harm_weights, load_harm_weights
from geosoc.hotspots.emerging import EMERGING_CLASSES, emerging_hotspots, to_panel
from geosoc.hotspots.local_stats import gi_star
from geosoc.hotspots.weights import contiguity_graph, h3_graph

pytestmark = pytest.mark.integration

COUNTS = "london/policeuk_lsoa_month_counts_2023-05_2026-03.parquet"
WEST_END = "E01004734"  # Westminster 018A (Soho / Leicester Square)


def test_city_of_london_hot_cells_at_res_9(city_of_london: Path):
    incidents = apply_harm_weights(ingest.read_policeuk(city_of_london / "crime").data)
    wards = ingest.read_boundaries(city_of_london / "boundaries/wards_by_lad/E09000001.json",
                                   kind="ward").data
    cells = harm_by_cell(incidents, 9, cover=cover_area(wards, 9))
    assert len(cells) == 46  # the City is ~2.9 km²: 46 res-9 cells touch it
    assert (cells["count"].sum() + cells.attrs["outside_count"]
            + cells.attrs["unlocated_count"]) == len(incidents)
    out = gi_star(cells, "harm", h3_graph(cells.index))
    hot = out[out["gi_fdr"] & (out["gi_z"] > 0)]
    assert len(hot) == 2
    assert out["hotspot_bin"].value_counts().to_dict() == {0: 42, 1: 2, 2: 2}
    assert (out["hotspot_bin"] < 0).sum() == 0
    # hot cells sit beside the busiest cell (Bishopsgate / Liverpool Street)
    centres = out.geometry.to_crs(27700).centroid
    busiest = centres.loc[out["count"].idxmax()]
    assert (centres.loc[hot.index].distance(busiest) < 600).all()


@pytest.fixture(scope="module")
def london(shared_data: Path):
    """2024-01..2026-03 LSOA harm (2021 codes) on 2011 polygons, and the codes lost."""
    counts = pd.read_parquet(shared_data / COUNTS, filters=[("year", ">=", 2024)],
                             columns=["lsoa_code", "category", "year", "month",
                                      "crime_count"])
    weights = load_harm_weights()
    days = weights[weights["source"] == "police"].set_index("category")["weight"]
    counts["harm"] = counts["crime_count"] * counts["category"].map(days).to_numpy()
    counts["month"] = pd.PeriodIndex.from_fields(year=counts["year"], month=counts["month"],
                                                 freq="M")
    polygons = pd.concat([gpd.read_file(p) for p in
                          sorted((shared_data / "london/lsoa_by_lad").glob("*.json"))])
    codes = pd.Index(counts["lsoa_code"].unique())
    areas = (polygons.rename(columns={"LSOA11CD": "area_code", "LSOA11NM": "name"})
             .set_index("area_code").assign(kind="lsoa"))
    areas = areas[areas.index.isin(codes)][["name", "kind", "geometry"]]
    areas["harm"] = counts.groupby("lsoa_code")["harm"].sum().reindex(areas.index)
    lost = codes.difference(areas.index)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        graph = contiguity_graph(areas)
    return counts, areas, graph, lost, caught


def test_london_lsoa_gi_star_on_contiguity(london):
    counts, areas, graph, lost, caught = london
    # 2021 codes with no 2011 polygon (splits/merges) are reported, not silently zero
    assert len(lost) == 325
    lost_share = counts.loc[counts["lsoa_code"].isin(lost), "crime_count"].sum() / counts[
        "crime_count"].sum()
    assert 0.10 < lost_share < 0.12
    assert len(areas) == 4646
    assert graph.cardinalities.mean() > 5  # sliver gaps snapped: real queen neighbours
    assert len(caught) == 1 and "3 area(s)" in str(caught[0].message)
    out = gi_star(areas, "harm", graph)
    hot = out[out["gi_fdr"] & (out["gi_z"] > 0)]
    assert 100 <= len(hot) <= 125
    assert (out["hotspot_bin"] < 0).sum() == 0
    top = out.nlargest(5, "gi_z")
    assert WEST_END in top.index
    assert top["name"].str.startswith(("Westminster", "Camden")).all()


def test_london_emerging_hot_spots_quarterly(london):
    counts, areas, graph, _, _ = london
    located = counts[counts["lsoa_code"].isin(areas.index)]
    panel = to_panel(located, "lsoa_code", "Q", ids=areas.index)
    assert panel["period"].astype(str).unique().tolist() == [
        "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4",
        "2026Q1"]
    out = emerging_hotspots(panel, graph)
    classes = out["emerging_class"].value_counts()
    assert set(classes.index) <= set(EMERGING_CLASSES)
    assert classes["Persistent Hot Spot"] >= 30
    assert classes["No Pattern Detected"] > 0.9 * len(out)
    assert out.loc[WEST_END, "n_hot_steps"] == 9
    assert out.loc[WEST_END, "emerging_class"] in {
        "Persistent Hot Spot", "Diminishing Hot Spot", "Intensifying Hot Spot"}
