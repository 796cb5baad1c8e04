"""Figures built on the release: suppressed is never zero, harm carries nothing extra, and a
new month leaves earlier figures unchanged."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geosoc.disclosure.cell_key import attach_record_keys
from geosoc.disclosure.release import area_units, released_base
from geosoc.disclosure.tables import disclosed_areas, disclosed_series, disclosed_totals
from geosoc.harm import apply_harm_weights, load_harm_weights
from geosoc.hotspots.profile import build_profile
from geosoc.report.profile_report import ReportInputs, render_profile_report
from geosoc.report.site_section import site_figures, site_section_html
from geosoc.synth.demo import load_demo

SECRET = b"release-figures-key-0123456789abcdef0123"


@pytest.fixture(scope="module")
def town():
    demo = load_demo()
    return demo, attach_record_keys(apply_harm_weights(demo.incidents), SECRET)


def test_harm_is_released_count_times_the_public_weight(town) -> None:
    """Per base cell, published harm / count is the public weight of its source+category."""
    demo, incidents = town
    release = released_base(incidents, area_units(incidents, demo.wards), SECRET)
    weights = load_harm_weights()
    lookup = weights.set_index(["source", "category"])["weight"]
    fallback = weights[weights["category"] == "*"].set_index("source")["weight"]
    public = [lookup.get((s, c), fallback.get(s, 1.0))
              for s, c in zip(release["source"], release["category"], strict=True)]
    shown = release["released"] > 0
    np.testing.assert_allclose(
        (release["released_harm"] / release["released"])[shown].to_numpy(),
        np.asarray(public, dtype=float)[shown.to_numpy()])
    # so a ward's harm is the released category counts times the weights, nothing else
    wards = disclosed_areas(incidents, demo.wards, "partner", by="category", secret=SECRET)
    columns = [c for c in wards.columns if c.startswith("count__")]
    shown_rows = wards[columns].notna().all(axis=1) & wards["harm"].notna()
    assert shown_rows.any()


def test_a_new_month_leaves_earlier_figures_unchanged(town) -> None:
    """The release of months 1..k is the same before and after month k+1 is ingested."""
    demo, incidents = town
    months = sorted(incidents["month"].unique())
    before = incidents[incidents["month"] < months[-1]]
    # (a quarter end before the new month: the public's quarters then exclude it too)
    end = [m for m in months[:-1] if m.month % 3 == 0][-1]
    window = (str(months[0]), str(end))
    for role in ("partner", "public"):
        old = disclosed_areas(before, demo.wards, role, secret=SECRET, months=window)
        new = disclosed_areas(incidents, demo.wards, role, secret=SECRET, months=window)
        pd.testing.assert_series_equal(old["count"], new["count"])
        assert disclosed_totals(before, role, months=window, secret=SECRET) == \
            disclosed_totals(incidents, role, months=window, secret=SECRET)
        pd.testing.assert_frame_equal(
            disclosed_series(before, role, secret=SECRET, months=window),
            disclosed_series(incidents, role, secret=SECRET, months=window))


def test_suppressed_values_carry_their_reason(town) -> None:
    demo, incidents = town
    rare = incidents[incidents["category"] == incidents["category"].value_counts().index[-3]]
    layer = disclosed_areas(rare, demo.wards, "partner", secret=SECRET)
    hidden = layer["suppressed"].to_numpy(bool)
    assert hidden.any() and layer["count"][hidden].isna().all()
    reasons = set(layer.loc[hidden, "suppression_reason"])
    assert reasons <= {"fewer than 5", "protects another suppressed value"}
    assert (layer.loc[~hidden, "suppression_reason"] == "").all()


@pytest.fixture(scope="module")
def site_inputs(town):
    demo, _ = town
    site = gpd.GeoDataFrame({"name": ["The site"]}, geometry=[demo.site.geometry],
                            crs="EPSG:4326")
    profile = build_profile(demo.incidents, {"ward": demo.wards}, resolution=9,
                            lisa_permutations=9, emerging_freq=None)
    return demo, site, profile


@pytest.mark.parametrize("role", ["partner", "public"])
def test_site_harm_is_never_shown_as_zero(site_inputs, role: str) -> None:
    """The CHB site's harm and count come from the release; without the incidents the
    suppressed cells are left out and the figure says so."""
    from geosoc.disclosure.derived import disclose_profile

    demo, site, profile = site_inputs
    analyst = site_figures(profile, site, incidents=demo.incidents)
    assert analyst["harm"] > 0
    shown = disclose_profile(profile, role, incidents=demo.incidents)
    figures = site_figures(shown, site, incidents=demo.incidents)
    assert figures["disclosed"] and figures["harm"] is not None and figures["harm"] > 0
    assert abs(figures["harm"] - analyst["harm"]) < 0.05 * analyst["harm"]
    html = site_section_html(figures, shown_role(role), "days")
    assert not re.search(r"harm inside the site: 0 ", html)
    no_points = site_figures(shown, site)  # only the disclosed cells to go on
    assert no_points["harm"] is None or no_points["harm"] > 0
    text = site_section_html(no_points, shown_role(role), "days")
    if no_points["suppressed_cells"]:
        assert "includes suppressed values" in text
    if no_points["harm"] is None:
        assert "harm inside the site: suppressed" in text


def shown_role(role: str):
    from geosoc.disclosure.rules import as_role

    return as_role(role)


def test_public_profile_pack_shows_the_site_harm(site_inputs) -> None:
    demo, site, profile = site_inputs
    page = render_profile_report(profile, role="public", inputs=ReportInputs(
        title="Demoford", site=site, incidents=demo.incidents, demo=True))
    found = re.search(r"harm inside the site: ([^<]+)", page)
    assert found and not found.group(1).startswith("0 ")


def test_the_workspace_keeps_one_release_per_version_of_the_data(tmp_path, town) -> None:
    """A release is made once per data version; a new month makes a new one, the old one
    stays readable with its figures unchanged; partners and the public cannot make one."""
    from geosoc.disclosure.release_set import build_release
    from geosoc.errors import AccessDeniedError
    from geosoc.ingest import Ingested, IngestReport
    from geosoc.workspace import Workspace
    from geosoc.workspace.dataset_store import store_dataset
    from geosoc.workspace.release_making import ensure_release

    demo, incidents = town
    months = sorted(incidents["month"].unique())
    first = demo.incidents[demo.incidents["month"] <= months[1]]
    with Workspace.open(tmp_path / "ws.sqlite") as ws:
        ws.users.create_user("ana", "a long analyst passphrase", "analyst")
        report = IngestReport(source="demo", kind="points", rows_read=len(first),
                              rows_kept=len(first))
        store_dataset(ws, Ingested(first, report), name="police", kind="incidents",
                      user="ana", role="analyst")
        one = apply_harm_weights(first)
        made = ensure_release(ws, one, {"ward": demo.wards}, user="ana", role="analyst",
                              secret=SECRET)
        assert ensure_release(ws, one, {"ward": demo.wards}, user="ana", role="analyst",
                              secret=SECRET)["release_id"] == made["release_id"]
        table = ws.releases.load(int(made["release_id"]))
        assert set(table.columns) == {"geography", "unit", "month", "category", "source",
                                      "released", "released_harm"}
        pd.testing.assert_frame_equal(table, build_release(one, {"ward": demo.wards},
                                                           secret=SECRET))
        more = demo.incidents[demo.incidents["month"] <= months[2]]
        store_dataset(ws, Ingested(more, report), name="police", kind="incidents",
                      user="ana", role="analyst", replace=True)
        with pytest.raises(AccessDeniedError):
            ensure_release(ws, apply_harm_weights(more), {"ward": demo.wards}, user="pat",
                           role="partner", secret=SECRET)
        second = ensure_release(ws, apply_harm_weights(more), {"ward": demo.wards},
                                user="ana", role="analyst", secret=SECRET)
        assert second["release_id"] != made["release_id"]
        assert len(ws.releases.list()) == 2
        old = ws.releases.load(int(made["release_id"]))
        pd.testing.assert_frame_equal(old, table)  # the earlier release is kept as it was
        new = ws.releases.load(int(second["release_id"]))
        keys = ["geography", "unit", "month", "category", "source"]
        same = new.merge(old, on=keys, suffixes=("", "_old"))
        assert len(same) == len(old)  # earlier months: the same base values
        assert (same["released"] == same["released_old"]).all()


def test_a_partner_profile_without_its_records_is_refused(town) -> None:
    """No release without the records: a partner profile is never given fresh noise."""
    import pytest

    from geosoc.disclosure.derived import disclose_profile
    from geosoc.errors import AccessDeniedError
    from geosoc.hotspots.profile import build_profile

    demo, _ = town
    profile = build_profile(demo.incidents, {"ward": demo.wards}, resolution=8,
                            lisa_permutations=99, emerging_freq=None)
    with pytest.raises(AccessDeniedError, match="only from the disclosure release"):
        disclose_profile(profile, "partner", incidents=None)
    assert disclose_profile(profile, "analyst", incidents=None) is profile
