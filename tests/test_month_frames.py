"""Month-player frames: disclosed per frame, consistent with one-month maps, not differenceable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geosoc.aggregate import build_area_index, cover_area, harm_by_cell
from geosoc.disclosure.cell_key import EXACT_DIFFERENCE_RATE, attach_record_keys
from geosoc.disclosure.frames import disclosed_frames, frame_layer, frame_periods
from geosoc.disclosure.rules import rules_for
from geosoc.disclosure.tables import disclosed_areas, disclosed_cells
from geosoc.harm import apply_harm_weights

SECRET = b"month-frames-test-server-key-0123456789"


@pytest.fixture(scope="module")
def town():
    from geosoc.synth.demo import load_demo

    demo = load_demo()
    return demo, apply_harm_weights(demo.incidents)


def test_frames_step_by_month_and_by_whole_quarter_for_the_public() -> None:
    months = ["2024-02", "2024-01", "2024-03", "2024-04", "2024-04"]
    partner = frame_periods(months, "partner")
    assert [p.label for p in partner] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert partner[1].months == ("2024-02", "2024-02")
    public = frame_periods(months, "public")
    assert [(p.label, p.start, p.end) for p in public] == [
        ("2024Q1", "2024-01", "2024-03"), ("2024Q2", "2024-04", "2024-06")]


def test_each_frame_is_the_one_month_map_exactly(town) -> None:
    """Same cell, same month, same perturbation: keys made on the whole range or one month."""
    demo, incidents = town
    months = sorted(incidents["month"].astype(str).unique())[:4]
    keyed = attach_record_keys(incidents, SECRET)
    cover = cover_area(demo.wards, 8)
    frames = disclosed_frames(frame_periods(months, "partner"), frame_layer(
        keyed, "partner", resolution=8, cover=cover, by="source", secret=SECRET))
    assert frames["period"].unique().tolist() == months
    for month in months:
        alone = attach_record_keys(incidents[incidents["month"].astype(str) == month], SECRET)
        one = disclosed_cells(alone, "partner", resolution=8, cover=cover, by="source",
                              hotspots=False, secret=SECRET)
        shown = frames[frames["period"] == month].set_index("h3")[one.columns.drop(
            "geometry").intersection(frames.columns)]
        pd.testing.assert_frame_equal(shown, pd.DataFrame(one[shown.columns]),
                                      check_names=False)
    assert frames["count"].isna().any() and (frames["count"] > 0).any()
    # asking again gives the same frames (nothing to average away)
    again = disclosed_frames(frame_periods(months, "partner"), frame_layer(
        keyed, "partner", resolution=8, cover=cover, by="source", secret=SECRET))
    pd.testing.assert_frame_equal(frames, again)


def test_area_frames_and_public_quarters(town) -> None:
    demo, incidents = town
    months = sorted(incidents["month"].astype(str).unique())[:6]
    keyed = attach_record_keys(incidents, SECRET)
    frames = disclosed_frames(frame_periods(months, "public"), frame_layer(
        keyed, "public", areas=demo.wards, index=build_area_index(demo.wards), secret=SECRET))
    assert frames["period"].unique().tolist() == ["2023Q1", "2023Q2"]
    shown = frames["count"].dropna()
    assert (shown % 5 == 0).all() and ((shown == 0) | (shown >= 10)).all()
    q1 = disclosed_areas(keyed, demo.wards, "public", months=("2023-01", "2023-03"),
                         secret=SECRET)
    first = frames[frames["period"] == "2023Q1"].set_index("area_code")["count"]
    pd.testing.assert_series_equal(first, q1["count"].reindex(first.index), check_names=False)


def _attack(frames: pd.DataFrame, total: pd.Series, truth: pd.DataFrame) -> tuple[int, int]:
    """Estimate each suppressed cell-month as total - the other frames; count exact hits."""
    wide = frames.pivot(index="h3", columns="period", values="count")
    true = truth.pivot(index="h3", columns="period", values="count").reindex_like(wide)
    exact = targets = 0
    for month in wide.columns:
        others = wide.drop(columns=month)
        usable = (wide[month].isna() & others.notna().all(axis=1) & total.reindex(
            wide.index).notna() & (true[month] >= 1))
        estimate = total.reindex(wide.index)[usable] - others[usable].sum(axis=1)
        targets += int(usable.sum())
        exact += int((estimate.round() == true.loc[usable, month]).sum())
    return exact, targets


def test_differencing_frames_against_the_total_does_not_recover_hidden_counts(town) -> None:
    """Partner: total of the period minus every other frame, for each suppressed cell-month.

    Control (threshold-only suppression, no noise): the same attack recovers every target.
    With per-frame cell key perturbation the exact rate stays below the one-difference rate
    the design states (more noise terms only lower it).
    """
    demo, incidents = town
    all_months = sorted(incidents["month"].astype(str).unique())
    keyed = attach_record_keys(incidents, SECRET)
    cover = cover_area(demo.wards, 8)
    threshold = rules_for("partner").min_count
    exact = targets = control_exact = control_targets = 0
    for start in range(0, 36, 3):  # windows of three months
        months = all_months[start:start + 3]
        periods = frame_periods(months, "partner")
        layer = frame_layer(keyed, "partner", resolution=8, cover=cover, secret=SECRET)
        frames = disclosed_frames(periods, layer)
        total = layer((months[0], months[-1]))["count"]
        truth = pd.concat([harm_by_cell(incidents[incidents["month"].astype(str) == m], 8,
                                        cover=cover)[["count"]].assign(period=m)
                           for m in months]).rename_axis("h3").reset_index()
        hit, n = _attack(frames, total, truth)
        exact, targets = exact + hit, targets + n
        plain = truth.assign(count=truth["count"].where(truth["count"] >= threshold))
        plain_total = truth.groupby("h3")["count"].sum()
        plain_total = plain_total.where(plain_total >= threshold)
        hit, n = _attack(plain, plain_total, truth)
        control_exact, control_targets = control_exact + hit, control_targets + n
    print(f"\nframes attack: control {control_exact}/{control_targets}, "
          f"cell key {exact}/{targets}")
    assert control_targets >= 10 and control_exact == control_targets
    assert targets >= 10
    bound = EXACT_DIFFERENCE_RATE + 3 * np.sqrt(EXACT_DIFFERENCE_RATE * 0.8 / targets)
    assert exact / targets <= bound
