"""H3 cells: assignment, parents, string ids, polygons and study-area covers (vs h3-py)."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from geosoc.aggregate.cells import (
    assign_cells,
    cell_centres,
    cell_polygons,
    cover_area,
    h3_ints_to_str,
    h3_strs_to_int,
    lonlat_to_cells,
    parent_cells,
)
from geosoc.errors import CRSError, SchemaError

RNG = np.random.default_rng(7)
LON = RNG.uniform(-0.2, 0.0, 300)
LAT = RNG.uniform(51.4, 51.6, 300)


def h3_scalar(lon: np.ndarray, lat: np.ndarray, res: int) -> np.ndarray:
    """The reference: h3-py's scalar latlng_to_cell."""
    return np.array([h3.str_to_int(h3.latlng_to_cell(y, x, res)) for x, y in
                     zip(lon, lat, strict=True)], dtype=np.uint64)


@pytest.mark.parametrize("res", [0, 7, 9, 12, 15])
def test_lonlat_to_cells_matches_h3py(res: int) -> None:
    ids = lonlat_to_cells(LON, LAT, res)
    assert ids.dtype == np.uint64
    np.testing.assert_array_equal(ids, h3_scalar(LON, LAT, res))


def test_missing_or_impossible_coordinates_give_zero() -> None:
    ids = lonlat_to_cells([np.nan, -0.1, -0.1, 200.0], [51.5, np.nan, 51.5, 51.5], 9)
    assert ids[[0, 1, 3]].tolist() == [0, 0, 0]
    assert ids[2] == h3.str_to_int(h3.latlng_to_cell(51.5, -0.1, 9))


@pytest.mark.parametrize("res", [-1, 16, 9.0])
def test_bad_resolution_raises(res) -> None:
    with pytest.raises(SchemaError, match="resolution"):
        lonlat_to_cells(LON, LAT, res)


@pytest.mark.parametrize("res", [0, 5, 8, 9])
def test_parent_cells_match_h3py(res: int) -> None:
    ids = lonlat_to_cells(LON, LAT, 10)
    expected = [h3.str_to_int(h3.cell_to_parent(h3.int_to_str(int(c)), res)) for c in ids]
    np.testing.assert_array_equal(parent_cells(ids, res), np.array(expected, dtype=np.uint64))


def test_parent_of_zero_is_zero_and_finer_raises() -> None:
    ids = np.array([0, lonlat_to_cells([-0.1], [51.5], 9)[0]], dtype=np.uint64)
    assert parent_cells(ids, 7)[0] == 0
    with pytest.raises(SchemaError, match="coarser"):
        parent_cells(ids, 10)


def test_string_ids_round_trip() -> None:
    ids = lonlat_to_cells(LON, LAT, 9)
    text = h3_ints_to_str(ids)
    assert list(text) == [h3.int_to_str(int(c)) for c in ids]
    np.testing.assert_array_equal(h3_strs_to_int(text), ids)
    assert h3_ints_to_str(np.array([0], dtype=np.uint64)).tolist() == [""]


def test_bad_string_ids_listed() -> None:
    with pytest.raises(SchemaError) as info:
        h3_strs_to_int(["zz", "89195da49b7ffff", "not-a-cell", "8", None])
    assert [p.row for p in info.value.problems] == [1, 3, 4, 5]


def test_cell_polygons_match_h3_boundary() -> None:
    ids = lonlat_to_cells(LON[:5], LAT[:5], 9)
    polys = cell_polygons(ids)
    assert polys.crs == "EPSG:4326"
    assert list(polys.index) == list(h3_ints_to_str(ids))
    for cell, poly in polys.items():
        ring = np.array([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])
        np.testing.assert_allclose(shapely.get_coordinates(poly)[:-1], ring, atol=1e-9)
    assert cell_polygons(h3_ints_to_str(ids)).index.equals(polys.index)


def test_assign_cells_adds_uint64_and_keeps_input() -> None:
    frame = pd.DataFrame({"lon": [-0.1, np.nan], "lat": [51.5, 51.5]}, index=[4, 9])
    before = frame.copy()
    out = assign_cells(frame, 9)
    pd.testing.assert_frame_equal(frame, before)
    assert out["h3"].dtype == np.uint64 and list(out.index) == [4, 9]
    assert out.attrs["h3_resolution"] == 9 and out["h3"].iloc[1] == 0


def test_cover_of_one_hexagon_is_it_and_its_ring() -> None:
    cell = h3.latlng_to_cell(51.5, -0.1, 8)
    area = gpd.GeoDataFrame(geometry=[cell_polygons([cell]).iloc[0]], crs="EPSG:4326")
    cover = cover_area(area, 8)
    assert set(cover.index) == set(h3.grid_disk(cell, 1))
    assert cover.index.name == "h3" and cover.attrs["h3_resolution"] == 8
    assert cover["count"].dtype == "int64" and cover["count"].sum() == 0
    assert cover["harm"].dtype == "float64" and cover.crs == "EPSG:4326"


def test_cover_holds_every_point_of_the_area() -> None:
    area = shapely.Polygon([(-0.12, 51.50), (-0.09, 51.505), (-0.095, 51.52), (-0.115, 51.517)])
    areas = gpd.GeoDataFrame(geometry=[area, shapely.box(-0.05, 51.5, -0.045, 51.503)],
                             crs="EPSG:4326")
    cover = cover_area(areas, 9)
    xs = RNG.uniform(-0.13, -0.04, 20_000)
    ys = RNG.uniform(51.49, 51.53, 20_000)
    inside = shapely.contains_xy(shapely.union_all(areas.geometry), xs, ys)
    ids = h3_ints_to_str(lonlat_to_cells(xs[inside], ys[inside], 9))
    assert set(ids) <= set(cover.index)
    # and nothing far away: every cover cell touches the area
    grown = shapely.buffer(cover.geometry.to_numpy(), 1e-5)
    assert shapely.intersects(grown, shapely.union_all(areas.geometry)).all()


def test_cover_needs_wgs84() -> None:
    areas = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:27700")
    with pytest.raises(CRSError):
        cover_area(areas, 9)


def test_threaded_chunks_equal_single_call() -> None:
    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(-0.2, 0.0, 600_000), rng.uniform(51.4, 51.6, 600_000)
    lon[[3, 400_000]] = np.nan
    single = lonlat_to_cells(lon, lat, 9, threads=1)
    np.testing.assert_array_equal(lonlat_to_cells(lon, lat, 9, threads=2), single)
    assert single[[3, 400_000]].tolist() == [0, 0]


def test_cell_centres_match_h3py_for_ints_and_strings() -> None:
    ids = lonlat_to_cells(LON, LAT, 9)
    expected = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in ids])
    for given in (ids, h3_ints_to_str(ids)):
        lon, lat = cell_centres(given)
        np.testing.assert_allclose(lat, expected[:, 0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(lon, expected[:, 1], rtol=0, atol=1e-12)
    assert [a.size for a in cell_centres(np.zeros(0, dtype=np.uint64))] == [0, 0]
