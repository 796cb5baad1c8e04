"""Aggregation to cells, areas and months; exact point-in-area; roll-ups and rates.

Fixtures are built in code. Points sit at H3 cell centres so none is on a cell edge; the
point-in-area tests are checked against geopandas.sjoin, including points on shared edges.
"""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geosoc.aggregate.cells import assign_cells, cover_area, h3_ints_to_str, parent_cells
from geosoc.aggregate.pip_index import AreaIndex
from geosoc.aggregate.tables import (
    add_rates,
    assign_areas,
    build_area_index,
    harm_by_area,
    harm_by_cell,
    harm_by_month,
    locate_in_areas,
    roll_up_counts,
)
from geosoc.errors import SchemaError
from geosoc.harm import apply_harm_weights

CENTRE = h3.latlng_to_cell(51.515, -0.09, 9)
CELLS = sorted(h3.grid_disk(CENTRE, 2))  # 19 res-9 cells


def make_incidents(cells: list[str], categories: list[str], months: list[str],
                   harm: list[float] | None = None) -> gpd.GeoDataFrame:
    """Incidents at the centres of the given H3 cells."""
    lat, lon = np.array([h3.cell_to_latlng(c) for c in cells]).T
    frame = pd.DataFrame({
        "incident_id": [f"id{i}" for i in range(len(cells))],
        "month": pd.PeriodIndex(months, freq="M"), "category": categories, "source": "police",
        "lon": lon, "lat": lat,
    })
    if harm is not None:
        frame["harm"] = np.asarray(harm, dtype="float64")
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def square_areas() -> gpd.GeoDataFrame:
    """A 4x3 grid of squares sharing edges, one with a hole, plus a two-part MultiPolygon."""
    boxes = [shapely.box(-0.10 + 0.01 * i, 51.50 + 0.01 * j, -0.09 + 0.01 * i, 51.51 + 0.01 * j)
             for j in range(3) for i in range(4)]
    boxes[5] = shapely.box(-0.09, 51.51, -0.08, 51.52).difference(
        shapely.box(-0.087, 51.513, -0.083, 51.517))
    boxes.append(shapely.MultiPolygon([shapely.box(-0.087, 51.513, -0.085, 51.515),
                                       shapely.box(-0.05, 51.50, -0.04, 51.51)]))
    codes = [f"E05{i:06d}" for i in range(len(boxes))]
    return gpd.GeoDataFrame({"name": codes, "kind": "ward"}, geometry=boxes, crs="EPSG:4326",
                            index=pd.Index(codes, name="area_code"))


AREAS = square_areas()
INDEX = build_area_index(AREAS)


def sjoin_positions(lon: np.ndarray, lat: np.ndarray, areas: gpd.GeoDataFrame) -> np.ndarray:
    """Reference answer: geopandas sjoin(intersects), lowest area position on ties."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    right = areas.reset_index(drop=True)[["geometry"]]
    joined = gpd.sjoin(points, right, predicate="intersects", how="left")
    best = joined["index_right"].fillna(-1).astype("int64").groupby(level=0).min()
    return best.sort_index().to_numpy().copy()


def edge_points(areas: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and edge midpoints of every area: all lie on boundaries."""
    coords = shapely.get_coordinates(areas.geometry.to_numpy())
    mids = (coords[:-1] + coords[1:]) / 2
    both = np.vstack([coords, mids])
    return both[:, 0], both[:, 1]


# ---------------------------------------------------------------- point in area

@pytest.mark.parametrize("max_pixels", [200, 1 << 16, 1 << 22])
def test_locate_matches_sjoin_including_edges(max_pixels: int) -> None:
    rng = np.random.default_rng(1)
    ex, ey = edge_points(AREAS)
    lon = np.concatenate([rng.uniform(-0.11, -0.03, 4000), ex, [np.nan, -0.095]])
    lat = np.concatenate([rng.uniform(51.49, 51.54, 4000), ey, [51.5, np.nan]])
    index = AreaIndex.build(AREAS.geometry.to_numpy(), max_pixels=max_pixels)
    got = locate_in_areas(lon, lat, AREAS, index=index)
    expected = sjoin_positions(lon, lat, AREAS)
    expected[-2:] = -1  # NaN coordinates are in no area
    np.testing.assert_array_equal(got, expected)


def test_shared_edge_goes_to_first_area() -> None:
    # x = -0.09 is the edge between squares 0 and 1; the corner (-0.09, 51.51) touches 0,1,4,5
    got = locate_in_areas([-0.09, -0.09, -0.0855], [51.505, 51.51, 51.514], AREAS)
    assert got.tolist() == [0, 0, 12]  # the hole of square 5 holds part of area 12


def test_overlapping_areas_take_lowest_position() -> None:
    areas = gpd.GeoDataFrame(geometry=[shapely.box(0, 50, 2, 52), shapely.box(1, 51, 3, 53)],
                             crs="EPSG:4326")
    rng = np.random.default_rng(2)
    lon, lat = rng.uniform(-0.5, 3.5, 3000), rng.uniform(49.5, 53.5, 3000)
    np.testing.assert_array_equal(locate_in_areas(lon, lat, areas),
                                  sjoin_positions(lon, lat, areas))


def test_invalid_area_geometry_is_reported() -> None:
    bowtie = shapely.Polygon([(0, 50), (1, 51), (1, 50), (0, 51)])
    areas = gpd.GeoDataFrame(geometry=[shapely.box(0, 50, 1, 51), bowtie,
                                       shapely.Point(0, 50)], crs="EPSG:4326")
    with pytest.raises(SchemaError) as info:
        locate_in_areas([0.5], [50.5], areas)
    assert len(info.value.problems) == 2
    assert "make_valid" in str(info.value)


def test_index_of_other_areas_is_rejected() -> None:
    with pytest.raises(SchemaError, match="rebuild"):
        locate_in_areas([-0.095], [51.505], AREAS.iloc[:3], index=INDEX)


def test_assign_areas_codes_and_missing() -> None:
    frame = pd.DataFrame({"lon": [-0.095, -0.2], "lat": [51.505, 51.5]}, index=[7, 8])
    out = assign_areas(frame, AREAS, index=INDEX)
    assert out.loc[7, "area_code"] == "E05000000" and pd.isna(out.loc[8, "area_code"])
    assert "area_code" not in frame.columns


# ---------------------------------------------------------------- cells

def test_harm_by_cell_counts_on_cover_with_zero_cells() -> None:
    far = h3.latlng_to_cell(51.6, -0.2, 9)
    cells = [CELLS[0], CELLS[0], CELLS[3], CELLS[18], far]
    incidents = make_incidents(cells, ["Robbery", "Drugs", "Robbery", "Drugs", "Drugs"],
                               ["2024-01"] * 5, harm=[365, 3.7, 365, 3.7, 3.7])
    study = shapely.Point(h3.cell_to_latlng(CENTRE)[::-1]).buffer(0.01)
    cover = cover_area(gpd.GeoDataFrame(geometry=[study], crs="EPSG:4326"), 9)
    out = harm_by_cell(incidents, 9, cover=cover, by="category")
    assert out.index.equals(cover.index) and out.attrs["h3_resolution"] == 9
    assert out.loc[CELLS[0], ["count", "harm"]].tolist() == [2, 368.7]
    assert out.loc[CELLS[0], "count__Drugs"] == 1 and out.loc[CELLS[0], "harm__Robbery"] == 365
    assert (out["count"] == 0).sum() == len(cover) - out["count"].astype(bool).sum()
    placed = out["count"].sum()
    assert placed == 4 and out.attrs["outside_count"] == 1 and out.attrs["outside_harm"] == 3.7
    assert out["count__Drugs"].sum() + out["count__Robbery"].sum() == placed
    assert out["count"].dtype == "int64" and out["harm"].dtype == "float64"


def test_harm_by_cell_without_cover_and_unlocated() -> None:
    incidents = make_incidents([CELLS[1], CELLS[2]], ["Robbery", "Drugs"], ["2024-01"] * 2,
                               harm=[1.0, 2.0])
    incidents.loc[2] = incidents.loc[0]
    incidents.loc[2, ["lon", "lat"]] = np.nan
    out = harm_by_cell(incidents, 9)
    assert sorted(out.index) == sorted([CELLS[1], CELLS[2]])
    assert out.attrs["unlocated_count"] == 1 and out.attrs["unlocated_harm"] == 1.0
    assert out.crs == "EPSG:4326" and out.geometry.geom_type.eq("Polygon").all()


def test_stored_finer_ids_are_rolled_to_parents() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"lon": rng.uniform(-0.1, -0.08, 500),
                          "lat": rng.uniform(51.51, 51.52, 500), "harm": rng.uniform(0, 9, 500)})
    fine = assign_cells(frame, 11)
    coarse = harm_by_cell(fine, 8)
    expected = (frame.assign(h3=h3_ints_to_str(parent_cells(fine["h3"].to_numpy(), 8)))
                .groupby("h3")["harm"].agg(["size", "sum"]))
    assert coarse["count"].to_dict() == expected["size"].to_dict()
    np.testing.assert_allclose(coarse["harm"], expected["sum"].reindex(coarse.index))


def test_cover_resolution_mismatch_and_bad_by() -> None:
    incidents = make_incidents([CELLS[0]], ["Robbery"], ["2024-01"], harm=[1.0])
    cover = cover_area(gpd.GeoDataFrame(geometry=[shapely.box(-0.1, 51.51, -0.08, 51.52)],
                                        crs="EPSG:4326"), 8)
    with pytest.raises(SchemaError, match="resolution"):
        harm_by_cell(incidents, 9, cover=cover)
    with pytest.raises(SchemaError, match="by="):
        harm_by_cell(incidents, 9, by="colour")
    with pytest.raises(SchemaError, match="harm"):
        harm_by_cell(incidents.drop(columns="harm"), 9)


# ---------------------------------------------------------------- areas and months

def test_harm_by_area_zero_filled_and_reports_outside() -> None:
    frame = pd.DataFrame({"lon": [-0.095, -0.095, -0.075, -0.3], "lat": [51.505] * 3 + [51.5],
                          "harm": [2.0, 3.0, 4.0, 100.0], "category": ["a", "b", "a", "a"]})
    out = harm_by_area(frame, AREAS, by="category", index=INDEX)
    assert out.loc["E05000000", ["count", "harm"]].tolist() == [2, 5.0]
    assert out.loc["E05000002", "count__a"] == 1
    assert (out["count"] == 0).sum() == len(AREAS) - 2
    assert out.attrs["outside_count"] == 1 and out.attrs["outside_harm"] == 100.0
    no_place = harm_by_area(frame.assign(lon=[np.nan, -0.095, -0.075, -0.3]), AREAS, index=INDEX)
    assert no_place.attrs["unlocated_count"] == 1 and no_place.attrs["unlocated_harm"] == 2.0
    assert no_place["count"].sum() == 2
    assert list(out.columns[:3]) == ["name", "kind", "geometry"]


def test_harm_by_month_fills_gaps_and_keys() -> None:
    incidents = make_incidents([CELLS[0]] * 4, ["Robbery", "Drugs", "Robbery", "Robbery"],
                               ["2024-01", "2024-01", "2024-04", "2024-04"],
                               harm=[365, 3.7, 365, 365])
    total = harm_by_month(incidents)
    assert total["month"].astype(str).tolist() == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert total["count"].tolist() == [2, 0, 0, 2] and total["harm"].tolist() == [368.7, 0, 0, 730]
    split = harm_by_month(incidents, by="category")
    assert len(split) == 8
    drugs = split[split["category"] == "Drugs"]
    assert drugs["count"].tolist() == [1, 0, 0, 0]
    assert isinstance(split["month"].dtype, pd.PeriodDtype)


def test_harm_by_month_counts_rows_without_month() -> None:
    incidents = make_incidents([CELLS[0]] * 2, ["Robbery"] * 2, ["2024-01", "2024-02"],
                               harm=[1.0, 2.0])
    incidents["month"] = pd.PeriodIndex([pd.Period("2024-01", "M"), pd.NaT], freq="M")
    out = harm_by_month(incidents)
    assert out["count"].tolist() == [1] and out.attrs["unlocated_count"] == 1


# ---------------------------------------------------------------- roll-ups and rates

def area_counts() -> pd.DataFrame:
    return pd.DataFrame({
        "area_code": ["L1", "L2", "L3", "L1", "L9"],
        "month": pd.PeriodIndex(["2024-01", "2024-01", "2024-01", "2024-02", "2024-01"],
                                freq="M"),
        "category": ["Drugs"] * 5, "source": "police", "count": [1, 2, 4, 8, 16],
    })


def test_roll_up_counts_sums_and_reports_unmatched() -> None:
    lookup = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3"], "ward_code": ["W1", "W1", "W2"]})
    out = roll_up_counts(area_counts(), lookup)
    assert out[["area_code", "count"]].values.tolist() == [["W1", 3], ["W1", 8], ["W2", 4]]
    assert out.attrs["unmatched_codes"] == ["L9"] and out.attrs["unmatched_count"] == 16
    assert out["count"].dtype == "int64"


def test_roll_up_rejects_ambiguous_lookup() -> None:
    lookup = pd.DataFrame({"lsoa_code": ["L1", "L1"], "ward_code": ["W1", "W2"]})
    with pytest.raises(SchemaError, match="L1 maps to W1, W2"):
        roll_up_counts(area_counts(), lookup)


def test_add_rates_nan_not_inf_with_note() -> None:
    frame = pd.DataFrame({"count": [10, 5, 3], "harm": [100.0, 0.0, 1.0]},
                         index=pd.Index(["A", "B", "C"], name="area_code"))
    out = add_rates(frame, pd.Series({"A": 2000.0, "B": 0.0}))
    assert out.loc["A", "count_per_1000"] == 5.0 and out.loc["A", "harm_per_1000"] == 50.0
    assert out[["count_per_1000"]].loc[["B", "C"]].isna().all().all()
    assert out.attrs["rates_missing"] == ["B", "C"] and "NaN" in out.attrs["rates_note"]
    by_column = add_rates(frame.assign(pop=[1000, 1000, 500]), "pop", per=100)
    assert by_column["count_per_100"].tolist() == [1.0, 0.5, 0.6]


# ---------------------------------------------------------------- properties

WEIGHTS = pd.DataFrame({"source": "police", "category": ["Robbery", "Drugs", "Burglary"],
                        "weight": [365.0, 3.7, 245.0]})
point_strategy = st.tuples(st.integers(0, len(CELLS) - 1),
                           st.sampled_from(["Robbery", "Drugs", "Burglary"]),
                           st.integers(0, 5), st.floats(-0.12, -0.03), st.floats(51.49, 51.54))


def property_incidents(rows: list[tuple[int, str, int, float, float]]) -> pd.DataFrame:
    _cell, category, month, lon, lat = map(list, zip(*rows, strict=True))
    frame = pd.DataFrame({"source": "police", "category": category,
                          "month": pd.PeriodIndex([f"2024-{m + 1:02d}" for m in month], freq="M"),
                          "lon": lon, "lat": lat})
    return apply_harm_weights(frame, WEIGHTS)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(point_strategy, min_size=1, max_size=60), st.randoms(use_true_random=False),
       st.floats(0.1, 50))
def test_totals_conserved_order_free_and_scale(rows, random, scale) -> None:
    incidents = property_incidents(rows)
    n, total = len(incidents), incidents["harm"].sum()
    shuffled = incidents.iloc[random.sample(range(n), n)]

    cells = harm_by_cell(incidents, 9)
    assert cells["count"].sum() == n and np.isclose(cells["harm"].sum(), total)
    again = harm_by_cell(shuffled, 9)
    pd.testing.assert_frame_equal(cells[["count"]], again[["count"]])
    np.testing.assert_allclose(again["harm"], cells["harm"])

    areas = harm_by_area(incidents, AREAS, by="category", index=INDEX)
    assert areas["count"].sum() + areas.attrs["outside_count"] == n
    assert np.isclose(areas["harm"].sum() + areas.attrs["outside_harm"], total)
    per_key = areas.filter(like="count__").sum(axis=1)
    assert (per_key == areas["count"]).all()
    reordered = harm_by_area(shuffled, AREAS, index=INDEX)
    assert (reordered["count"] == areas["count"]).all()

    months = harm_by_month(incidents, by="category")
    assert months["count"].sum() == n and np.isclose(months["harm"].sum(), total)

    heavier = apply_harm_weights(incidents, WEIGHTS.assign(weight=WEIGHTS["weight"] * scale))
    np.testing.assert_allclose(harm_by_area(heavier, AREAS, index=INDEX)["harm"],
                               areas["harm"] * scale, rtol=1e-9, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.lists(point_strategy, min_size=1, max_size=60))
def test_parents_sum_to_children(rows) -> None:
    fine = assign_cells(property_incidents(rows), 10)
    children = harm_by_cell(fine, 10)
    parents = harm_by_cell(fine, 8)
    child_parent = h3_ints_to_str(parent_cells(
        np.array([h3.str_to_int(c) for c in children.index], dtype=np.uint64), 8))
    summed = children.groupby(child_parent)[["count", "harm"]].sum()
    assert summed["count"].to_dict() == parents["count"].to_dict()
    np.testing.assert_allclose(summed["harm"].reindex(parents.index), parents["harm"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["L1", "L2", "L3", "L4", "X"]), st.integers(0, 3),
                          st.integers(0, 1000)), min_size=1, max_size=40))
def test_roll_up_conserves_counts(rows) -> None:
    code, month, count = map(list, zip(*rows, strict=True))
    counts = pd.DataFrame({"area_code": code, "category": "Drugs", "source": "police",
                           "month": pd.PeriodIndex([f"2024-{m + 1:02d}" for m in month],
                                                   freq="M"), "count": count})
    lookup = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3", "L4"],
                           "ward_code": ["W1", "W1", "W2", "W3"]})
    out = roll_up_counts(counts, lookup)
    assert out["count"].sum() + out.attrs["unmatched_count"] == sum(count)
    assert out.attrs["unmatched_codes"] == (["X"] if "X" in code else [])


def test_no_incidents_gives_zero_filled_results() -> None:
    empty = pd.DataFrame({"lon": np.zeros(0), "lat": np.zeros(0), "harm": np.zeros(0),
                          "category": pd.Series([], dtype="str"),
                          "month": pd.PeriodIndex([], freq="M")})
    cover = cover_area(AREAS, 8)
    cells = harm_by_cell(empty, 8, cover=cover)
    assert len(cells) == len(cover) and cells["count"].sum() == 0
    areas = harm_by_area(empty, AREAS, by="category", index=INDEX)
    assert len(areas) == len(AREAS) and areas["harm"].sum() == 0
    assert harm_by_month(empty).empty


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=3, max_size=40,
                unique=True),
       st.integers(0, 2**32 - 1), st.sampled_from([300, 1 << 14, 1 << 20]))
def test_locate_matches_sjoin_on_random_voronoi(seeds, seed, max_pixels) -> None:
    box = shapely.box(-0.2, 51.4, 0.0, 51.6)
    xy = np.array(seeds) * [0.2, 0.2] + [-0.2, 51.4]
    polygons = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=box)), box)
    polygons = polygons[~shapely.is_empty(polygons)]
    areas = gpd.GeoDataFrame(geometry=polygons, crs="EPSG:4326")
    rng = np.random.default_rng(seed)
    vertices = shapely.get_coordinates(polygons)
    lon = np.concatenate([rng.uniform(-0.21, 0.01, 500), vertices[:, 0]])
    lat = np.concatenate([rng.uniform(51.39, 51.61, 500), vertices[:, 1]])
    index = AreaIndex.build(polygons, max_pixels=max_pixels)
    np.testing.assert_array_equal(locate_in_areas(lon, lat, areas, index=index),
                                  sjoin_positions(lon, lat, areas))
