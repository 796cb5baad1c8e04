"""The harm cube and its engines: in-memory and dask give identical totals, equal to aggregate."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely

from geosoc.aggregate import build_area_index, harm_by_area, harm_by_cell, harm_by_month
from geosoc.aggregate.cells import lonlat_to_cells
from geosoc.engine import (
    CubeSpec,
    build_cube,
    cube_areas,
    cube_cells,
    cube_months,
    cube_panel,
    cube_unlocated,
    select,
)
from geosoc.engine.cube import HARM_SCALE, month_codes
from geosoc.errors import SchemaError
from geosoc.harm import apply_harm_weights

CATEGORIES = ["Robbery", "Burglary", "Shoplifting", "Drugs", "Anti-social behaviour"]


def incidents(n: int = 2_000, seed: int = 1) -> pd.DataFrame:
    """Police incidents at H3 res-9 cell centres around one place, some without location."""
    rng = np.random.default_rng(seed)
    base = h3.latlng_to_cell(52.80, -2.10, 9)
    cells = list(h3.grid_disk(base, 6))
    centres = np.array([h3.cell_to_latlng(c) for c in cells])
    pick = rng.integers(0, len(cells), n)
    lat, lon = centres[pick, 0].copy(), centres[pick, 1].copy()
    lat[:25] = np.nan
    lon[:25] = np.nan
    months = pd.period_range("2024-01", "2025-06", freq="M")
    return pd.DataFrame({
        "lon": lon, "lat": lat,
        "month": pd.PeriodIndex(months[rng.integers(0, len(months), n)], freq="M"),
        "category": np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), n)],
        "source": "police",
    })


def wards() -> gpd.GeoDataFrame:
    """Two rectangles splitting the incidents' area (west and east of -2.10)."""
    west = shapely.box(-2.2, 52.7, -2.10, 52.9)
    east = shapely.box(-2.10, 52.7, -2.0, 52.9)
    return gpd.GeoDataFrame({"name": ["West", "East"], "kind": "ward"}, index=pd.Index(["W1", "E1"],
                            name="area_code"), geometry=[west, east], crs="EPSG:4326")


def test_cube_totals_equal_the_aggregate_functions() -> None:
    frame = incidents()
    areas = wards()
    cube = build_cube(frame, CubeSpec(resolution=9, areas=build_area_index(areas)))
    weighted = apply_harm_weights(frame)
    cells = harm_by_cell(weighted, 9)
    got = cube_cells(cube, 9)
    expected = cells.set_index(pd.Index(
        [int(h, 16) for h in cells.index], dtype=np.uint64, name="h3"))
    assert got["count"].to_dict() == expected["count"].to_dict()
    np.testing.assert_allclose(got["harm"].sort_index(), expected["harm"].sort_index(),
                               rtol=0, atol=1e-6 * len(frame))
    assert cube_unlocated(cube) == cells.attrs["unlocated_count"] == 25
    monthly = harm_by_month(weighted)
    months = cube_months(cube)
    assert months["count"].tolist() == monthly["count"].tolist()
    assert months["month"].astype(str).tolist() == monthly["month"].astype(str).tolist()
    by_area = harm_by_area(weighted, areas)
    assert cube_areas(cube, len(areas))["count"].tolist() == by_area["count"].tolist()


def test_two_area_layers_in_one_cube() -> None:
    frame = incidents()
    west_east = wards()
    halves = gpd.GeoDataFrame({"name": ["S", "N"], "kind": "lsoa"}, index=pd.Index(
        ["S1", "N1"], name="area_code"), geometry=[shapely.box(-2.2, 52.7, -2.0, 52.80),
                                                   shapely.box(-2.2, 52.80, -2.0, 52.9)],
        crs="EPSG:4326")
    spec = CubeSpec(areas=(build_area_index(west_east), build_area_index(halves)))
    cube = build_cube(frame, spec)
    weighted = apply_harm_weights(frame)
    for layer, areas in enumerate((west_east, halves)):
        got = cube_areas(cube, spec.layer_sizes(), layer)
        assert got["count"].tolist() == harm_by_area(weighted, areas)["count"].tolist()


def test_coarser_cells_are_parents_and_conserve_totals() -> None:
    cube = build_cube(incidents(), CubeSpec(resolution=9))
    fine, coarse = cube_cells(cube, 9), cube_cells(cube, 7)
    assert fine["count"].sum() == coarse["count"].sum() == 2_000 - 25
    assert {h3.get_resolution(h3.int_to_str(int(i))) for i in coarse.index} == {7}


def test_partitioning_changes_nothing_exactly() -> None:
    frame = incidents(3_001)
    spec = CubeSpec(resolution=9, areas=build_area_index(wards()))
    whole = build_cube(frame, spec)
    for chunk in (1_000, 7, 333):
        assert build_cube(frame, spec, chunk_rows=chunk).equals(whole)
    shuffled = frame.sample(frac=1.0, random_state=3)
    assert build_cube(shuffled, spec, chunk_rows=500).equals(whole)


def test_harm_is_exact_micro_days() -> None:
    frame = incidents(500)
    cube = build_cube(frame, CubeSpec())
    weighted = apply_harm_weights(frame)
    assert cube["harm_micro"].sum() == np.rint(weighted["harm"] * HARM_SCALE).sum()


def test_selection_by_month_and_key_and_panel() -> None:
    frame = incidents()
    cube = build_cube(frame, CubeSpec())
    chosen = select(cube, months=("2024-03", "2024-05"), keys=["Robbery"])
    want = frame[(frame["month"] >= pd.Period("2024-03")) & (frame["month"] <= pd.Period("2024-05"))
                 & (frame["category"] == "Robbery")]
    assert chosen["count"].sum() == len(want)
    panel = cube_panel(cube, 9)
    assert panel["count"].sum() == frame["lon"].notna().sum()


def test_month_codes_read_periods_strings_and_bad_values() -> None:
    periods = pd.Series(pd.PeriodIndex(["2024-01", "2025-12"], freq="M"))
    assert month_codes(periods).tolist() == [2024 * 12, 2025 * 12 + 11]
    assert month_codes(pd.Series(["2024-01", "Jan 24", None])).tolist() == [2024 * 12, -1, -1]


def test_missing_columns_are_named() -> None:
    with pytest.raises(SchemaError) as err:
        build_cube(incidents(10).drop(columns=["source"]), CubeSpec())
    assert [p.column for p in err.value.problems] == ["source"]


def _write_partitions(frame: pd.DataFrame, folder: Path, parts: int, *, geo: bool) -> None:
    folder.mkdir()
    for i, chunk in enumerate(np.array_split(np.arange(len(frame)), parts)):
        piece = frame.iloc[chunk].assign(month=lambda f: f["month"].astype(str))
        if geo:
            gpd.GeoDataFrame(piece.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(
                piece["lon"], piece["lat"]), crs="EPSG:4326").to_parquet(
                folder / f"part-{i}.parquet")
        else:
            piece.to_parquet(folder / f"part-{i}.parquet", index=False)


@pytest.mark.slow
def test_dask_engine_equals_in_memory_exactly(tmp_path: Path) -> None:
    from geosoc.engine.distributed import build_cube_dask, dask_client

    frame = incidents(4_000, seed=5)
    spec = CubeSpec(resolution=9, areas=build_area_index(wards()))
    expected = build_cube(frame, spec)
    _write_partitions(frame, tmp_path / "plain", 5, geo=False)
    _write_partitions(frame.dropna(subset=["lon"]), tmp_path / "geo", 3, geo=True)
    with dask_client(n_workers=2) as client:
        plain = build_cube_dask(tmp_path / "plain", spec, client=client)
        geo = build_cube_dask(tmp_path / "geo", spec, client=client)
    assert plain.equals(expected)
    located = build_cube(frame.dropna(subset=["lon"]), spec)
    assert geo.equals(located)


@pytest.mark.integration
def test_real_city_of_london_cube_matches_aggregate(city_of_london: Path) -> None:
    from geosoc.ingest import read_policeuk

    police = read_policeuk(city_of_london / "crime").data
    cube = build_cube(police, CubeSpec(resolution=9))
    weighted = apply_harm_weights(police)
    cells = harm_by_cell(weighted, 9)
    got = cube_cells(cube, 9)
    ids = lonlat_to_cells(weighted["lon"].to_numpy(float), weighted["lat"].to_numpy(float), 9)
    assert got["count"].sum() == (ids != 0).sum() == cells["count"].sum()
    assert abs(got["harm"].sum() - cells["harm"].sum()) < 1e-3
    assert cube_unlocated(cube) == cells.attrs["unlocated_count"]
