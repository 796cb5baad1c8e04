"""Vega-Lite chart builders: legends in words, units, tooltips, open phases, the month range."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from geosoc.hotspots.concentration import lorenz_curve
from geosoc.phases.plan import PhasePlan
from geosoc.report import interactive_charts as charts

PLAN = PhasePlan.from_dates(clear=("2024-01", "2024-03"), hold=("2024-04", "2024-09"),
                            build=("2024-10", "2024-10"))


def _series() -> pd.DataFrame:
    months = pd.period_range("2023-01", "2025-06", freq="M")
    zones = ["site", "0-250 m ring", "control"]
    return pd.DataFrame({"month": np.tile(months, 3), "zone": np.repeat(zones, len(months)),
                         "count": np.arange(3 * len(months)),
                         "harm": np.arange(3 * len(months)) * 10.0})


def _spec(chart) -> dict:
    return json.loads(chart.to_json())


def _layers(spec: dict) -> list[dict]:
    return spec["layer"]


def _data(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def test_phase_chart_bands_lines_legends_and_tooltip() -> None:
    spec = _spec(charts.phase_chart(_series(), PLAN, measure="harm"))
    bands, lines, rule = _layers(spec)
    assert bands["encoding"]["color"]["title"] == "Phase"
    assert [r["phase"] for r in _data(spec, bands)] == ["Baseline", "Clear", "Hold", "Build"]
    assert lines["encoding"]["color"]["title"] == "Area"
    assert lines["encoding"]["y"]["title"] == "Harm per month (days, CCHI)"
    assert set(lines["encoding"]["color"]["scale"]["domain"]) == {
        "CHB site", "Ring 0-250 m around the site", "Control area (untreated)"}
    titles = [t["title"] for t in rule["encoding"]["tooltip"]]
    assert titles[:3] == ["Month", "Phase", "Value shown"]
    assert "CHB site" in titles and "Control area (untreated)" in titles
    assert spec["config"]["legend"]["labelFontSize"] >= 13


def test_an_open_build_runs_to_the_last_month_of_data() -> None:
    closed = charts.phase_bands(PLAN)
    assert closed.iloc[-1]["end"] == pd.Timestamp("2024-11-01")  # ends the month it started
    running = charts.phase_bands(PLAN, last_month=pd.Period("2025-06", freq="M"),
                                 ongoing="build")
    last = running.iloc[-1]
    assert last["phase"] == "Build (ongoing)"
    assert last["end"] == pd.Timestamp("2025-07-01")
    assert last["months"] == "2024-10 to 2025-06 and running"


def test_phase_chart_follows_the_sidebar_months() -> None:
    spec = _spec(charts.phase_chart(_series(), PLAN, months=("2024-01", "2024-12")))
    bands, lines, _ = _layers(spec)
    months = {r["month"][:7] for r in _data(spec, lines)}
    assert min(months) == "2024-01" and max(months) == "2024-12"
    assert [r["phase"] for r in _data(spec, bands)] == ["Clear", "Hold", "Build"]


def test_trend_by_source_draws_one_line_per_source_with_a_legend() -> None:
    months = pd.period_range("2024-01", periods=4, freq="M")
    trend = pd.DataFrame({"month": np.repeat(months, 3),
                          "source": ["police", "council_asb", "fire"] * 4,
                          "count": np.arange(12), "harm": np.arange(12) * 2.0})
    spec = _spec(charts.trend_by_source_chart(trend, sources=["police", "council_asb"]))
    lines, rule = _layers(spec)
    assert lines["encoding"]["color"]["field"] == "source"
    assert lines["encoding"]["color"]["title"] == "Source"
    shown = {r["source"] for r in _data(spec, lines)}
    assert shown == {"Police recorded crime", "Council ASB reports"}
    assert {t["title"] for t in rule["encoding"]["tooltip"]} >= shown
    quarters = trend.assign(quarter=trend["month"].dt.asfreq("Q")).drop(columns="month")
    spec = _spec(charts.trend_by_source_chart(quarters, measure="count"))
    assert _layers(spec)[0]["encoding"]["y"]["title"] == "Events per quarter"


def test_lorenz_of_a_force_is_resampled_and_bars_say_when_hidden() -> None:
    spec = _spec(charts.lorenz_chart(lorenz_curve(np.random.default_rng(1).random(50_000))))
    observed = _layers(spec)[1]
    assert len(_data(spec, observed)) == charts.MAX_CURVE_POINTS
    series = pd.DataFrame({"quarter": pd.period_range("2024Q1", periods=3, freq="Q"),
                           "count": [25.0, float("nan"), 40.0]})
    spec = _spec(charts.period_bars(series, note="rounded to 5"))
    rows = spec["datasets"][spec["data"]["name"]]
    assert [r["shown"] for r in rows] == ["25", "not shown (fewer than the threshold)", "40"]
    assert spec["encoding"]["y"]["title"] == "Events per quarter, rounded to 5"


def test_a_brushed_range_becomes_whole_months() -> None:
    months = [str(p) for p in pd.period_range("2024-01", "2024-12", freq="M")]
    ms = [pd.Timestamp("2024-03-20").value // 10**6, pd.Timestamp("2024-06-10").value // 10**6]
    assert charts.brushed_months({"period": ms}, months) == ("2024-04", "2024-05")
    wide = {"period": ["2023-06-01", "2025-06-01"]}
    assert charts.brushed_months(wide, months) == ("2024-01", "2024-12")
    assert charts.brushed_months({"period": ["2024-03-02", "2024-03-05"]}, months) is None
    assert charts.brushed_months({}, months) is None
    spec = _spec(charts.trend_by_source_chart(pd.DataFrame({
        "month": pd.period_range("2024-01", periods=2, freq="M"), "source": "police",
        "harm": [1.0, 2.0], "count": [1, 2]}), brush=True))
    assert any(p.get("name") == charts.BRUSH for p in spec.get("params", []))
