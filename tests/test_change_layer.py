"""The change layer: ArcGIS Summarize Percent Change on disclosed layers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geosoc.aggregate.change import percent_change
from geosoc.errors import SchemaError


def layer(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"count": values}).rename_axis("area_code")


def test_arcgis_definition_on_a_hand_made_case() -> None:
    out = percent_change(layer({"A": 15, "B": 0, "C": 10, "D": 20}),
                         layer({"A": 10, "B": 5, "C": 0}), current_months=3,
                         previous_months=3)
    assert out.loc["A"].tolist() == [15, 10, 5, 50.0]
    assert out.loc["B"].tolist() == [0, 5, -5, -100.0]
    assert out.loc["C", "diff_cnt"] == 10 and np.isnan(out.loc["C", "perc"])  # P = 0
    assert out.loc["D", "prev_cnt"] == 0 and np.isnan(out.loc["D", "perc"])  # absent = 0


def test_a_suppressed_value_empties_every_derived_value() -> None:
    out = percent_change(layer({"A": np.nan, "B": 30}), layer({"A": 20, "B": np.nan}),
                         current_months=1, previous_months=1)
    assert out.isna().all().all()


def test_unequal_periods_compare_monthly_averages_and_say_so() -> None:
    out = percent_change(layer({"A": 30}), layer({"A": 60}), current_months=3,
                         previous_months=12)
    assert out.loc["A", "cur_cnt"] == 10 and out.loc["A", "prev_cnt"] == 5
    assert out.loc["A", "perc"] == 100.0 and out.attrs["per_month"]


def test_missing_value_column_and_empty_periods_are_refused() -> None:
    with pytest.raises(SchemaError, match="no 'harm'"):
        percent_change(layer({"A": 1}), layer({"A": 1}), value="harm", current_months=1,
                       previous_months=1)
    with pytest.raises(SchemaError):
        percent_change(layer({"A": 1}), layer({"A": 1}), current_months=0, previous_months=1)
