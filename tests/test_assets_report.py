"""The launch pack's asset coverage section: site and rings, gaps, escaped, no contacts."""

from __future__ import annotations

import geopandas as gpd
import pytest

from geosoc.hotspots.profile import build_profile
from geosoc.maps.vendor import missing_files
from geosoc.report.asset_coverage import coverage_section_html, site_coverage
from geosoc.report.profile_report import ReportInputs, render_profile_report
from geosoc.synth.demo import load_demo

HOSTILE = "<script>alert(1)</script>${x}"


@pytest.fixture(scope="module")
def town():
    return load_demo()


def test_site_coverage_of_the_demo_town(town) -> None:
    assets = town.assets.copy()
    assets.loc[assets.index[0], "capabilities"] = "mentoring"
    coverage = site_coverage(assets, town.site.geometry, site=HOSTILE)
    assert coverage.zones["zone"].tolist() == ["site", "0-250 m ring", "250-500 m ring"]
    assert coverage.gaps["assets"].sum() == coverage.table.query(
        "dimension == 'category'")["assets"].sum()
    assert coverage.gaps["assets"].sum() > 0
    section = coverage_section_html(coverage)
    assert "<script>alert" not in section and "&lt;script&gt;" in section
    assert "Missing 4P pillars" in section


@pytest.mark.skipif(bool(missing_files()), reason="map assets not fetched")
def test_launch_pack_has_the_coverage_section_for_every_role(town) -> None:
    profile = build_profile(town.incidents, {"ward": town.wards}, resolution=9,
                            lisa_permutations=99, emerging_freq=None)
    site = gpd.GeoDataFrame({"name": ["Market streets"]}, geometry=[town.site.geometry],
                            crs="EPSG:4326")
    assets = town.assets.assign(contact_owner="PC Owner")
    for role in ("partner", "public"):
        page = render_profile_report(profile, role=role, inputs=ReportInputs(
            site=site, assets=assets, incidents=town.incidents))
        assert "Community asset coverage: Market streets" in page
        assert "0-250 m ring" in page and "Gap rank" in page
        assert "PC Owner" not in page


def test_script_in_every_text_field_stays_text(town, tmp_path) -> None:
    import folium
    import pandas as pd

    from geosoc.assets.files import export_assets_csv, export_assets_geojson
    from geosoc.assets.model import TEXT_COLUMNS
    from geosoc.maps import asset_layers, category_colours

    evil = "<img src=x onerror=alert(1)>`${alert(2)}`"
    assets = town.assets.head(3).copy()
    for column in (*TEXT_COLUMNS, "capabilities", "pillars", "external_id"):
        assets[column] = evil
    m = folium.Map()
    for group in asset_layers(assets, category_colours(assets["category"])):
        group.add_to(m)
    assert "<img src=x" not in m.get_root().render() and "${alert" not in m.get_root().render()
    section = coverage_section_html(site_coverage(assets, town.site.geometry, site=evil))
    assert "<img" not in section
    frame = pd.read_csv(export_assets_csv(assets, tmp_path / "a.csv"), dtype=str)
    assert (frame["contact"] == evil).all()  # verbatim data, nothing to run in a CSV
    assert evil in export_assets_geojson(assets, tmp_path / "a.geojson").read_text()
