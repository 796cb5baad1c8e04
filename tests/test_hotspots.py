"""Gi*, Local Moran, FDR, bins and the weights graphs, against esda and scipy."""

from __future__ import annotations

import itertools
import warnings

import esda
import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libpysal.graph import Graph
from libpysal.weights import DistanceBand
from scipy import stats
from shapely.geometry import box

from geosoc.errors import AnalysisError
from geosoc.hotspots.local_stats import (
    benjamini_hochberg,
    find_hotspots,
    gi_star,
    gi_star_z,
    hotspot_bins,
    local_moran,
    warm_up,
)
from geosoc.hotspots.randomisation import conditional_pseudo_p
from geosoc.hotspots.weights import contiguity_graph, h3_graph

POINTS = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
Y = np.array([2, 3, 3.2, 5, 8, 7])
KNOWN_Z = [-1.3973, -0.2892, 0.6506, -0.2892, 1.2345, 2.0242]


@pytest.fixture(scope="module")
def band_graph() -> Graph:
    return Graph.from_W(DistanceBand(POINTS, 15, binary=True, silence_warnings=True))


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    centre = h3.latlng_to_cell(51.515, -0.09, 9)
    ids = sorted(h3.grid_disk(centre, 8))
    rng = np.random.default_rng(3)
    harm = rng.gamma(0.6, 20, len(ids))
    harm[rng.random(len(ids)) < 0.4] = 0.0  # zero cells kept
    hot = set(h3.grid_disk(centre, 1))
    harm[[i for i, c in enumerate(ids) if c in hot]] += 400.0
    return pd.DataFrame({"harm": harm}, index=pd.Index(ids, name="h3"))


def test_gi_star_reproduces_known_answer(band_graph):
    frame = pd.DataFrame({"y": Y}, index=pd.Index(band_graph.unique_ids))
    out = gi_star(frame, "y", band_graph)
    np.testing.assert_allclose(out["gi_z"].round(4), KNOWN_Z)
    np.testing.assert_allclose(out["gi_p"], 2 * stats.norm.sf(np.abs(KNOWN_Z)), atol=1e-4)


def test_gi_star_equals_esda_on_h3_cells(cells):
    graph = h3_graph(cells.index)
    ref = esda.G_Local(cells["harm"].to_numpy(), graph, transform="B", star=True,
                       permutations=0)
    np.testing.assert_allclose(gi_star(cells, "harm", graph)["gi_z"], ref.Zs, rtol=1e-10)


def test_gi_star_z_vectorised_over_columns_equals_per_column(cells):
    graph = h3_graph(cells.index)
    rng = np.random.default_rng(0)
    panel = rng.poisson(1.0, (len(cells), 5)).astype(float)
    z = gi_star_z(panel, graph)
    for t in range(5):
        np.testing.assert_allclose(z[:, t], gi_star_z(panel[:, t], graph))


def test_gi_star_keeps_index_order_and_does_not_mutate(cells):
    shuffled = cells.sample(frac=1.0, random_state=1)
    before = shuffled.copy()
    out = gi_star(shuffled, "harm", h3_graph(cells.index))
    pd.testing.assert_frame_equal(shuffled, before)
    assert out.index.equals(shuffled.index)
    ref = gi_star(cells, "harm", h3_graph(cells.index))
    np.testing.assert_allclose(out["gi_z"], ref.loc[shuffled.index, "gi_z"])


def test_planted_hotspot_is_found(cells):
    out = gi_star(cells, "harm", h3_graph(cells.index))
    centre = h3.latlng_to_cell(51.515, -0.09, 9)
    assert out.loc[centre, "hotspot_bin"] == 3
    assert out.loc[centre, "gi_fdr"]
    assert out["gi_z"].idxmax() in set(h3.grid_disk(centre, 1))


def test_bh_matches_scipy_and_esda_fdr():
    rng = np.random.default_rng(7)
    p = np.concatenate([rng.uniform(0, 0.002, 15), rng.uniform(0, 1, 185)])
    q = benjamini_hochberg(p)
    np.testing.assert_allclose(q, stats.false_discovery_control(p, method="bh"))
    threshold = esda.fdr(p, 0.05)
    np.testing.assert_array_equal(q <= 0.05, p <= threshold)


def test_bh_hand_example():
    # p sorted: 0.01, 0.02, 0.03, 0.5 with m=4 -> 0.04, 0.04, 0.04, 0.5
    np.testing.assert_allclose(benjamini_hochberg(np.array([0.03, 0.5, 0.01, 0.02])),
                               [0.04, 0.5, 0.04, 0.04])


def test_hotspot_bins_raw_and_fdr():
    z = np.array([3.0, -2.2, 1.7, 0.2, -2.7])
    p = 2 * stats.norm.sf(np.abs(z))
    np.testing.assert_array_equal(hotspot_bins(z, p, fdr=False), [3, -2, 1, 0, -3])
    q = benjamini_hochberg(p)
    expected = np.sign(z) * ((q <= 0.01).astype(int) + (q <= 0.05) + (q <= 0.10))
    np.testing.assert_array_equal(hotspot_bins(z, p, fdr=True), expected)


def _exact_pseudo_p(values, card, observed, i):
    """Share of all k-subsets of the other values whose sum reaches the observed sum."""
    others = np.delete(values, i)
    sums = np.array([sum(c) for c in itertools.combinations(others, card[i])])
    share = (sums >= observed[i] - 1e-9).mean()
    return min(share, 1 - share)


def test_permutation_engine_matches_exact_null():
    values = np.array([0.0, 1, 0, 4, 2, 0, 7, 3, 0, 1, 5, 0])
    card = np.array([2, 3, 1, 3, 2, 4, 3, 2, 1, 3, 2, 3])
    observed = np.array([9.0, 2, 0, 11, 1, 4, 12, 3, 7, 0, 5, 6])
    p = conditional_pseudo_p(values, card, np.ones(12), observed, permutations=40_000, seed=1)
    exact = np.array([_exact_pseudo_p(values, card, observed, i) for i in range(12)])
    np.testing.assert_allclose(p, exact, atol=0.01)


def test_permutation_gi_agrees_with_analytic_on_clear_hotspot(cells):
    graph = h3_graph(cells.index)
    perm = gi_star(cells, "harm", graph, permutations=9_999, seed=4)
    centre = h3.latlng_to_cell(51.515, -0.09, 9)
    assert perm.loc[centre, "gi_p"] == pytest.approx(2 / 10_000)
    again = gi_star(cells, "harm", graph, permutations=9_999, seed=4)
    pd.testing.assert_frame_equal(perm, again)


def test_local_moran_statistic_equals_esda_and_finds_hh(cells):
    graph = h3_graph(cells.index)
    out = local_moran(cells, "harm", graph, permutations=999, seed=0)
    ref = esda.Moran_Local(cells["harm"].to_numpy(), graph, transformation="r",
                           permutations=0)
    np.testing.assert_allclose(out["lisa_i"], ref.Is, rtol=1e-9)
    centre = h3.latlng_to_cell(51.515, -0.09, 9)
    assert out.loc[centre, "lisa_cluster"] == "HH"
    assert set(out["lisa_cluster"]) <= {"HH", "LL", "HL", "LH", "ns"}


def test_bad_inputs_raise_analysis_error(cells):
    graph = h3_graph(cells.index)
    with pytest.raises(AnalysisError, match="does not match"):
        gi_star(cells.iloc[:-1], "harm", graph)
    bad = cells.assign(harm=-1.0)
    with pytest.raises(AnalysisError) as info:
        gi_star(bad.assign(harm=np.where(np.arange(len(bad)) == 0, np.nan, -1.0)), "harm",
                graph)
    assert len(info.value.problems) == 2
    with pytest.raises(AnalysisError):
        gi_star(cells, "count", graph)


def test_all_zero_values_give_no_hotspots(cells):
    out = gi_star(cells.assign(harm=0.0), "harm", h3_graph(cells.index))
    assert (out["gi_z"] == 0).all() and (out["hotspot_bin"] == 0).all()


def test_find_hotspots_builds_h3_graph_and_log1p(cells):
    out = find_hotspots(cells, "harm", lisa_permutations=199, transform_value="log1p")
    assert {"gi_z", "gi_p", "gi_q", "gi_fdr", "hotspot_bin", "lisa_cluster"} <= set(out.columns)
    assert list(out.columns[: len(cells.columns)]) == list(cells.columns)
    logged = gi_star(cells.assign(harm=np.log1p(cells["harm"])), "harm", h3_graph(cells.index))
    np.testing.assert_allclose(out["gi_z"], logged["gi_z"])
    assert out.attrs["hotspot_transform"] == "log1p"


def test_h3_graph_neighbours():
    centre = h3.latlng_to_cell(51.5, -0.1, 9)
    ids = sorted(h3.grid_disk(centre, 3))
    graph = h3_graph(ids)
    assert list(graph.unique_ids) == ids
    assert graph.cardinalities[centre] == 6
    assert graph.cardinalities.min() == 3
    assert h3_graph(ids, k=2).cardinalities[centre] == 18
    assert set(graph.neighbors[centre]) == set(h3.grid_ring(centre, 1))
    lonely = h3.latlng_to_cell(51.7, -0.1, 9)
    assert list(h3_graph([*ids, lonely]).isolates) == [lonely]


def test_contiguity_graph_attaches_islands():
    boxes = [box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 100, 100, 200),
             box(600, 0, 700, 100)]
    areas = gpd.GeoDataFrame({"name": list("abcd"), "kind": "custom"}, geometry=boxes,
                             crs=27700).to_crs(4326)
    areas.index = pd.Index(["A1", "B1", "C1", "D1"], name="area_code")
    with pytest.warns(UserWarning, match="D1->B1"):
        graph = contiguity_graph(areas)
    assert set(graph.neighbors["D1"]) == {"B1"}
    assert "D1" in set(graph.neighbors["B1"])
    assert set(graph.neighbors["C1"]) == {"A1", "B1"}  # queen: B1 and C1 share a corner
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = contiguity_graph(areas, islands="keep")
    assert list(kept.isolates) == ["D1"]
    assert set(contiguity_graph(areas, rook=True, islands="keep").neighbors["B1"]) == {"A1"}


def test_contiguity_snaps_sliver_gaps_and_find_hotspots_on_areas():
    # 0.3 m gaps between neighbours, as in generalised boundary files
    boxes = [box(i * 100.3, j * 100.3, i * 100.3 + 100, j * 100.3 + 100)
             for i in range(4) for j in range(4)]
    codes = [f"E{i:02d}" for i in range(16)]
    areas = gpd.GeoDataFrame({"name": codes, "kind": "lsoa", "harm": np.arange(16.0)},
                             geometry=boxes, crs=27700,
                             index=pd.Index(codes, name="area_code")).to_crs(4326)
    snapped = contiguity_graph(areas)
    assert snapped.cardinalities["E05"] == 8  # inner square: queen neighbours
    with pytest.warns(UserWarning, match="16 area"):
        exact = contiguity_graph(areas, snap_m=0)
    assert exact.cardinalities.max() <= 2  # every square linked to a nearest one only
    out = find_hotspots(areas, "harm", lisa_permutations=99)
    assert out.attrs["islands_linked"] == {}
    assert out.loc["E15", "gi_z"] > 0 > out.loc["E00", "gi_z"]


def test_warm_up_runs():
    assert warm_up() >= 0.0


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(0.01, 1e4), seed=st.integers(0, 10_000))
def test_gi_z_is_scale_invariant_and_q_never_below_p(cells, scale, seed):
    graph = h3_graph(cells.index)
    y = np.random.default_rng(seed).gamma(0.5, 10.0, len(cells))
    z = gi_star_z(y, graph)
    np.testing.assert_allclose(gi_star_z(y * scale, graph), z, rtol=1e-7, atol=1e-9)
    p = 2 * stats.norm.sf(np.abs(z))
    q = benjamini_hochberg(p)
    assert (q >= p - 1e-15).all() and (q <= 1).all()
    order = np.argsort(p)
    assert (np.diff(q[order]) >= -1e-15).all()
