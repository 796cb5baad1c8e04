"""Emerging hot spots: one hand-built series per ArcGIS class, Mann-Kendall vs scipy."""

from __future__ import annotations

import esda
import h3
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geosoc.errors import AnalysisError
from geosoc.hotspots.emerging import (
    EMERGING_CLASSES,
    classify_emerging,
    emerging_hotspots,
    mann_kendall,
    to_panel,
)
from geosoc.hotspots.local_stats import gi_star_z
from geosoc.hotspots.weights import h3_graph

T = 10
UP = np.linspace(2.0, 6.0, T)
DOWN = UP[::-1].copy()
FLAT = np.array([3.0, 4.0, 3.5, 3.2, 3.9, 3.1, 3.8, 3.3, 3.6, 3.4])


def _series(steps: str, z: np.ndarray | None = None):
    """'H' hot step, 'C' cold step, '.' not significant -> (z row, significant row)."""
    if z is None:
        z = np.array([{"H": 3.0, "C": -3.0, ".": 0.5}[s] for s in steps])
    z = np.where(np.array(list(steps)) == "C", -np.abs(z), z)
    return z, np.array([s != "." for s in steps])


CASES = {
    "New Hot Spot": _series(".........H"),
    "Consecutive Hot Spot": _series("......HHHH"),
    "Intensifying Hot Spot": _series("HHHHHHHHHH", UP),
    "Persistent Hot Spot": _series("HHHHHHHHHH", FLAT),
    "Diminishing Hot Spot": _series("HHHHHHHHHH", DOWN),
    "Sporadic Hot Spot": _series("H..H...H.H"),
    "Oscillating Hot Spot": _series("C..H..C..H"),
    "New Cold Spot": _series(".........C"),
    "Consecutive Cold Spot": _series(".......CCC"),
    "Intensifying Cold Spot": _series("CCCCCCCCCC", UP),  # z falls from -2 to -6
    "Persistent Cold Spot": _series("CCCCCCCCCC", FLAT),
    "Diminishing Cold Spot": _series("CCCCCCCCCC", DOWN),
    "Sporadic Cold Spot": _series(".C.C..C..C"),
    "Oscillating Cold Spot": _series("H.C..H...C"),
    "Historical Hot Spot": _series("HHHHHHHHH."),
    "Historical Cold Spot": _series("CCCCCCCCC."),
    "No Pattern Detected": _series("..H..C.H.."),
}


def _classify(name: str) -> str:
    z, sig = CASES[name]
    tau, p = mann_kendall(z[None, :])
    return classify_emerging(z[None, :], sig[None, :], tau, p)[0]


@pytest.mark.parametrize("name", list(CASES))
def test_each_class_from_a_hand_built_series(name):
    assert _classify(name) == name


def test_cases_cover_all_17_classes():
    assert set(CASES) == set(EMERGING_CLASSES) and len(EMERGING_CLASSES) == 17


def test_precedence_final_step_beats_history():
    z, sig = _series("HHHHHHHHHC")  # 90% hot, final cold, never cold before
    tau, p = mann_kendall(z[None, :])
    assert classify_emerging(z[None, :], sig[None, :], tau, p)[0] == "New Cold Spot"


def test_consecutive_needs_no_earlier_hot_step():
    z, sig = _series("H.....HHHH")
    tau, p = mann_kendall(z[None, :])
    assert classify_emerging(z[None, :], sig[None, :], tau, p)[0] == "Sporadic Hot Spot"


def test_mann_kendall_matches_scipy_kendalltau_with_ties():
    rng = np.random.default_rng(5)
    series = rng.integers(0, 4, size=(6, 24)).astype(float)  # many ties
    series[0] = np.arange(24)
    series[1] = 2.0  # constant
    tau, p = mann_kendall(series)
    time = np.arange(24)
    for row in (0, 2, 3, 4, 5):
        ref = stats.kendalltau(time, series[row], method="asymptotic")
        assert tau[row] == pytest.approx(ref.statistic)
        assert p[row] == pytest.approx(ref.pvalue)
    assert tau[1] == 0 and p[1] == 1


@pytest.fixture(scope="module")
def panel_and_graph():
    centre = h3.latlng_to_cell(51.515, -0.09, 9)
    ids = pd.Index(sorted(h3.grid_disk(centre, 5)), name="h3")
    rng = np.random.default_rng(2)
    months = pd.period_range("2024-01", periods=12, freq="M")
    lam = np.full((len(ids), 12), 0.6)
    emerging = np.isin(ids, list(h3.grid_disk(centre, 1)))
    lam[emerging, 8:] = 12.0
    counts = rng.poisson(lam)
    rows = np.repeat(np.arange(len(ids)), counts.sum(axis=1))
    month_of = np.concatenate([np.repeat(months, c) for c in counts])
    incidents = pd.DataFrame({"h3": ids.to_numpy()[rows], "month": month_of, "harm": 1.0})
    panel = to_panel(incidents, "h3", "M", ids=ids, periods=months)
    return panel, h3_graph(ids), counts, ids


def test_to_panel_zero_fills_and_conserves(panel_and_graph):
    panel, _, counts, ids = panel_and_graph
    assert len(panel) == len(ids) * 12
    assert panel["harm"].sum() == counts.sum()
    quarterly = to_panel(panel.reset_index().assign(month=panel["period"].to_numpy()), "h3",
                         "Q", ids=ids)
    assert quarterly["period"].nunique() == 4 and quarterly["harm"].sum() == counts.sum()


def test_emerging_finds_the_planted_emerging_cluster(panel_and_graph):
    panel, graph, _, ids = panel_and_graph
    out = emerging_hotspots(panel, graph)
    centre = h3.latlng_to_cell(51.515, -0.09, 9)
    assert out.loc[centre, "emerging_class"] == "Consecutive Hot Spot"
    assert out.loc[centre, "n_hot_steps"] == 4
    assert out.index.equals(pd.Index(graph.unique_ids))
    # the Gi* of every step, computed as one matrix product, equals esda step by step
    wide = panel.pivot_table(index=panel.index, columns="period", values="harm").loc[ids]
    z = gi_star_z(wide.to_numpy(), graph)
    for t in range(wide.shape[1]):
        ref = esda.G_Local(wide.iloc[:, t].to_numpy(), graph, transform="B", star=True,
                           permutations=0)
        np.testing.assert_allclose(z[:, t], ref.Zs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["final_z"], z[:, -1])


def test_emerging_with_permutations_agrees_on_the_planted_cluster(panel_and_graph):
    panel, graph, _, _ = panel_and_graph
    out = emerging_hotspots(panel, graph, permutations=9_999, seed=1)
    centre = h3.latlng_to_cell(51.515, -0.09, 9)
    assert out.loc[centre, "emerging_class"] == "Consecutive Hot Spot"


def test_emerging_rejects_short_or_foreign_panels(panel_and_graph):
    panel, graph, _, _ = panel_and_graph
    with pytest.raises(AnalysisError, match="at least 3"):
        emerging_hotspots(panel[panel["period"] < pd.Period("2024-03", "M")], graph)
    with pytest.raises(AnalysisError, match="missing from the weights graph"):
        emerging_hotspots(panel.rename(index={panel.index[0]: "zzz"}), graph)
