"""Phase plans, the exact rate-ratio test and per-phase comparisons on tiny fixtures."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy import stats

from geosoc.errors import AnalysisError
from geosoc.phases.change import (
    LAYER_HARM,
    LAYER_POLICE,
    PhasePlan,
    compare_phases,
    compare_phases_counts,
    monthly_series,
    monthly_series_counts,
    rate_ratio_test,
)

SITE = shapely.box(-0.10, 51.50, -0.09, 51.51)
INSIDE = (-0.095, 51.505)
OUTSIDE = (-0.085, 51.505)
PLAN = PhasePlan.from_dates(baseline=("2023-01", "2023-12"), clear=("2024-01", "2024-03"),
                            hold=("2024-04", "2024-06"), build=("2024-07", "2024-12"))


def incidents(rows: list[tuple[str, str, tuple[float, float], int]]) -> gpd.GeoDataFrame:
    """Build incidents from (month, category, (lon, lat), n copies)."""
    expanded = [(m, c, xy) for m, c, xy, n in rows for _ in range(n)]
    lon = np.array([xy[0] for _, _, xy in expanded])
    lat = np.array([xy[1] for _, _, xy in expanded])
    cats = [c for _, c, _ in expanded]
    harm = pd.Series(cats).map({"Robbery": 365.0, "Burglary": 245.0, "Drugs": 3.7}).to_numpy()
    return gpd.GeoDataFrame(
        {"incident_id": "", "month": pd.PeriodIndex([m for m, _, _ in expanded], freq="M"),
         "category": cats, "source": "police", "lon": lon, "lat": lat, "harm": harm},
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


FIXTURE = incidents([
    ("2023-03", "Robbery", INSIDE, 24),   # baseline: 24 robberies in 12 months = 2/month
    ("2023-05", "Burglary", INSIDE, 12),  # 1/month
    ("2023-06", "Drugs", INSIDE, 12),     # police activity, 1/month
    ("2023-06", "Robbery", OUTSIDE, 50),  # never counted: outside the site
    ("2024-02", "Robbery", INSIDE, 3),    # clear: 1/month (-50%)
    ("2024-02", "Drugs", INSIDE, 9),      # clear: 3/month (+200%)
    ("2024-05", "Burglary", INSIDE, 6),   # hold: 2/month (+100%)
])


def test_default_baseline_is_twelve_months_before_clear():
    plan = PhasePlan.from_dates(clear=("2024-01", "2024-03"))
    assert plan.baseline.start == pd.Period("2023-01", "M")
    assert plan.baseline.end == pd.Period("2023-12", "M")
    assert plan.baseline.months == 12
    assert plan.to_dict()["clear"] == ["2024-01", "2024-03"]


def test_invalid_plan_lists_every_problem():
    with pytest.raises(AnalysisError) as err:
        PhasePlan.from_dates(clear=("2024-05", "2024-03"), hold=("2024-03", "2024-06"),
                             build=("2024-06", "2024-08"))
    messages = [p.message for p in err.value.problems]
    assert any("clear ends" in m for m in messages)
    assert any("hold starts" in m for m in messages)
    assert any("build starts" in m for m in messages)


def test_bad_month_is_reported_with_phase():
    with pytest.raises(AnalysisError) as err:
        PhasePlan.from_dates(clear=("2024-13", "2024-03"), hold=("soon", "2024-06"))
    assert {p.column for p in err.value.problems} == {"clear", "hold"}


def test_label_months():
    months = pd.Series(pd.PeriodIndex(["2022-12", "2023-01", "2024-02", "2024-12"], freq="M"),
                       index=[5, 6, 7, 8])
    labels = PLAN.label(months)
    assert labels.index.tolist() == [5, 6, 7, 8]
    assert labels.tolist()[1:] == ["baseline", "clear", "build"]
    assert pd.isna(labels.iloc[0])


@pytest.mark.parametrize(("c1", "m1", "c0", "m0"), [(10, 3, 20, 12), (3, 6, 40, 12),
                                                    (0, 3, 12, 12), (25, 5, 25, 5)])
def test_rate_ratio_matches_scipy_binomtest(c1, m1, c0, m0):
    got = rate_ratio_test([c1], [m1], [c0], [m0]).iloc[0]
    p0 = m1 / (m1 + m0)
    exact = stats.binomtest(c1, c1 + c0, p0)
    ci = exact.proportion_ci(0.95, method="exact")
    odds = m0 / m1
    assert got["rate_ratio"] == pytest.approx((c1 / m1) / (c0 / m0))
    assert got["rr_ci_low"] == pytest.approx(ci.low / (1 - ci.low) * odds)
    assert got["rr_ci_high"] == pytest.approx(ci.high / (1 - ci.high) * odds)
    central = min(1.0, 2 * min(stats.binom.cdf(c1, c1 + c0, p0),
                               stats.binom.sf(c1 - 1, c1 + c0, p0)))
    assert got["rr_p"] == pytest.approx(central)


def test_rate_ratio_without_events_is_nan():
    got = rate_ratio_test([0], [3], [0], [12]).iloc[0]
    assert got.isna().all()


def test_compare_phases_counts_rates_and_layers():
    before = FIXTURE.copy()
    table = compare_phases(FIXTURE, SITE, PLAN)
    pd.testing.assert_frame_equal(FIXTURE, before)
    key = table.set_index(["phase", "layer", "category"])
    robbery = key.loc[("clear", LAYER_HARM, "Robbery")]
    assert robbery["count"] == 3
    assert robbery["count_per_month"] == pytest.approx(1.0)
    assert robbery["count_pct_change"] == pytest.approx(-50.0)
    assert robbery["harm"] == pytest.approx(3 * 365.0)
    drugs = key.loc[("clear", LAYER_POLICE, "Drugs")]
    assert drugs["count_pct_change"] == pytest.approx(200.0)
    assert drugs["rr_p"] < 0.05
    assert key.loc[("baseline", LAYER_HARM, "all"), "count"] == 36  # outside points excluded
    assert key.loc[("hold", LAYER_HARM, "Burglary"), "count_pct_change"] == pytest.approx(100.0)
    # categories absent in a phase still appear with zero
    assert key.loc[("build", LAYER_HARM, "Robbery"), "count"] == 0
    assert set(table["phase"]) == {"baseline", "clear", "hold", "build"}


def test_police_activity_can_be_merged():
    table = compare_phases(FIXTURE, SITE, PLAN, police_activity_separate=False)
    assert set(table["layer"]) == {LAYER_HARM}


def test_explicit_police_activity_column_wins():
    flagged = FIXTURE.assign(police_activity=FIXTURE["category"].eq("Burglary"))
    table = compare_phases(flagged, SITE, PLAN, by=("category",))
    police = table[table["layer"] == LAYER_POLICE]
    assert set(police["category"]) == {"Burglary", "all"}


def test_counts_path_matches_points_path():
    located = FIXTURE.assign(area_code=np.where(
        shapely.contains_xy(SITE, FIXTURE["lon"], FIXTURE["lat"]), "E01000001", "E01000002"))
    counts = (located.groupby(["area_code", "month", "category", "source"], observed=True)
              .size().rename("count").reset_index())
    weights = {"Robbery": 365.0, "Burglary": 245.0, "Drugs": 3.7}
    from_counts = compare_phases_counts(counts, ["E01000001"], PLAN, weights=weights)
    from_points = compare_phases(FIXTURE, SITE, PLAN)
    pd.testing.assert_frame_equal(from_counts, from_points)


def test_monthly_series_zero_filled_per_zone():
    zones = {"site": SITE, "east": shapely.box(-0.09, 51.50, -0.08, 51.51)}
    series = monthly_series(FIXTURE, zones, months=PLAN.span)
    assert len(series) == len(PLAN.span) * 2
    site = series[series["zone"] == "site"].set_index("month")
    assert site.loc[pd.Period("2023-03", "M"), "count"] == 24
    assert site.loc[pd.Period("2023-04", "M"), "count"] == 0
    assert series[series["zone"] == "east"]["count"].sum() == 50
    assert series["count"].dtype == "int64"
    no_police = monthly_series(FIXTURE, zones, exclude_police_activity=True)
    assert no_police["count"].sum() == series["count"].sum() - 21


def test_monthly_series_counts_groups_areas():
    counts = pd.DataFrame({
        "area_code": ["A", "B", "C", "A"],
        "month": pd.PeriodIndex(["2024-01", "2024-01", "2024-02", "2024-03"], freq="M"),
        "category": ["Robbery", "Robbery", "Drugs", "Burglary"], "source": "police",
        "count": [2, 3, 4, 5]})
    series = monthly_series_counts(counts, {"site": ["A"], "rest": ["B", "C"]},
                                   weights={"Robbery": 365.0, "Drugs": 3.7, "Burglary": 245.0})
    got = series.set_index(["zone", "month"])
    assert got.loc[("site", pd.Period("2024-01", "M")), "count"] == 2
    assert got.loc[("site", pd.Period("2024-02", "M")), "count"] == 0
    assert got.loc[("rest", pd.Period("2024-01", "M")), "harm"] == pytest.approx(3 * 365.0)
    assert got.loc[("site", pd.Period("2024-03", "M")), "harm"] == pytest.approx(5 * 245.0)


def test_phase_chart_png_without_pyplot_state():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geosoc.report.phase_chart import phase_chart

    series = monthly_series(FIXTURE, {"site": SITE, "control": shapely.box(-0.09, 51.5, -0.08,
                                                                           51.51)},
                            months=PLAN.span)
    before = plt.get_fignums()
    png = phase_chart(series, PLAN, measure="harm", title="Site")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == before
    with pytest.raises(AnalysisError):
        phase_chart(series, PLAN, measure="days")


def test_missing_harm_column_gives_nan_harm_not_an_error():
    table = compare_phases(FIXTURE.drop(columns="harm"), SITE, PLAN)
    assert table["harm"].isna().all()
    assert table["count"].sum() > 0


def test_plan_within_trims_to_the_data_and_says_so() -> None:
    plan = PhasePlan.from_dates(clear=("2024-09", "2024-11"), hold=("2024-12", "2025-05"),
                                build=("2025-06", "2026-06"))
    assert str(plan.baseline.start) == "2023-09"
    trimmed, notes = plan.within("2024-01", "2025-12")
    assert (str(trimmed.baseline.start), trimmed.baseline.months) == ("2024-01", 8)
    assert str(trimmed.build.end) == "2025-12" and trimmed.clear == plan.clear
    assert len(notes) == 2 and "baseline trimmed to 2024-01" in notes[0]
    early, notes = plan.within("2023-01", "2025-02")
    assert early.build is None and str(early.hold.end) == "2025-02"
    assert any("build starts after the data ends" in n for n in notes)
    with pytest.raises(AnalysisError, match="outside the data"):
        plan.within("2025-01", "2025-12")
