"""Calibrated phase verdicts: placebo test, null calibration, Holm, cannot-evaluate rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geosoc.phases.controls import baseline_features, match_donors
from geosoc.phases.evaluation import (
    CANNOT,
    NO_EVIDENCE,
    evaluate_change,
    holm,
    log_change,
    null_scale,
    placebo_test,
)
from geosoc.phases.plan import PhasePlan
from geosoc.phases.verdicts import SIG_FALL, calibrate, site_verdict

MONTHS = pd.period_range("2023-01", "2024-12", freq="M")
PLAN = PhasePlan.from_dates(clear=("2024-01", "2024-03"), hold=("2024-04", "2024-09"),
                            build=("2024-10", "2024-12"))
ZONES = ("site", "inner ring")


def _world(seed: int = 0, n: int = 150, fall: float = 0.0, level: float = 60.0,
           months: pd.PeriodIndex = MONTHS):
    """Site, ring and ``n`` donors per zone: Poisson with a shared season and own levels."""
    rng = np.random.default_rng(seed)
    season = 1 + 0.2 * np.sin(2 * np.pi * months.month.to_numpy() / 12)
    donors = {}
    for zone in ZONES:
        lam = rng.uniform(0.5, 2.0, size=(n, 1)) * level * season
        donors[zone] = rng.poisson(lam)
    site = rng.poisson(level * season).astype(float)
    site[months >= PLAN.clear.start] = rng.binomial(
        site[months >= PLAN.clear.start].astype(int), 1 - fall)
    ring = rng.poisson(level * 1.5 * season)
    series = pd.DataFrame([site, ring], index=list(ZONES), columns=months)
    index = pd.MultiIndex.from_product([list(ZONES), [f"d{i}" for i in range(n)]])
    frame = pd.DataFrame(np.vstack([donors[z] for z in ZONES]), index=index, columns=months)
    return series, frame


def test_log_change_scales_by_months():
    assert log_change(120, 30, 12, 3) == pytest.approx(np.log(30.5 / 30.5))
    assert log_change(0, 0, 12, 3) == 0


def test_placebo_test_centres_on_the_donors():
    donors = np.linspace(-1, 1, 41)
    far = placebo_test([5.0], donors[None, :])
    near = placebo_test([0.0], donors[None, :])
    assert far["p"][0] < 1e-4 and near["p"][0] > 0.9
    assert near["loc"][0] == 0 and far["n"][0] == 41
    assert np.isnan(placebo_test([1.0], np.array([[0.0, np.nan]]))["p"][0])  # < 3 donors


def test_holm_by_hand():
    out = holm([0.01, 0.04, 0.03, np.nan])
    np.testing.assert_allclose(out[:3], [0.03, 0.06, 0.06])
    assert np.isnan(out[3])


def test_null_scale_sees_heavy_tails():
    rng = np.random.default_rng(0)
    df, scale = null_scale(rng.normal(size=4000))
    assert df >= 20 and scale == pytest.approx(1, abs=0.08)
    heavy, _ = null_scale(rng.standard_t(2, size=4000))
    assert heavy <= 3
    assert null_scale([1.0, 2.0]) == (np.inf, 1.0)  # too few to fit


def test_matching_prefers_similar_level_and_respects_the_caliper():
    months = 12
    levels = np.array([10.0, 50.0, 100.0, 400.0])
    donors = baseline_features(np.repeat(levels[:, None], months, axis=1))
    target = baseline_features(np.full((1, months), 90.0))
    picked = match_donors(target, donors, k=4)[0]
    assert picked.tolist() == [2, 1, -1, -1]  # 100 then 50; 10 and 400 are beyond 3x
    allowed = np.array([True, True, False, True])
    assert 2 not in match_donors(target, donors, k=2, allowed=allowed)[0]


def test_no_intervention_reads_no_evidence():
    series, donors = _world(seed=1)
    rows = calibrate(evaluate_change(series, donors, PLAN))
    assert (rows["status"] == "tested").all()
    assert (rows["verdict"] == NO_EVIDENCE).all()
    verdict = site_verdict(rows)
    assert not verdict["claim"] and verdict["verdict"] == NO_EVIDENCE
    assert not any("significant" in r for r in rows["reading"])
    assert "placebo-in-space" in rows["method"].iloc[0]


def test_a_real_fall_is_found_and_named():
    series, donors = _world(seed=2, fall=0.5)
    rows = calibrate(evaluate_change(series, donors, PLAN))
    site = rows[rows["zone"] == "site"].set_index("phase")
    assert (site["verdict"] == SIG_FALL).all()
    assert site.loc["clear", "effect_pct"] == pytest.approx(-50, abs=12)
    assert rows.loc[rows["zone"] != "site", "verdict"].eq(NO_EVIDENCE).all()
    verdict = site_verdict(rows)
    assert verdict["claim"] and "significant fall in the site" in verdict["reading"]
    assert "Holm" in verdict["method"]


def test_short_baseline_cannot_be_evaluated():
    series, donors = _world(seed=3)
    plan = PhasePlan.from_dates(baseline=("2023-06", "2023-12"), clear=("2024-01", "2024-03"))
    rows = calibrate(evaluate_change(series, donors, plan))
    assert (rows["verdict"] == CANNOT).all()
    assert rows["reason"].str.contains("baseline has 7 months").all()
    assert site_verdict(rows)["verdict"] == CANNOT


def test_too_few_events_or_donors_cannot_be_evaluated():
    series, donors = _world(seed=4, level=1.0)
    rows = evaluate_change(series, donors, PLAN)
    assert rows.loc[rows["zone"] == "site", "reason"].str.contains("events").all()
    series, donors = _world(seed=5, n=10)
    rows = evaluate_change(series, donors, PLAN)
    assert rows["reason"].str.contains("comparable untreated areas").all()
    assert rows["p"].isna().all()


def test_power_beside_no_evidence_matches_a_simulation():
    """The stated chance of detecting a fall equals the share of simulated falls detected."""
    from geosoc.phases.evaluation import power

    predicted, found = [], []
    for seed in range(40):
        series, donors = _world(seed=200 + seed, fall=0.2)
        rows = calibrate(evaluate_change(series, donors, PLAN))
        n_tests = int(np.isfinite(rows["p"]).sum())
        hold = rows[(rows["zone"] == "site") & (rows["phase"] == "hold")].iloc[0]
        predicted.append(float(power(hold["z_per_log"], -0.2, hold["null_df"],
                                     hold["null_scale"], n_tests=n_tests)))
        found.append(hold["p_adjusted"] < 0.05)
    assert np.mean(found) == pytest.approx(np.mean(predicted), abs=0.15)
    assert 0.3 < np.mean(predicted) < 0.95  # a case where the answer is not trivially 0 or 1
    rows = calibrate(evaluate_change(*_world(seed=1), PLAN))
    assert rows["reading"].str.contains("a fall of 40% would be detected").any()
    assert "would be detected" in site_verdict(rows)["reading"]
