"""End to end on real City of London data: ingest into a workspace, rank, export, audit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import shapely

from geosoc.cli import main
from geosoc.disclosure.point_leaks import coordinate_keys, find_point_leaks
from geosoc.workspace import Workspace
from geosoc.workspace.dataset_store import load_areas, load_incidents

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def workspace(city_of_london: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("real") / "city.sqlite"
    steps = [
        [str(city_of_london / "crime"), "--kind", "policeuk", "--name", "police"],
        [str(city_of_london / "boundaries" / "wards_by_lad"), "--kind", "boundaries",
         "--area-kind", "ward", "--name", "wards"],
        [str(city_of_london / "boundaries" / "lsoa_by_lad"), "--kind", "boundaries",
         "--area-kind", "lsoa", "--name", "lsoas"],
        [str(city_of_london / "deprivation" / "imd2019_london_lsoa.csv"), "--kind", "imd",
         "--name", "imd"],
    ]
    for step in steps:
        assert main(["ingest", *step, "--workspace", str(ws), "--user", "ana"]) == 0
    return ws


def test_city_wards_rank_first_and_edge_wards_are_left_out(workspace: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["sites", "rank", "--workspace", str(workspace), "--json"]) == 0
    ranking = json.loads(capsys.readouterr().out)["ranking"]
    top = [row["area_code"] for row in ranking[:5]]
    # The five highest-ranked wards are City of London wards (E05009288-E05009312).
    assert all("E05009288" <= code <= "E05009312" for code in top)
    assert all(row["police_count"] >= 20 for row in ranking)


def test_public_export_of_real_data_is_clean_and_audited(workspace: Path,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "launch.html"
    assert main(["export", "profile", "--workspace", str(workspace), "--role", "public",
                 "--purpose", "test of the launch pack", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    with Workspace.open(workspace) as ws:
        incidents = load_incidents(ws, role="analyst")
        wards = load_areas(ws, "ward")
        assert ws.verify_audit_chain().ok
        assert ws.audit_log(role="analyst").iloc[-1]["purpose"] == "test of the launch pack"
    assert not {i for i in incidents["incident_id"] if i} & set(page.split('"'))
    assert "OFFICIAL" in page and "Bishopsgate" in page
    # Every coordinate shared with an incident is a published ward boundary vertex.
    xy = shapely.get_coordinates(wards.geometry.to_numpy())
    vertices = set(coordinate_keys(xy[:, 0], xy[:, 1]))
    assert set(find_point_leaks(page, incidents)) <= vertices


def test_profile_runs_on_the_workspace(workspace: Path, tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["profile", "--workspace", str(workspace), "--out", str(tmp_path / "p"),
                 "--emerging", "none", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["incidents"] == 17_194  # 17,278 located, less 84 outside the 7 boroughs
    assert summary["hotspot_counts"]["3"]["cells"] > 0


def test_phases_set_then_report_on_a_pseudo_site(workspace: Path, tmp_path: Path,
                                                 capsys) -> None:
    assert main(["sites", "rank", "--workspace", str(workspace), "--save-site", "Pseudo",
                 "--user", "ana"]) == 0
    assert main(["phases", "report", "--workspace", str(workspace), "--site", "Pseudo",
                 "--out", str(tmp_path)]) == 2  # no phase dates yet: a clear error
    assert "geosoc phases set" in capsys.readouterr().err
    assert main(["phases", "set", "--workspace", str(workspace), "--site", "Pseudo",
                 "--clear", "2024-09:2024-11", "--hold", "2024-12:2025-05",
                 "--build", "2025-06:"]) == 0
    assert "2025-06 to (running)" in capsys.readouterr().out
    assert main(["phases", "report", "--workspace", str(workspace), "--site", "Pseudo",
                 "--out", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    assert "baseline trimmed to 2024-01" in captured.err
    summary = json.loads(captured.out)
    assert summary["phases"]["baseline"] == ["2024-01", "2024-08"]
    # No intervention happened, and 8 baseline months cannot separate change from season:
    # the calibrated verdict says so, and nothing in the report is called significant.
    assert summary["verdict"]["verdict"] == "cannot evaluate yet"
    assert "the baseline has 8 months" in summary["verdict"]["reading"]
    texts = [v["reading"] for v in summary["verdicts"]] + summary["site_change"] + [
        t for lines in summary["displacement"].values() for t in lines]
    assert not any("significant" in t for t in texts)


def test_a_partner_source_without_weights_is_rejected_when_stored(workspace: Path,
                                                                   tmp_path: Path,
                                                                   capsys) -> None:
    """Issue 14: rejected once at ingest, not accepted and then breaking every export."""
    ws_copy = tmp_path / "copy.sqlite"
    with Workspace.open(workspace) as ws:
        ws.backup(ws_copy)
    shutil.copytree(workspace.with_suffix(".datasets"), ws_copy.with_suffix(".datasets"))
    partner = tmp_path / "knife.csv"
    partner.write_text("date,lon,lat,kind\n2024-03-05,-0.0912,51.5155,knife injury\n"
                       "2024-04-07,-0.0801,51.5132,knife injury\n", encoding="utf-8")
    assert main(["ingest", str(partner), "--kind", "points", "--lon", "lon", "--lat", "lat",
                 "--date", "date", "--category", "kind", "--source", "health",
                 "--workspace", str(ws_copy), "--name", "health"]) == 2
    err = capsys.readouterr().err
    assert "harm weight" in err and "knife injury" in err
    assert main(["ingest", str(partner), "--kind", "points", "--lon", "lon", "--lat", "lat",
                 "--date", "date", "--category", "kind", "--source", "health_ae",
                 "--workspace", str(ws_copy), "--name", "health"]) == 0  # 'health_ae,*' row
    capsys.readouterr()
    out = tmp_path / "p"
    assert main(["profile", "--workspace", str(ws_copy), "--out", str(out),
                 "--emerging", "none", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["incidents"] == 17_196
