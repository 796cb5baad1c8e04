"""The launch export: standalone, offline, marked, and free of point data for partner/public."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import geopandas as gpd
import pytest

from geosoc.cli import main
from geosoc.disclosure.point_leaks import find_point_leaks
from geosoc.hotspots.profile import build_profile
from geosoc.maps import external_urls
from geosoc.maps.vendor import missing_files
from geosoc.report.profile_report import ReportInputs, render_profile_report
from geosoc.synth.demo import load_demo
from geosoc.workspace import Workspace

pytestmark = pytest.mark.skipif(bool(missing_files()),
                                reason="map assets not fetched: run python -m geosoc.maps.vendor")

HOSTILE = "<img src=x onerror=alert(1)>${alert(2)}`\\"


@pytest.fixture(scope="module")
def town():
    return load_demo()


@pytest.fixture(scope="module")
def profile(town):
    return build_profile(town.incidents, {"ward": town.wards}, resolution=9,
                         lisa_permutations=99, emerging_freq=None)


@pytest.fixture(scope="module")
def inputs(town) -> ReportInputs:
    site = gpd.GeoDataFrame({"name": [HOSTILE]}, geometry=[town.site.geometry], crs="EPSG:4326")
    assets = town.assets.copy()
    assets.loc[assets.index[0], "name"] = HOSTILE
    return ReportInputs(title="Demoford " + HOSTILE, site=site, assets=assets,
                        incidents=town.incidents, demo=True)


@pytest.fixture(scope="module")
def pages(profile, inputs) -> dict[str, str]:
    return {role: render_profile_report(profile, role=role, inputs=inputs)
            for role in ("analyst", "partner", "public")}


@pytest.mark.parametrize(("role", "marking"), [("analyst", "OFFICIAL-SENSITIVE"),
                                               ("partner", "OFFICIAL-SENSITIVE"),
                                               ("public", "OFFICIAL")])
def test_every_role_gets_its_marking_top_and_bottom(pages, role, marking) -> None:
    page = pages[role]
    assert page.count(f"<div class='marking top'>{marking}</div>") == 1
    assert page.count(f"<div class='marking bottom'>{marking}</div>") == 1
    assert "@page { size: A4 landscape" in page


@pytest.mark.parametrize("role", ["analyst", "partner", "public"])
def test_report_opens_offline_with_no_external_requests(pages, role) -> None:
    page = pages[role]
    assert external_urls(page) == []
    assert "<script src=" not in page and "stylesheet" not in page.split("srcdoc")[0]
    assert "L.map(" in page or "L.map(" in page.replace("&quot;", '"')


@pytest.mark.parametrize("role", ["partner", "public"])
def test_partner_and_public_reports_hold_no_point_data(pages, town, role) -> None:
    # The only coordinates shared with incidents are published asset locations (postcode
    # centroids that A&E attendances were geocoded to), never an incident of its own.
    asset_pairs = {f"{lon:.5f},{lat:.5f}" for lon, lat in
                   zip(town.assets["lon"], town.assets["lat"], strict=True)}
    leaks = find_point_leaks(pages[role], town.incidents)
    assert set(leaks) <= asset_pairs
    ids = set(town.incidents["incident_id"][town.incidents["incident_id"].str.len() > 0])
    assert not ids & set(re.findall(r"[0-9a-f]{64}", pages[role]))


def test_public_counts_are_rounded_and_small_counts_hidden(pages) -> None:
    table = pages["public"].split("Highest-harm areas")[1].split("</table>")[0]
    cells = re.findall(r"<td>([\d,]+)</td>", table)
    values = [int(c.replace(",", "")) for c in cells]
    assert values and all(v % 5 == 0 for v in values)
    assert "Trend (quarterly harm)" in pages["public"]
    assert "Trend (monthly harm)" in pages["partner"]


def test_public_report_drops_contact_details(pages) -> None:
    assert "<th>Contact</th>" not in pages["public"]
    assert "<th>Contact</th>" in pages["partner"]


@pytest.mark.parametrize("role", ["analyst", "partner", "public"])
def test_hostile_strings_are_escaped(pages, role) -> None:
    page = pages[role]
    assert "<img src=x" not in page
    # Inside the map (the iframe's srcdoc), no payload may reach a script or template literal.
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    scripts = "".join(re.findall(r"<script>(.*?)</script>", srcdoc, flags=re.S)[-3:])
    assert "<img src=x" not in srcdoc
    assert "${alert" not in scripts and "<img" not in scripts


def test_cli_export_is_audited_with_its_purpose(tmp_path: Path, capsys) -> None:
    ws_path = tmp_path / "ws.sqlite"
    Workspace.open(ws_path).close()
    out = tmp_path / "launch.html"
    code = main(["export", "profile", "--role", "public", "--out", str(out), "--workspace",
                 str(ws_path), "--user", "cara", "--json"])
    assert code == 2 and "purpose" in capsys.readouterr().out
    code = main(["export", "profile", "--role", "public", "--out", str(out), "--workspace",
                 str(ws_path), "--user", "cara", "--purpose", "launch at the town hall",
                 "--json", "--resolution", "8", "--demo"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["marking"] == "OFFICIAL" and out.stat().st_size > 100_000
    with Workspace.open(ws_path) as ws:
        log = ws.audit_log(role="analyst")
        assert ws.verify_audit_chain().ok
    last = log.iloc[-1]
    assert last["action"] == "export.profile" and last["purpose"] == "launch at the town hall"


def test_cli_exports_the_workspace_datasets(tmp_path: Path, town, capsys) -> None:
    from geosoc.ingest import read_boundaries
    from geosoc.synth.demo import ensure_demo
    from geosoc.workspace.dataset_store import store_dataset

    root, ws_path, out = ensure_demo(), tmp_path / "ws.sqlite", tmp_path / "profile.html"
    Workspace.open(ws_path).close()
    assert main(["export", "profile", "--role", "public", "--out", str(out), "--workspace",
                 str(ws_path), "--purpose", "launch", "--json"]) == 2  # nothing stored yet
    assert "geosoc ingest" in capsys.readouterr().out and not out.exists()
    assert main(["ingest", str(root / "police"), "--kind", "policeuk", "--workspace",
                 str(ws_path), "--name", "police", "--user", "ana"]) == 0
    with Workspace.open(ws_path) as ws:
        store_dataset(ws, read_boundaries(root / "boundaries" / "wards.geojson", kind="ward"),
                      name="wards", kind="boundaries", user="ana", role="analyst")
    capsys.readouterr()
    assert main(["export", "profile", "--role", "public", "--out", str(out), "--workspace",
                 str(ws_path), "--user", "cara", "--purpose", "launch", "--json",
                 "--resolution", "8", "--title", "Stored data"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["data"] == "workspace" and summary["marking"] == "OFFICIAL"
    page = out.read_text()
    assert "Stored data" in page and "fictional" not in page.lower()
    police = town.incidents[town.incidents["source"] == "police"]
    assert find_point_leaks(page, police) == []
    with Workspace.open(ws_path) as ws:
        log = ws.audit_log(role="analyst")
    assert log["action"].tolist() == ["dataset.load", "dataset.load", "export.profile"]


def test_retired_assets_are_left_out(profile, town) -> None:
    assets = town.assets.copy()
    assets.loc[assets.index[0], ["name", "status"]] = ["Kept Marker Hall", "active"]
    assets.loc[assets.index[1], ["name", "status"]] = ["Retired Marker Hall", "retired"]
    page = render_profile_report(profile, role="analyst",
                                 inputs=ReportInputs(assets=assets, demo=True))
    assert "Kept Marker Hall" in page
    assert "Retired Marker Hall" not in page
