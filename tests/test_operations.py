"""Operations: the 4P activity log, MoRiLE series and perception waves (validation and tests)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geosoc.errors import SchemaError
from geosoc.operations import (
    activity_timeline,
    agency_share,
    compare_waves,
    morile_by_phase,
    phase_of,
    pillar_balance,
    suppress_small_cells,
    validate_activities,
    validate_morile,
    validate_waves,
)

TODAY = date(2025, 12, 31)
#: A cyclical plan: baseline, clear, hold, back to clear, hold, then an open build.
PLAN = pd.DataFrame({
    "phase": ["baseline", "clear", "hold", "clear", "hold", "build"],
    "start_month": pd.PeriodIndex(["2024-01", "2025-01", "2025-03", "2025-06", "2025-07",
                                   "2025-10"], freq="M"),
    "end_month": pd.PeriodIndex(["2024-12", "2025-02", "2025-05", "2025-06", "2025-09", None],
                                freq="M"),
})


def log(**overrides: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "activity_id": ["a1", "a2", "a3"],
        "date": ["2025-01-15", "2025-04-02", "2025-06-20"],
        "pillar": ["Pursue", "prevent", "PROTECT"],
        "agency": ["Police", "Council", "Housing"],
        "activity_type": ["warrant", "Youth work", "target hardening"],
        "outcome": ["3 arrests", "12 young people engaged", "8 doors fitted"],
        "notes": ["<script>alert(1)</script>", "=1+1", ""],
    }
    base.update(overrides)
    return pd.DataFrame(base, dtype="object")


def problems(raw: pd.DataFrame, **kwargs: object) -> list[tuple[int | None, str | None]]:
    with pytest.raises(SchemaError) as err:
        validate_activities(raw, today=TODAY, plan=PLAN, **kwargs)
    return [(p.row, p.column) for p in err.value.problems]


def test_a_good_log_gets_phases_from_cyclical_dates_and_keeps_text_verbatim() -> None:
    out = validate_activities(log(), today=TODAY, plan=PLAN)
    assert out["phase"].tolist() == ["clear", "hold", "clear"]  # June 2025 is Clear again
    assert out["pillar"].tolist() == ["pursue", "prevent", "protect"]
    assert out["activity_type"].tolist() == ["warrant", "youth diversion", "environmental fix"]
    assert out["notes"].iloc[0] == "<script>alert(1)</script>"  # escaped where rendered
    assert out["notes"].iloc[1] == "=1+1"  # neutralised in CSV exports


def test_blank_ids_are_filled_deterministically() -> None:
    raw = log(activity_id=["", "", "x"])
    first = validate_activities(raw, today=TODAY, plan=PLAN)
    again = validate_activities(raw, today=TODAY, plan=PLAN)
    assert first["activity_id"].tolist() == again["activity_id"].tolist()
    assert first["activity_id"].str.startswith("A-").sum() == 2
    assert first["activity_id"].nunique() == 3


@pytest.mark.parametrize("column, values, expected", [
    ("pillar", ["pursue", "enforce", "protect"], [(3, "pillar")]),
    ("date", ["2025-01-15", "2026-02-01", "2025-06-20"], [(3, "date")]),  # future
    ("date", ["2023-05-01", "2025-04-02", "2025-06-20"], [(2, "date")]),  # before any phase
    ("date", ["15/01/2025", "2025-04-02", "2025-13-01"], [(2, "date"), (4, "date")]),
    ("activity_id", ["a1", "a1", "a3"], [(3, "activity_id")]),
    ("activity_type", ["warant", "youth work", "juggling"],
     [(2, "activity_type"), (4, "activity_type")]),
    ("agency", ["Police", "", None], [(3, "agency"), (4, "agency")]),
    ("notes", ["x" * 2_001, "ok", "bell\x07"], [(2, "notes"), (4, "notes")]),
    ("outcome", ["ok", "null\x00byte", "ok"], [(3, "outcome")]),
])
def test_each_bad_value_is_reported_with_row_and_column(
        column: str, values: list[object], expected: list[tuple[int, str]]) -> None:
    assert sorted(problems(log(**{column: values}))) == sorted(expected)


def test_a_given_phase_must_match_its_date_and_known_ids_are_refused() -> None:
    raw = log(phase=["clear", "build", ""])
    assert problems(raw) == [(3, "phase")]
    assert problems(log(), existing_ids={"a2"}) == [(3, "activity_id")]


def test_missing_columns_and_no_plan_without_phase_are_refused() -> None:
    with pytest.raises(SchemaError) as err:
        validate_activities(log().drop(columns=["pillar"]), today=TODAY, plan=PLAN)
    assert [p.column for p in err.value.problems] == ["pillar"]
    with pytest.raises(SchemaError) as err:
        validate_activities(log(), today=TODAY)
    assert [p.column for p in err.value.problems] == ["phase"]
    out = validate_activities(log(phase=["clear", "hold", "Clear"]), today=TODAY)
    assert out["phase"].tolist() == ["clear", "hold", "clear"]


def test_the_unknown_activity_type_suggests_the_nearest() -> None:
    with pytest.raises(SchemaError) as err:
        validate_activities(log(activity_type=["warant", "warrant", "warrant"]), today=TODAY,
                            plan=PLAN)
    assert "did you mean 'warrant'" in err.value.problems[0].fix


def test_phase_of_handles_open_and_repeated_phases() -> None:
    days = pd.Series(pd.to_datetime(["2023-12-31", "2024-06-01", "2025-06-30", "2030-01-01"]))
    assert phase_of(days, PLAN).fillna("-").tolist() == ["-", "baseline", "clear", "build"]


def test_summaries_balance_share_and_timeline() -> None:
    acts = validate_activities(log(), today=TODAY, plan=PLAN)
    balance = pillar_balance(acts, ["baseline", "clear", "hold", "build"])
    assert balance.loc["pursue", "clear"] == 1 and balance.loc["prepare", "all phases"] == 0
    assert balance["all phases"].sum() == 3
    share = agency_share(acts)
    assert share.loc["clear", "police"] == 1 and share.loc["clear", "partner_share"] == 0.5
    timeline = activity_timeline(acts)
    assert len(timeline) == 6 and timeline.to_numpy().sum() == 3  # Jan..Jun 2025, zeros kept


def test_morile_series_validation_and_phase_summary() -> None:
    raw = pd.DataFrame({"date": ["2024-06-01", "2025-02", "2025-08-01"],
                        "score": ["420", "380.5", "150"], "ocg_ref": ["OCG-12", "OCG-12", ""]})
    series = validate_morile(raw, today=TODAY)
    assert series["score"].tolist() == [150.0, 420.0, 380.5]
    summary = morile_by_phase(series, phase_of(series["date"], PLAN))
    ocg = summary[summary["ocg_ref"] == "OCG-12"].set_index("phase")
    assert ocg.loc["baseline", "last"] == 420.0 and ocg.loc["clear", "assessments"] == 1


@pytest.mark.parametrize("column, value", [
    ("date", "June 2025"), ("date", "2026-05-01"), ("score", "-3"), ("score", "high"),
    ("score", "99999"), ("ocg_ref", "John Smith"), ("ocg_ref", "<b>x</b>"),
])
def test_morile_bad_values(column: str, value: str) -> None:
    raw = pd.DataFrame({"date": ["2025-01-01"], "score": ["10"], "ocg_ref": ["OCG-1"]})
    raw.loc[0, column] = value
    with pytest.raises(SchemaError) as err:
        validate_morile(raw, today=TODAY)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, column)]


def test_morile_duplicate_assessment_refused() -> None:
    raw = pd.DataFrame({"date": ["2025-01-01", "2025-01-01"], "score": ["1", "2"]})
    with pytest.raises(SchemaError) as err:
        validate_morile(raw, today=TODAY)
    assert [p.row for p in err.value.problems] == [3]


def waves() -> pd.DataFrame:
    return pd.DataFrame({
        "wave": ["W1"] * 3 + ["W2"] * 3,
        "question": ["feel safe after dark"] * 6,
        "response": ["yes", "no", "don't know"] * 2,
        "respondents": [40, 110, 50, 90, 80, 30],
    })


def test_compare_waves_matches_scipy_and_a_hand_computed_two_proportion_z() -> None:
    result = compare_waves(validate_waves(waves()), "W1", "W2").set_index("response")
    chi2, p, _, _ = stats.chi2_contingency(np.array([[40, 90], [110, 80], [50, 30]]),
                                           correction=False)
    assert result["chi2"].iloc[0] == pytest.approx(chi2)
    assert result["chi2_p"].iloc[0] == pytest.approx(p)
    assert result["verdict"].iloc[0].startswith("significant change")
    # "yes": 40/200 -> 90/200; pooled 130/400; z = 0.25 / sqrt(.325 * .675 * 2/200)
    z = 0.25 / np.sqrt(0.325 * 0.675 * 0.01)
    assert result.loc["yes", "z"] == pytest.approx(z)
    assert result.loc["yes", "change_pts"] == pytest.approx(25.0)


def test_small_waves_cannot_be_tested_and_small_cells_are_suppressed() -> None:
    small = waves().assign(respondents=[4, 11, 5, 9, 8, 3])
    result = compare_waves(validate_waves(small), "W1", "W2")
    assert result["verdict"].iloc[0].startswith("cannot test")
    assert not suppress_small_cells(validate_waves(waves()))["respondents"].isna().any()
    # one hidden cell per question would be total - others: a second one is hidden
    one_small = waves().assign(respondents=[40, 110, 50, 90, 80, 29])
    assert suppress_small_cells(one_small)["respondents"].isna().sum() == 2


@pytest.mark.parametrize("column, value", [
    ("respondents", "-1"), ("respondents", "2.5"), ("respondents", "many"), ("wave", ""),
    ("question", None),
])
def test_perception_bad_values(column: str, value: object) -> None:
    raw = waves().astype("object")
    raw.loc[2, column] = value
    with pytest.raises(SchemaError) as err:
        validate_waves(raw)
    assert [(p.row, p.column) for p in err.value.problems] == [(4, column)]


def test_perception_duplicates_and_missing_columns() -> None:
    raw = pd.concat([waves(), waves().iloc[[0]]], ignore_index=True)
    with pytest.raises(SchemaError) as err:
        validate_waves(raw)
    assert [p.row for p in err.value.problems] == [8]
    with pytest.raises(SchemaError):
        validate_waves(waves().drop(columns=["respondents"]))
