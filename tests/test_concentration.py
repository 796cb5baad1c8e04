"""Lorenz curve, Gini and the Bernasco-Steenbeek generalised Gini on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geosoc.errors import AnalysisError
from geosoc.hotspots.concentration import (
    concentration_summary,
    generalised_gini,
    gini,
    lorenz_curve,
)


def _gini_mean_difference(x):
    """Independent formula: G = sum_ij |x_i - x_j| / (2 N^2 mean)."""
    x = np.asarray(x, float)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())


def test_gini_hand_cases():
    assert gini([5, 5, 5, 5]) == 0
    assert gini([0, 0, 0, 8]) == pytest.approx(0.75)  # 1 - 1/N
    # [1, 2, 3, 4]: sum((2i-5) x_i) = -3 -2 +3 +12 = 10; / (4 * 10) = 0.25
    assert gini([4, 1, 3, 2]) == pytest.approx(0.25)


def test_gini_matches_mean_difference_formula():
    x = np.random.default_rng(0).gamma(0.4, 3.0, 200)
    assert gini(x) == pytest.approx(_gini_mean_difference(x))


def test_generalised_gini_hand_example():
    # 3 events over 10 units, maximally equal: G = 0.7 but G' = 1 - (10/3)(0.3) = 0
    counts = [0] * 7 + [1, 1, 1]
    assert gini(counts) == pytest.approx(0.7)
    assert generalised_gini(counts) == pytest.approx(0.0)
    # all 3 in one unit: G = 0.9, G' = 1 - (10/3)(0.1) = 2/3
    assert generalised_gini([0] * 9 + [3]) == pytest.approx(2 / 3)
    # with n >= N the generalised Gini is the ordinary one
    assert generalised_gini([4, 1, 3, 2]) == pytest.approx(0.25)
    # harm weights: the event count is passed explicitly
    assert generalised_gini([0] * 7 + [194, 194, 194], n_events=3) == pytest.approx(0.0)


def test_lorenz_curve_endpoints_and_shape():
    curve = lorenz_curve([0, 0, 2, 6])
    assert list(curve.columns) == ["share_of_units", "share_of_harm"]
    np.testing.assert_allclose(curve["share_of_units"], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(curve["share_of_harm"], [0, 0, 0, 0.25, 1])
    # area under the curve gives the Gini back: G = 1 - 2A
    area = np.trapezoid(curve["share_of_harm"], curve["share_of_units"])
    assert 1 - 2 * area == pytest.approx(gini([0, 0, 2, 6]))


def test_concentration_summary_figures():
    harm = np.array([50.0, 30, 10, 5, 5] + [0] * 15)
    area = np.array([0.1, 0.2] + [1.0] * 18)
    s = concentration_summary(harm, area, share=0.5)
    assert s.units_needed == 1 and s.share_of_units == pytest.approx(0.05)
    assert s.share_of_area == pytest.approx(0.1 / 18.3)
    assert s.top5_share_of_harm == pytest.approx(0.5)  # top 5% of 20 = 1 unit
    s80 = concentration_summary(harm, share=0.8)
    assert s80.units_needed == 2 and s80.share_of_area is None
    assert "50% of harm is in 5.0% of cells (1 of 20)" in s.sentence()
    assert s.to_dict()["sentence"] == s.sentence()


def test_bad_values_raise_with_every_problem():
    with pytest.raises(AnalysisError) as info:
        gini([1.0, np.nan, -2.0])
    assert len(info.value.problems) == 2
    with pytest.raises(AnalysisError):
        concentration_summary([1, 2], [1.0])
    with pytest.raises(AnalysisError):
        concentration_summary([1, 2], share=0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=2, max_size=60), st.floats(0.1, 100.0))
def test_gini_bounds_scale_and_order_invariance(counts, scale):
    x = np.array(counts, dtype=float)
    g = gini(x)
    assert -1e-12 <= g <= 1 - 1 / len(x) + 1e-12
    assert gini(x * scale) == pytest.approx(g, abs=1e-9)
    assert gini(x[::-1]) == pytest.approx(g, abs=1e-12)
    generalised = generalised_gini(x)
    if x.sum() >= len(x):
        assert generalised == g
    else:  # sparse data: the correction can only lower the inflated ordinary Gini
        assert 0 <= generalised <= g + 1e-12
