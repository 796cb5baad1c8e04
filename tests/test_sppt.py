"""Andresen's SPPT and the proportion-difference variant on hand-made cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geosoc.errors import AnalysisError
from geosoc.phases.plan import PhasePlan
from geosoc.phases.sppt import sppt, sppt_diff, sppt_phases

# The reference R package's documented example (README of wsteenbeek/sppt): six areas,
# base points 2,2,2,1,0,1 (8 in areas) and test points 2,1,2,2,1,1 (9).
BASE, TEST = [2, 2, 2, 1, 0, 1], [2, 1, 2, 2, 1, 1]


def test_reference_example_matches_the_r_package():
    out = sppt(BASE, TEST, seed=76772)
    # R output: SIndex 0 1 0 0 0 0; ConfLowP 12.5 0 12.5 12.5 0 0; ConfUppP 25 12.5 25 25
    # 12.5 12.5; globalS = robust = 0.8333
    assert out["SIndex"].tolist() == [0, 1, 0, 0, 0, 0]
    assert out["localS"].tolist() == [0, -1, 0, 0, 0, 0]
    assert out["conf_low"].tolist() == [12.5, 0, 12.5, 12.5, 0, 0]
    assert out["conf_high"].tolist() == [25, 12.5, 25, 25, 12.5, 12.5]
    assert out["globalS"].iloc[0] == pytest.approx(5 / 6)
    assert out["globalS_robust"].iloc[0] == pytest.approx(5 / 6)
    assert out["generalizedS_robust"].iloc[0] == pytest.approx(5 / 6)  # 5 / min(8, 9, 6)


def test_hand_computed_deterministic_case():
    # 85% of 20 test events = 17 drawn without replacement from (20, 0): every draw puts
    # all 17 in unit 0, so the interval is [100, 100] and [0, 0]; base shares 50/50 lie
    # outside both: unit 0's share rose (localS +1), unit 1's fell.
    out = sppt([5, 5], [20, 0], seed=1)
    assert out["conf_low"].tolist() == [100, 0]
    assert out["conf_high"].tolist() == [100, 0]
    assert out["localS"].tolist() == [1, -1]
    assert out["globalS"].iloc[0] == 0


def test_same_pattern_is_similar_and_seeded():
    base = np.array([40, 30, 20, 10, 0])
    a = sppt(base, base * 2, seed=3, bootstrap=True)
    assert a["globalS"].iloc[0] == 1.0
    assert a["globalS_robust"].iloc[0] == 1.0  # the empty unit is left out
    b = sppt(base, base * 2, seed=3, bootstrap=True)
    pd.testing.assert_frame_equal(a, b)


def test_diff_flags_a_real_shift_only():
    same = sppt_diff([50, 50, 50], [48, 52, 50])
    assert (same["SIndex"] == 0).all()
    moved = sppt_diff([100, 100, 100], [20, 100, 180], adj="holm")
    assert moved["SIndex"].tolist() == [1, 0, -1]  # base share larger in unit 0
    assert (moved["p_adjusted"] >= moved["p"]).all()


def test_bad_counts_are_reported():
    with pytest.raises(AnalysisError):
        sppt([1, -1], [1, 1])
    with pytest.raises(AnalysisError):
        sppt([1, 2], [1, 2, 3])


def test_sppt_per_phase_and_zone():
    months = pd.period_range("2023-01", "2024-06", freq="M")
    counts = pd.DataFrame(3, index=[f"c{i}" for i in range(6)], columns=months)
    counts.loc["c0", months >= pd.Period("2024-01", "M")] = 30  # c0 takes over in Clear
    zone = pd.Series(["site"] * 3 + ["ring"] * 3, index=counts.index)
    plan = PhasePlan.from_dates(clear=("2024-01", "2024-03"), hold=("2024-04", "2024-06"))
    out = sppt_phases(counts, zone, plan, seed=0)
    site = out.set_index(["phase", "zone"]).loc[("clear", "site")]
    assert site["units_rose"] == 1 and site["units_fell"] == 2
    ring = out.set_index(["phase", "zone"]).loc[("clear", "ring")]
    assert ring["globalS_robust"] == 1.0
    assert "Andresen's SPPT" in site["reading"]
