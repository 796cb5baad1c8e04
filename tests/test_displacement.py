"""WDQ and WDD against the published worked numbers (DOMAIN.md section 5) and their properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geosoc.errors import AnalysisError
from geosoc.phases.change import PhasePlan
from geosoc.phases.displacement import (
    SM_NOT_NEGATIVE,
    WDDResult,
    baseline_dispersion,
    displacement_table,
    harm_weighted_wdd,
    weighted_displacement_difference,
    weighted_displacement_quotient,
)

counts = st.integers(min_value=0, max_value=5_000)
positive = st.integers(min_value=1, max_value=5_000)


def test_wdq_matches_bowers_johnson_worked_example():
    r = weighted_displacement_quotient(100, 60, 80, 90, 200, 190)
    assert round(r.sm, 4) == -0.1842
    assert round(r.bdm, 4) == 0.0737
    assert round(r.wdq, 2) == -0.40
    assert round(r.tne, 1) == 21.0
    assert r.refused_reason is None
    assert r.reading == "WDQ -0.40"  # the band is a column, not a sentence


def test_wdq_refused_when_site_did_not_improve():
    r = weighted_displacement_quotient(100, 120, 80, 90, 200, 190)
    assert r.sm > 0
    assert r.wdq is None
    assert r.refused_reason == SM_NOT_NEGATIVE
    assert "meaningless" in r.reading
    assert math.isfinite(r.tne)


@pytest.mark.parametrize(("c0", "c1"), [(0, 10), (10, 0), (0, 0)])
def test_wdq_refused_on_zero_control_without_dividing(c0, c1):
    r = weighted_displacement_quotient(100, 60, 80, 90, c0, c1)
    assert r.wdq is None
    assert "control" in r.refused_reason
    assert math.isnan(r.sm)


def test_wdd_matches_wheeler_ratcliffe_worked_example():
    r = weighted_displacement_difference(100, 60, 200, 190, 80, 90, 150, 150)
    assert r.local == -30
    assert round(r.local_se, 2) == 23.45
    assert r.displacement == 10
    assert round(r.displacement_se, 2) == 21.68
    assert r.wdd == -20
    assert round(r.se, 2) == 31.94
    assert round(r.z, 2) == -0.63
    assert r.ci_low < 0 < r.ci_high
    assert r.reading.startswith("WDD -20.0") and "significant" not in r.reading


def test_wdd_unequal_periods_scale_before_counts_to_after_length():
    # 12 baseline months, 3 after months: before counts x 3/12, variance x (3/12)^2.
    r = weighted_displacement_difference(120, 20, 240, 55, 60, 18, 120, 30,
                                         months_before=12, months_after=3)
    assert r.local == pytest.approx((20 - 30) - (55 - 60))
    assert r.displacement == pytest.approx((18 - 15) - (30 - 30))
    assert r.local_se == pytest.approx(math.sqrt(20 + 55 + (120 + 240) / 16))
    assert r.displacement_se == pytest.approx(math.sqrt(18 + 30 + (60 + 120) / 16))


def test_wdd_needs_both_period_lengths():
    with pytest.raises(AnalysisError) as err:
        weighted_displacement_difference(1, 1, 1, 1, 1, 1, 1, 1, months_before=12)
    assert err.value.problems


def test_wdd_refused_when_control_empty():
    r = weighted_displacement_difference(100, 60, 0, 0, 80, 90, 150, 150)
    assert r.refused_reason is not None
    assert math.isnan(r.wdd)
    assert r.reading.startswith("cannot test")


def test_negative_counts_collect_every_problem():
    with pytest.raises(AnalysisError) as err:
        weighted_displacement_difference(-1, 1, 1, -2, 1, 1, 1, float("nan"))
    assert [p.column for p in err.value.problems] == ["t0", "ct1", "cd1"]


@settings(deadline=None)
@given(counts, counts, positive, positive, counts, counts, positive, positive)
def test_swapping_before_and_after_flips_signs(t0, t1, ct0, ct1, d0, d1, cd0, cd1):
    a = weighted_displacement_difference(t0, t1, ct0, ct1, d0, d1, cd0, cd1)
    b = weighted_displacement_difference(t1, t0, ct1, ct0, d1, d0, cd1, cd0)
    assert b.wdd == -a.wdd
    assert b.local == -a.local
    assert b.displacement == -a.displacement
    assert b.se == pytest.approx(a.se)


@settings(deadline=None)
@given(counts, counts, positive, positive, counts, counts, positive, positive,
       st.integers(min_value=1, max_value=50))
def test_scaling_counts_scales_wdd(t0, t1, ct0, ct1, d0, d1, cd0, cd1, k):
    a = weighted_displacement_difference(t0, t1, ct0, ct1, d0, d1, cd0, cd1)
    b = weighted_displacement_difference(k * t0, k * t1, k * ct0, k * ct1, k * d0, k * d1,
                                         k * cd0, k * cd1)
    assert b.wdd == pytest.approx(k * a.wdd)
    assert b.se == pytest.approx(math.sqrt(k) * a.se)


@settings(deadline=None)
@given(counts, counts, positive, positive, counts, counts, positive, positive,
       st.floats(min_value=0.1, max_value=400))
def test_harm_weighted_with_one_category_is_w_times_wdd(t0, t1, ct0, ct1, d0, d1, cd0, cd1, w):
    single = weighted_displacement_difference(t0, t1, ct0, ct1, d0, d1, cd0, cd1)
    combined = harm_weighted_wdd({"Robbery": single}, {"Robbery": w})
    assert combined.wdd == pytest.approx(w * single.wdd)
    assert combined.se == pytest.approx(w * single.se)
    assert combined.z == pytest.approx(single.z)


def test_harm_weighted_sums_categories_and_variances():
    a = weighted_displacement_difference(100, 60, 200, 190, 80, 90, 150, 150)
    b = weighted_displacement_difference(10, 4, 20, 22, 8, 9, 15, 15)
    r = harm_weighted_wdd({"Robbery": a, "Burglary": b}, {"Robbery": 365, "Burglary": 245})
    assert r.wdd == pytest.approx(365 * a.wdd + 245 * b.wdd)
    assert r.se == pytest.approx(math.sqrt(365**2 * a.se**2 + 245**2 * b.se**2))


def test_harm_weighted_missing_weight_is_an_error():
    a = weighted_displacement_difference(100, 60, 200, 190, 80, 90, 150, 150)
    with pytest.raises(AnalysisError, match="missing"):
        harm_weighted_wdd({"Robbery": a, "Arson": a}, {"Robbery": 1.0})


def test_results_are_frozen():
    r = weighted_displacement_difference(100, 60, 200, 190, 80, 90, 150, 150)
    assert isinstance(r, WDDResult)
    with pytest.raises(AttributeError):
        r.wdd = 0  # type: ignore[misc]


def _series(values: dict[tuple[str, str], int], plan: PhasePlan) -> pd.DataFrame:
    """One month per phase: {(zone, phase): count} spread evenly over the phase's months."""
    rows = []
    for (zone, phase_name), total in values.items():
        phase = next(p for p in plan.phases if p.name == phase_name)
        months = pd.period_range(phase.start, phase.end, freq="M")
        for i, month in enumerate(months):
            share = total // len(months) + (1 if i < total % len(months) else 0)
            rows.append({"month": month, "zone": zone, "category": "Robbery",
                         "count": share, "harm": 365.0 * share})
    return pd.DataFrame(rows)


def test_displacement_table_reproduces_worked_examples():
    plan = PhasePlan.from_dates(baseline=("2023-01", "2023-12"), clear=("2024-01", "2024-12"))
    series = _series({("site", "baseline"): 100, ("site", "clear"): 60,
                      ("ring", "baseline"): 80, ("ring", "clear"): 90,
                      ("control", "baseline"): 200, ("control", "clear"): 190}, plan)
    table = displacement_table(series, plan, rings=["ring"], scale_controls=False,
                               overdispersion=False)
    row = table.iloc[0]
    assert (row["phase"], row["ring"]) == ("clear", "ring")
    assert round(row["wdq"], 2) == -0.40
    assert round(row["tne"], 1) == 21.0
    # WDD with the control used for both site and buffer: Ct = Cd = (200, 190).
    expected = weighted_displacement_difference(100, 60, 200, 190, 80, 90, 200, 190)
    assert row["wdd"] == pytest.approx(expected.wdd)
    assert row["wdd_se"] == pytest.approx(expected.se)
    assert row["site_pct"] == pytest.approx(-40.0)
    assert row["reading"].startswith("crime fell 40% in the site during Clear; the ring rose 12%")
    harm = displacement_table(series, plan, rings=["ring"], measure="harm",
                              scale_controls=False, overdispersion=False).iloc[0]
    assert harm["wdd"] == pytest.approx(365 * expected.wdd)
    assert harm["wdq"] == pytest.approx(row["wdq"])


def test_displacement_table_rejects_unknown_measure():
    plan = PhasePlan.from_dates(clear=("2024-01", "2024-02"))
    with pytest.raises(AnalysisError):
        displacement_table(pd.DataFrame(columns=["month", "zone", "count", "harm"]), plan,
                           rings=["r"], measure="days")


def test_scaled_controls_equal_minus_total_net_effect():
    wdq = weighted_displacement_quotient(100, 60, 80, 90, 200, 190)
    wdd = weighted_displacement_difference(100, 60, 200, 190, 80, 90, 200, 190,
                                           scale_controls=True)
    assert wdd.local == pytest.approx(60 - 100 * 190 / 200)
    assert wdd.displacement == pytest.approx(90 - 80 * 190 / 200)
    assert wdd.wdd == pytest.approx(-wdq.tne)


def test_scaled_control_variance_is_the_delta_method():
    x0, x1, c0, c1 = 100.0, 60.0, 2000.0, 1900.0
    r = weighted_displacement_difference(x0, x1, c0, c1, 0, 0, 1, 1, scale_controls=True)

    def f(v):
        return v[1] - v[0] * v[3] / v[2]

    v = np.array([x0, x1, c0, c1])
    eps = 1e-4
    grad = np.array([(f(v + eps * e) - f(v - eps * e)) / (2 * eps) for e in np.eye(4)])
    assert r.local_se == pytest.approx(math.sqrt((grad**2 * v).sum()), rel=1e-6)


def test_scaled_controls_are_independent_of_period_lengths():
    a = weighted_displacement_difference(120, 20, 2400, 550, 60, 18, 1200, 300,
                                         scale_controls=True)
    b = weighted_displacement_difference(120, 20, 2400, 550, 60, 18, 1200, 300,
                                         scale_controls=True, months_before=12, months_after=3)
    assert b.wdd == pytest.approx(a.wdd)
    assert b.se == pytest.approx(a.se)


def test_dispersion_inflates_variance():
    plain = weighted_displacement_difference(100, 60, 200, 190, 80, 90, 150, 150)
    wide = weighted_displacement_difference(100, 60, 200, 190, 80, 90, 150, 150,
                                            dispersion={"t": 2, "ct": 2, "d": 2, "cd": 2})
    assert wide.se == pytest.approx(math.sqrt(2) * plain.se)
    assert wide.wdd == plain.wdd


def test_baseline_dispersion():
    assert baseline_dispersion([20, 20, 20, 20]) == 1.0  # never below Poisson
    assert baseline_dispersion([10, 30]) == pytest.approx(200 / 20 / 1)
    assert baseline_dispersion([0, 0, 0]) == 1.0


def test_counts_report_harm_uses_weights_per_category():
    from geosoc.phases.displacement import displacement_report_counts

    plan = PhasePlan.from_dates(baseline=("2023-01", "2023-12"), clear=("2024-01", "2024-12"))
    rows = []
    for code, cat, before, after in [("S", "Robbery", 100, 60), ("B", "Robbery", 80, 90),
                                     ("C", "Robbery", 200, 190), ("S", "Burglary", 10, 4),
                                     ("B", "Burglary", 8, 9), ("C", "Burglary", 20, 22)]:
        rows += [{"area_code": code, "month": pd.Period("2023-06", "M"), "category": cat,
                  "source": "police", "count": before},
                 {"area_code": code, "month": pd.Period("2024-06", "M"), "category": cat,
                  "source": "police", "count": after}]
    counts = pd.DataFrame(rows)
    weights = {"Robbery": 365.0, "Burglary": 245.0}
    row = displacement_report_counts(counts, plan, site_codes=["S"], ring_codes={"B": ["B"]},
                                     control_codes=["C"], measure="harm", weights=weights,
                                     scale_controls=False, overdispersion=False).iloc[0]
    rob = weighted_displacement_difference(100, 60, 200, 190, 80, 90, 200, 190)
    bur = weighted_displacement_difference(10, 4, 20, 22, 8, 9, 20, 22)
    assert row["wdd"] == pytest.approx(365 * rob.wdd + 245 * bur.wdd)
    assert row["site_before"] == pytest.approx(365 * 100 + 245 * 10)
    with pytest.raises(AnalysisError, match="harm"):
        displacement_report_counts(counts, plan, site_codes=["S"], ring_codes={"B": ["B"]},
                                   control_codes=["C"], measure="harm")
