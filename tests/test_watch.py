"""Hold-phase displacement watch on hand-made series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geosoc.phases.evaluation import CANNOT
from geosoc.phases.plan import PhasePlan
from geosoc.phases.watch import watch_table

MONTHS = pd.period_range("2023-01", "2024-09", freq="M")
PLAN = PhasePlan.from_dates(clear=("2024-01", "2024-03"), hold=("2024-04", "2024-09"))


def _world(spike: float, seed: int = 0, n: int = 120):
    rng = np.random.default_rng(seed)
    season = 1 + 0.2 * np.cos(2 * np.pi * MONTHS.month.to_numpy() / 12)
    donors = rng.poisson(rng.uniform(0.6, 1.6, (n, 1)) * 40 * season)
    ring = rng.poisson(40 * season).astype(float)
    ring[pd.Period("2024-06", "M") == MONTHS] *= spike
    series = pd.DataFrame([ring], index=["0-250 m ring"], columns=MONTHS)
    index = pd.MultiIndex.from_product([["0-250 m ring"], [f"d{i}" for i in range(n)]])
    return series, pd.DataFrame(donors, index=index, columns=MONTHS)


def test_a_displacement_month_raises_an_alert_and_only_it():
    series, donors = _world(spike=2.5)
    table = watch_table(series, donors, PLAN)
    assert len(table) == 6 and table["month"].tolist()[0] == "2024-04"
    flagged = table.loc[table["alert"], "month"].tolist()
    assert flagged == ["2024-06"]
    row = table.set_index("month").loc["2024-06"]
    assert row["ratio"] > 1.8 and "ALERT" in row["reading"]
    assert table.loc[~table["alert"], "reading"].str.contains("within the usual range").all()


def test_false_alarms_stay_near_the_nominal_rate_and_expected_tracks_season():
    tables = pd.concat([watch_table(*_world(spike=1.0, seed=s), PLAN) for s in range(40)])
    assert tables["alert"].mean() <= 0.05  # one-sided 2.5% per area-month, 240 months
    assert tables["ratio"].median() == pytest.approx(1, abs=0.05)


def test_watch_cannot_evaluate_without_donors_or_hold():
    series, donors = _world(spike=1.0)
    table = watch_table(series, donors.iloc[:5], PLAN)
    assert (table["status"] == CANNOT).all() and not table["alert"].any()
    no_hold = PhasePlan.from_dates(clear=("2024-01", "2024-03"))
    assert watch_table(series, donors, no_hold).empty
