"""The locality profile from the harm cube: equal to the in-memory profile, on every engine.

The demo town (police and partner sources) is profiled by :func:`build_profile` (incidents in
memory, float sums), by the cube in memory (:func:`profile_incidents`) and by the cube on a
dask LocalCluster from partitioned Parquet (:func:`profile_from_source`); the cube engines
must agree exactly, and with ``build_profile`` on every id, count, bin and class (floats to
1e-9: the cube sums exact micro-days). The CLI's ``--engine dask`` gives the same files as
``--engine memory``.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geosoc.cli import main
from geosoc.engine.cube import SOURCE_CATEGORY, CubeSpec, key_parts, partition_cube
from geosoc.engine.profile_run import profile_from_source, profile_incidents
from geosoc.errors import AnalysisError, SchemaError
from geosoc.hotspots.profile import build_profile
from geosoc.hotspots.study_area import hull_candidates
from geosoc.synth.demo import load_demo

FLOATS = ("harm", "gi_z", "gi_p", "gi_q", "lisa_i", "lisa_p", "trend_tau", "trend_p")


@pytest.fixture(scope="module")
def town():
    return load_demo()


@pytest.fixture(scope="module")
def plain(town) -> pd.DataFrame:
    """The demo incidents without geometry (what the lean CLI path reads)."""
    return pd.DataFrame(town.incidents.drop(columns="geometry"))


def assert_same_profile(new, old) -> None:
    """Ids, counts, bins, classes and parameters equal; floats equal to 1e-9."""
    layers = {"cells": (new.cells, old.cells),
              **{k: (new.areas[k], old.areas[k]) for k in old.areas}}
    assert new.areas.keys() == old.areas.keys()
    for name, (a, b) in layers.items():
        assert list(a.columns) == list(b.columns), name
        assert a.index.equals(b.index), name
        for col in b.columns:
            if col == "geometry":
                assert a.geometry.geom_equals(b.geometry).all(), name
            elif col in FLOATS:
                np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float),
                                           rtol=1e-9, atol=1e-12, err_msg=f"{name}.{col}")
            else:
                assert a[col].astype(str).equals(b[col].astype(str)), f"{name}.{col}"
    pd.testing.assert_frame_equal(new.monthly, old.monthly, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(new.hotspot_counts, old.hotspot_counts)
    assert new.parameters == old.parameters
    assert new.table_totals == old.table_totals
    if old.emerging is None:
        assert new.emerging is None
    else:
        pd.testing.assert_frame_equal(new.emerging, old.emerging, check_exact=False,
                                      rtol=1e-9)


def assert_identical(a, b) -> None:
    """Exactly equal profiles (the cube engines)."""
    pd.testing.assert_frame_equal(pd.DataFrame(a.cells), pd.DataFrame(b.cells),
                                  check_exact=True)
    for kind in b.areas:
        pd.testing.assert_frame_equal(pd.DataFrame(a.areas[kind]), pd.DataFrame(b.areas[kind]),
                                      check_exact=True)
    pd.testing.assert_frame_equal(a.monthly, b.monthly, check_exact=True)
    assert a.summary() == b.summary()


def test_cube_profile_equals_the_in_memory_profile(town, plain) -> None:
    areas = {"ward": town.wards, "lsoa": town.lsoas}
    assert_same_profile(profile_incidents(plain, areas, lisa_permutations=99),
                        build_profile(town.incidents, areas, lisa_permutations=99))


def test_filters_and_drops_by_reason_match(town, plain) -> None:
    options = {"months": ("2024-03", "2025-06"), "categories": ["Robbery", "Burglary",
               "Deliberate vehicle fire", "Drugs"], "sources": ["police"],
               "lisa_permutations": 99, "emerging_freq": "Q"}
    new = profile_incidents(plain, {"ward": town.wards}, **options)
    old = build_profile(town.incidents, {"ward": town.wards}, **options)
    assert set(new.parameters["dropped"]) == {"outside the month range",
                                              "not in the chosen categories",
                                              "not in the chosen sources"}
    assert_same_profile(new, old)


def test_without_areas_the_hull_study_area_is_the_same(town, plain) -> None:
    options = {"months": ("2024-06", "2025-05"), "categories": ["Drugs"],
               "lisa_permutations": 99}
    assert_same_profile(profile_incidents(plain, None, **options),
                        build_profile(town.incidents, None, **options))


def test_open_month_range_takes_the_data_ends(plain) -> None:
    profile = profile_incidents(plain, None, months=("2024-06", None), lisa_permutations=9)
    last = str(plain["month"].max())
    assert profile.parameters["months"] == ("2024-06", last)


def test_errors_match_the_in_memory_profile(town, plain) -> None:
    with pytest.raises(AnalysisError, match="no incidents left"):
        profile_incidents(plain, None, sources=["nobody"])
    odd = plain.assign(category=plain["category"].where(plain.index % 50 != 0, "Mystery"))
    with pytest.raises(SchemaError) as err:
        profile_incidents(odd, None, lisa_permutations=9)
    with pytest.raises(SchemaError) as expected:
        build_profile(town.incidents.assign(category=odd["category"]), None)
    assert "Mystery" in err.value.problems[0].message
    assert err.value.problems == expected.value.problems  # same rows counted
    # categories filtered out never need a weight, as in memory
    kept = profile_incidents(odd, None, categories=["Robbery"], lisa_permutations=9)
    assert kept.parameters["incidents_used"] == int(
        ((odd["category"] == "Robbery")).sum())


def test_hull_candidates_keep_the_hull_and_combine_over_partitions() -> None:
    rng = np.random.default_rng(3)
    lon, lat = rng.normal(-1.5, 0.02, 50_000), rng.normal(53.8, 0.01, 50_000)
    lon[::97] = np.nan
    ok = np.isfinite(lon)
    full = shapely.convex_hull(shapely.multipoints(np.column_stack([lon[ok], lat[ok]])))
    parts = [hull_candidates(lon[i::4], lat[i::4]) for i in range(4)]
    combined = np.concatenate(parts)
    assert len(combined) < 200
    reduced = shapely.convex_hull(shapely.multipoints(hull_candidates(combined[:, 0],
                                                                      combined[:, 1])))
    assert reduced.equals(full)
    assert hull_candidates(np.array([np.nan]), np.array([1.0])).shape == (0, 2)


def test_source_category_key_sums_to_the_category_cube(plain) -> None:
    both = partition_cube(plain, CubeSpec(resolution=8, by=SOURCE_CATEGORY))
    alone = partition_cube(plain, CubeSpec(resolution=8))
    sources, categories = key_parts(both["key"].astype(str))
    assert set(sources) == set(plain["source"])
    by_category = both.assign(key=categories).groupby("key")["harm_micro"].sum()
    assert by_category.equals(alone.groupby("key", observed=True)["harm_micro"].sum()
                              .rename_axis("key").astype(by_category.dtype))


def _partitions(plain: pd.DataFrame, folder: Path, parts: int = 4, geo: bool = False) -> Path:
    folder.mkdir(parents=True)
    frame = plain[["lon", "lat", "month", "category", "source"]].assign(
        month=lambda f: f["month"].astype(str))
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), parts)):
        piece = frame.iloc[rows]
        if geo:
            piece = gpd.GeoDataFrame(piece.drop(columns=["lon", "lat"]),
                                     geometry=gpd.points_from_xy(piece["lon"], piece["lat"]),
                                     crs="EPSG:4326")
        piece.to_parquet(folder / f"part-{i:02d}.parquet", index=False)
    return folder


@pytest.mark.slow
def test_dask_local_cluster_equals_memory_exactly(town, plain, tmp_path: Path) -> None:
    from geosoc.engine.distributed import dask_client

    areas = {"ward": town.wards, "lsoa": town.lsoas}
    folder = _partitions(plain, tmp_path / "plain", 5)
    geo = _partitions(plain, tmp_path / "geo", 3, geo=True)
    options = {"lisa_permutations": 99, "months": ("2024-02", None)}
    memory = profile_from_source(folder, areas, engine="memory", **options)
    with dask_client(n_workers=2) as client:
        dask = profile_from_source(folder, areas, engine="dask", client=client, **options)
        from_geo = profile_from_source(geo, areas, engine="dask", client=client, **options)
        hull = profile_from_source(folder, None, engine="dask", client=client,
                                   lisa_permutations=99, categories=["Drugs"])
    assert_identical(dask, memory)
    assert_identical(from_geo, memory)
    assert_identical(memory, profile_incidents(plain, areas, **options))
    assert_identical(hull, profile_incidents(plain, None, lisa_permutations=99,
                                             categories=["Drugs"]))


def _run(args: list[str], out: Path, capsys) -> dict:
    assert main([*args, "--out", str(out), "--format", "parquet", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_cli_engine_dask_writes_the_same_files_as_memory(town, plain, tmp_path: Path,
                                                         capsys) -> None:
    folder = _partitions(plain, tmp_path / "data", 4)
    wards = tmp_path / "wards.geojson"
    town.wards.reset_index().to_file(wards, driver="GeoJSON")
    common = ["profile", str(folder), "--areas", f"ward={wards}", "--from", "2024-02"]
    memory = _run(common, tmp_path / "memory", capsys)
    dask = _run([*common, "--engine", "dask", "--workers", "2"], tmp_path / "dask", capsys)
    assert memory["rows"]["rows_read"] == len(plain)
    for key in set(memory) - {"files"}:
        assert dask[key] == memory[key], key
    for path in sorted((tmp_path / "memory").glob("*.csv")):
        assert (tmp_path / "dask" / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.integration
@pytest.mark.slow
def test_cli_dask_on_police_uk_files_equals_memory(city_of_london: Path, tmp_path: Path,
                                                   capsys) -> None:
    months = [str(city_of_london / "crime" / m) for m in ("2024-01", "2024-02", "2024-03")]
    memory = _run(["profile", *months], tmp_path / "memory", capsys)
    dask = _run(["profile", *months, "--engine", "dask", "--workers", "1"], tmp_path / "dask",
                capsys)
    assert {k: v for k, v in dask.items() if k != "files"} == {
        k: v for k, v in memory.items() if k != "files"}
    for path in sorted((tmp_path / "memory").glob("*.csv")):
        assert (tmp_path / "dask" / path.name).read_bytes() == path.read_bytes(), path.name


def test_scheduler_without_the_dask_engine_is_refused(tmp_path: Path, capsys) -> None:
    code = main(["profile", "--demo", "--out", str(tmp_path), "--scheduler", "tcp://x:8786"])
    assert code == 2
    assert "--engine dask" in capsys.readouterr().err


def test_profile_help_imports_no_analysis_module() -> None:
    import subprocess
    import sys

    code = ("from geosoc.cli import build_parser\nbuild_parser('profile')\nimport sys\n"
            "print('\\n'.join(sys.modules))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    assert not {"pandas", "geopandas", "libpysal", "geosoc.hotspots", "geosoc.engine"} & loaded


def test_default_max_drop_is_the_accounting_threshold() -> None:
    from geosoc.cli.profile_cmd import WARN_SHARE
    from geosoc.ingest.accounting import WARN_SHARE as ACCOUNTING

    assert WARN_SHARE == ACCOUNTING
