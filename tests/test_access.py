"""Roles and disclosure control: primary and secondary suppression, rounding, leaks."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from geosoc.disclosure.layers import (
    disclose_areas,
    disclose_cells,
    disclose_headline,
    disclose_series,
    guard_payload,
)
from geosoc.disclosure.point_leaks import find_point_leaks
from geosoc.disclosure.rules import (
    PROTECTIVE_MARKING,
    Role,
    require_area_kind,
    require_point_access,
    rules_for,
)
from geosoc.disclosure.suppression import suppress
from geosoc.errors import AccessDeniedError


def _layer(counts: list[int]) -> pd.DataFrame:
    counts_arr = np.asarray(counts, dtype=float)
    return pd.DataFrame({"count": counts_arr, "harm": counts_arr * 10.0},
                        index=pd.Index([f"a{i}" for i in range(len(counts))], name="area_code"))


def _check_group_rule(values: pd.Series, hidden: pd.Series, k: int) -> None:
    if hidden.any() and not hidden.all():
        assert hidden.sum() >= 2
        assert values[hidden].sum() >= k


def _exact(role: str):
    """The role's thresholds without cell key noise: the suppression mechanics alone."""
    return replace(rules_for(role), perturb=False)


def test_primary_suppression_hides_small_nonzero_counts_and_their_harm() -> None:
    out = suppress(_layer([0, 1, 4, 5, 12, 30]), _exact("partner"))
    assert out["count"].isna().tolist() == [False, True, True, False, False, False]
    assert out["harm"].isna().tolist() == out["count"].isna().tolist()
    assert out.loc["a0", "count"] == 0  # zeros stay visible


def test_single_suppressed_value_gets_a_partner_so_the_total_does_not_reveal_it() -> None:
    out = suppress(_layer([3, 20, 7, 50]), _exact("partner"))
    # 3 alone would be total - shown; the next smallest non-zero (7) is hidden too.
    assert out["count"].isna().tolist() == [True, False, True, False]


def test_public_rounds_to_five_and_suppresses_below_ten() -> None:
    out = suppress(_layer([9, 12, 13, 28, 40]), _exact("public"))
    shown = out["count"].dropna()
    assert (shown % 5 == 0).all()
    assert np.isnan(out.loc["a0", "count"])
    assert out.loc["a3", "count"] == 30


def test_parent_groups_protect_against_differencing_overlapping_layers() -> None:
    layer = _layer([2, 40, 40, 6, 30, 30])
    parent = pd.Series(["p1", "p1", "p1", "p2", "p2", "p2"], index=layer.index)
    out = suppress(layer, _exact("partner"), groups=[parent])
    for _, idx in parent.groupby(parent).groups.items():
        _check_group_rule(layer.loc[idx, "count"], out.loc[idx, "count"].isna(), 5)


def test_breakdown_columns_get_secondary_suppression_within_the_row() -> None:
    frame = pd.DataFrame(
        {"count": [30.0, 40.0], "harm": [300.0, 400.0],
         "count__robbery": [2.0, 20.0], "harm__robbery": [730.0, 7300.0],
         "count__burglary": [8.0, 10.0], "harm__burglary": [1960.0, 2450.0],
         "count__theft": [20.0, 10.0], "harm__theft": [40.0, 20.0]},
        index=pd.Index(["x", "y"], name="area_code"))
    out = suppress(frame, _exact("partner"))
    row = out.loc["x"]
    hidden = [c for c in ("count__robbery", "count__burglary", "count__theft") if np.isnan(row[c])]
    assert "count__robbery" in hidden and len(hidden) >= 2
    assert np.isnan(row["harm__robbery"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=40),
       st.sampled_from(["partner", "public"]))
def test_property_no_small_count_is_disclosed_or_recoverable(counts: list[int], role: str) -> None:
    rules = rules_for(role)
    layer = _layer(counts)
    out = suppress(layer, rules)
    values = layer["count"]
    hidden = out["count"].isna()
    shown_true = values[~hidden]
    assert not ((shown_true > 0) & (shown_true < rules.min_count)).any()
    _check_group_rule(values, hidden, rules.min_count)
    assert out["harm"].isna().equals(hidden)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=2, max_size=30),
       st.permutations(list(range(30))))
def test_property_row_order_changes_nothing(counts: list[int], order: list[int]) -> None:
    layer = _layer(counts)
    perm = [i for i in order if i < len(counts)]
    a = suppress(layer, rules_for("partner"))["count"].isna()
    b = suppress(layer.iloc[perm], rules_for("partner"))["count"].isna()
    # Which values are hidden may differ on ties, but the number hidden may not.
    assert a.sum() == b.sum()


def _cells(resolution: int = 9) -> gpd.GeoDataFrame:
    centre = h3.latlng_to_cell(52.98, -2.05, resolution)
    ids = sorted(h3.grid_disk(centre, 3))
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 12, len(ids)).astype(np.int64)
    polys = [Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in ids]
    frame = gpd.GeoDataFrame({"count": counts, "harm": counts * 7.5},
                             index=pd.Index(ids, name="h3"), geometry=polys, crs="EPSG:4326")
    frame.attrs["h3_resolution"] = resolution
    return frame


def test_partner_cells_are_coarsened_to_resolution_8_with_totals_conserved() -> None:
    cells = _cells(9)
    analyst = disclose_cells(cells, "analyst")
    assert analyst.attrs["h3_resolution"] == 9 and len(analyst) == len(cells)
    partner = disclose_cells(cells, Role.PARTNER)
    assert partner.attrs["h3_resolution"] == 8
    assert all(h3.get_resolution(c) == 8 for c in partner.index)
    shown = partner["count"].fillna(0).sum()
    assert shown <= cells["count"].sum()
    assert not ((partner["count"] > 0) & (partner["count"] < 5)).any()


def test_disclose_cells_leaves_its_input_alone() -> None:
    cells = _cells(9)
    del cells.attrs["h3_resolution"]  # inferred from the ids, not written back
    before = cells.copy()
    analyst = disclose_cells(cells, "analyst")
    assert analyst is not cells and analyst.attrs["h3_resolution"] == 9
    analyst.loc[analyst.index[0], "count"] = -1
    assert cells.attrs == {}
    pd.testing.assert_frame_equal(cells, before)


def test_public_cells_are_resolution_7_rounded() -> None:
    public = disclose_cells(_cells(9), "public")
    assert public.attrs["h3_resolution"] == 7
    assert (public["count"].dropna() % 5 == 0).all()


def test_public_may_not_see_lsoas_and_partners_may_not_see_points() -> None:
    with pytest.raises(AccessDeniedError, match="lsoa"):
        require_area_kind("public", "lsoa")
    with pytest.raises(AccessDeniedError):
        require_point_access("partner")
    require_point_access("analyst")
    areas = gpd.GeoDataFrame({"name": ["L"], "kind": ["lsoa"], "count": [3], "harm": [3.0]},
                             index=pd.Index(["E01"], name="area_code"),
                             geometry=[Point(0, 51).buffer(0.01)], crs="EPSG:4326")
    with pytest.raises(AccessDeniedError):
        disclose_areas(areas, "public")
    assert np.isnan(disclose_areas(areas, "partner")["count"].iloc[0])


def test_threshold_can_be_raised_but_not_lowered() -> None:
    assert rules_for("partner", min_count=10).min_count == 10
    with pytest.raises(AccessDeniedError, match="cannot be lowered"):
        rules_for("partner", min_count=2)
    with pytest.raises(AccessDeniedError, match="unknown role"):
        rules_for("superuser")


def test_public_series_are_quarters() -> None:
    months = pd.period_range("2024-01", "2024-09", freq="M")
    series = pd.DataFrame({"month": months, "count": [5, 5, 5, 1, 1, 1, 10, 10, 12],
                           "harm": 1.0})
    out = disclose_series(series, "public")
    assert list(out["quarter"].astype(str)) == ["2024Q1", "2024Q2", "2024Q3"]
    # Q2 (3) < 10 is hidden; so is Q1 (15), else the total would give Q2 back.
    assert out["count"].isna().tolist() == [True, True, False]
    assert out["count"].iloc[2] in (30, 35)  # 32 plus cell key noise (-2..2), rounded to 5
    monthly = disclose_series(series, "partner")
    # The three 1s sum to 3 < 5, so one 5 joins them (or more, when noise takes a 5 below 5).
    assert "month" in monthly.columns and monthly["count"].isna().sum() >= 4


def test_headline_figures() -> None:
    assert disclose_headline(1234, "public") in (1230.0, 1235.0)  # noise -2..2, then 5s
    assert disclose_headline(1234, "public") == disclose_headline(1234, "public")
    assert disclose_headline(7, "public") is None
    assert disclose_headline(7, "analyst") == 7.0
    assert PROTECTIVE_MARKING[Role.PUBLIC] == "OFFICIAL"


def test_point_leaks_are_found_and_guarded() -> None:
    incidents = pd.DataFrame({"incident_id": ["e7b720d0e1302d2d06db"], "lon": [-0.10622],
                              "lat": [51.518275]})
    assert find_point_leaks('{"coordinates": [-0.10622, 51.51828]}', incidents)
    assert find_point_leaks("id e7b720d0e1302d2d06db", incidents)
    assert not find_point_leaks('{"coordinates": [-0.2, 51.6]}', incidents)
    with pytest.raises(AccessDeniedError, match="point-level"):
        guard_payload("id e7b720d0e1302d2d06db", incidents, "partner")
    assert guard_payload("id e7b720d0e1302d2d06db", incidents, "analyst")


def test_published_asset_points_are_not_leaks() -> None:
    incidents = pd.DataFrame({"incident_id": [""], "lon": [-2.049154], "lat": [52.995063]})
    assets = pd.DataFrame({"lon": [-2.04915], "lat": [52.99506]})
    page = "asset at [52.99506, -2.04915]"
    with pytest.raises(AccessDeniedError):
        guard_payload(page, incidents, "public")
    assert guard_payload(page, incidents, "public", published_points=assets) == page


@pytest.mark.parametrize("role", ["partner", "public"])
def test_an_empty_layer_discloses_as_empty(role: str) -> None:
    out = suppress(_layer([]), rules_for(role))
    assert out.empty and "suppressed" in out.columns
    series = pd.DataFrame({"month": pd.PeriodIndex([], freq="M"), "count": [], "harm": []})
    assert disclose_series(series, role).empty


# --- the cell key method --------------------------------------------------------------------

def _keyed_layer(counts: list[int], keysums: list[int]) -> pd.DataFrame:
    frame = _layer(counts)
    frame["keysum"] = keysums
    return frame


def test_the_same_records_always_get_the_same_noise() -> None:
    layer = _keyed_layer([7, 12, 30, 55], [300, 17, 4021, 999])
    first = suppress(layer, rules_for("partner"))
    again = suppress(layer.iloc[::-1], rules_for("partner")).loc[first.index]
    pd.testing.assert_frame_equal(first, again)
    assert "keysum" not in first.columns  # key sums never leave the library
    assert ((first["count"] - layer["count"]).abs() <= 2).all()
    assert np.allclose(first["harm"] / first["count"], 10.0)  # harm scaled with the count


def test_the_perturbation_table_has_the_stated_distribution() -> None:
    from geosoc.disclosure.cell_key import (
        EXACT_DIFFERENCE_RATE,
        NOISE_PROBABILITIES,
        NOISE_PROBABILITIES_ONE,
        RELEASE_EXACT_RATE,
        perturbation_table,
    )

    table = perturbation_table(300)
    big = table[table["pcv"] >= 3]
    shares = big["pvalue"].value_counts(normalize=True).to_dict()
    assert shares == {v: n / 256 for v, n in NOISE_PROBABILITIES.items()}
    assert abs(big["pvalue"].mean()) < 1e-12
    # a count of 1 has its own unbiased row: released 0..3, never negative
    ones = table.loc[table["pcv"] == 1, "pvalue"]
    assert ones.value_counts().to_dict() == NOISE_PROBABILITIES_ONE
    assert abs(ones.mean()) < 1e-12 and (ones >= -1).all() and (ones <= 2).all()
    twos = table.loc[table["pcv"] == 2, "pvalue"]
    assert abs(twos.mean()) < 1e-12 and (twos >= -2).all()  # never below 0
    for count in (1, 2, 3, 10):  # released unchanged at most 52/256 of the time
        assert (table.loc[table["pcv"] == count, "pvalue"] == 0).mean() <= RELEASE_EXACT_RATE
    assert RELEASE_EXACT_RATE == 52 / 256
    assert pytest.approx(0.2015, abs=1e-4) == EXACT_DIFFERENCE_RATE


def test_record_keys_are_stable_under_filters_and_secret_dependent() -> None:
    from geosoc.disclosure.cell_key import record_keys

    rng = np.random.default_rng(3)
    n = 500
    incidents = pd.DataFrame({
        "incident_id": [f"c{i}" if i % 3 else "" for i in range(n)],
        "month": pd.PeriodIndex(rng.choice(["2024-01", "2024-02"], n), freq="M"),
        "category": rng.choice(["Burglary", "Anti-social behaviour"], n),
        "source": "police", "lon": rng.uniform(-0.1, -0.09, n).round(4),
        "lat": rng.uniform(51.5, 51.51, n).round(4)})
    keys = record_keys(incidents, b"k" * 32)
    assert keys.min() >= 0 and keys.max() < 256
    subset = incidents[incidents["category"] == "Burglary"].iloc[::-1]
    again = pd.Series(record_keys(subset, b"k" * 32), index=subset.index)
    with_id = subset["incident_id"] != ""
    assert (again[with_id] == keys[subset.index[with_id]]).all()
    # identical rows (ASB without an id at one point) may swap keys, never change a sum
    groups = subset[["month", "lon", "lat"]].astype(str).agg("|".join, axis=1)
    assert again.groupby(groups).sum().equals(
        pd.Series(keys[subset.index], index=subset.index).groupby(groups).sum())
    other = record_keys(incidents, b"x" * 32)
    assert (other != keys).mean() > 0.9


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=30),
       st.sampled_from(["partner", "public"]))
def test_property_no_perturbed_value_below_the_threshold_is_shown(counts, role) -> None:
    rules = rules_for(role)
    out = suppress(_keyed_layer(counts, [7 * i + 3 for i in range(len(counts))]), rules)
    shown = out["count"].dropna()
    assert not ((shown > 0) & (shown < rules.min_count)).any()


def test_partner_cells_never_carry_statistics_of_raw_values() -> None:
    cells = _cells(8)
    cells["gi_z"] = 1.0
    cells["lisa_i"] = 1.0
    cells["hotspot_bin"] = 3
    partner = disclose_cells(cells, "partner")
    assert not {"gi_z", "lisa_i", "hotspot_bin"} & set(partner.columns)
    assert "gi_z" in disclose_cells(cells, "analyst").columns


def test_public_time_grain_is_enforced_in_the_library() -> None:
    from geosoc.disclosure.rules import months_for, require_time_grain
    from geosoc.errors import AccessDeniedError

    assert months_for("public", ("2024-05", "2024-05")) == ("2024-04", "2024-06")
    assert months_for("partner", ("2024-05", "2024-05")) == ("2024-05", "2024-05")
    require_time_grain("public", ("2024-04", "2024-09"))
    with pytest.raises(AccessDeniedError, match="whole quarters"):
        require_time_grain("public", ("2024-05", "2024-05"))


def test_public_asset_exports_have_no_contact_details() -> None:
    from geosoc.disclosure.layers import disclose_assets

    assets = pd.DataFrame({"name": ["Hub"], "contact": ["07700 900000"], "lon": [0.0],
                           "lat": [51.0]})
    assert "contact" not in disclose_assets(assets, "public").columns
    assert "contact" in disclose_assets(assets, "partner").columns
