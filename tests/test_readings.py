"""Plain-English readings: WDQ bands, change wording, and no over-claiming."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geosoc.phases.readings import (
    describe_displacement,
    describe_pct_change,
    describe_rate_ratio,
    describe_wdd,
    describe_wdq,
    wdq_band,
)


@pytest.mark.parametrize(
    ("wdq", "band"),
    [
        (1.5, "diffusion larger than the direct effect"),
        (0.5, "diffusion of benefit"),
        (1.0, "diffusion of benefit"),
        (0.0, "no displacement or diffusion"),
        (0.03, "no displacement or diffusion"),
        (-0.2, "some displacement, net gain"),
        (-1.0, "some displacement, net gain"),
        (-1.5, "displacement outweighs the gain"),
        (None, "not meaningful"),
        (math.nan, "not meaningful"),
    ],
)
def test_wdq_bands_follow_bowers_johnson(wdq, band):
    assert wdq_band(wdq) == band


def test_brief_example_sentence():
    text = describe_displacement("harm", -38.0, 6.0, "Hold", "250 m ring", -0.2)
    assert text == ("harm fell 38% in the site during Hold; the 250 m ring rose 6% "
                    "(WDQ -0.20)")


def test_displacement_sentence_with_control_and_significance():
    text = describe_displacement("count", -20.0, 3.0, "Clear", "0-250 m ring", None,
                                 "site did not improve", control_pct=-1.0,
                                 wdd_significant=False)
    assert "crime fell 20%" in text
    assert "control fell 1%; no WDQ: site did not improve" in text
    assert text.endswith("the WDD interval includes 0")
    assert "significant" not in text and "displacement" not in text


@pytest.mark.parametrize(
    ("pct", "expected"),
    [(-38.2, "harm fell 38% in the site during Hold"),
     (12.0, "harm rose 12% in the site during Hold"),
     (0.2, "harm was unchanged in the site during Hold"),
     (None, "harm in the site during Hold cannot be compared (no baseline events)")],
)
def test_pct_change_wording(pct, expected):
    assert describe_pct_change("harm", pct, "the site", "Hold") == expected


def test_wdq_refusal_reads_reason():
    assert describe_wdq(None, "because") == "no WDQ: because"


@settings(deadline=None)
@given(st.floats(-1e4, 1e4), st.floats(0.01, 1e4), st.floats(0, 1))
def test_wdd_reading_never_claims_when_ci_includes_zero(wdd, half_width, p):
    low, high = wdd - half_width, wdd + half_width
    text = describe_wdd(wdd, low, high, p)
    assert "significant" not in text and text.startswith("WDD ")
    assert text.endswith("not calibrated: no verdict)")


def test_rate_ratio_reading():
    for args in ((0.9, 0.7, 1.1, 0.3), (0.5, 0.4, 0.6, 0.001), (2.0, 1.5, 2.6, 0.001)):
        text = describe_rate_ratio(*args)
        assert text.startswith(f"rate ratio {args[0]:.2f}") and "significant" not in text
    assert describe_rate_ratio(math.nan, math.nan, math.nan, math.nan).startswith("cannot test")
