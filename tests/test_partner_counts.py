"""Partner area counts: apportioning conserves totals, a partner dataset moves a site's rank
predictably, phases and displacement run on counts, and only disclosed values reach partner
and public roles (vulnerability signals never become harm)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geosoc.aggregate.apportion import apportion, apportion_weights
from geosoc.aggregate.cells import cover_area
from geosoc.aggregate.count_layers import PartnerCounts
from geosoc.disclosure.count_tables import (
    disclosed_count_areas,
    disclosed_count_cells,
    disclosed_count_totals,
)
from geosoc.disclosure.rules import Role
from geosoc.errors import AccessDeniedError, ConfigError
from geosoc.maps.vendor import missing_files
from geosoc.phases.partner_phases import partner_phase_report
from geosoc.phases.rings import buffer_rings, suggest_control
from geosoc.schema import CRS_METRIC, CRS_STORE
from geosoc.sites.ranking import in_period, rank_sites
from geosoc.sites.weights import ScoreWeights
from geosoc.ui.study import load_demo_study

SECRET = b"partner-counts-test-secret-32byt"


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def study(demo_root):
    return load_demo_study(demo_root)


def _squares(cells: list[tuple[float, float, float, float]], prefix: str) -> gpd.GeoDataFrame:
    geoms = [shapely.box(*b) for b in cells]
    return gpd.GeoDataFrame(index=pd.Index([f"{prefix}{i}" for i in range(len(geoms))],
                                           name="area_code"),
                            geometry=geoms, crs=CRS_METRIC).to_crs(CRS_STORE)


def test_area_shares_are_the_overlap_fractions():
    sources = _squares([(400000, 300000, 400200, 300100)], "A")
    targets = _squares([(400000, 300000, 400060, 300100), (400060, 300000, 400200, 300100),
                        (401000, 301000, 401100, 301100)], "T")
    shares = apportion_weights(sources, targets).set_index("target")["share"]
    assert shares.to_dict() == pytest.approx({"T0": 0.3, "T1": 0.7}, rel=1e-6)
    out = apportion(pd.DataFrame({"count": [4.0]}, index=pd.Index(["A0"], name="area_code")),
                    apportion_weights(sources, targets), integer=True)
    assert out["count"].to_dict() == {"T0": 1.0, "T1": 3.0}  # 1.2/2.8: largest remainder


def test_population_shares_follow_the_postcodes():
    sources = _squares([(400000, 300000, 400200, 300100)], "A")
    targets = _squares([(400000, 300000, 400100, 300100), (400100, 300000, 400200, 300100)],
                       "T")
    people = pd.DataFrame({"easting": [400010.0, 400020.0, 400030.0, 400150.0],
                           "northing": [300050.0] * 4})
    shares = apportion_weights(sources, targets, method="population", population=people)
    assert shares.set_index("target")["share"].to_dict() == pytest.approx({"T0": 0.75,
                                                                          "T1": 0.25})
    assert set(shares["method_used"]) == {"population"}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(resolution=st.sampled_from([7, 8, 9]), method=st.sampled_from(["area", "population"]),
       counts=st.lists(st.integers(0, 5000), min_size=120, max_size=120),
       integer=st.booleans())
def test_apportioning_conserves_every_areas_total(study, resolution, method, counts, integer):
    lsoas = study.areas["lsoa"]
    cover = cover_area(study.areas["ward"], resolution)
    shares = apportion_weights(lsoas, cover, method=method, population=study.postcodes)
    assert shares.attrs["unplaced"] == []
    per_area = shares.groupby("area_code")["share"].sum()
    assert np.allclose(per_area.to_numpy(), 1.0, atol=1e-12)
    values = pd.DataFrame({"count": np.asarray(counts, float)}, index=lsoas.index)
    out = apportion(values, shares, integer=integer)
    if integer:
        assert out["count"].sum() == values["count"].sum()  # exactly
        assert (out["count"] == np.round(out["count"])).all()
        one = values.assign(count=0.0)
        code = lsoas.index[counts.index(max(counts))]
        one.loc[code, "count"] = float(max(counts))
        assert apportion(one, shares, integer=True)["count"].sum() == max(counts)
    else:
        assert out["count"].sum() == pytest.approx(values["count"].sum(), rel=1e-12)


def test_a_partner_dataset_moves_a_sites_rank_predictably(study):
    incidents = in_period(study.incidents, "2023-01", "2023-12")
    common = dict(wards=study.areas["ward"], lsoas=study.areas["lsoa"], imd=study.imd,
                  assets=study.assets)
    before = rank_sites(incidents, **common)
    last = before.index[-1]
    lsoa = study.areas["lsoa"]
    inside = lsoa.index[shapely.within(shapely.point_on_surface(lsoa.geometry.to_numpy()),
                                       before.geometry.loc[last])]
    counts = pd.DataFrame({"area_code": inside, "month": pd.Period("2023-06", "M"),
                           "category": "Tenant ASB complaint", "source": "estate_team",
                           "count": 500})
    bundle = PartnerCounts.build(counts, study.areas)
    after = rank_sites(incidents, **common, partner_counts=bundle)
    weight = ScoreWeights().partner_harm
    n = len(after)
    norm = (n - 1 + 0.5) / n  # the only non-zero value: mid-rank percentile
    assert after.loc[last, "partner_harm__estate_team__norm"] == pytest.approx(norm)
    denominator = sum(abs(ScoreWeights().weight(c)) for c in before.attrs["components"])
    expected = (before.loc[last, "score"] * denominator + weight * norm) / (denominator
                                                                           + weight)
    assert after.loc[last, "score"] == pytest.approx(expected)
    assert after.loc[last, "rank"] < before.loc[last, "rank"]
    off = rank_sites(incidents, **common, partner_counts=bundle,
                     weights={"partner_harm__estate_team": 0.0})
    assert list(off.index) == list(before.index)  # weight 0 switches the source off


def test_demo_partner_counts_phases_and_displacement(study):
    site = study.site.geometry.iloc[0]
    rings = buffer_rings(site, (0.0, *study.ring_bands_m))
    controls = suggest_control(site, study.areas["ward"], study.incidents,
                               baseline=("2023-01", "2023-12"), exclude=rings.union_all())
    control = study.areas["ward"].geometry.loc[controls.index[0]]
    report = partner_phase_report(study.partner_counts, site, rings.union_all(), control,
                                  study.plan)
    totals = report.change[report.change["category"] == "all"].set_index(["source", "phase"])
    # housing follows ASB and criminal damage: the injected Clear effect (x0.60) shows
    assert totals.loc[("housing", "clear"), "count_pct_change"] < -20
    assert totals.loc[("housing", "clear"), "rr_p"] < 0.05
    assert {"health", "housing", "youth", "vulnerability"} <= set(report.change["source"])
    hold = report.displacement[report.displacement["phase"] == "hold"].set_index("source")
    assert {"health", "housing", "youth"} <= set(hold.index)
    assert np.isfinite(hold["wdd"]).all()
    assert report.zones["ward"]["site"] == [study.site["ward_code"].iloc[0]]


def test_vulnerability_signals_are_never_harm(study):
    bundle = study.partner_counts
    assert bundle.treatment["vulnerability"] == "signal"
    with pytest.raises(ConfigError, match="vulnerability signals"):
        bundle.with_treatment({"vulnerability": "harm"})
    rows = bundle.rows(sources=bundle.sources("harm"))
    assert bundle.harm_total() == (float(rows["count"].sum()), float(rows["harm"].sum()))
    assert (bundle.rows(sources=["vulnerability"])["harm"] == 0).all()
    totals = disclosed_count_totals(bundle, Role.ANALYST)
    assert totals["harm"].isna().to_dict() == {s: s == "vulnerability" for s in totals.index}
    as_indicator = bundle.with_treatment({"housing": "indicator"})
    assert as_indicator.harm_total()[1] < bundle.harm_total()[1]
    assert "vulnerability" not in as_indicator.sources("harm")


def test_partner_and_public_get_disclosed_values_only(study):
    bundle = study.partner_counts
    raw = bundle.rows(sources=["vulnerability"]).groupby("area_code")["count"].sum()
    partner = disclosed_count_areas(bundle, "vulnerability", Role.PARTNER, secret=SECRET)
    shown = partner["count"].dropna()
    assert ((shown == 0) | (shown >= 5)).all()
    assert partner["suppressed"].any()  # small LSOA totals hidden
    assert (shown != raw.reindex(shown.index).fillna(0)).any()  # perturbed
    again = disclosed_count_areas(bundle, "vulnerability", Role.PARTNER, secret=SECRET)
    pd.testing.assert_frame_equal(partner, again)  # same rows, same noise
    public = disclosed_count_areas(bundle, "health", Role.PUBLIC, months=("2024-02", "2024-02"),
                                   secret=SECRET)
    assert public.attrs["area_kind"] == "ward"  # LSOAs rolled up for the public
    assert (public["count"].dropna() % 5 == 0).all()
    analyst = disclosed_count_areas(bundle, "health", Role.ANALYST)
    assert analyst["count"].sum() == bundle.rows(sources=["health"])["count"].sum()
    totals = disclosed_count_totals(bundle, Role.PARTNER, secret=SECRET)
    assert set(totals.index) == set(bundle.sources())
    with pytest.raises(AccessDeniedError):
        disclosed_count_cells(bundle, "health", Role.PARTNER,
                              cover=cover_area(study.areas["ward"], 9), secret=SECRET)
    cells = disclosed_count_cells(bundle, "health", Role.PARTNER,
                                  cover=cover_area(study.areas["ward"], 8), secret=SECRET)
    assert cells["count"].sum() == pytest.approx(
        disclosed_count_areas(bundle, "health", Role.PARTNER, secret=SECRET,
                              by=None)["count"].sum())


@pytest.mark.skipif(bool(missing_files()),
                    reason="map assets not fetched: run python -m geosoc.maps.vendor")
@pytest.mark.parametrize("role", [Role.ANALYST, Role.PARTNER, Role.PUBLIC])
def test_packs_carry_partner_counts_and_signals(study, demo_root, role):
    from datetime import UTC, datetime

    from geosoc.hotspots.profile import build_profile
    from geosoc.report.profile_report import ReportInputs, render_profile_report
    from geosoc.report.review_inputs import demo_review_inputs
    from geosoc.report.review_pack import render_review_pack
    from geosoc.synth.demo import load_demo

    bundle = study.partner_counts
    profile = build_profile(study.incidents, study.areas, resolution=8, emerging_freq=None,
                            lisa_permutations=9)
    months = ("2023-01", "2025-12")
    launch = render_profile_report(profile, role=role, inputs=ReportInputs(
        site=study.site.reset_index(), incidents=study.incidents, partner_counts=bundle,
        months=months, demo=True))
    assert "<h2>Partner area counts</h2>" in launch
    assert "<h2>Vulnerability signals</h2>" in launch
    for source in ("health", "housing", "youth"):
        assert f"<td>{source}</td>" in launch
    totals = disclosed_count_totals(bundle, role, months=months)
    shown = totals.loc["housing", "count"]
    assert f"<td>{shown:,.0f}</td>" in launch  # the disclosed figure, not the raw one
    review = render_review_pack(demo_review_inputs(load_demo(demo_root),
                                                   pd.Period("2024-12", "M")),
                                role=role, generated_at=datetime(2025, 1, 1, tzinfo=UTC))
    assert "<h2>Partner area counts in the site</h2>" in review
    assert "<td>vulnerability</td>" in review


def test_demo_partner_counts_carry_the_known_signal(demo_root):
    from geosoc.synth.demo import load_demo

    town = load_demo(demo_root)
    signal = town.manifest.truth["partner_signal_lsoa"]
    counts = town.area_counts
    lsoa_rows = counts[counts["area_code"].str.startswith("E01")]
    totals = lsoa_rows.groupby(["source", "area_code"])["count"].sum()
    for source in ("health", "housing", "vulnerability"):
        assert totals[source].idxmax() == signal
    youth = counts[counts["source"] == "youth"]
    assert set(youth["area_code"]) == set(town.wards.index)  # shared per ward
    assert town.manifest.counts["area_counts_housing"] == int(
        counts.loc[counts["source"] == "housing", "count"].sum())


def test_differencing_two_month_ranges_does_not_give_the_true_count(study):
    from geosoc.disclosure.cell_key import EXACT_DIFFERENCE_RATE

    bundle = study.partner_counts
    wide = disclosed_count_areas(bundle, "housing", Role.PARTNER, by=None, secret=SECRET,
                                 months=("2023-01", "2025-12"))
    short = disclosed_count_areas(bundle, "housing", Role.PARTNER, by=None, secret=SECRET,
                                  months=("2023-01", "2025-11"))
    rows = bundle.rows(sources=["housing"], months=("2025-12", "2025-12"))
    truth = rows.groupby("area_code")["count"].sum().reindex(wide.index).fillna(0)
    # areas with December rows (the same rows give the same figure: a difference of 0 is
    # then the truth, as with the ONS method)
    both = wide["count"].notna() & short["count"].notna() & (truth > 0)
    exact = ((wide["count"] - short["count"])[both] == truth[both]).mean()
    assert both.sum() > 30
    assert exact < 2 * EXACT_DIFFERENCE_RATE + 0.1  # mostly noise, as the cell key method says
